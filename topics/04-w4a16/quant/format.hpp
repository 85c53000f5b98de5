/// @file format.hpp
/// The weight formats of topic 04, in their unpacked reference form. Every packing
/// (plain, tiled, GPTQ, AWQ) converts to and from these structs, and the CPU oracle
/// computes on them, so "bit-exact" always means "the same codes, scales and zeros".
///
/// Conventions (used everywhere in this topic):
///   y[M, N] = x[M, K] * W^T,  W is [N, K]: N output features (rows), K input features.
///   INT4 codes are unsigned 0..15; the dequantised weight is scale * (code - zero).
///   Symmetric: zero is the constant 8 (codes 1..15 carry -7..7; code 0 = -8 is legal).
///   Asymmetric: one 4-bit zero point per (group, row), stored one per byte.
///   Groups are `group` consecutive k of one row; scales and zeros are [G][N] (group-major,
///   the GPTQ order), G = ceil(K / group); the last group may be shorter than `group`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace w4a16 {

/// The group size the kernels and the workload use.
inline constexpr int kGroup = 128;

/// Weight formats. `dense` is written "fp16" in workloads: dense 16-bit weights stored in
/// the activation dtype (bf16 weights for a bf16 workload), what cuBLAS multiplies.
enum class WFormat { int4_sym, int4_asym, int8, dense };

std::string_view wfmt_name(WFormat f);             ///< "int4-sym", "int4-asym", "int8", "fp16"
WFormat parse_wfmt(std::string_view name);         ///< throws std::invalid_argument listing valid names
std::vector<std::string> all_wfmt_names();
inline bool is_int4(WFormat f) { return f == WFormat::int4_sym || f == WFormat::int4_asym; }
/// The workload's "group" value: 128 for INT4, 0 for formats without groups (per-channel
/// int8 and dense weights).
inline int workload_group(WFormat f) { return is_int4(f) ? kGroup : 0; }

/// An INT4 matrix, unpacked: one code per byte.
struct Int4Matrix {
  int rows = 0;        ///< N
  int cols = 0;        ///< K
  int group = kGroup;
  bool asym = false;
  std::vector<std::uint8_t> codes;   ///< [N][K], each 0..15
  std::vector<float> scales;         ///< [G][N]; values exactly representable in the scale dtype
  std::vector<std::uint8_t> zeros;   ///< [G][N], each 0..15, when asym; empty when symmetric

  int groups() const { return (cols + group - 1) / group; }
  int zero_point(int g, int n) const { return asym ? zeros[static_cast<std::size_t>(g) * rows + n] : 8; }
  float scale(int g, int n) const { return scales[static_cast<std::size_t>(g) * rows + n]; }
  std::uint8_t code(int n, int k) const { return codes[static_cast<std::size_t>(n) * cols + k]; }
  /// scale * (code - zero), exact in double: the dequantised weight every oracle uses.
  double weight(int n, int k) const {
    const int g = k / group;
    return static_cast<double>(scale(g, n)) * (code(n, k) - zero_point(g, n));
  }
  /// Throws std::invalid_argument when sizes disagree or a code/zero is out of 0..15.
  void validate() const;
};

/// A per-channel INT8 matrix (the W8A16 comparison point): weight = scale[n] * q.
struct Int8Matrix {
  int rows = 0;
  int cols = 0;
  std::vector<std::int8_t> q;   ///< [N][K]
  std::vector<float> scales;    ///< [N]
  double weight(int n, int k) const {
    return static_cast<double>(scales[n]) * q[static_cast<std::size_t>(n) * cols + k];
  }
};

}  // namespace w4a16
