// GPU tests of topic 02 (label gpu; exit 77 without a GPU): every registered version against
// the fp64 CPU oracle on odd shapes with allocated-but-unwritten (NaN) keys, both dtypes and
// every layout it reads; relaunch (the split-K counters reset themselves); poisoned output;
// the GPU reference against the CPU oracle; and deliberately wrong kernels the check must reject.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "decode.hpp"
#include "fixture.hpp"
#include "kernels/common.cuh"
#include "kernels/split_combine.cuh"
#include "labs/gpuinfo.hpp"
#include "reference_cpu.hpp"

using namespace decode02;

#if LABS_GPU
namespace {

struct Stream {
  cudaStream_t s = nullptr;
  Stream() { LABS_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking)); }
  ~Stream() { (void)cudaStreamDestroy(s); }
};

Shape shape_of(int B, int S, int S_alloc, lab::DType dt) {
  Shape s;
  s.B = B, s.S = S, s.S_alloc = S_alloc, s.dtype = dt;
  return s;
}

/// Deliberately wrong: v1's one-pass loop that forgets to rescale the accumulator when the
/// running max grows (l is rescaled, o is not), so early keys keep weights that are too large.
template <class T>
__global__ void wrong_missing_rescale(const T* q, const T* k, const T* v, T* out, int Hq, int Hkv, int S, int S_alloc,
                                      float scale_log2) {
  const int h = blockIdx.x, b = blockIdx.y, kvh = h / (Hq / Hkv), lane = threadIdx.x;
  constexpr int kPer = kHeadDim / lab::kWarpSize;
  const size_t qo = (static_cast<size_t>(b) * Hq + h) * kHeadDim + lane * kPer;
  const size_t kv0 = (static_cast<size_t>(b) * Hkv + kvh) * S_alloc * kHeadDim + lane * kPer;
  float qf[kPer], acc[kPer] = {};
  for (int i = 0; i < kPer; ++i) qf[i] = Elem<T>::to_float(q[qo + i]) * scale_log2;
  float m = -INFINITY, l = 0.f;
  for (int t = 0; t < S; ++t) {
    float dot = 0.f;
    for (int i = 0; i < kPer; ++i) dot += qf[i] * Elem<T>::to_float(k[kv0 + static_cast<size_t>(t) * kHeadDim + i]);
    const float s = warp_sum(dot);
    const float m_new = fmaxf(m, s);
    const float p = exp2f(s - m_new);
    l = l * exp2f(m - m_new) + p;
    for (int i = 0; i < kPer; ++i) acc[i] += p * Elem<T>::to_float(v[kv0 + static_cast<size_t>(t) * kHeadDim + i]);
    m = m_new;
  }
  for (int i = 0; i < kPer; ++i) out[qo + i] = Elem<T>::from_float(acc[i] / l);
}

/// Deliberately wrong: reads the allocated length instead of the live one (the NaN slots).
template <class T>
__global__ void wrong_reads_allocated(const T* q, const T* k, const T* v, T* out, int Hq, int Hkv, int S, int S_alloc,
                                      float scale_log2) {
  (void)S;
  const int h = blockIdx.x, b = blockIdx.y, kvh = h / (Hq / Hkv), lane = threadIdx.x;
  constexpr int kPer = kHeadDim / lab::kWarpSize;
  const size_t qo = (static_cast<size_t>(b) * Hq + h) * kHeadDim + lane * kPer;
  const size_t kv0 = (static_cast<size_t>(b) * Hkv + kvh) * S_alloc * kHeadDim + lane * kPer;
  float qf[kPer], acc[kPer] = {};
  for (int i = 0; i < kPer; ++i) qf[i] = Elem<T>::to_float(q[qo + i]) * scale_log2;
  float m = -INFINITY, l = 0.f;
  for (int t = 0; t < S_alloc; ++t) {
    float dot = 0.f;
    for (int i = 0; i < kPer; ++i) dot += qf[i] * Elem<T>::to_float(k[kv0 + static_cast<size_t>(t) * kHeadDim + i]);
    const float s = warp_sum(dot);
    const float m_new = fmaxf(m, s);
    const float corr = exp2f(m - m_new), p = exp2f(s - m_new);
    l = l * corr + p;
    for (int i = 0; i < kPer; ++i)
      acc[i] = acc[i] * corr + p * Elem<T>::to_float(v[kv0 + static_cast<size_t>(t) * kHeadDim + i]);
    m = m_new;
  }
  for (int i = 0; i < kPer; ++i) out[qo + i] = Elem<T>::from_float(acc[i] / l);
}

