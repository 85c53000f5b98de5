/// @file test_gpu.cu
/// GPU tests (label gpu; exit 77 without a device): every version in every format it
/// implements against the CPU fp64 oracle on small and odd shapes (host-quantised
/// Gaussian weights with outliers), the cuBLAS baselines, poisoned outputs, the GPU
/// repacker against the host repacker, the GPU reference against the CPU oracle, the
/// bitwise determinism of the split-K versions, and the deliberately wrong kernels.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/probes.hpp"
#include "lab_plan.hpp"
#include "labs/device_buffer.hpp"
#include "quant/error_stats.hpp"
#include "quant/pack.hpp"
#include "quant/rtn.hpp"
#include "quant/tiled_layout.hpp"
#include "reference/check_output.hpp"
#include "reference/cpu_gemv.hpp"
#include "support/dense_gemm.hpp"
#include "support/device_data.hpp"
#include "support/gpu_support.hpp"
#include "tests/wrong_versions.hpp"
#include "w4a16.hpp"

using namespace w4a16;

namespace {

struct StreamHolder {
  cudaStream_t s{};
  StreamHolder() { LABS_CHECK(cudaStreamCreate(&s)); }
  ~StreamHolder() { (void)cudaStreamDestroy(s); }
};

int sm_count() {
  int dev = 0, sms = 0;
  LABS_CHECK(cudaGetDevice(&dev));
  LABS_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
  return sms;
}

std::vector<float> activations(int K, lab::DType t, unsigned seed) {
  std::vector<float> x(static_cast<std::size_t>(16) * K);
  for (std::size_t i = 0; i < x.size(); ++i)
    x[i] = lab::round_to(t, static_cast<float>(std::sin(0.731 * static_cast<double>(i) + seed)));
  return x;
}

Problem problem_for(const DeviceData& d, int M, WFormat f) {
  Problem p;
  p.M = M;
  p.N = d.N();
  p.K = d.K();
  p.dtype = d.dtype();
  p.wfmt = f;
  p.x = d.x();
  p.y = d.y();
  p.sms = sm_count();
  return p;
}

/// A bf16 problem with a shape and no buffers: enough for a dispatcher's picks and for refusals.
Problem shape_only(int M, int N, int K, WFormat f) {
  Problem p;
  p.M = M;
  p.N = N;
  p.K = K;
  p.dtype = lab::DType::bf16;
  p.wfmt = f;
  p.sms = sm_count();
  return p;
}

/// One point of a dispatcher comparison: the (M, N, K, format) and what two dispatchers pick there.
struct PickPair {
  int M, N, K;
  WFormat f;
  std::string mine, base;
};

/// The points where dispatcher `mine` picks another version than `base`, over the nine Llama
/// layers, both INT4 formats and M in 1-9 and 16 (180 points; M = 6 and 7 since v50, whose rule
/// changes at M = 3-8).
std::vector<PickPair> pick_differences(const char* mine, const char* base) {
  std::vector<PickPair> out;
  for (int M : {1, 2, 3, 4, 5, 6, 7, 8, 9, 16})
    for (const auto& nk : {std::pair{6144, 4096}, std::pair{4096, 4096}, std::pair{28672, 4096}, std::pair{14336, 4096},
                           std::pair{4096, 14336}, std::pair{10240, 8192}, std::pair{8192, 8192}, std::pair{57344, 8192},
                           std::pair{8192, 28672}})
      for (WFormat f : {WFormat::int4_sym, WFormat::int4_asym}) {
        const Problem p = shape_only(M, nk.first, nk.second, f);
        const std::string a = Registry::instance().find(mine)->picks(p), b = Registry::instance().find(base)->picks(p);
        if (a != b) out.push_back({M, nk.first, nk.second, f, a, b});
      }
  return out;
}

lab::CheckResult run_and_check(const Step& step, DeviceData& d, WFormat f, int M, const std::vector<double>& ref,
                               cudaStream_t s) {
  d.poison_y(s);
  step(d.weights(f, 0), s);
  LABS_CHECK(cudaStreamSynchronize(s));
  return check_output(d.download_y(M), ref, M, d.N(), d.dtype());
}

/// A dispatcher's new path at full size: on an N x K bf16 layer at M, `id` must pick `pick`, and
/// its output must pass against the GPU fp64 reference.
void check_dispatch_path(const char* id, int N, int K, int M, std::uint64_t seed, const char* pick) {
  StreamHolder st;
  DeviceData::Sets sets;
  sets.int4 = 1;
  DeviceData d(N, K, lab::DType::bf16, sets, seed, st.s);
  const Problem p = problem_for(d, M, WFormat::int4_sym);
  CHECK(Registry::instance().find(id)->picks(p) == pick);
  const lab::CheckResult r =
      run_and_check(Registry::instance().find(id)->prepare(p), d, WFormat::int4_sym, M, d.gpu_reference(WFormat::int4_sym, st.s), st.s);
  CHECK_MESSAGE(r.pass, r.summary());
}

Step prepare_any(const std::string& variant, const Problem& p) {
  if (variant == "cublas" || variant == "cublaslt") {
    auto g = std::make_shared<DenseGemm>(variant == "cublas" ? DenseGemm::Library::cublas : DenseGemm::Library::cublaslt, p);
    return [g](const DeviceWeights& w, Stream s) { g->run(w.dense, s); };
  }
  return Registry::instance().find(variant)->prepare(p);
}

struct HostCase {
  int N, K;
};

/// The shapes every probe test runs: 125 tiles (an odd count, dead tiles in the last column
/// block), 8b-down's K (x staged in four batches), 8b-gate at full size (8 splits above M = 8).
const HostCase kProbeShapes[] = {{1000, 4224}, {512, 14336}, {14336, 4096}};

/// Runs `step` 20 more times after a first checked run; every output must be bitwise equal to
/// the first (a split or stream-K reduction that depended on arrival order would differ).
void check_bitwise_repeatable(const Step& step, DeviceData& d, WFormat f, int M, cudaStream_t s) {
  const std::size_t bytes = static_cast<std::size_t>(M) * d.N() * 2;
  std::vector<unsigned char> first(bytes), again(bytes);
  LABS_CHECK(cudaMemcpy(first.data(), d.y(), bytes, cudaMemcpyDeviceToHost));
  for (int rep = 0; rep < 20; ++rep) {
    d.poison_y(s);
    step(d.weights(f, 0), s);
    LABS_CHECK(cudaStreamSynchronize(s));
    LABS_CHECK(cudaMemcpy(again.data(), d.y(), bytes, cudaMemcpyDeviceToHost));
    CHECK(std::memcmp(first.data(), again.data(), bytes) == 0);
  }
}

}  // namespace

TEST_CASE("every version and both cuBLAS baselines match the fp64 oracle on small and odd shapes") {
  StreamHolder st;
  REQUIRE(!Registry::instance().all().empty());
  for (HostCase hc : {HostCase{8, 128}, HostCase{257, 384}, HostCase{1000, 4224}}) {
    const auto w = gaussian_with_outliers(hc.N, hc.K, 0.02, 0.002, 12.0, 1234u + hc.N);
    for (lab::DType t : {lab::DType::bf16, lab::DType::f16}) {
      const Int4Matrix qs = quantize_int4_rtn(w, hc.N, hc.K, kGroup, false, t);
      const Int4Matrix qa = quantize_int4_rtn(w, hc.N, hc.K, kGroup, true, t);
      const Int8Matrix q8 = quantize_int8_rtn(w, hc.N, hc.K, t);
      const auto x = activations(hc.K, t, 3);
      DeviceData dsym(&qs, &q8, x, t, st.s);
      DeviceData dasym(&qa, nullptr, x, t, st.s);
      const auto ref_sym = gemv_oracle(qs, x, 16);
      const auto ref_asym = gemv_oracle(qa, x, 16);
      const auto ref_8 = gemv_oracle(q8, x, 16);

      std::vector<std::pair<std::string, std::vector<WFormat>>> variants;
      for (const Version& v : Registry::instance().all()) variants.push_back({v.info.id, v.formats});
      variants.push_back({"cublas", {WFormat::dense}});
      variants.push_back({"cublaslt", {WFormat::dense}});
      for (const auto& variant : variants)
        for (WFormat f : variant.second)
          for (int M : {1, 2, 3, 5, 8, 9, 16}) {
            const std::string& vname = variant.first;
            if (vname != "cublas" && vname != "cublaslt" &&
                (M > Registry::instance().find(vname)->max_m || M < Registry::instance().find(vname)->min_m)) {
              CHECK_THROWS_AS(prepare_any(vname, problem_for(dsym, M, f)), std::invalid_argument);
              continue;
            }
            DeviceData& d = f == WFormat::int4_asym ? dasym : dsym;
            const auto& ref = f == WFormat::int4_asym ? ref_asym : f == WFormat::int8 ? ref_8 : ref_sym;
            const Problem p = problem_for(d, M, f);
            const std::string& name = variant.first;
            const Step step = prepare_any(name, p);
            const lab::CheckResult r = run_and_check(step, d, f, M, ref, st.s);
            INFO(name, " ", wfmt_name(f), " ", lab::dtype_name(t), " M=", M, " N=", hc.N, " K=", hc.K, ": ",
                 r.summary());
            CHECK(r.pass);
          }
    }
  }
}

