/// @file test_quant.cpp
/// CPU tests of the format code: RTN quantiser, plain and tiled packings, the repacker,
/// the GPTQ/AWQ importers on hand-built tensors, RTN error statistics, the CPU oracle and
/// the check policy (which must reject a wrong nibble order, a missing zero point and NaN).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <set>
#include <vector>

#include "quant/checkpoint_import.hpp"
#include "quant/error_stats.hpp"
#include "quant/pack.hpp"
#include "quant/rtn.hpp"
#include "quant/tiled_layout.hpp"
#include "reference/check_output.hpp"
#include "reference/cpu_gemv.hpp"

using namespace w4a16;

namespace {

std::vector<std::uint8_t> counting_codes(int N, int K) {
  std::vector<std::uint8_t> c(static_cast<std::size_t>(N) * K);
  for (std::size_t i = 0; i < c.size(); ++i) c[i] = static_cast<std::uint8_t>((i * 7 + i / 13) & 0xF);
  return c;
}

std::vector<float> test_x(int M, int K) {
  std::vector<float> x(static_cast<std::size_t>(M) * K);
  for (std::size_t i = 0; i < x.size(); ++i)
    x[i] = lab::round_to(lab::DType::bf16, static_cast<float>(std::sin(0.61 * static_cast<double>(i) + 0.3)));
  return x;
}

}  // namespace

TEST_CASE("symmetric RTN: codes in range, error at most half a step, zero point 8") {
  const int N = 9, K = 384;
  const auto w = gaussian_with_outliers(N, K, 0.02, 0.01, 10.0, 1);
  for (lab::DType t : {lab::DType::bf16, lab::DType::f16}) {
    const Int4Matrix q = quantize_int4_rtn(w, N, K, kGroup, false, t);
    q.validate();
    CHECK(q.groups() == 3);
    CHECK(q.zero_point(2, 8) == 8);
    for (float s : q.scales) CHECK(lab::round_to(t, s) == s);
    const QuantErrorStats st = error_stats(w, q);
    CHECK(st.max_err_in_steps <= 0.5 + 1e-6);
  }
}

TEST_CASE("asymmetric RTN: zero points in range, error within one step, short last group") {
  const int N = 5, K = 200;  // groups of 128 and 72
  const auto w = gaussian_with_outliers(N, K, 1.0, 0.0, 0.0, 2);
  const Int4Matrix q = quantize_int4_rtn(w, N, K, kGroup, true, lab::DType::f16);
  q.validate();
  CHECK(q.groups() == 2);
  CHECK(error_stats(w, q).max_err_in_steps <= 1.0 + 1e-6);
}

TEST_CASE("RTN corner cases: an all-zero group is exact, a constant group exact when asymmetric") {
  const int N = 2, K = 128;
  std::vector<float> w(static_cast<std::size_t>(N) * K, 0.0f);
  for (int k = 0; k < K; ++k) w[K + k] = -0.25f;  // row 1 constant
  for (bool asym : {false, true}) {
    const Int4Matrix q = quantize_int4_rtn(w, N, K, kGroup, asym, lab::DType::bf16);
    for (int k = 0; k < K; ++k) {
      CHECK(q.weight(0, k) == 0.0);
      // symmetric: -7 steps of the bf16-rounded absmax/7, within half a step; asymmetric: one step of |min|
      if (asym) CHECK(q.weight(1, k) == -0.25);
      else CHECK(std::fabs(q.weight(1, k) + 0.25) <= 0.5 * q.scale(0, 1));
    }
  }
}

TEST_CASE("per-channel INT8 RTN") {
  const int N = 3, K = 256;
  const auto w = gaussian_with_outliers(N, K, 1.0, 0.01, 8.0, 3);
  const Int8Matrix q = quantize_int8_rtn(w, N, K, lab::DType::bf16);
  for (std::int8_t v : q.q) CHECK(v >= -127);
  CHECK(error_stats(w, q).max_err_in_steps <= 0.5 + 1e-6);
}

