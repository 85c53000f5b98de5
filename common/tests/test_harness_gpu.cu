// GPU tests of the harness itself: timing, launch counting, poison and the session's check.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "labs/device_buffer.hpp"
#include "labs/launches.hpp"
#include "labs/probe_check.hpp"
#include "labs/session.hpp"
#include "labs/timing.hpp"

using namespace lab;

#if LABS_GPU
namespace {
__global__ void spin(long long cycles) {
  const long long t0 = clock64();
  while (clock64() - t0 < cycles) {
  }
}
__global__ void fill(float* out, int n, float v) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = v;
}
// Deliberately wrong: skips the last element, which the poison must expose.
__global__ void fill_but_last(float* out, int n, float v) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n - 1) out[i] = v;
}
}  // namespace

TEST_CASE("time_gpu measures a kernel of known length, cold and warm") {
  cudaStream_t s;
  LABS_CHECK(cudaStreamCreate(&s));
  for (L2Mode m : {L2Mode::cold, L2Mode::warm}) {
    const auto r = time_gpu([](cudaStream_t st) { spin<<<1, 1, 0, st>>>(2'000'000); LABS_CHECK_LAUNCH(); },
                            TimingOptions::quick(m), s);
    CHECK(r.ms.n >= 5);
    CHECK(r.ms.median > 0.1);   // 2M cycles at <= 2.1 GHz is >= ~0.95 ms
    CHECK(r.ms.median < 50.0);
    CHECK(r.ms.p10 <= r.ms.median);
    CHECK(r.ms.median <= r.ms.p90);
    CHECK(r.event_overhead_ms < 0.1);
  }
  LABS_CHECK(cudaStreamDestroy(s));
}

TEST_CASE("launches are counted from the runtime; a graph launch counts once") {
  cudaStream_t s;
  LABS_CHECK(cudaStreamCreate(&s));
  DeviceBytes buf(1024 * sizeof(float));
  const auto three = count_launches(
      [&](cudaStream_t st) {
        for (int i = 0; i < 3; ++i) fill<<<4, 256, 0, st>>>(buf.as<float>(), 1024, 1.0f);
        LABS_CHECK_LAUNCH();
      },
      s);
  if (three.counted()) {
    CHECK(three.launches == 3);
    cudaGraph_t g;
    cudaGraphExec_t ge;
    LABS_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
    for (int i = 0; i < 3; ++i) fill<<<4, 256, 0, s>>>(buf.as<float>(), 1024, 2.0f);
    LABS_CHECK(cudaStreamEndCapture(s, &g));
    LABS_CHECK(cudaGraphInstantiate(&ge, g, 0));
    const auto graph = count_launches([&](cudaStream_t st) { LABS_CHECK(cudaGraphLaunch(ge, st)); }, s);
    CHECK(graph.launches == 1);
    CHECK(graph.graph_launches == 1);
    LABS_CHECK(cudaGraphExecDestroy(ge));
    LABS_CHECK(cudaGraphDestroy(g));
  } else {
    MESSAGE("launch counting unavailable (CUPTI absent or taken by a profiler)");
  }
  LABS_CHECK(cudaStreamDestroy(s));
}

TEST_CASE("poison is NaN in every float type") {
  DeviceBytes b(64);
  b.poison(nullptr);
  LABS_CHECK(cudaDeviceSynchronize());
  for (DType t : {DType::f32, DType::f16, DType::bf16})
    for (float x : download_as_float(b.get(), 64 / dtype_bytes(t), t)) CHECK(std::isnan(x));
}

namespace {
/// A case that fills `out` (n floats) with 3.0, or (skip_last) all but its last element, checked
/// against 3.0 everywhere.
Case fill_case(DeviceBytes& out, int n, bool skip_last) {
  Case c;
  c.variant = skip_last ? "wrong" : "right";
  c.workload = {{"n", n}, {"dtype", "fp32"}};
  c.bytes = n * sizeof(float);
  c.run = [&out, n, skip_last](cudaStream_t st) {
    if (skip_last) fill_but_last<<<(n + 255) / 256, 256, 0, st>>>(out.as<float>(), n, 3.0f);
    else fill<<<(n + 255) / 256, 256, 0, st>>>(out.as<float>(), n, 3.0f);
    LABS_CHECK_LAUNCH();
  };
  c.poison = [&out](cudaStream_t st) { out.poison(st); };
  c.check = [&out, n] {
    return check_close(download_as_float(out.get(), n, DType::f32), std::vector<double>(n, 3.0), DType::f32,
                       tolerance_for(DType::f32));
  };
  return c;
}
}  // namespace