TEST_CASE("a poisoned output that no kernel wrote fails the check") {
  StreamHolder st;
  const int N = 64, K = 256;
  const auto w = gaussian_with_outliers(N, K, 0.02, 0.0, 0.0, 5);
  const Int4Matrix q = quantize_int4_rtn(w, N, K, kGroup, false, lab::DType::bf16);
  const auto x = activations(K, lab::DType::bf16, 1);
  DeviceData d(&q, nullptr, x, lab::DType::bf16, st.s);
  d.poison_y(st.s);
  LABS_CHECK(cudaStreamSynchronize(st.s));
  CHECK_FALSE(check_output(d.download_y(4), gemv_oracle(q, x, 16), 4, N, lab::DType::bf16).pass);
}

TEST_CASE("the deliberately wrong kernels are rejected (and the same harness passes v3)") {
  StreamHolder st;
  const int N = 96, K = 384;
  const auto w = gaussian_with_outliers(N, K, 0.02, 0.002, 12.0, 77);
  const Int4Matrix qa = quantize_int4_rtn(w, N, K, kGroup, true, lab::DType::bf16);
  const auto x = activations(K, lab::DType::bf16, 2);
  DeviceData d(&qa, nullptr, x, lab::DType::bf16, st.s);
  const auto ref = gemv_oracle(qa, x, 16);
  const Problem p = problem_for(d, 2, WFormat::int4_asym);
  CHECK(run_and_check(Registry::instance().find("v3")->prepare(p), d, WFormat::int4_asym, 2, ref, st.s).pass);
  CHECK_FALSE(run_and_check(wrong::prepare_swapped_nibbles(p), d, WFormat::int4_asym, 2, ref, st.s).pass);
  CHECK_FALSE(run_and_check(wrong::prepare_no_zero_point(p), d, WFormat::int4_asym, 2, ref, st.s).pass);
  CHECK_FALSE(run_and_check(wrong::prepare_skips_last_chunk(p), d, WFormat::int4_asym, 2, ref, st.s).pass);
}

TEST_CASE("the GPU repacker equals the host repacker bit for bit") {
  StreamHolder st;
  for (HostCase hc : {HostCase{13, 384}, HostCase{64, 1024}, HostCase{1, 128}}) {
    std::vector<std::uint8_t> codes(static_cast<std::size_t>(hc.N) * hc.K);
    for (std::size_t i = 0; i < codes.size(); ++i) codes[i] = static_cast<std::uint8_t>(static_cast<std::uint32_t>(i * 2654435761u) >> 28);  // top 4 bits of a 32-bit hash
    const auto plain = pack_plain(codes, hc.N, hc.K);
    const auto expect = repack_plain_to_tiled(plain, hc.N, hc.K);
    lab::DeviceBytes dplain(plain.size()), dtiled(expect.size());
    dplain.upload(plain.data(), plain.size());
    repack_plain_to_tiled_gpu(dplain.as<std::uint8_t>(), dtiled.as<std::uint8_t>(), hc.N, hc.K, st.s);
    LABS_CHECK(cudaStreamSynchronize(st.s));
    std::vector<std::uint8_t> got(expect.size());
    dtiled.download(got.data(), got.size());
    CHECK(got == expect);
  }
}

TEST_CASE("the GPU fp64 reference equals the CPU oracle") {
  StreamHolder st;
  const int N = 200, K = 640;
  const auto w = gaussian_with_outliers(N, K, 0.02, 0.002, 12.0, 8);
  for (lab::DType t : {lab::DType::bf16, lab::DType::f16}) {
    const Int4Matrix qa = quantize_int4_rtn(w, N, K, kGroup, true, t);
    const Int8Matrix q8 = quantize_int8_rtn(w, N, K, t);
    const auto x = activations(K, t, 4);
    DeviceData d(&qa, &q8, x, t, st.s);
    for (WFormat f : {WFormat::int4_sym, WFormat::int4_asym, WFormat::int8}) {
      const auto cpu = f == WFormat::int8 ? gemv_oracle(q8, x, 16) : gemv_oracle(f == WFormat::int4_asym ? qa : [&] {
        Int4Matrix s = qa;  // the same codes and scales read with the symmetric zero point 8
        s.asym = false;
        s.zeros.clear();
        return s;
      }(), x, 16);
      const auto& gpu = d.gpu_reference(f, st.s);
      double worst = 0, scale = 0;
      for (std::size_t i = 0; i < cpu.size(); ++i) {
        worst = std::max(worst, std::fabs(cpu[i] - gpu[i]));
        scale = std::max(scale, std::fabs(cpu[i]));
      }
      INFO(wfmt_name(f), " worst ", worst, " scale ", scale);
      CHECK(worst <= 1e-12 * (scale + 1.0));
    }
  }
}

TEST_CASE("split-K versions are bitwise deterministic across runs and correct on a tall-skinny shape") {
  StreamHolder st;
  const int N = 512, K = 14336;  // few row blocks, long K: every split-K plan splits here
  DeviceData::Sets sets;
  sets.int4 = 1;
  DeviceData d(N, K, lab::DType::bf16, sets, 99, st.s);
  for (const char* name : {"v4", "v5", "v7", "v8", "v20", "v21", "v22", "v24", "v25", "v28", "v29", "v37", "v39"})
    for (int M : {1, 9, 16}) {
      const Problem p = problem_for(d, M, WFormat::int4_asym);
      const Step step = Registry::instance().find(name)->prepare(p);
      const auto& ref = d.gpu_reference(WFormat::int4_asym, st.s);
      INFO(name, " M=", M);
      REQUIRE(run_and_check(step, d, WFormat::int4_asym, M, ref, st.s).pass);
      check_bitwise_repeatable(step, d, WFormat::int4_asym, M, st.s);
    }
}

TEST_CASE("v23 picks the grid's winner, and the next in line when the winner refuses the problem") {
  auto pick = [](int M, int N, int K, WFormat f) { return Registry::instance().find("v23")->picks(shape_only(M, N, K, f)); };
  CHECK(pick(1, 4096, 4096, WFormat::int4_sym) == "v19");
  CHECK(pick(1, 14336, 4096, WFormat::int4_sym) == "v15");
  CHECK(pick(2, 4096, 14336, WFormat::int4_sym) == "v5");
  CHECK(pick(4, 57344, 8192, WFormat::int4_sym) == "v15");
  CHECK(pick(8, 8192, 28672, WFormat::int4_sym) == "v22");
  CHECK(pick(16, 4096, 4096, WFormat::int4_sym) == "v22");
  CHECK(pick(2, 4096, 4096, WFormat::int4_asym) == "v5");  // v15/v19 take int4-sym only
  // v15 would be first, but x[8][14336] does not fit in shared memory beside its rings.
  CHECK(pick(8, 28672, 14336, WFormat::int4_sym) == "v22");
}

TEST_CASE("v28 adds the cluster's partials in v24's order: bitwise v24's output at the same split") {
  StreamHolder st;
  DeviceData::Sets sets;
  sets.int4 = 1;
  DeviceData d(1000, 4224, lab::DType::bf16, sets, 95, st.s);  // 33 groups: uneven last splits
  for (WFormat f : {WFormat::int4_sym, WFormat::int4_asym})
    for (int M : {1, 9, 16})
      for (int splits : {2, 4, 8, 11, 16}) {
        const std::size_t bytes = static_cast<std::size_t>(M) * d.N() * 2;
        std::vector<unsigned char> out24(bytes), out28(bytes);
        for (const auto& run : {std::pair{"v24", &out24}, std::pair{"v28", &out28}}) {
          const char* name = run.first;
          std::vector<unsigned char>* out = run.second;
          Problem p = problem_for(d, M, f);
          p.splits = splits;
          const Step step = Registry::instance().find(name)->prepare(p);
          INFO(name, " ", wfmt_name(f), " M=", M, " splits=", splits);
          REQUIRE(run_and_check(step, d, f, M, d.gpu_reference(f, st.s), st.s).pass);
          LABS_CHECK(cudaMemcpy(out->data(), d.y(), bytes, cudaMemcpyDeviceToHost));
        }
        INFO(wfmt_name(f), " M=", M, " splits=", splits);
        CHECK(std::memcmp(out24.data(), out28.data(), bytes) == 0);
      }
  // More splits than one cluster can hold: refused, not launched wrong.
  Problem p = problem_for(d, 16, WFormat::int4_sym);
  p.splits = 17;
  CHECK_THROWS_AS(Registry::instance().find("v28")->prepare(p), std::invalid_argument);
}

