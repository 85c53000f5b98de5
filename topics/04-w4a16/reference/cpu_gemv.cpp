/// @file cpu_gemv.cpp
#include "reference/cpu_gemv.hpp"

#include <stdexcept>

namespace w4a16 {
namespace {

template <class W>
std::vector<double> oracle(const W& w, const std::vector<float>& x, int M) {
  const int N = w.rows, K = w.cols;
  if (M <= 0 || x.size() < static_cast<std::size_t>(M) * K) throw std::invalid_argument("gemv_oracle: x too small");
  std::vector<double> y(static_cast<std::size_t>(M) * N, 0.0);
  std::vector<double> row(K);
  for (int n = 0; n < N; ++n) {
    for (int k = 0; k < K; ++k) row[k] = w.weight(n, k);
    for (int m = 0; m < M; ++m) {
      double acc = 0;
      const float* xm = x.data() + static_cast<std::size_t>(m) * K;
      for (int k = 0; k < K; ++k) acc += static_cast<double>(xm[k]) * row[k];
      y[static_cast<std::size_t>(m) * N + n] = acc;
    }
  }
  return y;
}

}  // namespace

std::vector<double> gemv_oracle(const Int4Matrix& w, const std::vector<float>& x, int M) { return oracle(w, x, M); }
std::vector<double> gemv_oracle(const Int8Matrix& w, const std::vector<float>& x, int M) { return oracle(w, x, M); }

}  // namespace w4a16