TEST_CASE("the session rejects a version that leaves an element unwritten") {
  CommonOptions opt;
  opt.check_only = true;
  char arg0[] = "test";
  char* argv[] = {arg0};
  LabSession session("99-test", opt, 1, argv);
  REQUIRE(session.has_gpu());
  const int n = 1000;
  DeviceBytes out(n * sizeof(float));
  session.run(fill_case(out, n, false));
  CHECK(session.failures() == 0);
  session.run(fill_case(out, n, true));
  CHECK(session.failures() == 1);
}

TEST_CASE("the session merges a case's annotate fields into each L2 mode's row") {
  CommonOptions opt;
  opt.quick = true;
  opt.journal = "-";
  char arg0[] = "test";
  char* argv[] = {arg0};
  LabSession session("99-test", opt, 1, argv);
  REQUIRE(session.has_gpu());
  const int n = 1000;
  DeviceBytes out(n * sizeof(float));
  Case c = fill_case(out, n, false);
  c.variant = "annotated";
  // A fresh object on every call, as a probe's summary is: the session must copy it, not keep
  // a view of a temporary (the first version of this merge did, and wrote null).
  c.annotate = [](L2Mode m) {
    return Json{{"note", {{"mode", m == L2Mode::cold ? "cold" : "warm"}, {"items", std::vector<int>(64, 7)}}}};
  };
  const std::vector<Json> rows = session.run(c);
  REQUIRE(rows.size() == 2);  // --l2 both
  for (const Json& row : rows) {
    REQUIRE(row.contains("note"));
    CHECK(row["note"]["mode"] == row["l2"]);
    CHECK(row["note"]["items"].size() == 64);
    CHECK(row["note"]["items"][63] == 7);
  }
}
#endif

#if LABS_GPU
TEST_CASE("a body that synchronizes cannot deadlock the launch gate") {
  cudaStream_t s;
  LABS_CHECK(cudaStreamCreate(&s));
  const auto r = time_gpu(
      [](cudaStream_t st) {
        spin<<<1, 1, 0, st>>>(1000);
        LABS_CHECK_LAUNCH();
        LABS_CHECK(cudaStreamSynchronize(st));  // forbidden in a timed body, but must not hang
      },
      TimingOptions::quick(L2Mode::warm), s);
  CHECK(r.ms.n >= 5);
  CHECK_FALSE(r.launch_gated);  // the watchdog opened the gate once and turned it off
  const auto ok = time_gpu([](cudaStream_t st) { spin<<<1, 1, 0, st>>>(1000); LABS_CHECK_LAUNCH(); },
                           TimingOptions::quick(L2Mode::warm), s);
#if defined(LABS_BACKEND_CUDA)
  CHECK(ok.launch_gated);
#endif
  CHECK(ok.ms.median < 0.05);  // ~1000 cycles: launch latency is not inside the events
  LABS_CHECK(cudaStreamDestroy(s));
}
TEST_CASE("the probes' word sum adds strided runs exactly, and the compare fails on any other total") {
  cudaStream_t s;
  LABS_CHECK(cudaStreamCreate(&s));
  // 3 runs of 40 words, 56 words apart: the 16 words between runs must not count.
  std::vector<std::uint32_t> host(3 * 56);
  std::uint32_t runs_sum = 0;
  for (std::size_t i = 0; i < host.size(); ++i) {
    host[i] = static_cast<std::uint32_t>(i * 2654435761u);  // wraps: the sum is mod 2^32
    if (i % 56 < 40) runs_sum += host[i];
  }
  DeviceBytes buf(host.size() * 4);
  buf.upload(host.data(), host.size() * 4);
  CHECK(device_word_sum(buf.get(), 3, 40 * 4, 56 * 4, s) == runs_sum);
  std::uint32_t all = 0;
  for (std::uint32_t v : host) all += v;
  CHECK(device_word_sum(buf.get(), host.size() * 4, s) == all);
  DeviceBytes slots(2 * 4);
  const std::uint32_t two[2] = {runs_sum - 5u, 5u};
  slots.upload(two, sizeof two);
  CHECK(compare_word_sums(slots, runs_sum, s).pass);
  CHECK_FALSE(compare_word_sums(slots, runs_sum + 1u, s).pass);
  slots.poison(s);
  CHECK_FALSE(compare_word_sums(slots, runs_sum, s).pass);
  LABS_CHECK(cudaStreamDestroy(s));
}

#endif