TEST_CASE("v29 at M = 16 on 8b-down's K (112 groups) is v24 forced to 8 splits, bit for bit") {
  // The rule itself is checked on the CPU (tests/test_plan.cpp).
  StreamHolder st;
  DeviceData::Sets sets;
  sets.int4 = 1;
  DeviceData d(512, 14336, lab::DType::bf16, sets, 94, st.s);
  const int M = 16;
  const std::size_t bytes = static_cast<std::size_t>(M) * d.N() * 2;
  std::vector<unsigned char> out24(bytes), out29(bytes);
  for (const auto& run : {std::pair{"v24", &out24}, std::pair{"v29", &out29}}) {
    const char* name = run.first;
    std::vector<unsigned char>* out = run.second;
    Problem p = problem_for(d, M, WFormat::int4_sym);
    if (std::string(name) == "v24") p.splits = 8;
    const Step step = Registry::instance().find(name)->prepare(p);
    REQUIRE(run_and_check(step, d, WFormat::int4_sym, M, d.gpu_reference(WFormat::int4_sym, st.s), st.s).pass);
    LABS_CHECK(cudaMemcpy(out->data(), d.y(), bytes, cudaMemcpyDeviceToHost));
  }
  CHECK(std::memcmp(out24.data(), out29.data(), bytes) == 0);
}

TEST_CASE("v27 picks this session's grid winners (v26, v24, v25 among them), and the next in line on refusal") {
  auto pick = [](int M, int N, int K, WFormat f) { return Registry::instance().find("v27")->picks(shape_only(M, N, K, f)); };
  CHECK(pick(1, 4096, 4096, WFormat::int4_sym) == "v26");
  CHECK(pick(1, 8192, 28672, WFormat::int4_sym) == "v15");
  CHECK(pick(2, 14336, 4096, WFormat::int4_sym) == "v15");
  CHECK(pick(2, 8192, 28672, WFormat::int4_sym) == "v5");
  CHECK(pick(4, 4096, 4096, WFormat::int4_sym) == "v5");
  CHECK(pick(4, 8192, 28672, WFormat::int4_sym) == "v25");
  CHECK(pick(8, 4096, 14336, WFormat::int4_sym) == "v25");
  CHECK(pick(8, 6144, 4096, WFormat::int4_sym) == "v24");
  CHECK(pick(16, 14336, 4096, WFormat::int4_sym) == "v24");
  CHECK(pick(16, 57344, 8192, WFormat::int4_sym) == "v25");
  CHECK(pick(16, 57344, 8192, WFormat::int4_asym) == "v25");
  CHECK(pick(2, 4096, 4096, WFormat::int4_asym) == "v5");  // v15 and v26 take int4-sym only
  CHECK(pick(8, 4096, 4096, WFormat::int4_asym) == "v24");
  // v15 first (N >= 28672), but x[8][28672] does not fit in its shared memory: v24 next.
  CHECK(pick(8, 28672, 28672, WFormat::int4_sym) == "v24");
  Problem forced = shape_only(16, 4096, 4096, WFormat::int4_sym);
  forced.splits = 4;
  CHECK_THROWS_AS(Registry::instance().find("v27")->prepare(forced), std::invalid_argument);
}

TEST_CASE("v30 is v27 but for v29 above M = 8 on 14336 <= K < 28672") {
  auto pick = [](const char* id, int M, int N, int K, WFormat f) {
    return Registry::instance().find(id)->picks(shape_only(M, N, K, f));
  };
  CHECK(pick("v30", 16, 8192, 28672, WFormat::int4_sym) == "v24");  // 70b-down: v29 measured slower
  CHECK(pick("v30", 8, 4096, 14336, WFormat::int4_sym) == "v25");   // M <= 8: v27's table
  // Over the nine Llama layers, both formats and eight values of M: v30 differs from v27 exactly at
  // 8b-down above M = 8, and picks v29 there.
  const std::vector<PickPair> differ = pick_differences("v30", "v27");
  for (const PickPair& d : differ) {
    CAPTURE(d.M);
    CAPTURE(d.N);
    CAPTURE(d.K);
    CHECK(d.mine == "v29");
    CHECK(d.M > 8);
    CHECK(d.K == 14336);
  }
  CHECK(differ.size() == 4);  // 8b-down at M = 9 and 16, both formats
  // The path v30 adds, at full size against the GPU reference: 8b-down, M = 16, through v29.
  check_dispatch_path("v30", 4096, 14336, 16, 30, "v29");
}

TEST_CASE("v34 is v30 but for v31 at M = 1 on K <= 8192 where v30 runs v26") {
  auto pick = [](const char* id, int M, int N, int K, WFormat f) {
    return Registry::instance().find(id)->picks(shape_only(M, N, K, f));
  };
  CHECK(pick("v34", 1, 4096, 14336, WFormat::int4_sym) == "v26");  // 8b-down: v31's long ranges lost
  CHECK(pick("v34", 1, 57344, 8192, WFormat::int4_sym) == "v15");  // 70b-gateup: v30's v15
  CHECK(pick("v34", 1, 14336, 4096, WFormat::int4_asym) == "v5");  // v31 and v26 take int4-sym only
  CHECK(pick("v34", 2, 14336, 4096, WFormat::int4_sym) == "v15");  // M = 2: v30's table
  // Over the nine Llama layers, both formats and eight values of M: v34 differs from v30
  // exactly at M = 1, int4-sym, on 8b-qkv, 8b-o, 8b-gate, 70b-qkv and 70b-o, and picks v31 there.
  const std::vector<PickPair> differ = pick_differences("v34", "v30");
  for (const PickPair& d : differ) {
    CAPTURE(d.M);
    CAPTURE(d.N);
    CAPTURE(d.K);
    CHECK(d.mine == "v31");
    CHECK(d.base == "v26");
    CHECK(d.M == 1);
    CHECK(d.f == WFormat::int4_sym);
    CHECK(d.K <= 8192);
  }
  CHECK(differ.size() == 5);
  // The path v34 adds, at full size against the GPU reference: 8b-gate, M = 1, through v31.
  check_dispatch_path("v34", 14336, 4096, 1, 34, "v31");
}

TEST_CASE("v36 is v34 but for v35 at M = 1 (but on 70b-gateup) and at M = 2 where v34 runs v26") {
  const std::vector<PickPair> differ = pick_differences("v36", "v34");
  for (const PickPair& d : differ) {
    CAPTURE(d.M);
    CAPTURE(d.N);
    CAPTURE(d.K);
    CHECK(d.mine == "v35");
    CHECK(d.f == WFormat::int4_sym);
    CHECK(d.M <= 2);
    if (d.M == 1) CHECK(d.N < 57344);
    if (d.M == 2) CHECK(d.base == "v26");
  }
  CHECK(differ.size() == 12);  // M = 1: eight layers; M = 2: 8b-qkv, 8b-o, 8b-down, 70b-o
  CHECK(Registry::instance().find("v36")->picks(shape_only(1, 57344, 8192, WFormat::int4_sym)) == "v15");
  // The path v36 adds, at full size against the GPU reference: 8b-down, M = 1, through v35.
  check_dispatch_path("v36", 4096, 14336, 1, 36, "v35");
}

TEST_CASE("v37 is v29 with x's first loads before the weights: bitwise v29's output at every M, in both formats, at the plan's split and a forced one") {
  StreamHolder st;
  DeviceData::Sets sets;
  sets.int4 = 1;
  // 3 groups (one batch of x, part of it past the end), 33 (odd; N % 2 != 0 on the second: the
  // scales' two-load path), and 8b-down's K (112 groups: v29's even split, x in four batches at
  // M = 16); 4 forced splits cut 33 groups unevenly (9, 9, 9, 6).
  for (HostCase hc : {HostCase{257, 384}, HostCase{1000, 4224}, HostCase{1001, 4224}, HostCase{512, 14336}})
    for (lab::DType t : {lab::DType::bf16, lab::DType::f16}) {
      DeviceData d(hc.N, hc.K, t, sets, 93, st.s);
      for (WFormat f : {WFormat::int4_sym, WFormat::int4_asym})
        for (int M : {1, 5, 8, 9, 12, 16})
          for (int splits : {0, std::min(4, hc.K / kGroup)}) {
            const std::size_t bytes = static_cast<std::size_t>(M) * d.N() * lab::dtype_bytes(t);
            std::vector<unsigned char> out29(bytes), out37(bytes);
            for (const auto& run : {std::pair{"v29", &out29}, std::pair{"v37", &out37}}) {
              const char* name = run.first;
              std::vector<unsigned char>* out = run.second;
              Problem p = problem_for(d, M, f);
              p.splits = splits;
              const Step step = Registry::instance().find(name)->prepare(p);
              INFO(name, " N=", hc.N, " K=", hc.K, " ", lab::dtype_name(t), " ", wfmt_name(f), " M=", M, " splits=", splits);
              REQUIRE(run_and_check(step, d, f, M, d.gpu_reference(f, st.s), st.s).pass);
              LABS_CHECK(cudaMemcpy(out->data(), d.y(), bytes, cudaMemcpyDeviceToHost));
            }
            INFO("N=", hc.N, " K=", hc.K, " ", lab::dtype_name(t), " ", wfmt_name(f), " M=", M, " splits=", splits);
            CHECK(std::memcmp(out29.data(), out37.data(), bytes) == 0);
          }
    }
}