TEST_CASE("plain packing: bit-exact round trip, odd K and odd N, documented nibble order") {
  for (auto [N, K] : {std::pair{1, 1}, std::pair{3, 13}, std::pair{7, 200}, std::pair{5, 384}}) {
    const auto codes = counting_codes(N, K);
    const auto packed = pack_plain(codes, N, K);
    CHECK(packed.size() == static_cast<std::size_t>(N) * ((K + 1) / 2));
    CHECK(unpack_plain(packed, N, K) == codes);
  }
  // Row 0 = codes 1, 2, 3: byte 0 = (2 << 4) | 1, byte 1 = 3 in its low nibble.
  const std::vector<std::uint8_t> c = {1, 2, 3};
  const auto p = pack_plain(c, 1, 3);
  CHECK(p[0] == 0x21);
  CHECK(p[1] == 0x03);
}

TEST_CASE("tiled layout: hand-checked positions") {
  const int K = 256;  // 2 groups
  auto at = [&](int n, int k) { return tiled_address(n, k, K); };
  CHECK(at(0, 0).byte == 0);  // lane 0, word 0, nibble 0
  CHECK(at(0, 0).shift == 0);
  CHECK(at(0, 1).byte == 2);  // nibble 4 = byte 2, low
  CHECK(at(0, 1).shift == 0);
  CHECK(at(0, 8).byte == 0);  // nibble 1 (second B register) = byte 0, high
  CHECK(at(0, 8).shift == 4);
  CHECK(at(0, 2).byte == 16);  // k = 2 belongs to lane t = 1
  CHECK(at(1, 0).byte == 64);  // column 1 -> lane 4
  CHECK(at(0, 16).byte == 1);  // k-step 1 -> pair 2 -> nibble 2 -> byte 1, low
  CHECK(at(0, 16).shift == 0);
  CHECK(at(0, 32).byte == 4);    // k-step 2 -> word 1
  CHECK(at(0, 128).byte == 512);  // group 1 of tile 0
  CHECK(at(8, 0).byte == 1024);   // tile 1 starts after tile 0's 2 groups
}

TEST_CASE("tiled layout: tiled_position inverts tiled_address and covers every nibble once") {
  const int N = 13, K = 384;
  std::set<std::pair<std::size_t, int>> seen;
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < K; ++k) {
      const NibbleAddr a = tiled_address(n, k, K);
      CHECK(a.byte < tiled_bytes(N, K));
      CHECK(seen.insert({a.byte, a.shift}).second);
      const TiledPosition p = tiled_position(a.byte, a.shift / 4, K);
      CHECK(p.n == n);
      CHECK(p.k == k);
    }
}

TEST_CASE("tiled packing and the offline repacker: bit-exact both ways, odd N padded") {
  for (auto [N, K] : {std::pair{13, 384}, std::pair{8, 128}, std::pair{1, 256}}) {
    const auto codes = counting_codes(N, K);
    const auto plain = pack_plain(codes, N, K);
    const auto tiled = pack_tiled(codes, N, K);
    CHECK(tiled.size() == tiled_bytes(N, K));
    CHECK(unpack_tiled(tiled, N, K) == codes);
    CHECK(repack_plain_to_tiled(plain, N, K) == tiled);
    CHECK(repack_tiled_to_plain(tiled, N, K) == plain);
  }
  CHECK_THROWS_AS(pack_tiled(counting_codes(2, 200), 2, 200), std::invalid_argument);
}

