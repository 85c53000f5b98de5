#include "labs/bench.hpp"

#include <cstdio>
#include <string>

#include "labs/gpuinfo.hpp"

namespace lab {

#if LABS_GPU
void time_with_events(benchmark::State& state, const std::function<void(cudaStream_t)>& body, cudaStream_t stream,
                      double bytes, double flops) {
  cudaEvent_t a, b;
  LABS_CHECK(cudaEventCreate(&a));
  LABS_CHECK(cudaEventCreate(&b));
  body(stream);  // warm-up: module load and first-touch stay out of the numbers
  LABS_CHECK(cudaStreamSynchronize(stream));
  for (auto _ : state) {
    LABS_CHECK(cudaEventRecord(a, stream));
    body(stream);
    LABS_CHECK(cudaEventRecord(b, stream));
    LABS_CHECK(cudaEventSynchronize(b));
    float ms = 0;
    LABS_CHECK(cudaEventElapsedTime(&ms, a, b));
    state.SetIterationTime(ms * 1e-3);
  }
  LABS_CHECK(cudaEventDestroy(a));
  LABS_CHECK(cudaEventDestroy(b));
  state.counters["bytes_per_second"] =
      benchmark::Counter(bytes * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  if (flops > 0)
    state.counters["flops"] = benchmark::Counter(flops * static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate);
}
#endif

int bench_main(int argc, char** argv) {
  std::string why;
  if (!gpu_available(&why)) {
    std::printf("Nothing to time: %s\n", why.c_str());
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace lab