TEST_CASE("v38 is v36 but for v37 above M = 8, int4-sym, where v36 runs v24 or v29 on K < 28672") {
  auto pick = [](const char* id, int M, int N, int K, WFormat f) {
    return Registry::instance().find(id)->picks(shape_only(M, N, K, f));
  };
  CHECK(pick("v38", 16, 8192, 28672, WFormat::int4_sym) == "v24");  // 70b-down: v37's split would be v29's, slower there
  CHECK(pick("v38", 16, 57344, 8192, WFormat::int4_sym) == "v25");  // 70b-gateup: v36's v25
  CHECK(pick("v38", 16, 14336, 4096, WFormat::int4_asym) == "v24");  // int4-asym: v37's kernels fit fewer blocks per SM
  CHECK(pick("v38", 8, 14336, 4096, WFormat::int4_sym) == "v24");    // M <= 8: v36's table
  // Over the nine Llama layers, both formats and eight values of M: v38 differs from v36 exactly
  // at M = 9 and 16, int4-sym, on the seven layers where v36 runs v24 or v29 (all but 70b-gateup
  // and 70b-down), and picks v37 there.
  const std::vector<PickPair> differ = pick_differences("v38", "v36");
  for (const PickPair& d : differ) {
    CAPTURE(d.M);
    CAPTURE(d.N);
    CAPTURE(d.K);
    CHECK(d.mine == "v37");
    CHECK((d.base == "v24" || d.base == "v29"));
    CHECK(d.M > 8);
    CHECK(d.f == WFormat::int4_sym);
    CHECK(d.K < 28672);
    if (d.base == "v29") CHECK(d.K == 14336);
  }
  CHECK(differ.size() == 14);  // 7 layers x M = 9, 16
  // The paths v38 adds, at full size against the GPU reference: 8b-gate M = 16 (where v36 runs
  // v24) and 8b-down M = 9 (where it runs v29), through v37.
  check_dispatch_path("v38", 14336, 4096, 16, 38, "v37");
  check_dispatch_path("v38", 4096, 14336, 9, 37, "v37");
}

TEST_CASE("v43 is v38 but for v40 above M = 8, int4-sym, on the long-K layers (K >= 14336)") {
  auto pick = [](int M, int N, int K, WFormat f) { return Registry::instance().find("v43")->picks(shape_only(M, N, K, f)); };
  CHECK(pick(16, 4096, 14336, WFormat::int4_sym) == "v40");   // 8b-down
  CHECK(pick(9, 8192, 28672, WFormat::int4_sym) == "v40");    // 70b-down
  CHECK(pick(16, 14336, 4096, WFormat::int4_sym) == "v37");   // 8b-gate: v38's pick
  CHECK(pick(16, 4096, 14336, WFormat::int4_asym) != "v40");  // v40 is int4-sym only
  CHECK(pick(8, 4096, 14336, WFormat::int4_sym) != "v40");    // M <= 8: v38's table
  // Over the nine Llama layers, both formats and eight values of M: v43 differs from v38 exactly
  // at M = 9 and 16, int4-sym, on the two layers with K >= 14336, and picks v40 there.
  const std::vector<PickPair> differ = pick_differences("v43", "v38");
  for (const PickPair& d : differ) {
    CAPTURE(d.M);
    CAPTURE(d.N);
    CAPTURE(d.K);
    CHECK(d.mine == "v40");
    CHECK(d.M > 8);
    CHECK(d.f == WFormat::int4_sym);
    CHECK(d.K >= 14336);
  }
  CHECK(differ.size() == 4);  // 2 layers x M = 9, 16
  // The path v43 adds, at full size against the GPU reference: 8b-down M = 16 through v40.
  check_dispatch_path("v43", 4096, 14336, 16, 43, "v40");
}

TEST_CASE("v46 is v37 with the split halved where the grid still fills a wave: on 8b-gateup above M = 8 it is v37 at 4 splits, elsewhere v37's plan, bit for bit") {
  StreamHolder st;
  DeviceData::Sets sets;
  sets.int4 = 1;
  struct Case {
    int N, K, M, v37_splits;  // v37 at this --splits (0: its plan) must give v46's plan's bits
  };
  // 8b-gateup: the plan's 8 splits of 4 groups become 4 of 8 (896 blocks, 1.7 waves); 8b-gate
  // keeps 8 (4 would leave SMs idle); M <= 8 keeps the M <= 8 plan. A different split adds the
  // partials in a different order, so a wrong plan would change the bits.
  int device = 0, sms = 0;
  LABS_CHECK(cudaGetDevice(&device));
  LABS_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  for (const Case& c : {Case{28672, 4096, 16, 4}, Case{28672, 4096, 9, 4}, Case{28672, 4096, 8, 0},
                        Case{14336, 4096, 16, 0}, Case{4096, 14336, 12, 0}}) {
    // 8b-gate keeps its split only where 448 blocks would not fill a wave of 4 per SM (H100, H200:
    // 528 slots); on a GPU of <= 112 SMs the rule halves it there too.
    if (c.N == 14336 && sms * 4 <= 448) continue;
    DeviceData d(c.N, c.K, lab::DType::bf16, sets, 46, st.s);
    const std::size_t bytes = static_cast<std::size_t>(c.M) * d.N() * 2;
    std::vector<unsigned char> out37(bytes), out46(bytes);
    Problem p37 = problem_for(d, c.M, WFormat::int4_sym);
    p37.splits = c.v37_splits;
    INFO("N=", c.N, " K=", c.K, " M=", c.M, " v37 --splits ", c.v37_splits);
    const auto& ref = d.gpu_reference(WFormat::int4_sym, st.s);
    REQUIRE(run_and_check(Registry::instance().find("v37")->prepare(p37), d, WFormat::int4_sym, c.M, ref, st.s).pass);
    LABS_CHECK(cudaMemcpy(out37.data(), d.y(), bytes, cudaMemcpyDeviceToHost));
    const Problem p46 = problem_for(d, c.M, WFormat::int4_sym);
    REQUIRE(run_and_check(Registry::instance().find("v46")->prepare(p46), d, WFormat::int4_sym, c.M, ref, st.s).pass);
    LABS_CHECK(cudaMemcpy(out46.data(), d.y(), bytes, cudaMemcpyDeviceToHost));
    CHECK(std::memcmp(out37.data(), out46.data(), bytes) == 0);
  }
}

TEST_CASE("v47 is v43 with v46 wherever v43 runs v37") {
  const std::vector<PickPair> differ = pick_differences("v47", "v43");
  for (const PickPair& d : differ) {
    CAPTURE(d.M);
    CAPTURE(d.N);
    CAPTURE(d.K);
    CHECK(d.mine == "v46");
    CHECK(d.base == "v37");
  }
  CHECK(!differ.empty());
  check_dispatch_path("v47", 28672, 4096, 16, 47, "v46");  // 8b-gateup, where v46's plan differs
}

TEST_CASE("v50 is v47 with v49 at M = 3-8, int4-sym, but on gate+up and on the long-K layer at M <= 4") {
  const std::vector<PickPair> differ = pick_differences("v50", "v47");
  for (const PickPair& d : differ) {
    CAPTURE(d.M);
    CAPTURE(d.N);
    CAPTURE(d.K);
    CHECK(d.mine == "v49");
    CHECK(d.f == WFormat::int4_sym);
    CHECK((d.M >= 3 && d.M <= 8));
    CHECK(d.N < 28672);                       // gate+up keeps v15
    CHECK((d.K < 28672 || d.M > 4));          // 70b-down keeps v25 at M = 3, 4
    CHECK(d.base != "v15");
  }
  CHECK(differ.size() == 40);  // M = 3, 4: six layers; M = 5, 6, 7, 8: seven
  // The paths v50 adds, at full size against the GPU reference: 8b-gate M = 3 and 70b-down M = 5.
  check_dispatch_path("v50", 14336, 4096, 3, 50, "v49");
  check_dispatch_path("v50", 8192, 28672, 5, 51, "v49");
}

TEST_CASE("v51 is v50 but at M = 4, where it is v47") {
  const std::vector<PickPair> from50 = pick_differences("v51", "v50");
  for (const PickPair& d : from50) {
    CAPTURE(d.N);
    CAPTURE(d.K);
    CHECK(d.M == 4);
    CHECK(d.base == "v49");
  }
  CHECK(from50.size() == 6);  // M = 4: the six layers where v50 runs v49
  const std::vector<PickPair> from47 = pick_differences("v51", "v47");
  for (const PickPair& d : from47) CHECK(d.M != 4);
  CHECK(from47.size() == 34);  // M = 3: six layers; M = 5, 6, 7, 8: seven
}

