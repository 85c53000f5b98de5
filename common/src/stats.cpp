#include "labs/stats.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace lab {

static double percentile_sorted(const std::vector<double>& s, double p) {
  const double pos = p * static_cast<double>(s.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, s.size() - 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - static_cast<double>(lo));
}

Stats summarize(std::vector<double> samples) {
  if (samples.empty()) throw std::invalid_argument("summarize: no samples");
  for (double v : samples)
    if (!std::isfinite(v)) throw std::invalid_argument("summarize: non-finite sample");
  std::sort(samples.begin(), samples.end());
  Stats st;
  st.n = static_cast<int>(samples.size());
  st.min = samples.front();
  st.max = samples.back();
  st.median = percentile_sorted(samples, 0.5);
  st.p10 = percentile_sorted(samples, 0.1);
  st.p90 = percentile_sorted(samples, 0.9);
  st.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / st.n;
  double ss = 0;
  for (double v : samples) ss += (v - st.mean) * (v - st.mean);
  st.stddev = st.n > 1 ? std::sqrt(ss / (st.n - 1)) : 0.0;
  return st;
}

double Stats::rel_std_error() const {
  if (n < 2 || mean <= 0) return INFINITY;
  return stddev / std::sqrt(static_cast<double>(n)) / mean;
}

double Stats::rel_band() const { return median > 0 ? (p90 - p10) / median : 0.0; }

}  // namespace lab
