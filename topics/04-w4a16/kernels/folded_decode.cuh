/// @file folded_decode.cuh
/// The "folded" INT4 decode of v10 and v12: one lop3 turns a nibble pair into the magic-number
/// values 128 + q (bf16, exponent 0x4300) or 1024 + q (fp16, 0x6400) and nothing subtracts the
/// offset; the kernel takes kOffset x (sum of the group's x) out of the group's dot product
/// once instead (v10_folded_offset.cu explains why that is exact enough). Symmetric INT4 only:
/// kOffset includes the zero point 8.
#pragma once

#include <cstdint>

#include "kernels/device_common.cuh"
#include "quant/magic.hpp"

#if defined(LABS_BACKEND_CUDA)
namespace w4a16 {

template <class T>
struct FoldedDecode;

template <>
struct FoldedDecode<lab::bf16> {
  static constexpr bool kFolded = true;
  static constexpr float kOffset = 136.0f;  // 128 (0x4300) + the symmetric zero point 8
  __device__ static void decode(std::uint32_t w, std::uint32_t (&b)[4]) {
#pragma unroll
    for (int i = 0; i < 4; ++i) b[i] = lop3_and_or(w >> (4 * i), magic::kLowNibblePair, magic::kBf16Exp128x2);
  }
};

template <>
struct FoldedDecode<lab::f16> {
  static constexpr bool kFolded = true;
  static constexpr float kOffset = 1032.0f;  // 1024 (0x6400) + 8
  __device__ static void decode(std::uint32_t w, std::uint32_t (&b)[4]) {
#pragma unroll
    for (int i = 0; i < 4; ++i) b[i] = lop3_and_or(w >> (4 * i), magic::kLowNibblePair, magic::kF16Exp1024x2);
  }
};

}  // namespace w4a16
#endif
