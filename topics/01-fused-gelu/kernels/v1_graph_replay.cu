/// @file v1_graph_replay.cu
/// v1 — v0's eight kernels captured once in a CUDA graph and replayed: one launch per step.
///
/// What changed from v0: nothing on the GPU. The same 8 kernels, grids and temporaries are
/// captured into a graph when the version is prepared (outside the timed region); each step
/// is one cudaGraphLaunch. This is the graph replay the seed's text describes and its code
/// never implemented.
///
/// Why it should be faster: the CPU submits one graph instead of 8 kernels, and the GPU
/// runs the nodes back to back without per-launch gaps. It cannot remove the 8 passes over
/// memory, so it only helps where launch overhead dominates.
///
/// PREDICTION (before measuring): seed shape 1x1000x3072, warm L2: the 8 kernels each take
/// ~2-3 us, close to the launch gap, so v1 should save roughly 1-2 us per node (~1.3-2x);
/// at 16384x14336 each kernel streams ~1-2 GB, milliseconds long, and v1 == v0 within noise.
/// CUPTI counts 1 launch (a graph launch) per step; the graph holds 8 kernel nodes.
///
/// Profiler: `nsys profile --stats=true` shows cudaGraphLaunch once per step and the 8
/// kernels; `nsys` timeline: the gaps between kernels shrink compared with v0.
///
/// Run: build/cuda/topics/01-fused-gelu/lab-01-fused-gelu --variant v1 --dtype bf16 --tokens 1000 --hidden 3072
#include <memory>

#include "gelu.hpp"
#include "labs/device_buffer.hpp"

#if LABS_GPU
namespace gelu {
namespace {

/// Owns the temporaries and the graph for as long as the step lives.
struct GraphState {
  lab::DeviceBytes t1, t2;
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  GraphState() = default;
  GraphState(const GraphState&) = delete;
  GraphState& operator=(const GraphState&) = delete;
  ~GraphState() {
    if (exec) (void)cudaGraphExecDestroy(exec);
    if (graph) (void)cudaGraphDestroy(graph);
  }
};

Step prepare_graph(const Problem& p) {
  auto state = std::make_shared<GraphState>();
  state->t1 = lab::DeviceBytes(p.elements() * sizeof(float));
  state->t2 = lab::DeviceBytes(p.elements() * sizeof(float));
  // Capture on a private stream so nothing else the lab enqueues can end up in the graph.
  cudaStream_t capture = nullptr;
  LABS_CHECK(cudaStreamCreateWithFlags(&capture, cudaStreamNonBlocking));
  try {
    LABS_CHECK(cudaStreamBeginCapture(capture, cudaStreamCaptureModeThreadLocal));
    launch_unfused_gelu(p, state->t1.as<float>(), state->t2.as<float>(), capture);
    LABS_CHECK(cudaStreamEndCapture(capture, &state->graph));
    LABS_CHECK(cudaGraphInstantiate(&state->exec, state->graph, 0));
  } catch (...) {
    cudaGraph_t partial = nullptr;
    (void)cudaStreamEndCapture(capture, &partial);  // leave capture mode before unwinding
    if (partial) (void)cudaGraphDestroy(partial);
    (void)cudaStreamDestroy(capture);
    throw;
  }
  LABS_CHECK(cudaStreamDestroy(capture));
  return [state](cudaStream_t s) { LABS_CHECK(cudaGraphLaunch(state->exec, s)); };
}

Version make_v1() {
  Version v;
  v.info.id = "v1";
  v.info.idea = "v0's 8 kernels captured once in a CUDA graph, replayed: 1 launch per step";
  v.launches = 1;
  v.kernel_regex = "ew_";
  v.prepare = prepare_graph;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_v1()))

}  // namespace gelu
#endif
