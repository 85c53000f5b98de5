/// @file bench.cu
/// bench-00-machine: Google Benchmark versions of topic 00's device measurements (copies in
/// and out of L2, launch cost), event-timed with bytes/s counters, for quick A/B work. The
/// lab, not this binary, writes the journal and the ceilings cache.
///
/// Run: build/cuda/topics/00-machine/bench-00-machine --benchmark_filter=copy
#include <benchmark/benchmark.h>

#include "labs/bench.hpp"
#include "labs/device_buffer.hpp"
#include "labs/gpuinfo.hpp"
#include "machine.hpp"

#if LABS_GPU
namespace {

cudaStream_t bench_stream() {
  static cudaStream_t s = [] {
    cudaStream_t st = nullptr;
    LABS_CHECK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
    return st;
  }();
  return s;
}

void register_all() {
  const lab::GpuInfo gpu = lab::query_gpu(0);
  const std::size_t hbm = std::size_t{2} << 30;
  const std::size_t l2 = std::max<std::size_t>(1, static_cast<std::size_t>(gpu.l2_bytes) / 6 >> 20) << 20;
  for (std::size_t bytes : {hbm, l2}) {
    const std::string tag = bytes == hbm ? "hbm" : "l2";
    benchmark::RegisterBenchmark(("d2d-copy-" + tag + "/memcpy").c_str(), [bytes](benchmark::State& st) {
      lab::DeviceBytes src(bytes), dst(bytes);
      lab::time_with_events(
          st, [&](cudaStream_t s) { LABS_CHECK(cudaMemcpyAsync(dst.get(), src.get(), bytes, cudaMemcpyDeviceToDevice, s)); },
          bench_stream(), 2.0 * bytes, 0);
    })->UseManualTime()->Unit(benchmark::kMicrosecond);
    const int sms = gpu.sms;
    benchmark::RegisterBenchmark(("d2d-copy-" + tag + "/kernel").c_str(), [bytes, sms](benchmark::State& st) {
      lab::DeviceBytes src(bytes), dst(bytes);
      const unsigned blocks = machine::copy_kernel_blocks(sms);
      lab::time_with_events(
          st, [&](cudaStream_t s) { machine::copy_kernel(dst.get(), src.get(), bytes, blocks, s); }, bench_stream(),
          2.0 * bytes, 0);
    })->UseManualTime()->Unit(benchmark::kMicrosecond);
  }
  benchmark::RegisterBenchmark("launch-eager/x100", [](benchmark::State& st) {
    lab::DeviceBytes counter(sizeof(unsigned));
    lab::time_with_events(
        st, [&](cudaStream_t s) { machine::launch_ticks(counter.as<unsigned>(), 100, s); }, bench_stream(), 0, 0);
  })->UseManualTime()->Unit(benchmark::kMicrosecond);
}

}  // namespace
#endif

int main(int argc, char** argv) {
#if LABS_GPU
  if (lab::gpu_available()) register_all();
#endif
  return lab::bench_main(argc, argv);
}
