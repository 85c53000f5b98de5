/// @file rtn.hpp
/// Round-to-nearest (RTN) quantisers: the simplest way to produce INT4/INT8 weights, and
/// the baseline GPTQ/AWQ improve on. No calibration data; each group is scaled to its own
/// range and every weight is rounded to the nearest code.
///
///   symmetric INT4:   s = absmax / 7,            code = clamp(round(w / s) + 8, 0, 15)
///   asymmetric INT4:  s = (max - min) / 15,      z = clamp(round(-min / s), 0, 15),
///                     code = clamp(round(w / s) + z, 0, 15)
///   per-channel INT8: s = absmax(row) / 127,      q = clamp(round(w / s), -127, 127)
///
/// The scale is rounded to the scale dtype (fp16/bf16) FIRST and the codes are computed
/// with the rounded scale, so the stored (code, scale) pair is what the error is measured
/// on. A group of zeros gets scale 0 (dequantises to exactly 0).
#pragma once

#include <vector>

#include "labs/dtype.hpp"
#include "quant/format.hpp"

namespace w4a16 {

/// w is row-major [N][K] (rows = output features). K need not be a multiple of `group`.
Int4Matrix quantize_int4_rtn(const std::vector<float>& w, int N, int K, int group, bool asym,
                             lab::DType scale_dtype);

Int8Matrix quantize_int8_rtn(const std::vector<float>& w, int N, int K, lab::DType scale_dtype);

/// The dequantised matrix [N][K] in double (exact: a 16-bit scale times a small integer).
std::vector<double> dequantize(const Int4Matrix& m);
std::vector<double> dequantize(const Int8Matrix& m);

}  // namespace w4a16
