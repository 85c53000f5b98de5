/// @file check_output.cpp
#include "reference/check_output.hpp"

#include <cmath>
#include <stdexcept>

namespace w4a16 {

lab::CheckResult check_output(const std::vector<float>& out, const std::vector<double>& ref, int M, int N,
                              lab::DType t) {
  const std::size_t n = static_cast<std::size_t>(M) * N;
  if (out.size() != n || ref.size() < n) throw std::invalid_argument("check_output: sizes do not match M x N");
  const std::vector<double> r(ref.begin(), ref.begin() + static_cast<std::ptrdiff_t>(n));
  double ss = 0;
  for (double v : r) ss += v * v;
  const double rms = std::sqrt(ss / static_cast<double>(n));
  return lab::check_close(out, r, t, lab::tolerance_for(t, 4.0, std::isfinite(rms) && rms > 0 ? rms : 1.0));
}

}  // namespace w4a16