template <bool kMissingRescale>
void run_wrong(DecodeFixture& fx, cudaStream_t st) {
  const DeviceProblem p = fx.problem(Layout::contiguous);
  const Shape& s = p.shape;
  dispatch_dtype(s.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    auto kernel = kMissingRescale ? wrong_missing_rescale<T> : wrong_reads_allocated<T>;
    kernel<<<dim3(s.Hq, s.B), lab::kWarpSize, 0, st>>>(static_cast<const T*>(p.q), static_cast<const T*>(p.k),
                                                       static_cast<const T*>(p.v), static_cast<T*>(p.out), s.Hq, s.Hkv,
                                                       s.S, s.S_alloc, softmax_scale_log2(s.D));
    LABS_CHECK_LAUNCH();
  });
  LABS_CHECK(cudaStreamSynchronize(st));
}

std::string label(const DecodeVersion& v, const Shape& s, Layout l) {
  return v.info.id + " " + workload_flags([&] { Shape x = s; x.layout = l; return x; }());
}

/// The 16-bit output of the fixture's contiguous problem after its last launch, for bitwise
/// comparisons between versions.
std::vector<std::uint16_t> output_bits(DecodeFixture& fx, cudaStream_t s) {
  const size_t n = static_cast<size_t>(fx.shape().B) * fx.shape().Hq * fx.shape().D;
  std::vector<std::uint16_t> h(n);
  LABS_CHECK(cudaMemcpyAsync(h.data(), fx.problem(Layout::contiguous).out, n * sizeof(std::uint16_t),
                             cudaMemcpyDeviceToHost, s));
  LABS_CHECK(cudaStreamSynchronize(s));
  return h;
}

}  // namespace

TEST_CASE("every version matches the fp64 CPU oracle on odd shapes, both dtypes, every layout") {
  Stream st;
  const lab::GpuInfo gpu = lab::query_gpu(0);
  REQUIRE(!DecodeRegistry::instance().all().empty());
  for (lab::DType dt : {lab::DType::bf16, lab::DType::f16}) {
    for (int S : {1, 7, 33, 4097}) {
      DecodeFixture fx(shape_of(3, S, S + 61, dt), st.s);
      REQUIRE(fx.reference_kind() == "cpu-fp64");
      for (const auto& v : DecodeRegistry::instance().all()) {
        std::string why;
        if (!lab::runnable_on(v.info, gpu, &why)) continue;
        for (Layout layout : v.layouts) {
          const DeviceProblem p = fx.problem(layout);
          const Runner r = v.prepare(p);
          CAPTURE(label(v, fx.shape(), layout));
          // A probe with its own output (probe-v13-loads) brings its own poison and check.
          auto poison = [&] { r.poison ? r.poison(st.s) : fx.poison_output(st.s); };
          auto check = [&] { return r.check ? r.check(st.s) : fx.check_output(); };
          // Twice: the split-K counters must come back to zero after every launch.
          for (int rep = 0; rep < 2; ++rep) {
            poison();
            r.launch(st.s);
            const lab::CheckResult c = check();
            CHECK_MESSAGE(c.pass, c.summary());
          }
          // Poisoned and not run: the NaN pattern must fail the check.
          poison();
          CHECK_FALSE(check().pass);
        }
      }
    }
  }
}

