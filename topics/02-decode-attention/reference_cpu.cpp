#include "reference_cpu.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace decode02 {
namespace {

std::size_t kv_row(const Shape& s, int b, int kvh, int t) {
  return ((static_cast<std::size_t>(b) * s.Hkv + kvh) * s.S_alloc + t) * s.D;
}

}  // namespace

std::vector<double> attention_cpu(const Shape& s, const std::vector<float>& q, const std::vector<float>& k,
                                  const std::vector<float>& v) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(s.D));
  std::vector<double> out(static_cast<std::size_t>(s.B) * s.Hq * s.D);
  std::vector<double> score(s.S);
  for (int b = 0; b < s.B; ++b) {
    for (int h = 0; h < s.Hq; ++h) {
      const int kvh = h / s.group();
      const float* qh = &q[(static_cast<std::size_t>(b) * s.Hq + h) * s.D];
      double m = -std::numeric_limits<double>::infinity();
      for (int t = 0; t < s.S; ++t) {
        const float* kt = &k[kv_row(s, b, kvh, t)];
        double dot = 0;
        for (int d = 0; d < s.D; ++d) dot += static_cast<double>(qh[d]) * kt[d];
        score[t] = dot * scale;
        m = std::max(m, score[t]);
      }
      double l = 0;
      for (int t = 0; t < s.S; ++t) {
        score[t] = std::exp(score[t] - m);
        l += score[t];
      }
      double* o = &out[(static_cast<std::size_t>(b) * s.Hq + h) * s.D];
      for (int t = 0; t < s.S; ++t) {
        const float* vt = &v[kv_row(s, b, kvh, t)];
        for (int d = 0; d < s.D; ++d) o[d] += score[t] * vt[d];
      }
      for (int d = 0; d < s.D; ++d) o[d] /= l;
    }
  }
  return out;
}

std::vector<float> attention_online_float(const Shape& s, const std::vector<float>& q, const std::vector<float>& k,
                                          const std::vector<float>& v, bool forget_rescale) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(s.D));
  std::vector<float> out(static_cast<std::size_t>(s.B) * s.Hq * s.D);
  std::vector<float> acc(s.D);
  for (int b = 0; b < s.B; ++b) {
    for (int h = 0; h < s.Hq; ++h) {
      const int kvh = h / s.group();
      const float* qh = &q[(static_cast<std::size_t>(b) * s.Hq + h) * s.D];
      float m = -std::numeric_limits<float>::infinity(), l = 0;
      std::fill(acc.begin(), acc.end(), 0.0f);
      for (int t = 0; t < s.S; ++t) {
        const float* kt = &k[kv_row(s, b, kvh, t)];
        const float* vt = &v[kv_row(s, b, kvh, t)];
        float dot = 0;
        for (int d = 0; d < s.D; ++d) dot += qh[d] * kt[d];
        const float sc = dot * scale;
        const float m_new = std::max(m, sc);
        const float corr = std::exp(m - m_new);  // exp(-inf) = 0 on the first key
        const float p = std::exp(sc - m_new);
        l = l * corr + p;
        for (int d = 0; d < s.D; ++d) acc[d] = (forget_rescale ? acc[d] : acc[d] * corr) + p * vt[d];
        m = m_new;
      }
      float* o = &out[(static_cast<std::size_t>(b) * s.Hq + h) * s.D];
      for (int d = 0; d < s.D; ++d) o[d] = acc[d] / l;
    }
  }
  return out;
}

}  // namespace decode02
