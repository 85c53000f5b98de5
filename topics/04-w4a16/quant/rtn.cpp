/// @file rtn.cpp
#include "quant/rtn.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace w4a16 {
namespace {

int round_clamp(double v, int lo, int hi) {
  const double r = std::nearbyint(v);  // round half to even, like the GPU's rint
  return static_cast<int>(std::clamp(r, static_cast<double>(lo), static_cast<double>(hi)));
}

}  // namespace

Int4Matrix quantize_int4_rtn(const std::vector<float>& w, int N, int K, int group, bool asym,
                             lab::DType scale_dtype) {
  if (N <= 0 || K <= 0 || group <= 0) throw std::invalid_argument("quantize_int4_rtn: empty shape or group");
  if (w.size() != static_cast<std::size_t>(N) * K) throw std::invalid_argument("quantize_int4_rtn: w is not N*K");
  Int4Matrix m;
  m.rows = N;
  m.cols = K;
  m.group = group;
  m.asym = asym;
  const int G = m.groups();
  m.codes.assign(static_cast<std::size_t>(N) * K, 0);
  m.scales.assign(static_cast<std::size_t>(G) * N, 0.0f);
  if (asym) m.zeros.assign(static_cast<std::size_t>(G) * N, 0);

  for (int n = 0; n < N; ++n) {
    const float* row = w.data() + static_cast<std::size_t>(n) * K;
    std::uint8_t* out = m.codes.data() + static_cast<std::size_t>(n) * K;
    for (int g = 0; g < G; ++g) {
      const int k0 = g * group, k1 = std::min(K, k0 + group);
      float lo = row[k0], hi = row[k0];
      for (int k = k0; k < k1; ++k) {
        lo = std::min(lo, row[k]);
        hi = std::max(hi, row[k]);
      }
      const std::size_t gi = static_cast<std::size_t>(g) * N + n;
      if (!asym) {
        const float absmax = std::max(std::fabs(lo), std::fabs(hi));
        const float s = lab::round_to(scale_dtype, absmax / 7.0f);
        m.scales[gi] = s;
        for (int k = k0; k < k1; ++k)
          out[k] = static_cast<std::uint8_t>(s == 0.0f ? 8 : round_clamp(row[k] / double(s), -8, 7) + 8);
      } else {
        float s = lab::round_to(scale_dtype, (hi - lo) / 15.0f);
        int z = 0;
        if (s == 0.0f && lo != 0.0f) {
          // A constant group: one step of size |lo| reaches it exactly from code 0 or 1.
          s = lab::round_to(scale_dtype, std::fabs(lo));
          z = lo < 0 ? 1 : 0;
        } else if (s != 0.0f) {
          z = round_clamp(-lo / double(s), 0, 15);
        }
        m.scales[gi] = s;
        m.zeros[gi] = static_cast<std::uint8_t>(z);
        for (int k = k0; k < k1; ++k)
          out[k] = static_cast<std::uint8_t>(s == 0.0f ? z : round_clamp(row[k] / double(s) + z, 0, 15));
      }
    }
  }
  return m;
}

Int8Matrix quantize_int8_rtn(const std::vector<float>& w, int N, int K, lab::DType scale_dtype) {
  if (N <= 0 || K <= 0) throw std::invalid_argument("quantize_int8_rtn: empty shape");
  if (w.size() != static_cast<std::size_t>(N) * K) throw std::invalid_argument("quantize_int8_rtn: w is not N*K");
  Int8Matrix m;
  m.rows = N;
  m.cols = K;
  m.q.assign(static_cast<std::size_t>(N) * K, 0);
  m.scales.assign(N, 0.0f);
  for (int n = 0; n < N; ++n) {
    const float* row = w.data() + static_cast<std::size_t>(n) * K;
    float absmax = 0;
    for (int k = 0; k < K; ++k) absmax = std::max(absmax, std::fabs(row[k]));
    const float s = lab::round_to(scale_dtype, absmax / 127.0f);
    m.scales[n] = s;
    for (int k = 0; k < K; ++k)
      m.q[static_cast<std::size_t>(n) * K + k] =
          static_cast<std::int8_t>(s == 0.0f ? 0 : round_clamp(row[k] / double(s), -127, 127));
  }
  return m;
}

std::vector<double> dequantize(const Int4Matrix& m) {
  std::vector<double> out(static_cast<std::size_t>(m.rows) * m.cols);
  for (int n = 0; n < m.rows; ++n)
    for (int k = 0; k < m.cols; ++k) out[static_cast<std::size_t>(n) * m.cols + k] = m.weight(n, k);
  return out;
}

std::vector<double> dequantize(const Int8Matrix& m) {
  std::vector<double> out(static_cast<std::size_t>(m.rows) * m.cols);
  for (int n = 0; n < m.rows; ++n)
    for (int k = 0; k < m.cols; ++k) out[static_cast<std::size_t>(n) * m.cols + k] = m.weight(n, k);
  return out;
}

}  // namespace w4a16
