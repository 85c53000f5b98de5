/// @file check.hpp
/// The correctness policy. An output element passes when
///   |out - ref| <= atol + rtol * |ref|
/// with `ref` first rounded to the output dtype (a kernel cannot be more exact than its
/// output type) and rtol taken from the dtype. NaN or Inf in the output always fails, as
/// does a non-finite reference (a broken oracle must not pass anything). `tol_used` is the
/// largest |out - ref| / (atol + rtol |ref|): 0.12 means the worst element used 12% of the
/// allowed error, and anything above 1 fails.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "labs/dtype.hpp"

namespace lab {

struct Tolerance {
  double atol = 0;
  double rtol = 0;
};

/// Default tolerance for an elementwise result in dtype t: rtol = 2 units in the last
/// place of t (two roundings: the kernel's and the reference's), atol = rtol * atol_scale
/// so that values near zero are judged on the output's scale. Kernels that reduce over
/// long sums (attention, GEMV) pass a larger `ulps`.
Tolerance tolerance_for(DType t, double ulps = 2.0, double atol_scale = 1.0);

struct CheckResult {
  bool pass = false;
  double max_abs = 0;       ///< largest |out - ref|
  double max_rel = 0;       ///< largest |out - ref| / |ref| where ref != 0
  double tol_used = 0;      ///< largest |out - ref| / (atol + rtol |ref|)
  std::size_t n = 0;        ///< elements compared
  std::size_t n_bad = 0;    ///< elements outside tolerance (non-finite included)
  std::size_t n_nonfinite = 0;
  std::size_t first_bad = 0;  ///< index of the first failing element (valid if n_bad > 0)
  Tolerance tol;
  std::string note;         ///< why it failed, for a human

  std::string summary() const;    ///< "ok (12% of tolerance)" or "FAIL: 3 of 4096 ..."
  nlohmann::json to_json() const; ///< {pass, max_abs, tol_used, ...}
};

/// Compares a kernel's output (already widened to float) with an oracle in double.
CheckResult check_close(const std::vector<float>& out, const std::vector<double>& ref, DType out_dtype,
                        Tolerance tol);

/// Merges two results (for kernels with several outputs): fails if either fails.
CheckResult merge(const CheckResult& a, const CheckResult& b);

}  // namespace lab
