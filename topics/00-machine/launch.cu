/// @file launch.cu
/// Launch costs: N back-to-back launches of a one-thread kernel (eager), the same N kernels
/// as nodes of one CUDA graph (per node), and the overhead of an empty event pair. Each
/// kernel adds 1 to a counter, so the check is "the counter reads N": a launch that was
/// dropped, merged or never ran fails it.
///
/// What the numbers mean: the harness queues each sample's launches behind a stream memory
/// wait (lab::time_gpu's launch gate), so eager = the GPU-side cost of retiring N queued
/// launches; the CPU's submission cost is not inside the events (before the gate it was, and
/// this row read ~3 us per launch instead of ~1.8); a graph node = the GPU front end walking a
/// prebuilt dependency chain. A kernel shorter than these
/// numbers is launch-bound: fusing or graphing it is the fix (topic 01, topic 05).
#include <memory>

#include <fmt/format.h>

#include "labs/device_buffer.hpp"
#include "machine.hpp"

#if LABS_GPU
namespace machine {
namespace {

/// The "empty" kernel: one thread, one add. Launches are serialised on the stream, so the
/// read-modify-write needs no atomic.
__global__ void tick_kernel(unsigned* counter) { *counter += 1; }

__global__ void spin_kernel(unsigned long long duration) {
#if defined(LABS_BACKEND_CUDA)
  // %globaltimer: nanoseconds, the same clock the events are stamped with.
  unsigned long long start, now;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(start));
  do {
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now));
  } while (now - start < duration);
#else
  // HIP: shader clock cycles (see timed_spin_ms); only roughly a time on a clock that boosts.
  const long long start = clock64();
  while (static_cast<unsigned long long>(clock64() - start) < duration) {
  }
#endif
}

constexpr double kSpinUs = 100;  // the event check's known interval

/// A graph of n tick nodes in a chain, captured from a private stream.
struct TickGraph {
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  TickGraph(unsigned* counter, int n) {
    cudaStream_t cap = nullptr;
    LABS_CHECK(cudaStreamCreateWithFlags(&cap, cudaStreamNonBlocking));
    LABS_CHECK(cudaStreamBeginCapture(cap, cudaStreamCaptureModeThreadLocal));
    for (int i = 0; i < n; ++i) tick_kernel<<<1, 1, 0, cap>>>(counter);
    const cudaError_t launch_err = cudaGetLastError();
    const cudaError_t end_err = cudaStreamEndCapture(cap, &graph);
    (void)cudaStreamDestroy(cap);
    LABS_CHECK(launch_err);
    LABS_CHECK(end_err);
    LABS_CHECK(cudaGraphInstantiate(&exec, graph, 0));
  }
  ~TickGraph() {
    if (exec) (void)cudaGraphExecDestroy(exec);
    if (graph) (void)cudaGraphDestroy(graph);
  }
  TickGraph(const TickGraph&) = delete;
  TickGraph& operator=(const TickGraph&) = delete;
};

}  // namespace

lab::CheckResult counter_check(const unsigned* device_counter, unsigned expected, cudaStream_t s) {
  unsigned got = 0;
  LABS_CHECK(cudaMemcpyAsync(&got, device_counter, sizeof got, cudaMemcpyDeviceToHost, s));
  LABS_CHECK(cudaStreamSynchronize(s));
  lab::CheckResult r;
  r.n = 1;
  r.pass = got == expected;
  r.n_bad = r.pass ? 0 : 1;
  r.max_abs = static_cast<double>(got > expected ? got - expected : expected - got);
  r.tol_used = r.pass ? 0.0 : 1e9;
  r.note = fmt::format("counter reads {} after {} kernels", got, expected);
  return r;
}

lab::Json launch_workload(int kernels) { return {{"op", "empty-kernel"}, {"kernels", kernels}, {"dtype", "none"}}; }

void launch_ticks(unsigned* counter, int n, cudaStream_t s) {
  for (int i = 0; i < n; ++i) {
    tick_kernel<<<1, 1, 0, s>>>(counter);
    LABS_CHECK_LAUNCH();
  }
}

double timed_spin_ms(double us, cudaStream_t s) {
  unsigned long long duration = static_cast<unsigned long long>(us * 1e3);  // ns (globaltimer)
#if !defined(LABS_BACKEND_CUDA)
  int khz = 0, dev = 0;
  LABS_CHECK(cudaGetDevice(&dev));
  LABS_CHECK(cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, dev));
  duration = static_cast<unsigned long long>(us * 1e-3 * khz);
