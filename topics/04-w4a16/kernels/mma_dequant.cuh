/// @file mma_dequant.cuh
/// The tensor-core decoders of v5, v7 and v8: one 32-bit word of the tiled packing
/// (quant/tiled_layout.hpp) becomes the four B-fragment registers of two mma.sync.m16n8k16
/// k-steps, and `mma` issues one such step. One copy, so the three versions differ only in
/// how they feed it.
///
///   fp16:  w & 0x000F000F | 0x64006400 -> half2(1024 + q0, 1024 + q4);  - (1024 + z) -> q - z
///          (pairs 1 and 3 via the 0x00F000F0 mask and an fma by 1/16, as in v3)
///   bf16:  w & 0x000F000F | 0x43004300 -> bf162(128 + q0, 128 + q4);    - (128 + z)  -> q - z
///          bf16 has 7 mantissa bits, so 0x4300 = 128.0 (exponent 2^7) and 128 + q, q < 16,
///          is exact; the 0x00F0 trick would need 8 mantissa bits, so bf16 shifts by 4 instead
///
/// B holds the exact integers q - z; the caller multiplies the group scale into the fp32
/// accumulator, so no weight is ever rounded to 16 bits.
#pragma once

#include <cstdint>
#include <type_traits>

#include "kernels/device_common.cuh"
#include "quant/magic.hpp"
#include "w4a16.hpp"

#if defined(LABS_BACKEND_CUDA)
namespace w4a16 {

template <class T>
struct MmaDequant;

template <>
struct MmaDequant<lab::f16> {
  struct Zero {
    std::uint32_t sub, add;
  };
  __device__ static Zero zero(int z) {
    return Zero{magic::twice(magic::f16_1024_plus(z)), magic::twice(magic::f16_minus_64_plus(z))};
  }
  /// b[0], b[1]: the registers of k-step 2j; b[2], b[3]: of step 2j + 1 (pairs 0..3 of the word).
  __device__ static void decode(std::uint32_t w, Zero z, std::uint32_t (&b)[4]) {
    using namespace magic;
    const __half2 sub = bit_cast<__half2>(z.sub), add = bit_cast<__half2>(z.add);
    const __half2 sixteenth = bit_cast<__half2>(kF16Sixteenth2);
    const std::uint32_t w8 = w >> 8;
    b[0] = bit_cast<std::uint32_t>(__hsub2(bit_cast<__half2>(lop3_and_or(w, kLowNibblePair, kF16Exp1024x2)), sub));
    b[1] = bit_cast<std::uint32_t>(
        __hfma2(bit_cast<__half2>(lop3_and_or(w, kHighNibblePair, kF16Exp1024x2)), sixteenth, add));
    b[2] = bit_cast<std::uint32_t>(__hsub2(bit_cast<__half2>(lop3_and_or(w8, kLowNibblePair, kF16Exp1024x2)), sub));
    b[3] = bit_cast<std::uint32_t>(
        __hfma2(bit_cast<__half2>(lop3_and_or(w8, kHighNibblePair, kF16Exp1024x2)), sixteenth, add));
  }
  __device__ static void mma(float (&c)[4], const std::uint32_t (&a)[4], std::uint32_t b0, std::uint32_t b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }
};

template <>
struct MmaDequant<lab::bf16> {
  struct Zero {
    std::uint32_t sub;
  };
  __device__ static Zero zero(int z) { return Zero{magic::twice(magic::bf16_128_plus(z))}; }
  __device__ static void decode(std::uint32_t w, Zero z, std::uint32_t (&b)[4]) {
    const __nv_bfloat162 sub = bit_cast<__nv_bfloat162>(z.sub);
#pragma unroll
    for (int i = 0; i < 4; ++i)  // pair i = nibbles i and i + 4: 0x4300 | q = 128 + q, exact
      b[i] = bit_cast<std::uint32_t>(__hsub2(
          bit_cast<__nv_bfloat162>(lop3_and_or(w >> (4 * i), magic::kLowNibblePair, magic::kBf16Exp128x2)), sub));
  }
  __device__ static void mma(float (&c)[4], const std::uint32_t (&a)[4], std::uint32_t b0, std::uint32_t b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }
};

/// Word j (0..3) of a 16-byte load: the two k-steps 2j, 2j + 1 of the lane's column.
__device__ __forceinline__ std::uint32_t word_of(const uint4& v, int j) {
  return j == 0 ? v.x : j == 1 ? v.y : j == 2 ? v.z : v.w;
}

/// Calls build(T{}, asym, rows_above_8) with the three compile-time choices every tensor-core
/// version is instantiated on: the activation type, a zero point or not, and whether rows 8..15
/// of the A fragment are live (M > 8).
template <class Build>
void dispatch_mma_kernel(const Problem& p, Build&& build) {
  auto with_rows = [&](auto tag_t, auto asym_c) {
    if (p.M > 8) build(tag_t, asym_c, std::true_type{});
    else build(tag_t, asym_c, std::false_type{});
  };
  auto with_asym = [&](auto tag_t) {
    if (p.wfmt == WFormat::int4_asym) with_rows(tag_t, std::true_type{});
    else with_rows(tag_t, std::false_type{});
  };
  if (p.dtype == lab::DType::bf16) with_asym(lab::bf16{});
  else with_asym(lab::f16{});
}

}  // namespace w4a16
#endif