TEST_CASE("the GPU reference agrees with the CPU oracle, and a split version with both") {
  Stream st;
  for (lab::DType dt : {lab::DType::bf16, lab::DType::f16}) {
    DecodeFixture fx(shape_of(2, 9001, 9100, dt), st.s);
    REQUIRE(fx.reference_kind() == "gpu-fp64-accumulate");
    const std::vector<double>& gpu_ref = fx.reference();
    const std::vector<double> cpu_ref = attention_cpu(fx.shape(), fx.host_q(), fx.host_k(), fx.host_v());
    REQUIRE(gpu_ref.size() == cpu_ref.size());
    double worst = 0;
    for (size_t i = 0; i < cpu_ref.size(); ++i)
      worst = std::max(worst, std::fabs(gpu_ref[i] - cpu_ref[i]) / (std::fabs(cpu_ref[i]) + 1e-3));
    CHECK(worst < 1e-9);  // both accumulate in fp64 from the same rounded inputs
    const DecodeVersion* v4 = DecodeRegistry::instance().find("v4");
    REQUIRE(v4 != nullptr);
    const Runner r = v4->prepare(fx.problem(Layout::contiguous));
    fx.poison_output(st.s);
    r.launch(st.s);
    const lab::CheckResult c = fx.check_output();
    CHECK_MESSAGE(c.pass, c.summary());
    CHECK(r.details.value("splits", 0) > 1);
  }
}

TEST_CASE("v12's, v13's, v14's, v16's and v19's combines: every split count the plan can make matches the oracle, the same bits on every run") {
  // 41 tiles of 64 keys: forcing 1..41 splits gives 1..7, 9, 11, 14, 21 and 41 (splits are whole
  // tiles), which cross v12's 8-split chunks (9, 11, 14: 8 + a rest; 21: 16 + 5; 41: 40 + 1),
  // v13's 16-split loads and 32-split lanes (21: 16 + 5; 41: 32 + 9), v10's unroll of 16 and
  // v16's switch from a cluster (<= 8 splits) to v13's kernel (9 and up).
  Stream st;
  const DecodeVersion* v10 = DecodeRegistry::instance().find("v10");
  REQUIRE(v10 != nullptr);
  DecodeFixture fx(shape_of(1, 2600, 2600 + 61, lab::DType::bf16), st.s);
  auto output = [&] { return output_bits(fx, st.s); };
  for (const char* id : {"v12", "v13", "v14", "v16", "v19"}) {  // v16: a cluster up to 8 splits, v13's kernel above
    const DecodeVersion* v = DecodeRegistry::instance().find(id);
    REQUIRE(v != nullptr);
    std::string why;
    if (!lab::runnable_on(v->info, lab::query_gpu(0), &why)) continue;
    int differ_from_v10 = 0, last = 0;
    std::vector<int> made;
    for (int forced = 1; forced <= 41; ++forced) {
      DeviceProblem p = fx.problem(Layout::contiguous);
      p.shape.splits = forced;
      const Runner r = v->prepare(p);
      const int splits = r.details.value("splits", 0);
      CAPTURE(id);
      CAPTURE(forced);
      CAPTURE(splits);
      REQUIRE(splits >= last);  // more asked, never fewer made
      if (splits == last) continue;
      last = splits;
      made.push_back(splits);
      fx.poison_output(st.s);
      r.launch(st.s);
      const lab::CheckResult c = fx.check_output();
      CHECK_MESSAGE(c.pass, c.summary());
      const std::vector<std::uint16_t> first = output();
      for (int rep = 0; rep < 3; ++rep) {
        fx.poison_output(st.s);
        r.launch(st.s);
        CHECK(output() == first);
      }
      fx.poison_output(st.s);
      v10->prepare(p).launch(st.s);
      if (output() != first) ++differ_from_v10;
    }
    CHECK(made == std::vector<int>{1, 2, 3, 4, 5, 6, 7, 9, 11, 14, 21, 41});
    // Not required to be bitwise v10 (the rescale order differs), only within the tolerance:
    // this says how often the last bits moved.
    MESSAGE(std::string(id) << " differs from v10 in some output bits at " << differ_from_v10 << " of " << made.size()
               << " split counts");
  }
}