TEST_CASE("v55 is v51 with v35 at M = 3 and 4 on 8b-qkv and 8b-o, int4-sym") {
  const std::vector<PickPair> differ = pick_differences("v55", "v51");
  for (const PickPair& d : differ) {
    CAPTURE(d.M);
    CAPTURE(d.N);
    CAPTURE(d.K);
    CHECK(d.mine == "v35");
    CHECK(d.f == WFormat::int4_sym);
    CHECK((d.M == 3 || d.M == 4));
    CHECK(d.K == 4096);
    CHECK(d.N <= 6144);
  }
  CHECK(differ.size() == 4);  // 8b-qkv and 8b-o at M = 3 and 4
  // The path v55 adds, at full size against the GPU reference: 8b-qkv M = 3.
  check_dispatch_path("v55", 6144, 4096, 3, 55, "v35");
}

TEST_CASE("v20 ... v22, v24, v25, v28, v29, v37, v39, v44-v46, v48, v49, v52 under the lab's --splits: every split count is correct, and past G they refuse") {
  StreamHolder st;
  const int N = 200, K = 1152;  // 9 groups: splits 1, 2, 4 (gps 5, 5, 3) and 9 all cut K differently
  DeviceData::Sets sets;
  sets.int4 = 1;
  DeviceData d(N, K, lab::DType::bf16, sets, 97, st.s);
  for (const char* name : {"v20", "v21", "v22", "v24", "v25", "v28", "v29", "v37", "v39", "v44", "v45", "v46", "v48", "v49", "v52"}) {
    for (int splits : {1, 2, 4, 9})
      for (int M : {1, 3, 16}) {
        Problem p = problem_for(d, M, WFormat::int4_sym);
        p.splits = splits;
        const Step step = Registry::instance().find(name)->prepare(p);
        INFO(name, " splits=", splits, " M=", M);
        CHECK(run_and_check(step, d, WFormat::int4_sym, M, d.gpu_reference(WFormat::int4_sym, st.s), st.s).pass);
      }
    Problem p = problem_for(d, 1, WFormat::int4_sym);
    p.splits = 10;
    CHECK_THROWS_AS(Registry::instance().find(name)->prepare(p), std::invalid_argument);
  }
}

TEST_CASE("v9 ... v19, v26, v31 ... v33, v35, v53, v54 (stream-K and block-owned) are bitwise deterministic when ~50 warps share every n-tile") {
  StreamHolder st;
  const int N = 512, K = 14336;  // 64 n-tiles x 112 units over a full wave of warps: every tile is shared
  DeviceData::Sets sets;
  sets.int4 = 1;
  DeviceData d(N, K, lab::DType::bf16, sets, 98, st.s);
  for (const char* name : {"v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v26", "v31", "v32", "v33", "v35", "v53", "v54"})
  for (int M : {1, 5}) {
    const Problem p = problem_for(d, M, WFormat::int4_sym);
    const Step step = Registry::instance().find(name)->prepare(p);
    const auto& ref = d.gpu_reference(WFormat::int4_sym, st.s);
    INFO(name, " M=", M);
    REQUIRE(run_and_check(step, d, WFormat::int4_sym, M, ref, st.s).pass);
    check_bitwise_repeatable(step, d, WFormat::int4_sym, M, st.s);
  }
  // Past their shared-memory budget they refuse the problem instead of launching something wrong.
  for (const char* name : {"v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v26", "v31", "v32", "v33", "v35", "v53", "v54"})
    CHECK_THROWS_AS(Registry::instance().find(name)->prepare(problem_for(d, 16, WFormat::int4_sym)),
                    std::invalid_argument);
}

TEST_CASE("v26 stages x differently from v19, v32 has a deeper ring, but both add the same numbers in the same order: bitwise v19's output") {
  StreamHolder st;
  DeviceData::Sets sets;
  sets.int4 = 1;
  for (HostCase hc : {HostCase{1000, 4224}, HostCase{512, 14336}}) {  // 33 groups (odd), and 8b-down's K
    DeviceData d(hc.N, hc.K, lab::DType::bf16, sets, 96, st.s);
    for (int M : {1, 2, 3, 8}) {
      if (hc.K == 14336 && M > 2) continue;  // x[M][14336] beside the rings fits in shared memory up to M = 2
      const std::size_t bytes = static_cast<std::size_t>(M) * d.N() * 2;
      std::vector<unsigned char> out19(bytes), out26(bytes), out32(bytes);
      for (const auto& run : {std::pair{"v19", &out19}, std::pair{"v26", &out26}, std::pair{"v32", &out32}}) {
        const char* name = run.first;  // named, not a structured binding: C++17 lambdas (INFO) cannot capture those
        std::vector<unsigned char>* out = run.second;
        const Step step = Registry::instance().find(name)->prepare(problem_for(d, M, WFormat::int4_sym));
        INFO(name, " N=", hc.N, " K=", hc.K, " M=", M);
        REQUIRE(run_and_check(step, d, WFormat::int4_sym, M, d.gpu_reference(WFormat::int4_sym, st.s), st.s).pass);
        LABS_CHECK(cudaMemcpy(out->data(), d.y(), bytes, cudaMemcpyDeviceToHost));
      }
      INFO("N=", hc.N, " K=", hc.K, " M=", M);
      CHECK(std::memcmp(out19.data(), out26.data(), bytes) == 0);
      CHECK(std::memcmp(out19.data(), out32.data(), bytes) == 0);
    }
  }
}

TEST_CASE("a target shape at full size: v3 ... v39, v43, v46 ... v49, v52 ... v55 against the GPU reference") {
  StreamHolder st;
  DeviceData::Sets sets;
  sets.int4 = 1;
  sets.int8 = 1;
  DeviceData d(14336, 4096, lab::DType::f16, sets, 7, st.s);
  for (const char* name : {"v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31", "v32", "v33", "v34", "v35", "v36", "v37", "v38", "v39", "v43", "v46", "v47", "v48", "v49", "v52", "v53", "v54", "v55"})
    for (int M : {1, 8, 16}) {
      if (M > Registry::instance().find(name)->max_m) continue;  // v11: M <= 8 (checked above)
      const WFormat f = std::string(name) == "v6" ? WFormat::int8 : WFormat::int4_sym;
      const Problem p = problem_for(d, M, f);
      const lab::CheckResult r =
          run_and_check(Registry::instance().find(name)->prepare(p), d, f, M, d.gpu_reference(f, st.s), st.s);
      INFO(name, " M=", M, ": ", r.summary());
      CHECK(r.pass);
    }
}

TEST_CASE("the M = 1 probes' checksums equal the sum of the bytes they read, and fail for bytes they did not read") {
  StreamHolder st;
  DeviceData::Sets sets;
  sets.int4 = 1;
  // kProbeShapes: at 125 tiles the last super-tile's second tile is zero-filled.
  for (HostCase hc : kProbeShapes)
    for (lab::DType t : {lab::DType::bf16, lab::DType::f16}) {
      DeviceData d(hc.N, hc.K, t, sets, 31, st.s);
      DeviceData other(hc.N, hc.K, t, sets, 32, st.s);  // other weights: a probe did not read these
      for (const std::string& id : m1_probe_variants()) {
        INFO(id, " N=", hc.N, " K=", hc.K, " ", lab::dtype_name(t));
        const ProbeCase c = prepare_probe(id, problem_for(d, 1, WFormat::int4_sym));
        c.poison(st.s);
        CHECK_FALSE(c.check(d.weights(WFormat::int4_sym, 0), st.s).pass);  // nothing ran: poisoned sums
        c.step(d.weights(WFormat::int4_sym, 0), st.s);
        LABS_CHECK(cudaStreamSynchronize(st.s));
        CHECK(c.check(d.weights(WFormat::int4_sym, 0), st.s).pass);
        CHECK_FALSE(c.check(other.weights(WFormat::int4_sym, 0), st.s).pass);
      }
    }
  // What a probe does not take it refuses, by name.
  DeviceData odd(257, 384, lab::DType::bf16, sets, 33, st.s);
  DeviceData d(1000, 4224, lab::DType::bf16, sets, 31, st.s);
  for (const std::string& id : m1_probe_variants()) {
    CHECK_THROWS_AS(prepare_probe(id, problem_for(d, 2, WFormat::int4_sym)), std::invalid_argument);
    CHECK_THROWS_AS(prepare_probe(id, problem_for(odd, 1, WFormat::int4_sym)), std::invalid_argument);
  }
  CHECK_THROWS_AS(prepare_probe("probe-v99-loads", problem_for(d, 1, WFormat::int4_sym)), std::invalid_argument);
}

