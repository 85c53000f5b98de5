/// @file v0_unfused.cu
/// v0 — unfused: the GELU formula as eight separate elementwise kernels with temporaries in
/// device memory, the way an eager framework runs the Python expression
///   0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x**3)))
///
/// What it is: the naive baseline every later version is measured against (the seed's
/// "baseline", repaired: the seed's listing passed a null pointer to its add kernel, dropped
/// the `1 +`, and launched 9 kernels while its text said 7). Exactly 8 kernel launches per
/// step, and CUPTI counts 8 (the GPU test asserts it):
///   1 t1 = x^3   2 t1 *= 0.044715   3 t1 += x   4 t1 *= sqrt(2/pi)   5 t1 = tanh(t1)
///   6 t1 += 1    7 t2 = 0.5 x       8 y = t2 * t1
/// Temporaries are fp32 (every version computes in fp32), so each element costs
/// 72 bytes of traffic for fp32 storage and 64 bytes for bf16/fp16 (vs 8 and 4 fused).
///
/// Why it is slow: 8 launches (~2-4 us each of launch gap on a small tensor) and 8 passes over
/// memory. PREDICTION (before measuring): at 16384x14336, bytes/copy-bandwidth gives
/// 72/8 = 9x the fused time for fp32 and 64/4 = 16x for bf16; at the seed's 1x1000x3072 the
/// temporaries (12 MB each) stay in the 50+ MB L2, so v0 is launch-bound there instead.
///
/// Profiler: `nsys profile --stats=true` shows 8 cudaLaunchKernel per step;
/// `ncu --metrics dram__bytes_read.sum,dram__bytes_write.sum -k regex:ew_` shows each
/// kernel's traffic (the fp32 temporaries dominate).
///
/// Run: build/cuda/topics/01-fused-gelu/lab-01-fused-gelu --variant v0 --dtype bf16 --tokens 16384 --hidden 14336
#include <memory>

#include "gelu.hpp"
#include "kernels/gelu_math.cuh"
#include "labs/device_buffer.hpp"

#if LABS_GPU
namespace gelu {
namespace {

struct Cube { __device__ float operator()(float a) const { return a * a * a; } };
struct Scale { float s; __device__ float operator()(float a) const { return s * a; } };
struct AddScalar { float s; __device__ float operator()(float a) const { return a + s; } };
struct Tanh { __device__ float operator()(float a) const { return tanhf(a); } };
struct Add { __device__ float operator()(float a, float b) const { return a + b; } };
struct Mul { __device__ float operator()(float a, float b) const { return a * b; } };

// No __restrict__: several steps run in place (out == in).
template <class In, class Out, class Op>
__global__ void ew_map(const In* in, Out* out, std::size_t n, Op op) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) out[i] = from_f32<Out>(op(to_f32(in[i])));
}

template <class A, class B, class Out, class Op>
__global__ void ew_zip(const A* a, const B* b, Out* out, std::size_t n, Op op) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) out[i] = from_f32<Out>(op(to_f32(a[i]), to_f32(b[i])));
}

template <class T>
void launch_unfused_typed(const Problem& p, float* t1, float* t2, cudaStream_t s) {
  const std::size_t n = p.elements();
  const T* x = static_cast<const T*>(p.x);
  T* y = static_cast<T*>(p.y);
  const unsigned grid = grid_for(n, kBlockThreads);
  constexpr float kSqrt2OverPi = 0.7978845608028654f;
  ew_map<<<grid, kBlockThreads, 0, s>>>(x, t1, n, Cube{});                  // 1
  LABS_CHECK_LAUNCH();
  ew_map<<<grid, kBlockThreads, 0, s>>>(t1, t1, n, Scale{0.044715f});       // 2
  LABS_CHECK_LAUNCH();
  ew_zip<<<grid, kBlockThreads, 0, s>>>(x, t1, t1, n, Add{});               // 3
  LABS_CHECK_LAUNCH();
  ew_map<<<grid, kBlockThreads, 0, s>>>(t1, t1, n, Scale{kSqrt2OverPi});    // 4
  LABS_CHECK_LAUNCH();
  ew_map<<<grid, kBlockThreads, 0, s>>>(t1, t1, n, Tanh{});                 // 5
  LABS_CHECK_LAUNCH();
  ew_map<<<grid, kBlockThreads, 0, s>>>(t1, t1, n, AddScalar{1.0f});        // 6
  LABS_CHECK_LAUNCH();
  ew_map<<<grid, kBlockThreads, 0, s>>>(x, t2, n, Scale{0.5f});             // 7
  LABS_CHECK_LAUNCH();
  ew_zip<<<grid, kBlockThreads, 0, s>>>(t2, static_cast<const float*>(t1), y, n, Mul{});  // 8
  LABS_CHECK_LAUNCH();
}

struct UnfusedState {
  lab::DeviceBytes t1, t2;
};

Step prepare_unfused(const Problem& p) {
  auto state = std::make_shared<UnfusedState>();
  state->t1 = lab::DeviceBytes(p.elements() * sizeof(float));
  state->t2 = lab::DeviceBytes(p.elements() * sizeof(float));
  return [p, state](cudaStream_t s) { launch_unfused_gelu(p, state->t1.as<float>(), state->t2.as<float>(), s); };
}

}  // namespace

void launch_unfused_gelu(const Problem& p, float* t1, float* t2, cudaStream_t stream) {
  dispatch_dtype(p.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch_unfused_typed<T>(p, t1, t2, stream);
  });
}

static Version make_v0() {
  Version v;
  v.info.id = "v0";
  v.info.idea = "unfused: 8 elementwise kernels, fp32 temporaries in device memory";
  v.launches = 8;
  v.kernel_regex = "ew_";
  v.prepare = prepare_unfused;
  return v;
}

LABS_REGISTER_VERSION(Version, (make_v0()))

}  // namespace gelu
#endif