TEST_CASE("v17's and v18's ranges across pairs: segments that cross (sequence, KV head) boundaries, pairs inside one range, the same bits on every run") {
  // (8, 4097): 264 ranges of ~62 units over 64 pairs of 257, so most pairs have 5 segments and
  // about a quarter of the ranges cross a boundary; (32, 40): ranges of 8 units over pairs of 3, so a range holds
  // whole pairs (written directly) between two crossed ones; (1, 2600) and (3, 7): few pairs.
  // v18 also with its switch cost at 0 (v17's cut), 1 and 16 (lowered below the range length).
  Stream st;
  struct Run { const char* id; const char* switch_units; };
  for (const Run run : {Run{"v17", nullptr}, Run{"v18", nullptr}, Run{"v18", "0"}, Run{"v18", "1"}, Run{"v18", "16"}}) {
  const DecodeVersion* v17 = DecodeRegistry::instance().find(run.id);
  REQUIRE(v17 != nullptr);
  std::string why;
  if (!lab::runnable_on(v17->info, lab::query_gpu(0), &why)) return;
  if (run.switch_units) REQUIRE(setenv("DECODE02_LEAN_SWITCH_UNITS", run.switch_units, 1) == 0);
  else REQUIRE(unsetenv("DECODE02_LEAN_SWITCH_UNITS") == 0);
  struct Case { int B, S; };
  for (const Case c : {Case{8, 4097}, Case{32, 40}, Case{1, 2600}, Case{3, 7}})
    for (lab::DType dt : {lab::DType::bf16, lab::DType::f16}) {
      CAPTURE(run.id);
      CAPTURE(run.switch_units ? run.switch_units : "default");
      CAPTURE(c.B);
      CAPTURE(c.S);
      DecodeFixture fx(shape_of(c.B, c.S, c.S + 61, dt), st.s);
      const DeviceProblem p = fx.problem(Layout::contiguous);
      const Runner r = v17->prepare(p);
      CHECK(r.details.value("blocks", 0) >= 1);
      const size_t n = static_cast<size_t>(c.B) * fx.shape().Hq * fx.shape().D;
      auto output = [&] {
        std::vector<std::uint16_t> h(n);
        LABS_CHECK(cudaMemcpyAsync(h.data(), p.out, n * sizeof(std::uint16_t), cudaMemcpyDeviceToHost, st.s));
        LABS_CHECK(cudaStreamSynchronize(st.s));
        return h;
      };
      fx.poison_output(st.s);
      r.launch(st.s);
      const lab::CheckResult first_check = fx.check_output();
      CHECK_MESSAGE(first_check.pass, first_check.summary());
      const std::vector<std::uint16_t> first = output();
      for (int rep = 0; rep < 3; ++rep) {  // the tickets reset themselves; the merge order is fixed
        fx.poison_output(st.s);
        r.launch(st.s);
        CHECK(output() == first);
      }
    }
  // It plans its own ranges: a forced split count changes nothing, and its details carry no
  // "splits", which is how the lab's --splits sweep knows to skip it.
  DecodeFixture fx(shape_of(1, 4096, 4096, lab::DType::bf16), st.s);
  DeviceProblem forced = fx.problem(Layout::contiguous);
  forced.shape.splits = 4;
  const Runner r = v17->prepare(forced);
  CHECK(r.details.find("splits") == r.details.end());
  CHECK(r.details.value("blocks", 0) == v17->prepare(fx.problem(Layout::contiguous)).details.value("blocks", 0));
  }
  // v18's knob: 0-16 accepted (the default is 4), anything else refused with a clear error.
  const DecodeVersion* v18 = DecodeRegistry::instance().find("v18");
  DecodeFixture fx(shape_of(8, 4096, 4096, lab::DType::bf16), st.s);
  REQUIRE(unsetenv("DECODE02_LEAN_SWITCH_UNITS") == 0);
  CHECK(v18->prepare(fx.problem(Layout::contiguous)).details.value("switch_units", -1) == 4);
  REQUIRE(setenv("DECODE02_LEAN_SWITCH_UNITS", "8", 1) == 0);
  CHECK(v18->prepare(fx.problem(Layout::contiguous)).details.value("switch_units", -1) == 8);
  for (const char* bad : {"-1", "17", "four", " 4"}) {
    REQUIRE(setenv("DECODE02_LEAN_SWITCH_UNITS", bad, 1) == 0);
    CHECK_THROWS_AS(v18->prepare(fx.problem(Layout::contiguous)), std::invalid_argument);
  }
  REQUIRE(unsetenv("DECODE02_LEAN_SWITCH_UNITS") == 0);
}