TEST_CASE("v33 is v31 (G <= 64) or v26 (G > 64) without the stream-K bookkeeping, v35 is v33 with x's loads first, v53 and v54 v35 with all of x copied first: bitwise the same output") {
  StreamHolder st;
  DeviceData::Sets sets;
  sets.int4 = 1;
  // 33 groups (4 warps: v31; an odd tile count and N % 8 != 0 on the second), 64 groups (the
  // last 4-warp layer), 112 and 224 (8 warps: v26); K = 384 (G = 3) leaves warp 0 of 4 no group at all.
  struct Pair { HostCase hc; const char* twin; };
  for (Pair c : {Pair{{1000, 4224}, "v31"}, Pair{{1001, 4224}, "v31"}, Pair{{520, 8192}, "v31"},
                 Pair{{512, 14336}, "v26"}, Pair{{136, 28672}, "v26"}, Pair{{257, 384}, "v31"}})
    for (lab::DType t : {lab::DType::bf16, lab::DType::f16}) {
      DeviceData d(c.hc.N, c.hc.K, t, sets, 97, st.s);
      for (int M : {1, 2, 5, 8}) {
        const Problem p = problem_for(d, M, WFormat::int4_sym);
        Step twin, mine;
        try {
          twin = Registry::instance().find(c.twin)->prepare(p);
        } catch (const std::invalid_argument&) {
          CHECK_THROWS_AS(Registry::instance().find("v33")->prepare(p), std::invalid_argument);  // same shared-memory limit
          CHECK_THROWS_AS(Registry::instance().find("v35")->prepare(p), std::invalid_argument);
          CHECK_THROWS_AS(Registry::instance().find("v53")->prepare(p), std::invalid_argument);
          CHECK_THROWS_AS(Registry::instance().find("v54")->prepare(p), std::invalid_argument);
          continue;
        }
        mine = Registry::instance().find("v33")->prepare(p);
        const Step first = Registry::instance().find("v35")->prepare(p);   // v33 with x's loads first
        const Step copied = Registry::instance().find("v53")->prepare(p);  // v35 with all of x copied first
        const Step through_l1 = Registry::instance().find("v54")->prepare(p);  // v53 with the copies through L1
        const std::size_t bytes = static_cast<std::size_t>(M) * d.N() * lab::dtype_bytes(t);
        std::vector<unsigned char> a(bytes), b(bytes), e(bytes), f(bytes), g(bytes);
        INFO("N=", c.hc.N, " K=", c.hc.K, " M=", M, " ", lab::dtype_name(t), " twin ", c.twin);
        REQUIRE(run_and_check(twin, d, WFormat::int4_sym, M, d.gpu_reference(WFormat::int4_sym, st.s), st.s).pass);
        LABS_CHECK(cudaMemcpy(a.data(), d.y(), bytes, cudaMemcpyDeviceToHost));
        REQUIRE(run_and_check(mine, d, WFormat::int4_sym, M, d.gpu_reference(WFormat::int4_sym, st.s), st.s).pass);
        LABS_CHECK(cudaMemcpy(b.data(), d.y(), bytes, cudaMemcpyDeviceToHost));
        REQUIRE(run_and_check(first, d, WFormat::int4_sym, M, d.gpu_reference(WFormat::int4_sym, st.s), st.s).pass);
        LABS_CHECK(cudaMemcpy(e.data(), d.y(), bytes, cudaMemcpyDeviceToHost));
        REQUIRE(run_and_check(copied, d, WFormat::int4_sym, M, d.gpu_reference(WFormat::int4_sym, st.s), st.s).pass);
        LABS_CHECK(cudaMemcpy(f.data(), d.y(), bytes, cudaMemcpyDeviceToHost));
        REQUIRE(run_and_check(through_l1, d, WFormat::int4_sym, M, d.gpu_reference(WFormat::int4_sym, st.s), st.s).pass);
        LABS_CHECK(cudaMemcpy(g.data(), d.y(), bytes, cudaMemcpyDeviceToHost));
        CHECK(std::memcmp(a.data(), b.data(), bytes) == 0);
        CHECK(std::memcmp(b.data(), e.data(), bytes) == 0);
        CHECK(std::memcmp(e.data(), f.data(), bytes) == 0);
        CHECK(std::memcmp(f.data(), g.data(), bytes) == 0);
      }
    }
}

TEST_CASE("v39 is v37 with the weights through a shared-memory ring: bitwise v37's output at every M, in both formats, at the plan's split and a forced one") {
  StreamHolder st;
  DeviceData::Sets sets;
  sets.int4 = 1;
  // 3 groups (a block shorter than the ring: slots past the range stay empty), 33 (odd; N % 2 != 0
  // on the second: the scales' two-load path, and a last column block with dead tiles, zero-filled
  // by cp.async), and 8b-down's K (112 groups: 14 per block, the ring wraps three times).
  for (HostCase hc : {HostCase{257, 384}, HostCase{1000, 4224}, HostCase{1001, 4224}, HostCase{512, 14336}})
    for (lab::DType t : {lab::DType::bf16, lab::DType::f16}) {
      DeviceData d(hc.N, hc.K, t, sets, 94, st.s);
      for (WFormat f : {WFormat::int4_sym, WFormat::int4_asym})
        for (int M : {1, 5, 8, 9, 12, 16})
          for (int splits : {0, std::min(4, hc.K / kGroup)}) {
            const std::size_t bytes = static_cast<std::size_t>(M) * d.N() * lab::dtype_bytes(t);
            std::vector<unsigned char> out37(bytes), out39(bytes);
            for (const auto& run : {std::pair{"v37", &out37}, std::pair{"v39", &out39}}) {
              Problem p = problem_for(d, M, f);
              p.splits = splits;
              const Step step = Registry::instance().find(run.first)->prepare(p);
              INFO(run.first, " N=", hc.N, " K=", hc.K, " ", lab::dtype_name(t), " ", wfmt_name(f), " M=", M, " splits=", splits);
              REQUIRE(run_and_check(step, d, f, M, d.gpu_reference(f, st.s), st.s).pass);
              LABS_CHECK(cudaMemcpy(run.second->data(), d.y(), bytes, cudaMemcpyDeviceToHost));
            }
            INFO("N=", hc.N, " K=", hc.K, " ", lab::dtype_name(t), " ", wfmt_name(f), " M=", M, " splits=", splits);
            CHECK(std::memcmp(out37.data(), out39.data(), bytes) == 0);
          }
    }
  // The two target layers at full size, M = 9 and 16, against the GPU reference.
  for (const auto& nk : {std::pair{14336, 4096}, std::pair{4096, 14336}}) {
    DeviceData d(nk.first, nk.second, lab::DType::bf16, sets, 39, st.s);
    for (int M : {9, 16}) {
      const Problem p = problem_for(d, M, WFormat::int4_sym);
      const lab::CheckResult r = run_and_check(Registry::instance().find("v39")->prepare(p), d, WFormat::int4_sym, M,
                                               d.gpu_reference(WFormat::int4_sym, st.s), st.s);
      INFO("N=", nk.first, " K=", nk.second, " M=", M, ": ", r.summary());
      CHECK(r.pass);
    }
  }
}

/// The sweep of the split-tail variants' tests (v44/v45 against v37, v48/v49/v52 against v46): on
/// four shapes (odd N, a short K, 8b-down's K), both dtypes and INT4 formats, M = 1, 5, 8, 9, 12,
/// 16 and three splits (the plan's, 4, one per group), each of `ids` passes the GPU reference,
/// gives `base`'s output bit for bit, and at M = 1 and 16 the same bits over 20 relaunches.
void check_bitwise_like(const char* base, std::initializer_list<const char*> ids, std::uint64_t seed, cudaStream_t s) {
  DeviceData::Sets sets;
  sets.int4 = 1;
  for (HostCase hc : {HostCase{257, 384}, HostCase{1000, 4224}, HostCase{1001, 4224}, HostCase{512, 14336}})
    for (lab::DType t : {lab::DType::bf16, lab::DType::f16}) {
      DeviceData d(hc.N, hc.K, t, sets, seed, s);
      for (WFormat f : {WFormat::int4_sym, WFormat::int4_asym})
        for (int M : {1, 5, 8, 9, 12, 16})
          for (int splits : {0, std::min(4, hc.K / kGroup), hc.K / kGroup}) {
            const std::size_t bytes = static_cast<std::size_t>(M) * d.N() * lab::dtype_bytes(t);
            Problem p = problem_for(d, M, f);
            p.splits = splits;
            INFO("N=", hc.N, " K=", hc.K, " ", lab::dtype_name(t), " ", wfmt_name(f), " M=", M, " splits=", splits);
            REQUIRE(run_and_check(Registry::instance().find(base)->prepare(p), d, f, M, d.gpu_reference(f, s), s).pass);
            std::vector<unsigned char> want(bytes), out(bytes);
            LABS_CHECK(cudaMemcpy(want.data(), d.y(), bytes, cudaMemcpyDeviceToHost));
            for (const char* id : ids) {
              INFO(id);
              const Step step = Registry::instance().find(id)->prepare(p);
              REQUIRE(run_and_check(step, d, f, M, d.gpu_reference(f, s), s).pass);
              LABS_CHECK(cudaMemcpy(out.data(), d.y(), bytes, cudaMemcpyDeviceToHost));
              CHECK(std::memcmp(want.data(), out.data(), bytes) == 0);
              if (M == 1 || M == 16) check_bitwise_repeatable(step, d, f, M, s);
            }
          }
    }
}

