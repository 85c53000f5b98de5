/// @file error_stats.cpp
#include "quant/error_stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>

namespace w4a16 {
namespace {

template <class Q>
QuantErrorStats stats_impl(const std::vector<float>& w, const Q& q, double (*step)(const Q&, int, int)) {
  if (w.size() != static_cast<std::size_t>(q.rows) * q.cols) throw std::invalid_argument("error_stats: size mismatch");
  QuantErrorStats s;
  double sw = 0, se = 0, sa = 0;
  for (int n = 0; n < q.rows; ++n)
    for (int k = 0; k < q.cols; ++k) {
      const double x = w[static_cast<std::size_t>(n) * q.cols + k];
      const double e = x - q.weight(n, k);
      sw += x * x;
      se += e * e;
      sa += std::fabs(x);
      s.max_abs_err = std::max(s.max_abs_err, std::fabs(e));
      const double st = step(q, n, k);
      if (st > 0) s.max_err_in_steps = std::max(s.max_err_in_steps, std::fabs(e) / st);
    }
  s.rel_rmse = sw > 0 ? std::sqrt(se / sw) : 0;
  s.sqnr_db = se > 0 ? 10.0 * std::log10(sw / se) : INFINITY;
  s.mean_abs_w = sa / (static_cast<double>(q.rows) * q.cols);
  return s;
}

double int4_step(const Int4Matrix& q, int n, int k) { return q.scale(k / q.group, n); }
double int8_step(const Int8Matrix& q, int n, int) { return q.scales[n]; }

}  // namespace

QuantErrorStats error_stats(const std::vector<float>& w, const Int4Matrix& q) { return stats_impl(w, q, int4_step); }
QuantErrorStats error_stats(const std::vector<float>& w, const Int8Matrix& q) { return stats_impl(w, q, int8_step); }

std::vector<float> gaussian_with_outliers(int N, int K, double sigma, double outlier_fraction, double outlier_sigmas,
                                          std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> gauss(0.0, sigma);
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  std::vector<float> w(static_cast<std::size_t>(N) * K);
  for (float& v : w) {
    v = static_cast<float>(gauss(rng));
    if (u01(rng) < outlier_fraction) v = static_cast<float>((u01(rng) < 0.5 ? -1 : 1) * outlier_sigmas * sigma);
  }
  return w;
}

std::string format_stats(const std::string& label, const QuantErrorStats& s) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-34s rel RMSE %6.4f  SQNR %5.2f dB  max |err| %.4g (%.3f steps)", label.c_str(),
                s.rel_rmse, s.sqnr_db, s.max_abs_err, s.max_err_in_steps);
  return buf;
}

}  // namespace w4a16
