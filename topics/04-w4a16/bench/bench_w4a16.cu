/// @file bench_w4a16.cu
/// bench-04-w4a16: Google Benchmark over every registered version and the cuBLAS baselines
/// on the two target shapes, M = 1 and 16, bf16, int4-sym (int8 for v6, dense for cuBLAS).
/// Warm L2 and one weight set: for quick A/B work (--benchmark_filter=v4,
/// --benchmark_repetitions=5, --benchmark_format=json). Journal numbers come from the lab.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <string>

#include "labs/bench.hpp"
#include "labs/gpuinfo.hpp"
#include "support/dense_gemm.hpp"
#include "support/device_data.hpp"
#include "w4a16.hpp"

using namespace w4a16;

#if LABS_GPU
namespace {

struct Target {
  const char* name;
  int N, K;
};
const Target kTargets[] = {{"8b-gate", 14336, 4096}, {"8b-down", 4096, 14336}};

cudaStream_t bench_stream() {
  static cudaStream_t s = [] {
    cudaStream_t st;
    LABS_CHECK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
    return st;
  }();
  return s;
}

/// One data set per shape, built on first use and kept (setup stays out of the timing).
DeviceData& data_for(const Target& t) {
  static std::map<std::string, std::unique_ptr<DeviceData>> cache;
  auto& slot = cache[t.name];
  if (!slot) {
    DeviceData::Sets sets;
    sets.int4 = sets.int8 = sets.dense = 1;
    slot = std::make_unique<DeviceData>(t.N, t.K, lab::DType::bf16, sets, 42, bench_stream());
  }
  return *slot;
}

void register_case(const std::string& variant, WFormat f, const Target& t, int M) {
  const std::string name = variant + "/" + t.name + "/M" + std::to_string(M);
  benchmark::RegisterBenchmark(name.c_str(), [variant, f, t, M](benchmark::State& state) {
    const Version* v = Registry::instance().find(variant);
    std::string why;
    if (v && !lab::runnable_on(v->info, lab::query_gpu(0), &why)) {
      state.SkipWithError(why.c_str());
      return;
    }
    DeviceData& d = data_for(t);
    Problem p;
    p.M = M;
    p.N = t.N;
    p.K = t.K;
    p.dtype = lab::DType::bf16;
    p.wfmt = f;
    p.x = d.x();
    p.y = d.y();
    p.sms = lab::query_gpu(0).sms;
    Step step;
    if (v) {
      step = v->prepare(p);
    } else {
      auto g = std::make_shared<DenseGemm>(
          variant == "cublas" ? DenseGemm::Library::cublas : DenseGemm::Library::cublaslt, p);
      step = [g](const DeviceWeights& w, Stream s) { g->run(w.dense, s); };
    }
    const DeviceWeights w = d.weights(f, 0);
    lab::time_with_events(
        state, [&](cudaStream_t s) { step(w, s); }, bench_stream(), bytes_model(f, p.dtype, M, t.N, t.K),
        flops_model(M, t.N, t.K));
  })->UseManualTime();
}

void register_all() {
  for (const Target& t : kTargets)
    for (int M : {1, 16}) {
      for (const Version& v : Registry::instance().all())
        register_case(v.info.id, v.formats.front(), t, M);
      register_case("cublas", WFormat::dense, t, M);
      register_case("cublaslt", WFormat::dense, t, M);
    }
}

}  // namespace
#endif

int main(int argc, char** argv) {
#if LABS_GPU
  if (lab::gpu_available()) register_all();
#endif
  return lab::bench_main(argc, argv);
}