TEST_CASE("v14's prefetch distance: DECODE02_L2_PREFETCH_TILES picks 1, 2, 4 or 8, and nothing else") {
  Stream st;
  const DecodeVersion* v14 = DecodeRegistry::instance().find("v14");
  REQUIRE(v14 != nullptr);
  std::string why;
  if (!lab::runnable_on(v14->info, lab::query_gpu(0), &why)) return;
  DecodeFixture fx(shape_of(2, 4097, 4097 + 61, lab::DType::f16), st.s);
  const DeviceProblem p = fx.problem(Layout::contiguous);
  CHECK(v14->prepare(p).details.value("l2_prefetch_tiles", 0) == 2);  // the default
  for (const char* d : {"1", "2", "4", "8"}) {
    REQUIRE(setenv("DECODE02_L2_PREFETCH_TILES", d, 1) == 0);
    const Runner r = v14->prepare(p);
    CAPTURE(std::string(d));
    CHECK(r.details.value("l2_prefetch_tiles", 0) == std::stoi(d));
    fx.poison_output(st.s);
    r.launch(st.s);
    const lab::CheckResult c = fx.check_output();
    CHECK_MESSAGE(c.pass, c.summary());
  }
  for (const char* bad : {"0", "3", "16", "two"}) {
    REQUIRE(setenv("DECODE02_L2_PREFETCH_TILES", bad, 1) == 0);
    CHECK_THROWS_AS(v14->prepare(p), std::invalid_argument);
  }
  unsetenv("DECODE02_L2_PREFETCH_TILES");
}

TEST_CASE("deliberately wrong kernels are rejected by the check") {
  Stream st;
  for (lab::DType dt : {lab::DType::bf16, lab::DType::f16}) {
    DecodeFixture fx(shape_of(3, 4097, 4097 + 61, dt), st.s);
    fx.poison_output(st.s);
    run_wrong<true>(fx, st.s);
    const lab::CheckResult missing = fx.check_output();
    CHECK_FALSE(missing.pass);
    CHECK(missing.tol_used > 3.0);
    fx.poison_output(st.s);
    run_wrong<false>(fx, st.s);
    const lab::CheckResult past_live = fx.check_output();
    CHECK_FALSE(past_live.pass);
    CHECK(past_live.n_nonfinite > 0);
  }
}

TEST_CASE("probe-v13-loads: its checksum fails when a K or V word it should have read changes after it ran; its clock is ordered") {
  Stream st;
  const DecodeVersion* probe = DecodeRegistry::instance().find("probe-v13-loads");
  REQUIRE(probe != nullptr);
  std::string why;
  if (!lab::runnable_on(probe->info, lab::query_gpu(0), &why)) return;
  CHECK(probe->probe);
  for (bool in_v : {false, true}) {
    DecodeFixture fx(shape_of(2, 4097, 4097 + 61, lab::DType::bf16), st.s);  // a partial last tile, NaN slots after
    const DeviceProblem p = fx.problem(Layout::contiguous);
    const Runner r = probe->prepare(p);
    REQUIRE(r.check);
    REQUIRE(r.details.value("splits", 0) > 1);
    r.poison(st.s);
    r.launch(st.s);
    REQUIRE(r.check(st.s).pass);
    // Its clock (a stamped twin of the same kernel): every block's points in order, and the
    // twin's sums pass the same check.
    r.poison(st.s);
    const nlohmann::json clock = r.annotate(lab::L2Mode::cold).at("clock");
    CAPTURE(clock.dump());
    CHECK(clock.at("ordered").get<bool>());
    CHECK(clock.at("blocks_combined").get<int>() == clock.at("blocks").get<int>());
    REQUIRE(r.check(st.s).pass);
    // The last live key of sequence 1, KV head 7: read by the probe, so changing one of its words
    // after the run must break the sum. (An unwritten slot past it must not matter: it is NaN
    // already and was never added.)
    const Shape& s = p.shape;
    const size_t last = ((static_cast<size_t>(1) * s.Hkv + 7) * s.S_alloc + (s.S - 1)) * kHeadDim;
    auto* base = static_cast<std::uint16_t*>(const_cast<void*>(in_v ? p.v : p.k));
    LABS_CHECK(cudaMemsetAsync(base + last + 64, 0x3c, 4, st.s));
    CHECK_FALSE(r.check(st.s).pass);
  }
}

