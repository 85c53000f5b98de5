/// @file cpu_gemv.hpp
/// The CPU oracle: y[m][n] = sum_k x[m][k] * w(n, k) in double, where w is the exactly
/// dequantised weight (scale * (code - zero)) and x holds the activations as the GPU sees
/// them (already rounded to bf16/fp16). Independent of every packing and every kernel.
#pragma once

#include <vector>

#include "quant/format.hpp"

namespace w4a16 {

/// x is [M][K] row-major; returns [M][N].
std::vector<double> gemv_oracle(const Int4Matrix& w, const std::vector<float>& x, int M);
std::vector<double> gemv_oracle(const Int8Matrix& w, const std::vector<float>& x, int M);

}  // namespace w4a16