TEST_CASE("GPTQ import: a hand-built 16 x 8 layer, group 8, v1 zeros") {
  GptqTensors t;
  t.K = 16;
  t.N = 8;
  t.group = 8;
  t.zeros_minus_one = true;
  t.qweight.assign(2 * 8, 0);
  t.qweight[0 * 8 + 0] = 0x76543210;                                // column 0, k = 0..7: codes 0..7
  t.qweight[1 * 8 + 0] = static_cast<std::int32_t>(0xFEDCBA98u);    // column 0, k = 8..15: codes 8..15
  t.qweight[0 * 8 + 3] = 0x00000F00;                                // column 3, k = 2: code 15
  t.qzeros = {0x76543210, static_cast<std::int32_t>(0x77777777u)};  // group 0: stored n - 1 ... ; group 1: all 8
  t.scales.assign(2 * 8, 0.5f);
  t.scales[1 * 8 + 0] = 0.25f;
  const Int4Matrix m = import_gptq(t);
  CHECK(m.asym);
  for (int k = 0; k < 16; ++k) CHECK(m.code(0, k) == k);
  CHECK(m.code(3, 2) == 15);
  CHECK(m.code(3, 3) == 0);
  CHECK(m.zero_point(0, 0) == 1);  // stored 0 + 1
  CHECK(m.zero_point(0, 5) == 6);
  CHECK(m.zero_point(1, 4) == 8);
  CHECK(m.weight(0, 3) == doctest::Approx(0.5 * (3 - 1)));
  CHECK(m.weight(0, 12) == doctest::Approx(0.25 * (12 - 8)));
  CHECK(m.weight(3, 2) == doctest::Approx(0.5 * (15 - 4)));
  // Bit-exact back to the checkpoint tensors.
  const GptqTensors back = export_gptq(m, true);
  CHECK(back.qweight == t.qweight);
  CHECK(back.qzeros == t.qzeros);
}

TEST_CASE("GPTQ import: v1 stored zero 15 is refused; v2 keeps it; all-8 zeros import as symmetric") {
  GptqTensors t;
  t.K = 8;
  t.N = 8;
  t.group = 8;
  t.qweight.assign(8, 0x11111111);
  t.scales.assign(8, 1.0f);
  t.qzeros = {static_cast<std::int32_t>(0x0000000Fu)};
  t.zeros_minus_one = true;
  CHECK_THROWS_AS(import_gptq(t), std::invalid_argument);
  t.zeros_minus_one = false;
  CHECK(import_gptq(t).zero_point(0, 0) == 15);
  t.qzeros = {static_cast<std::int32_t>(0x88888888u)};
  CHECK_FALSE(import_gptq(t).asym);
}

TEST_CASE("AWQ import: the [0,2,4,6,1,3,5,7] column order, hand-built") {
  AwqTensors t;
  t.K = 2;
  t.N = 8;
  t.group = 2;
  t.qweight = {0x76543210, 0x00000000};  // k = 0: nibble i holds column AWQ_ORDER[i]
  t.qzeros = {0x11111111};
  t.scales.assign(8, 2.0f);
  const Int4Matrix m = import_awq(t);
  const int expect[8] = {0, 4, 1, 5, 2, 6, 3, 7};  // code of column n at k = 0
  for (int n = 0; n < 8; ++n) {
    CHECK(m.code(n, 0) == expect[n]);
    CHECK(m.code(n, 1) == 0);
    CHECK(m.zero_point(0, n) == 1);
  }
  CHECK(m.weight(1, 0) == doctest::Approx(2.0 * (4 - 1)));
  const AwqTensors back = export_awq(m);
  CHECK(back.qweight == t.qweight);
  CHECK(back.qzeros == t.qzeros);
}

TEST_CASE("RTN error statistics on Gaussian weights with outliers") {
  const int N = 256, K = 4096;
  const auto w = gaussian_with_outliers(N, K, 0.02, 0.001, 12.0, 42);
  const QuantErrorStats sym = error_stats(w, quantize_int4_rtn(w, N, K, 128, false, lab::DType::bf16));
  const QuantErrorStats asym = error_stats(w, quantize_int4_rtn(w, N, K, 128, true, lab::DType::bf16));
  const QuantErrorStats g32 = error_stats(w, quantize_int4_rtn(w, N, K, 32, false, lab::DType::bf16));
  const QuantErrorStats row = error_stats(w, quantize_int4_rtn(w, N, K, K, false, lab::DType::bf16));
  const QuantErrorStats i8 = error_stats(w, quantize_int8_rtn(w, N, K, lab::DType::bf16));
  MESSAGE(format_stats("int4 sym g128", sym));
  MESSAGE(format_stats("int4 asym g128", asym));
  MESSAGE(format_stats("int4 sym g32", g32));
  MESSAGE(format_stats("int4 sym per-row", row));
  MESSAGE(format_stats("int8 per-channel", i8));
  // Smaller groups isolate outliers; per-row INT4 lets one outlier flatten the whole row.
  CHECK(g32.sqnr_db > sym.sqnr_db);
  CHECK(sym.sqnr_db > row.sqnr_db + 3.0);
  CHECK(i8.sqnr_db > sym.sqnr_db + 10.0);
  // asymmetric spends its 16 levels on [min, max] instead of [-absmax, absmax]
  CHECK(asym.sqnr_db > sym.sqnr_db);
  // a 4-bit grid of a Gaussian group is worth roughly 15-22 dB
  CHECK(sym.sqnr_db > 12.0);
  CHECK(sym.sqnr_db < 25.0);
}