TEST_CASE("probe-v13/v19-v23-clock: the version's output, and every block's stamps in order with one combine per (sequence, KV head)") {
  Stream st;
  for (const char* id : {"probe-v13-clock", "probe-v19-clock", "probe-v20-clock", "probe-v21-clock", "probe-v22-clock",
                         "probe-v23-clock"})
  for (int S : {4097, 200}) {
    const DecodeVersion* probe = DecodeRegistry::instance().find(id);
    REQUIRE(probe != nullptr);
    std::string why;
    if (!lab::runnable_on(probe->info, lab::query_gpu(0), &why)) return;
    CAPTURE(id);  // several splits, and one (no combine: every block stores its output)
    DecodeFixture fx(shape_of(2, S, S + 61, lab::DType::bf16), st.s);
    DeviceProblem p = fx.problem(Layout::contiguous);
    const bool v21 = std::string(id) == "probe-v21-clock";
    if (v21 && S > 200) p.shape.splits = 4;  // v21's own tail (a partial per warp) runs at 2-4 splits
    const Runner r = probe->prepare(p);
    if (v21 && S > 200) CHECK(r.details.value("partials", std::string()) == "per warp");
    REQUIRE(r.annotate);
    fx.poison_output(st.s);
    r.launch(st.s);
    const lab::CheckResult c = fx.check_output();
    CHECK_MESSAGE(c.pass, c.summary());
    const nlohmann::json clock = r.annotate(lab::L2Mode::cold).at("clock");
    CAPTURE(clock.dump());
    const int splits = r.details.value("splits", 0);
    CHECK(clock.at("ordered").get<bool>());
    CHECK(clock.at("blocks").get<int>() == splits * 8 * 2);
    CHECK((splits == 1) == (S == 200));
    CHECK(clock.at("blocks_combined").get<int>() == 8 * 2);  // the last split of each pair, or each block
    const auto& t = clock.at("us_from_first_entry");
    CHECK(t.at("combined_last").get<double>() >= t.at("loop_done_last").get<double>());
    CHECK(t.at("combined_last").get<double>() > 0.0);
    // v22, v23 record each block's loop ticket: the summary says how often the block holding the
    // last one merged last (a share of the pairs) and how long it waited; the others have none.
    const bool ticketed = (std::string(id) == "probe-v22-clock" || std::string(id) == "probe-v23-clock") && splits > 1;
    CHECK(clock.contains("finisher") == ticketed);
    if (ticketed) {
      const double share = clock.at("finisher").at("last_ticket_merged_last_share").get<double>();
      CHECK(share >= 0.0);
      CHECK(share <= 1.0);
      CHECK(clock.at("finisher").at("wait_us_p50").get<double>() >= 0.0);
    }
  }
}

