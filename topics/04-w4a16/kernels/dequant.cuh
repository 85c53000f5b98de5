/// @file dequant.cuh
/// INT4/INT8 -> float decoders for the CUDA-core GEMV (v2, v3, v4, v6). Each takes one
/// 32-bit word of the PLAIN packing and returns its weights minus the zero point, as exact
/// small integers in fp32 (the group scale is applied later, once per 32 weights).
///
/// Plain word layout (pack.hpp): nibble i (bits 4i..4i+3) is k = k0 + i.
///
///   bit:  31..28 27..24 23..20 19..16 15..12 11..8  7..4   3..0
///         [ k7 ] [ k6 ] [ k5 ] [ k4 ] [ k3 ] [ k2 ] [ k1 ] [ k0 ]
#pragma once

#include "kernels/device_common.cuh"
#include "quant/magic.hpp"

#if LABS_GPU
namespace w4a16 {

/// v2's decoder: shift, mask, integer-to-float convert, subtract. The I2F conversion runs
/// on a quarter-rate pipe (16 lanes/clock/SM on sm_90), which is what v3 removes.
struct Int4Convert {
  static constexpr int kWeightsPerWord = 8;
  struct Zero {
    float z;
  };
  __device__ static Zero zero(int z) { return Zero{static_cast<float>(z)}; }
  __device__ static void decode(std::uint32_t w, Zero z, float (&out)[8]) {
#pragma unroll
    for (int i = 0; i < 8; ++i) out[i] = static_cast<float>(static_cast<int>((w >> (4 * i)) & 0xFu)) - z.z;
  }
};

/// v3's decoder: no conversion instruction. An fp16 with exponent bits 0x64 is 1024 +
/// (its 10-bit mantissa), so OR-ing a nibble into the low mantissa bits of 0x6400 MAKES
/// the half 1024 + q; one half2 subtraction of (1024 + z) leaves q - z, exactly.
///
///   fp16 0x6400 | q :  0 11001 000000 qqqq   = 2^10 * (1 + q/1024) = 1024 + q
///
///   w & 0x000F000F | 0x64006400  ->  half2( 1024 + k0 , 1024 + k4 )     (pair 0)
///   w & 0x00F000F0 | 0x64006400  ->  half2( 1024 + 16 k1, 1024 + 16 k5) (pair 1: the nibble
///        sits 4 bits higher, worth 16x; one fma by 1/16 minus (64 + z) gives k - z, exact)
///   (w >> 8), same two masks     ->  pairs (k2, k6) and (k3, k7)
///
/// Per 8 weights: 1 shift, 4 lop3, 2 HSUB2 + 2 HFMA2, then 8 widenings to fp32. The pairs
/// come out as (k, k+4): the dot product just pairs them with x[k] and x[k+4].
/// Used for bf16 activations too: the integers q - z are exact in fp16 and are widened to
/// fp32 before they meet x, so no bf16 trick is needed on this path (v5's bf16 tensor-core
/// path uses the bf16 twin, exponent 0x4300, see v5_tensor_core.cu).
struct Int4Magic {
  static constexpr int kWeightsPerWord = 8;
  struct Zero {
    std::uint32_t sub;  ///< half2(1024 + z, 1024 + z)
    std::uint32_t add;  ///< half2(-(64 + z), -(64 + z))
  };
  __device__ static Zero zero(int z) {
    return Zero{magic::twice(magic::f16_1024_plus(z)), magic::twice(magic::f16_minus_64_plus(z))};
  }
  __device__ static void decode(std::uint32_t w, Zero z, float (&out)[8]) {
    using namespace magic;
    const __half2 sub = bit_cast<__half2>(z.sub);
    const __half2 add = bit_cast<__half2>(z.add);
    const __half2 sixteenth = bit_cast<__half2>(kF16Sixteenth2);
    const std::uint32_t w8 = w >> 8;
    const __half2 p0 = __hsub2(bit_cast<__half2>(lop3_and_or(w, kLowNibblePair, kF16Exp1024x2)), sub);
    const __half2 p1 = __hfma2(bit_cast<__half2>(lop3_and_or(w, kHighNibblePair, kF16Exp1024x2)), sixteenth, add);
    const __half2 p2 = __hsub2(bit_cast<__half2>(lop3_and_or(w8, kLowNibblePair, kF16Exp1024x2)), sub);
    const __half2 p3 = __hfma2(bit_cast<__half2>(lop3_and_or(w8, kHighNibblePair, kF16Exp1024x2)), sixteenth, add);
    const float2 f0 = __half22float2(p0), f1 = __half22float2(p1), f2 = __half22float2(p2), f3 = __half22float2(p3);
    out[0] = f0.x; out[4] = f0.y;
    out[1] = f1.x; out[5] = f1.y;
    out[2] = f2.x; out[6] = f2.y;
    out[3] = f3.x; out[7] = f3.y;
  }
};

/// v6's INT8 decoder: one byte_perm builds the fp32 2^23 + u directly (byte 0 = u, byte 3 =
/// 0x4B, the exponent of 2^23), one subtraction of 2^23 + 128 leaves q. u = q + 128 comes
/// from flipping the sign bits of the two's-complement bytes.
///
///   fp32 0x4B0000uu = 2^23 * (1 + uu/2^23) = 8388608 + uu
struct Int8Magic {
  static constexpr int kWeightsPerWord = 4;
  struct Zero {};
  __device__ static Zero zero(int) { return Zero{}; }
  __device__ static void decode(std::uint32_t w, Zero, float (&out)[4]) {
    const std::uint32_t u = w ^ 0x80808080u;
#pragma unroll
    for (int i = 0; i < 4; ++i)  // selector: byte 0 <- u.byte[i], bytes 1, 2 <- 0x00, byte 3 <- 0x4B
      out[i] = __uint_as_float(__byte_perm(u, magic::kF32Exp2p23, 0x7540u | static_cast<unsigned>(i))) -
               magic::kF32Int8Bias;
  }
};

}  // namespace w4a16
#endif