TEST_CASE("CPU oracle matches the textbook dot product on dequantised weights") {
  const int N = 7, K = 256, M = 3;
  const auto w = gaussian_with_outliers(N, K, 0.05, 0.0, 0.0, 5);
  const Int4Matrix q = quantize_int4_rtn(w, N, K, kGroup, true, lab::DType::bf16);
  const auto x = test_x(M, K);
  const auto y = gemv_oracle(q, x, M);
  const auto dq = dequantize(q);
  for (int m = 0; m < M; ++m)
    for (int n = 0; n < N; ++n) {
      double r = 0;
      for (int k = 0; k < K; ++k) r += static_cast<double>(x[m * K + k]) * dq[n * K + k];
      CHECK(y[m * N + n] == doctest::Approx(r).epsilon(1e-12));
    }
}

namespace {

/// Deliberately wrong CPU "kernels" over the plain packing, rounded to bf16 like a kernel's output.
std::vector<float> cpu_kernel(const Int4Matrix& q, const std::vector<float>& x, int M, bool swap_nibbles,
                              bool drop_zero) {
  const auto packed = pack_plain(q.codes, q.rows, q.cols);
  const std::size_t rb = plain_row_bytes(q.cols);
  std::vector<float> y(static_cast<std::size_t>(M) * q.rows);
  for (int m = 0; m < M; ++m)
    for (int n = 0; n < q.rows; ++n) {
      double acc = 0;
      for (int k = 0; k < q.cols; ++k) {
        const std::uint8_t b = packed[n * rb + k / 2];
        const bool high = (k & 1) != swap_nibbles;
        const int code = high ? (b >> 4) : (b & 0xF);
        const int g = k / q.group;
        const int z = drop_zero ? 8 : q.zero_point(g, n);
        acc += x[m * q.cols + k] * static_cast<double>(q.scale(g, n)) * (code - z);
      }
      y[m * q.rows + n] = lab::round_to(lab::DType::bf16, static_cast<float>(acc));
    }
  return y;
}

}  // namespace

TEST_CASE("the check policy accepts a correct kernel and rejects wrong ones and NaN") {
  const int N = 16, K = 512, M = 2;
  const auto w = gaussian_with_outliers(N, K, 0.02, 0.001, 12.0, 9);
  const Int4Matrix q = quantize_int4_rtn(w, N, K, kGroup, true, lab::DType::bf16);
  const auto x = test_x(16, K);
  const auto ref = gemv_oracle(q, x, 16);
  const auto good = cpu_kernel(q, x, M, false, false);
  const lab::CheckResult ok = check_output(good, ref, M, N, lab::DType::bf16);
  CHECK(ok.pass);
  CHECK(ok.tol_used < 0.5);
  CHECK_FALSE(check_output(cpu_kernel(q, x, M, true, false), ref, M, N, lab::DType::bf16).pass);
  CHECK_FALSE(check_output(cpu_kernel(q, x, M, false, true), ref, M, N, lab::DType::bf16).pass);
  auto nan = good;
  nan[5] = std::nanf("");
  CHECK_FALSE(check_output(nan, ref, M, N, lab::DType::bf16).pass);
}