/// What the identical relaunches of check_bitwise_like cannot see: a split-K protocol that leaves
/// state behind (a published count or ticket not reset) or lets the sum read partials before
/// they are published gives the previous launch's sums, and there they are the same numbers.
/// Here `step` runs six times with weights that alternate between two seeds, W_a, W_b, W_a, ...
/// (x and y are a's), and each output is compared bit for bit with `want_a` / `want_b`. Returns
/// how many launches differed.
int alternating_mismatches(const Step& step, DeviceData& a, const DeviceData& b, const std::vector<unsigned char>& want_a,
                           const std::vector<unsigned char>& want_b, cudaStream_t s) {
  int bad = 0;
  for (int launch = 0; launch < 6; ++launch) {
    const bool on_a = launch % 2 == 0;
    std::vector<unsigned char> out(want_a.size());
    a.poison_y(s);
    step((on_a ? a : b).weights(WFormat::int4_sym, 0), s);
    LABS_CHECK(cudaStreamSynchronize(s));
    LABS_CHECK(cudaMemcpy(out.data(), a.y(), out.size(), cudaMemcpyDeviceToHost));
    if (out != (on_a ? want_a : want_b)) ++bad;
  }
  return bad;
}

/// A Step that computes once and then replays its first output into y: what a sum over the last
/// launch's partials returns once the weights change. check_alternating_weights must reject it.
Step replaying_first_output(const Step& inner, void* y, std::size_t bytes) {
  auto saved = std::make_shared<std::vector<unsigned char>>();
  return [=](const DeviceWeights& w, Stream s) {
    if (saved->empty()) {
      inner(w, s);
      saved->resize(bytes);
      LABS_CHECK(cudaMemcpyAsync(saved->data(), y, bytes, cudaMemcpyDeviceToHost, s));
      LABS_CHECK(cudaStreamSynchronize(s));
    } else {
      LABS_CHECK(cudaMemcpyAsync(y, saved->data(), bytes, cudaMemcpyHostToDevice, s));
      LABS_CHECK(cudaStreamSynchronize(s));
    }
  };
}

/// Each of `ids` against `base` under alternating weights (alternating_mismatches), at M = 1, 9
/// and 16, the plan's split and one block per group, on a 33-group and a 112-group K; and, as the
/// check that this check can fail, `base` wrapped in replaying_first_output must mismatch.
void check_alternating_weights(const char* base, std::initializer_list<const char*> ids, cudaStream_t s) {
  DeviceData::Sets sets;
  sets.int4 = 1;
  for (HostCase hc : {HostCase{1000, 4224}, HostCase{512, 14336}}) {
    DeviceData a(hc.N, hc.K, lab::DType::bf16, sets, 201, s), b(hc.N, hc.K, lab::DType::bf16, sets, 202, s);
    for (int M : {1, 9, 16})
      for (int splits : {0, hc.K / kGroup}) {
        Problem p = problem_for(a, M, WFormat::int4_sym);  // x and y are a's; the weights are passed per launch
        p.splits = splits;
        const std::size_t bytes = static_cast<std::size_t>(M) * a.N() * 2;
        INFO("N=", hc.N, " K=", hc.K, " M=", M, " splits=", splits);
        const Step ref = Registry::instance().find(base)->prepare(p);
        REQUIRE(run_and_check(ref, a, WFormat::int4_sym, M, a.gpu_reference(WFormat::int4_sym, s), s).pass);
        std::vector<unsigned char> want_a(bytes), want_b(bytes);
        LABS_CHECK(cudaMemcpy(want_a.data(), a.y(), bytes, cudaMemcpyDeviceToHost));
        ref(b.weights(WFormat::int4_sym, 0), s);
        LABS_CHECK(cudaStreamSynchronize(s));
        LABS_CHECK(cudaMemcpy(want_b.data(), a.y(), bytes, cudaMemcpyDeviceToHost));
        REQUIRE(want_a != want_b);
        CHECK(alternating_mismatches(replaying_first_output(ref, a.y(), bytes), a, b, want_a, want_b, s) == 3);
        for (const char* id : ids) {
          INFO(id);
          CHECK(alternating_mismatches(Registry::instance().find(id)->prepare(p), a, b, want_a, want_b, s) == 0);
        }
      }
  }
}

TEST_CASE("v44, v45 are v37 with a designated finisher: bitwise v37's output at every M, both formats, at the plan's split, 4 splits and one per group, on every relaunch") {
  StreamHolder st;
  DeviceData::Sets sets;
  sets.int4 = 1;
  // check_bitwise_like: the shapes of v39's test; splits = G gives every group its own block
  // (112 on 8b-down's K), so up to 112 blocks race for one column block's tickets. The 20 relaunches of
  // check_bitwise_repeatable fail if the finisher leaves its ticket behind (no block holds the
  // last one next time: the poison stays in y). What they cannot catch, because every launch there
  // computes the same partials into the same workspace: a published count not reset, or a
  // finisher that reads before the others publish (it would read the last launch's identical
  // partials). check_alternating_weights changes the weights between launches so that it can.
  check_bitwise_like("v37", {"v44", "v45"}, 144, st.s);
  check_alternating_weights("v37", {"v44", "v45"}, st.s);
  // The two target layers at full size, M = 1, 9 and 16, against the GPU reference.
  for (const auto& nk : {std::pair{14336, 4096}, std::pair{4096, 14336}}) {
    DeviceData d(nk.first, nk.second, lab::DType::bf16, sets, 44, st.s);
    for (int M : {1, 9, 16})
      for (const char* id : {"v44", "v45"}) {
        const Problem p = problem_for(d, M, WFormat::int4_sym);
        const lab::CheckResult r = run_and_check(Registry::instance().find(id)->prepare(p), d, WFormat::int4_sym, M,
                                                 d.gpu_reference(WFormat::int4_sym, st.s), st.s);
        INFO(id, " N=", nk.first, " K=", nk.second, " M=", M, ": ", r.summary());
        CHECK(r.pass);
      }
  }
}

TEST_CASE("v48, v49, v52 are v46 with the split-K sum in a second kernel (PDL; v49 in one pass; v52 polling per column block): bitwise v46's output at every M, both formats, at the plan's split, 4 splits and one per group, on every relaunch") {
  StreamHolder st;
  // Every prepare allocates a workspace whose partials are NaN (SplitKWorkspace), so a sum kernel
  // that ran before the main grid's stores were visible (no griddepcontrol.wait, or a launch
  // without the stream order) writes NaN into y on the first launch and run_and_check fails. The
  // relaunches (check_bitwise_repeatable) then see the same bits 20 times. splits = G gives every
  // group its own block: up to 112 blocks' partials per column block. M = 9, 12 and 16 are where
  // v49's sum kernel has 512 threads, some of them past the tile at M = 9 and 12. v52: a sum block
  // that polled the wrong counter, or stopped polling too early, reads NaN partials on the first
  // launch of each prepare. A v52 counter left at `splits` after a launch would let the next sum
  // start at once, over the last launch's partials: identical in check_bitwise_like, but not in
  // check_alternating_weights, whose launches alternate between two sets of weights.
  check_bitwise_like("v46", {"v48", "v49", "v52"}, 148, st.s);
  check_alternating_weights("v46", {"v48", "v49", "v52"}, st.s);
}

