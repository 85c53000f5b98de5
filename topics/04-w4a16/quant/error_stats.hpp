/// @file error_stats.hpp
/// How much round-to-nearest loses, measured on weight matrices shaped like real ones:
/// Gaussian rows with a small fraction of large outliers (LLM weight matrices have heavy
/// tails; one outlier stretches its whole group's scale and costs the other 127 weights
/// resolution, which is what grouping limits).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "quant/format.hpp"

namespace w4a16 {

struct QuantErrorStats {
  double rel_rmse = 0;       ///< ||w - dq|| / ||w||
  double sqnr_db = 0;        ///< 10 log10(sum w^2 / sum (w - dq)^2)
  double max_abs_err = 0;
  double max_err_in_steps = 0;  ///< max |w - dq| / scale of its group: <= 0.5 unless clipped
  double mean_abs_w = 0;
};

QuantErrorStats error_stats(const std::vector<float>& w, const Int4Matrix& q);
QuantErrorStats error_stats(const std::vector<float>& w, const Int8Matrix& q);

/// N x K weights ~ N(0, sigma^2) with a fraction `outlier_fraction` of entries replaced by
/// +-outlier_sigmas * sigma (random sign). Deterministic for a seed.
std::vector<float> gaussian_with_outliers(int N, int K, double sigma, double outlier_fraction, double outlier_sigmas,
                                          std::uint64_t seed);

/// One line of the error table, e.g. for the README's exercise and the CPU test's output.
std::string format_stats(const std::string& label, const QuantErrorStats& s);

}  // namespace w4a16
