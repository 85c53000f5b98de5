/// @file magic.hpp
/// The bit patterns of the dequantisation tricks (see kernels/dequant.cuh and
/// kernels/v5_tensor_core.cu), in one place that host code can test: each constant is the
/// 16- or 32-bit encoding of a number the decoders rely on.
#pragma once

#include <cstdint>

#include "quant/tiled_layout.hpp"  // W4A16_HD

namespace w4a16::magic {

inline constexpr std::uint32_t kLowNibblePair = 0x000F000Fu;   ///< nibble i and i+4 of a word, in two halves
inline constexpr std::uint32_t kHighNibblePair = 0x00F000F0u;  ///< the next nibble of each half (worth 16x)
inline constexpr std::uint32_t kF16Exp1024x2 = 0x64006400u;    ///< half2(1024, 1024): 0 11001 0000000000
inline constexpr std::uint32_t kF16Sixteenth2 = 0x2C002C00u;   ///< half2(1/16, 1/16): 0 01011 0000000000
inline constexpr std::uint32_t kBf16Exp128x2 = 0x43004300u;    ///< bf162(128, 128): 0 10000110 0000000
inline constexpr std::uint32_t kF32Exp2p23 = 0x4B000000u;      ///< 2^23 (top byte of the fp32 8388608.0)
inline constexpr float kF32Int8Bias = 8388736.0f;              ///< 2^23 + 128

/// fp16 bits of 1024 + z (ulp at 1024 is 1), z in 0..15.
W4A16_HD constexpr std::uint16_t f16_1024_plus(int z) { return static_cast<std::uint16_t>(0x6400u | static_cast<unsigned>(z)); }
/// fp16 bits of -(64 + z) (ulp at 64 is 1/16, so z sits 4 bits up), z in 0..15.
W4A16_HD constexpr std::uint16_t f16_minus_64_plus(int z) {
  return static_cast<std::uint16_t>(0xD400u | (static_cast<unsigned>(z) << 4));
}
/// bf16 bits of 128 + z (ulp at 128 is 1), z in 0..15.
W4A16_HD constexpr std::uint16_t bf16_128_plus(int z) { return static_cast<std::uint16_t>(0x4300u | static_cast<unsigned>(z)); }
/// Both halves of a packed pair.
W4A16_HD constexpr std::uint32_t twice(std::uint16_t h) { return static_cast<std::uint32_t>(h) * 0x00010001u; }

}  // namespace w4a16::magic