TEST_CASE("v19's output is bitwise v13's (the same arithmetic in the same order, two tiles in flight), at odd and even tile counts") {
  Stream st;
  const DecodeVersion* v13 = DecodeRegistry::instance().find("v13");
  const DecodeVersion* v19 = DecodeRegistry::instance().find("v19");
  REQUIRE(v13 != nullptr);
  REQUIRE(v19 != nullptr);
  std::string why;
  if (!lab::runnable_on(v19->info, lab::query_gpu(0), &why)) return;
  struct Sizes {
    int B, S;
  };
  // Tiles per warp: 1 (S = 7, 33), 2 and odd counts with a partial last tile (4097, 2600 at
  // several forced splits), and long streams (9001 in one split).
  for (lab::DType dt : {lab::DType::bf16, lab::DType::f16})
    for (const Sizes& c : {Sizes{3, 7}, Sizes{1, 33}, Sizes{3, 4097}, Sizes{2, 2600}, Sizes{1, 9001}}) {
      DecodeFixture fx(shape_of(c.B, c.S, c.S + 61, dt), st.s);
      auto output = [&] { return output_bits(fx, st.s); };
      for (int forced : {0, 1, 3, 5}) {
        DeviceProblem p = fx.problem(Layout::contiguous);
        p.shape.splits = forced;
        const Runner a = v13->prepare(p), b = v19->prepare(p);
        CAPTURE(label(*v19, p.shape, Layout::contiguous));
        REQUIRE(a.details.value("splits", 0) == b.details.value("splits", 0));
        fx.poison_output(st.s);
        a.launch(st.s);
        const std::vector<std::uint16_t> want = output();
        fx.poison_output(st.s);
        b.launch(st.s);
        const lab::CheckResult chk = fx.check_output();
        CHECK_MESSAGE(chk.pass, chk.summary());
        CHECK(output() == want);
      }
    }
}

TEST_CASE("v20 (tiles shared through a counter): every split count matches the oracle on every relaunch, so the counter comes back to zero") {
  // If the last block did not reset the pair's tile counter, the next launch's first claims would
  // start past the pair's tiles and skip them: the oracle check fails on the second launch.
  Stream st;
  const DecodeVersion* v20 = DecodeRegistry::instance().find("v20");
  REQUIRE(v20 != nullptr);
  std::string why;
  if (!lab::runnable_on(v20->info, lab::query_gpu(0), &why)) return;
  for (lab::DType dt : {lab::DType::bf16, lab::DType::f16}) {
    DecodeFixture fx(shape_of(2, 2600, 2600 + 61, dt), st.s);
    for (int forced : {1, 2, 3, 7, 41}) {
      DeviceProblem p = fx.problem(Layout::contiguous);
      p.shape.splits = forced;
      const Runner r = v20->prepare(p);
      CAPTURE(forced);
      for (int rep = 0; rep < 4; ++rep) {
        fx.poison_output(st.s);
        r.launch(st.s);
        const lab::CheckResult c = fx.check_output();
        CAPTURE(rep);
        CHECK_MESSAGE(c.pass, c.summary());
      }
    }
  }
}

TEST_CASE("v21 (a partial per warp at 2-4 splits): the oracle at every split count, on relaunch, bitwise the same on every run, and v13's output where it runs v13's tail") {
  // At 2-4 splits the last block combines 4 x splits warp partials (split_tail.cuh,
  // combine_warp_partials); at 1 and at more than 4 splits v21 is v13 and must match it bit for
  // bit. S = 7 leaves most warps of a split with no key at all (m = -inf partials, weight 0);
  // S = 4097 ends a split on a partial tile.
  Stream st;
  const DecodeVersion* v13 = DecodeRegistry::instance().find("v13");
  const DecodeVersion* v21 = DecodeRegistry::instance().find("v21");
  REQUIRE(v13 != nullptr);
  REQUIRE(v21 != nullptr);
  std::string why;
  if (!lab::runnable_on(v21->info, lab::query_gpu(0), &why)) return;
  for (lab::DType dt : {lab::DType::bf16, lab::DType::f16})
    for (int S : {7, 4097, 2600}) {
      DecodeFixture fx(shape_of(3, S, S + 61, dt), st.s);
      auto output = [&] { return output_bits(fx, st.s); };
      for (int forced : {1, 2, 3, 4, 5, 9}) {
        DeviceProblem p = fx.problem(Layout::contiguous);
        p.shape.splits = forced;
        const Runner a = v13->prepare(p), r = v21->prepare(p);
        const int splits = r.details.value("splits", 0);
        CAPTURE(label(*v21, p.shape, Layout::contiguous));
        CAPTURE(splits);
        REQUIRE(a.details.value("splits", 0) == splits);
        const bool own = splits >= 2 && splits <= 4;
        if (splits > 1) CHECK(r.details.value("partials", std::string()) == (own ? "per warp" : "per block"));
        fx.poison_output(st.s);
        a.launch(st.s);
        const std::vector<std::uint16_t> v13_out = output();
        std::vector<std::uint16_t> first;
        for (int rep = 0; rep < 3; ++rep) {  // a ticket not reset would leave no last block: poison stays
          fx.poison_output(st.s);
          r.launch(st.s);
          const lab::CheckResult c = fx.check_output();
          CAPTURE(rep);
          CHECK_MESSAGE(c.pass, c.summary());
          if (rep == 0) first = output();
          else CHECK(output() == first);
        }
        if (!own) CHECK(first == v13_out);
      }
    }
}