TEST_CASE("v40, v41, v42 are v37 with persistent blocks: bitwise v37's output at M = 9..16, with one to several units per block") {
  StreamHolder st;
  DeviceData::Sets sets;
  sets.int4 = 1;
  // {N, K, forced splits}: 8b-gate at the plan's 8 splits (896 units on ~528 blocks: one or two
  // per block); the same with 16 splits of two groups (33 blocks per split, 3-4 units each: the
  // ring crosses many unit boundaries; v42 walks statically below 3 groups), 32 of one group
  // (7 units each), 5 (uneven: 7, 7, 7, 7, 4 groups; v42 claims) and 11 (3 groups, the last
  // split 2: v42 must walk statically; claiming there loaded other column blocks' weights, found
  // in review); 8b-gateup at the plan (224 column blocks, 3-4 units per block: v42's claims reach
  // the reuse of both shared slots); odd N (the scales' two-load path, a last column block with
  // dead tiles) at the plan and at 11 splits of 3 groups; 8b-down's K (14 groups per block, one
  // unit each). The 20 repeats catch v42's counters if a call does not leave them at zero (units
  // would be skipped).
  struct PersistentCase {
    int N, K, splits;
  };
  for (PersistentCase pc : {PersistentCase{14336, 4096, 0}, PersistentCase{14336, 4096, 16}, PersistentCase{14336, 4096, 32},
                            PersistentCase{14336, 4096, 5}, PersistentCase{14336, 4096, 11}, PersistentCase{28672, 4096, 0},
                            PersistentCase{1001, 4224, 0}, PersistentCase{1001, 4224, 11},
                            PersistentCase{512, 14336, 0}})
    for (lab::DType t : {lab::DType::bf16, lab::DType::f16}) {
      DeviceData d(pc.N, pc.K, t, sets, 95, st.s);
      for (int M : {9, 12, 16}) {
        const std::size_t bytes = static_cast<std::size_t>(M) * d.N() * lab::dtype_bytes(t);
        std::vector<unsigned char> out37(bytes), out(bytes);
        for (const char* name : {"v37", "v40", "v41", "v42"}) {
          Problem p = problem_for(d, M, WFormat::int4_sym);
          p.splits = pc.splits;
          const Step step = Registry::instance().find(name)->prepare(p);
          INFO(name, " N=", pc.N, " K=", pc.K, " ", lab::dtype_name(t), " M=", M, " splits=", pc.splits);
          REQUIRE(run_and_check(step, d, WFormat::int4_sym, M, d.gpu_reference(WFormat::int4_sym, st.s), st.s).pass);
          LABS_CHECK(cudaMemcpy((std::string(name) == "v37" ? out37 : out).data(), d.y(), bytes, cudaMemcpyDeviceToHost));
          if (std::string(name) == "v37") continue;
          CHECK(std::memcmp(out37.data(), out.data(), bytes) == 0);
          if (t == lab::DType::bf16) check_bitwise_repeatable(step, d, WFormat::int4_sym, M, st.s);
        }
      }
    }
  // What it was not built for, it refuses: M <= 8, int4-asym, more splits than groups.
  DeviceData d(512, 1152, lab::DType::bf16, sets, 96, st.s);
  for (const char* name : {"v40", "v41", "v42"}) {
    INFO(name);
    CHECK_THROWS_AS(Registry::instance().find(name)->prepare(problem_for(d, 8, WFormat::int4_sym)), std::invalid_argument);
    CHECK_THROWS_AS(Registry::instance().find(name)->prepare(problem_for(d, 16, WFormat::int4_asym)), std::invalid_argument);
    Problem p = problem_for(d, 16, WFormat::int4_sym);
    p.splits = 10;
    CHECK_THROWS_AS(Registry::instance().find(name)->prepare(p), std::invalid_argument);
  }
}

namespace {
/// Adds 1 to the 32-bit word at byte `offset` of device memory `p` (-1 with undo).
void bump_word(const void* p, std::size_t offset, int by) {
  std::uint32_t v = 0;
  auto* at = static_cast<unsigned char*>(const_cast<void*>(p)) + offset;
  LABS_CHECK(cudaMemcpy(&v, at, 4, cudaMemcpyDeviceToHost));
  v += static_cast<std::uint32_t>(by);
  LABS_CHECK(cudaMemcpy(at, &v, 4, cudaMemcpyHostToDevice));
}
}  // namespace

TEST_CASE("v37's probes at M = 9..16: the checksums equal the sum of the bytes they read, and fail when one live word changes") {
  StreamHolder st;
  DeviceData::Sets sets;
  sets.int4 = 1;
  // kProbeShapes: 8b-down's K runs as 8 splits of 14 groups.
  for (HostCase hc : kProbeShapes)
    for (lab::DType t : {lab::DType::bf16, lab::DType::f16}) {
      DeviceData d(hc.N, hc.K, t, sets, 41, st.s);
      DeviceData other(hc.N, hc.K, t, sets, 42, st.s);
      const DeviceWeights w = d.weights(WFormat::int4_sym, 0);
      for (const std::string& id : mma_probe_variants())
        for (int M : {9, 12, 16}) {
          INFO(id, " N=", hc.N, " K=", hc.K, " ", lab::dtype_name(t), " M=", M);
          const ProbeCase c = prepare_probe(id, problem_for(d, M, WFormat::int4_sym));
          auto run = [&] {
            c.poison(st.s);
            c.step(w, st.s);
            LABS_CHECK(cudaStreamSynchronize(st.s));
            return c.check(w, st.s).pass;
          };
          c.poison(st.s);
          CHECK_FALSE(c.check(w, st.s).pass);  // nothing ran: poisoned sums
          CHECK(run());
          CHECK_FALSE(c.check(other.weights(WFormat::int4_sym, 0), st.s).pass);
          // One word of the last tile's last group, one scale pair, changed after the run: the
          // expected sum moves, the probe's does not.
          for (const auto& word : {std::pair{static_cast<const void*>(w.tiled), tiled_bytes(hc.N, hc.K) - 4},
                                   std::pair{w.scales, std::size_t{4}}}) {
            bump_word(word.first, word.second, 1);
            CHECK_FALSE(c.check(w, st.s).pass);
            CHECK(run());  // rerun on the changed word: the probe read it
            bump_word(word.first, word.second, -1);
            // Rerun on the restored bytes: without it the probe's sum still holds this word's +1,
            // and the next word's +1 would make the expected sum equal it again.
            CHECK(run());
          }
          // x: row M - 1 is read by the staged probe only (its expected sum moves, the loads
          // probe's does not); rerun, both still pass. Row M (staged as zeros) is read by neither.
          const std::size_t row = static_cast<std::size_t>(hc.K) * lab::dtype_bytes(t);
          bump_word(d.x(), (M - 1) * row + 8, 1);
          CHECK(c.check(w, st.s).pass == (id == "probe-v37-loads"));
          CHECK(run());
          bump_word(d.x(), (M - 1) * row + 8, -1);
          CHECK(run());
          if (M < 16) {
            bump_word(d.x(), M * row + 8, 1);
            CHECK(run());
            bump_word(d.x(), M * row + 8, -1);
          }
        }
    }
  // What they do not take they refuse: M <= 8 (v29's kernels), int4-asym, odd N.
  DeviceData d(1000, 4224, lab::DType::bf16, sets, 41, st.s);
  DeviceData odd(257, 384, lab::DType::bf16, sets, 43, st.s);
  for (const std::string& id : mma_probe_variants()) {
    CHECK_THROWS_AS(prepare_probe(id, problem_for(d, 8, WFormat::int4_sym)), std::invalid_argument);
    CHECK_THROWS_AS(prepare_probe(id, problem_for(d, 1, WFormat::int4_sym)), std::invalid_argument);
    CHECK_THROWS_AS(prepare_probe(id, problem_for(d, 16, WFormat::int4_asym)), std::invalid_argument);
    CHECK_THROWS_AS(prepare_probe(id, problem_for(odd, 16, WFormat::int4_sym)), std::invalid_argument);
  }
}

TEST_CASE("probe-v37-notail: its partials, summed apart, are v37's output bit for bit; a changed partial or poison fails") {
  StreamHolder st;
  DeviceData::Sets sets;
  sets.int4 = 1;
  for (HostCase hc : kProbeShapes)
    for (lab::DType t : {lab::DType::bf16, lab::DType::f16}) {
      DeviceData d(hc.N, hc.K, t, sets, 41, st.s);
      const DeviceWeights w = d.weights(WFormat::int4_sym, 0);
      for (int M : {9, 16}) {
        INFO("N=", hc.N, " K=", hc.K, " ", lab::dtype_name(t), " M=", M);
        const ProbeCase c = prepare_probe("probe-v37-notail", problem_for(d, M, WFormat::int4_sym));
        REQUIRE(c.out != nullptr);
        c.poison(st.s);
        CHECK_FALSE(c.check(w, st.s).pass);  // nothing ran: NaN partials
        c.step(w, st.s);
        CHECK(c.check(w, st.s).pass);
        // The first partial (column block 0, split 0, row 0, column 0) 2^32 times as large (its
        // exponent + 32): that output's sum changes far beyond a rounding, the check must see it.
        bump_word(c.out->get(), 0, 1 << 28);
        CHECK_FALSE(c.check(w, st.s).pass);
        bump_word(c.out->get(), 0, -(1 << 28));
        CHECK(c.check(w, st.s).pass);
        c.poison(st.s);
        c.step(w, st.s);  // a rerun over poisoned partials writes them all again
        CHECK(c.check(w, st.s).pass);
      }
    }
  // It refuses what v37's probes refuse, and a problem v37 does not split (one column block of
  // K = 128: one group, one split).
  DeviceData d(1000, 4224, lab::DType::bf16, sets, 41, st.s);
  DeviceData one_group(512, 128, lab::DType::bf16, sets, 44, st.s);
  CHECK_THROWS_AS(prepare_probe("probe-v37-notail", problem_for(d, 8, WFormat::int4_sym)), std::invalid_argument);
  CHECK_THROWS_AS(prepare_probe("probe-v37-notail", problem_for(d, 16, WFormat::int4_asym)), std::invalid_argument);
  CHECK_THROWS_AS(prepare_probe("probe-v37-notail", problem_for(one_group, 16, WFormat::int4_sym)), std::invalid_argument);
}
