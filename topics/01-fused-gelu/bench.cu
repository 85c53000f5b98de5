/// @file bench.cu
/// bench-01-fused-gelu: Google Benchmark over the same version table as the lab, for quick
/// A/B work (filters, repetitions, JSON out). Event-timed (UseManualTime), warm L2, with
/// bytes/s from the lab's byte model. The lab, not this binary, writes journal rows.
///
/// Run: build/cuda/topics/01-fused-gelu/bench-01-fused-gelu --benchmark_filter='v3/bf16'
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "check_gelu.hpp"
#include "gelu.hpp"
#include "labs/bench.hpp"
#include "labs/device_buffer.hpp"
#include "labs/gpuinfo.hpp"
#include "reference.hpp"

#if LABS_GPU
namespace {

struct Shape {
  std::size_t tokens, hidden;
};

cudaStream_t bench_stream() {
  static cudaStream_t s = [] {
    cudaStream_t st = nullptr;
    LABS_CHECK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
    return st;
  }();
  return s;
}

void register_one(const std::string& id, bool bias, const gelu::Prepare& prepare, lab::DType dt, Shape shape,
                  int sms) {
  const std::string name = fmt::format("gelu/{}/{}/{}x{}", id, lab::dtype_name(dt), shape.tokens, shape.hidden);
  benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& state) {
    const cudaStream_t s = bench_stream();
    const std::size_t n = shape.tokens * shape.hidden, e = lab::dtype_bytes(dt);
    lab::DeviceBytes x(n * e), b(shape.hidden * e), y(n * e);
    gelu::fill_uniform(dt, x.get(), n, 1, -gelu::kInputRange, gelu::kInputRange, s);
    gelu::fill_uniform(dt, b.get(), shape.hidden, 2, -1.0f, 1.0f, s);
    gelu::Problem p;
    p.dtype = dt;
    p.x = x.get();
    p.bias = b.get();
    p.y = y.get();
    p.tokens = shape.tokens;
    p.hidden = shape.hidden;
    p.sms = sms;
    const gelu::Step step = prepare(p);
    lab::time_with_events(state, step, s, gelu::bytes_moved(dt, shape.tokens, shape.hidden, bias),
                          gelu::flops_model(shape.tokens, shape.hidden, bias));
  })->UseManualTime()->Unit(benchmark::kMicrosecond);
}

void register_all() {
  const int sms = lab::query_gpu(0).sms;
  const Shape shapes[] = {{1000, 3072}, {16384, 14336}};
  for (const gelu::Version& v : gelu::Registry::instance().all())
    for (lab::DType dt : {lab::DType::f32, lab::DType::bf16, lab::DType::f16})
      for (const Shape& shape : shapes) {
        register_one(v.info.id, v.bias, v.prepare, dt, shape, sms);
        if (v.baseline) register_one(v.baseline->id, v.bias, v.baseline->prepare, dt, shape, sms);
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
