/// @file check_output.hpp
/// The correctness policy of this topic, on top of lab::check_close: an output element
/// passes when |out - ref| <= 4u (|ref| + rms(ref)), u the unit roundoff of the output
/// dtype, ref the fp64 oracle rounded to that dtype. The absolute part is on the scale of
/// the output because a K-long dot product cancels: an element near 0 has the same
/// absolute error as its neighbours. Tight enough that a swapped nibble, a missing zero
/// point, a skipped chunk of K or a wrong group's scale fail by orders of magnitude; loose
/// enough for fp32 accumulation in any order and weights rounded to bf16 (cuBLAS, v0).
#pragma once

#include <vector>

#include "labs/check.hpp"
#include "labs/dtype.hpp"

namespace w4a16 {

/// out: the first M rows of y ([M][N], widened to float); ref: [>= M][N] in double.
lab::CheckResult check_output(const std::vector<float>& out, const std::vector<double>& ref, int M, int N,
                              lab::DType t);

}  // namespace w4a16
