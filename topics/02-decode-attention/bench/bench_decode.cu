// bench-02-decode-attention: Google Benchmark over every registered version at the three
// target shapes (bf16, cold L2 is NOT applied here: use the lab for journal numbers). For
// quick A/B work: --benchmark_filter=v4, --benchmark_repetitions=5, --benchmark_format=json.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <string>

#include "decode.hpp"
#include "fixture.hpp"
#include "labs/bench.hpp"
#include "labs/gpuinfo.hpp"

using namespace decode02;

#if LABS_GPU
namespace {

struct Target {
  int B, S;
};
const Target kTargets[] = {{8, 4096}, {1, 32768}, {32, 4096}};

/// One fixture per shape, created on first use and kept (data setup stays out of the timing).
DecodeFixture& fixture_for(const Shape& s, cudaStream_t st) {
  static std::map<std::pair<int, int>, std::unique_ptr<DecodeFixture>> cache;
  auto& slot = cache[{s.B, s.S}];
  if (!slot) slot = std::make_unique<DecodeFixture>(s, st);
  return *slot;
}

cudaStream_t bench_stream() {
  static cudaStream_t s = [] {
    cudaStream_t st;
    LABS_CHECK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
    return st;
  }();
  return s;
}

void register_all() {
  for (const auto& v : DecodeRegistry::instance().all()) {
    if (v.probe) continue;  // probes are the lab's, run by name
    for (Layout layout : v.layouts) {
      for (const Target& t : kTargets) {
        Shape s;
        s.B = t.B, s.S = t.S, s.S_alloc = t.S, s.dtype = lab::DType::bf16;
        const std::string name = v.info.id + "/" + std::string(layout_name(layout)) + "/B" + std::to_string(t.B) +
                                 "/S" + std::to_string(t.S);
        const DecodeVersion* vp = &v;
        benchmark::RegisterBenchmark(name.c_str(), [vp, s, layout](benchmark::State& state) {
          std::string why;
          if (!lab::runnable_on(vp->info, lab::query_gpu(0), &why)) {
            state.SkipWithError(why.c_str());
            return;
          }
          DecodeFixture& fx = fixture_for(s, bench_stream());
          Shape shaped = s;
          shaped.layout = layout;
          const Runner r = vp->prepare(fx.problem(layout));
          lab::time_with_events(state, r.launch, bench_stream(), model_bytes(shaped), model_flops(shaped));
        })->UseManualTime()->Unit(benchmark::kMicrosecond);
      }
    }
  }
}

}  // namespace
#endif

int main(int argc, char** argv) {
#if LABS_GPU
  register_all();
#endif
  return lab::bench_main(argc, argv);
}