TEST_CASE("v22, v23 (the block holding the last loop ticket combines), v24, probe-v24-no-pdl and v25 (a second kernel combines): bitwise v13's output at every split count, on every relaunch") {
  // v22 ... v25 change who combines and how the partials are published, not what is added in
  // which order, so their output must be v13's bit for bit. Before every relaunch the partials are
  // poisoned (NaN), so a combiner that reads a partial before its block published it writes NaN
  // (v24: a combine kernel whose wait did not hold it until the streaming grid's end; v25: one
  // that stopped polling its pair's count too early); after every launch every counter must be
  // back at zero (a ticket not reset would leave no block holding the last one next time; a
  // published count not reset would let the next combiner skip its wait). The plan clamps forced splits to the 64-key tiles there are (S = 7: one split;
  // S = 2600: at most 41), so no split is empty here.
  Stream st;
  const DecodeVersion* v13 = DecodeRegistry::instance().find("v13");
  REQUIRE(v13 != nullptr);
  std::string why;
  if (!lab::runnable_on(v13->info, lab::query_gpu(0), &why)) return;
  for (const char* id : {"v22", "v23", "v24", "probe-v24-no-pdl", "v25"})
  for (lab::DType dt : {lab::DType::bf16, lab::DType::f16})
    for (int S : {7, 4097, 2600}) {
      DecodeFixture fx(shape_of(3, S, S + 61, dt), st.s);
      auto output = [&] { return output_bits(fx, st.s); };
      const DecodeVersion* vd = DecodeRegistry::instance().find(id);
      REQUIRE(vd != nullptr);
      // v24 and its probe take no ticket and publish no count, so only v22, v23, v25 write counters to read back.
      const bool counts = std::string(id) != "v24" && std::string(id) != "probe-v24-no-pdl";
      for (int forced : {0, 1, 2, 3, 4, 5, 9, 33}) {
        DeviceProblem p = fx.problem(Layout::contiguous);
        p.shape.splits = forced;
        const Runner a = v13->prepare(p), r = vd->prepare(p);
        CAPTURE(label(*vd, p.shape, Layout::contiguous));
        CAPTURE(r.details.value("splits", 0));
        REQUIRE(a.details.value("splits", 0) == r.details.value("splits", 0));
        fx.poison_output(st.s);
        a.launch(st.s);
        const std::vector<std::uint16_t> want = output();
        const auto ws = std::static_pointer_cast<SplitWorkspace>(r.workspace);
        const bool split = r.details.value("splits", 0) > 1;
        for (int rep = 0; rep < 4; ++rep) {
          CAPTURE(rep);
          if (split) {
            ws->partial_o.poison(st.s);
            ws->partial_ml.poison(st.s);
          }
          fx.poison_output(st.s);
          r.launch(st.s);
          const lab::CheckResult c = fx.check_output();
          CHECK_MESSAGE(c.pass, c.summary());
          CHECK(output() == want);
          if (split && counts) {  // the ticket and the published count of every pair
            std::vector<unsigned> counters(ws->counters.bytes() / sizeof(unsigned), 1u);
            LABS_CHECK(cudaStreamSynchronize(st.s));
            ws->counters.download(counters.data(), ws->counters.bytes());
            CHECK(std::all_of(counters.begin(), counters.end(), [](unsigned v) { return v == 0u; }));
          }
        }
      }
    }
}

#endif
