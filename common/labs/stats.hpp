/// @file stats.hpp
/// Summary statistics of timing samples. Medians and percentiles, not means: GPU timings
/// have a long right tail (clock ramps, other work), and the median resists it.
#pragma once

#include <vector>

namespace lab {

struct Stats {
  double median = 0, p10 = 0, p90 = 0, min = 0, max = 0, mean = 0, stddev = 0;
  int n = 0;
  /// Relative standard error of the mean: the adaptive stop's noise measure.
  double rel_std_error() const;
  /// (p90 - p10) / median: the band `lab reproduce` compares against.
  double rel_band() const;
};

/// Percentiles by linear interpolation between closest ranks (numpy's default).
/// Throws std::invalid_argument on an empty sample or a non-finite value.
Stats summarize(std::vector<double> samples);

}  // namespace lab