#endif
  cudaEvent_t a, b;
  LABS_CHECK(cudaEventCreate(&a));
  LABS_CHECK(cudaEventCreate(&b));
  LABS_CHECK(cudaEventRecord(a, s));
  spin_kernel<<<1, 1, 0, s>>>(duration);
  LABS_CHECK_LAUNCH();
  LABS_CHECK(cudaEventRecord(b, s));
  LABS_CHECK(cudaEventSynchronize(b));
  float ms = 0;
  LABS_CHECK(cudaEventElapsedTime(&ms, a, b));
  LABS_CHECK(cudaEventDestroy(a));
  LABS_CHECK(cudaEventDestroy(b));
  return ms;
}

std::optional<double> launch_eager(Context& ctx) {
  const int n = ctx.sizes.launches;
  const cudaStream_t st = ctx.session.stream();
  auto counter = std::make_shared<lab::DeviceBytes>(sizeof(unsigned));
  lab::Case c;
  c.variant = "launch-eager";
  c.workload = launch_workload(n);
  c.workload_flags = fmt::format("--launches {}", n);
  c.kernel_regex = "tick_kernel";
  c.run = [counter, n](cudaStream_t s) { launch_ticks(counter->as<unsigned>(), n, s); };
  c.poison = [counter](cudaStream_t s) { LABS_CHECK(cudaMemsetAsync(counter->get(), 0, sizeof(unsigned), s)); };
  c.check = [counter, n, st] { return counter_check(counter->as<unsigned>(), static_cast<unsigned>(n), st); };
  c.extra = {{"method", fmt::format("{} back-to-back <<<1,1>>> launches per sample; latency_us = time / {}", n, n)}};
  return row_number(measure_fixed(ctx, c, {lab::L2Mode::warm, static_cast<double>(n)}), "latency_us");
}

std::optional<double> launch_graph_node(Context& ctx) {
  const int n = ctx.sizes.launches;
  const cudaStream_t st = ctx.session.stream();
  auto counter = std::make_shared<lab::DeviceBytes>(sizeof(unsigned));
  auto graph = std::make_shared<TickGraph>(counter->as<unsigned>(), n);  // built outside timing
  lab::Case c;
  c.variant = "launch-graph-node";
  c.workload = launch_workload(n);
  c.workload_flags = fmt::format("--launches {}", n);
  c.kernel_regex = "tick_kernel";
  c.run = [graph, counter](cudaStream_t s) { LABS_CHECK(cudaGraphLaunch(graph->exec, s)); };
  c.poison = [counter](cudaStream_t s) { LABS_CHECK(cudaMemsetAsync(counter->get(), 0, sizeof(unsigned), s)); };
  c.check = [counter, n, st] { return counter_check(counter->as<unsigned>(), static_cast<unsigned>(n), st); };
  c.extra = {{"method", fmt::format("one cudaGraphLaunch of a {}-node chain per sample; latency_us = time / {}", n, n)}};
  return row_number(measure_fixed(ctx, c, {lab::L2Mode::warm, static_cast<double>(n)}), "latency_us");
}

std::optional<double> event_overhead(Context& ctx) {
  const cudaStream_t st = ctx.session.stream();
  lab::Case c;
  c.variant = "event-overhead";
  c.workload = {{"op", "empty-event-pair"}, {"dtype", "none"}};
  c.run = [](cudaStream_t) {};  // time_gpu's own event pair around nothing
  c.poison = [](cudaStream_t) {};
  c.check = [st] {
    // Events must measure a known interval: a 100 us spin on the GPU clock reads 100 us up
    // to launch jitter.
    const double ms = timed_spin_ms(kSpinUs, st);
    lab::CheckResult r;
    r.n = 1;
    r.max_abs = ms - kSpinUs * 1e-3;
#if defined(LABS_BACKEND_CUDA)
    r.pass = ms >= 0.99 * kSpinUs * 1e-3 && ms <= 20 * kSpinUs * 1e-3;
#else
    r.pass = ms > 0 && ms <= 1000 * kSpinUs * 1e-3;  // HIP spins on the shader clock: rough
#endif
    r.n_bad = r.pass ? 0 : 1;
    r.tol_used = r.pass ? 0.0 : 1e9;
    r.note = fmt::format("events around a {:.0f} us GPU spin read {:.1f} us", kSpinUs, ms * 1e3);
    return r;
  };
  c.extra = {{"method", "cudaEventRecord x2 back to back, elapsed time; latency_us = median"}};
  return row_number(measure_fixed(ctx, c, {lab::L2Mode::warm, 1.0}), "latency_us");
}

}  // namespace machine
#endif
