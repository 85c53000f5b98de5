/// @file checkpoint_import.hpp
/// Importers for the int32-packed INT4 tensors that GPTQ and AWQ checkpoints ship, into
/// Int4Matrix (then pack_plain / pack_tiled as usual). K = in_features, N = out_features.
///
/// GPTQ (AutoGPTQ `QuantLinear`, e.g. auto_gptq/nn_modules/qlinear/qlinear_cuda_old.py:
/// `pack()` and the torch fallback in `forward()`):
///   qweight [K/8, N]        int32; qweight[i][n] bits 4j..4j+3 = code of (n, k = 8i + j)
///                           (8 consecutive k of one column per word, low nibble first)
///   qzeros  [ceil(K/g), N/8] int32; qzeros[gi][c] bits 4j..4j+3 = stored zero of n = 8c + j
///   scales  [ceil(K/g), N]  fp16
///   w(n, k) = scales[gi][n] * (code - zero),  gi = k / g (no act-order: g_idx = k / g)
///   "v1" checkpoints store zero - 1 (pack: `zeros -= 1`; forward: `zeros = zeros + 1`).
///   A stored nibble of 15 therefore means 16 in AutoGPTQ's own kernels, which a 4-bit
///   zero point cannot hold: the importer refuses it, naming the group and column.
///   "v2" checkpoints (GPTQModel's format) store the zero itself.
///
/// AWQ (AutoAWQ GEMM layout, awq/utils/packing_utils.py: AWQ_ORDER = [0,2,4,6,1,3,5,7]):
///   qweight [K, N/8]        int32; nibble i of qweight[k][c] = code of (n = 8c + AWQ_ORDER[i], k)
///   qzeros  [ceil(K/g), N/8] int32, same nibble order, the zero itself (no offset)
///   scales  [ceil(K/g), N]  fp16;  w = scales * (code - zero)
///
/// Both require N % 8 == 0 (and GPTQ K % 8 == 0), as the checkpoints do. Act-order GPTQ
/// (a permuted g_idx) is not supported. A checkpoint whose zeros are all 8 imports as the
/// symmetric format.
#pragma once

#include <cstdint>
#include <vector>

#include "quant/format.hpp"

namespace w4a16 {

struct GptqTensors {
  int K = 0, N = 0, group = kGroup;
  bool zeros_minus_one = true;        ///< v1 (AutoGPTQ) convention; false for v2
  std::vector<std::int32_t> qweight;  ///< [K/8][N]
  std::vector<std::int32_t> qzeros;   ///< [G][N/8]
  std::vector<float> scales;          ///< [G][N] (fp16 values)
};

struct AwqTensors {
  int K = 0, N = 0, group = kGroup;
  std::vector<std::int32_t> qweight;  ///< [K][N/8]
  std::vector<std::int32_t> qzeros;   ///< [G][N/8]
  std::vector<float> scales;          ///< [G][N]
};

inline constexpr int kAwqOrder[8] = {0, 2, 4, 6, 1, 3, 5, 7};  ///< nibble i -> column offset

Int4Matrix import_gptq(const GptqTensors& t);
Int4Matrix import_awq(const AwqTensors& t);

/// The inverse packers (to build test inputs and to prove the importers bit-exact).
/// Symmetric matrices export zero 8 everywhere.
GptqTensors export_gptq(const Int4Matrix& m, bool zeros_minus_one = true);
AwqTensors export_awq(const Int4Matrix& m);

}  // namespace w4a16
