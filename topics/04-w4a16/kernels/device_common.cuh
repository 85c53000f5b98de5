/// @file device_common.cuh
/// Device helpers shared by the versions: element conversions, bit casts, a warp sum and
/// the `lop3` mask-and-merge that the fast dequantisers are built on.
#pragma once

#include <cstdint>
#include <cstring>

#include "labs/gpu.hpp"

#if LABS_GPU
namespace w4a16 {

inline constexpr int kWarp = 32;  // these kernels are written for 32-lane warps (mma.sync, shuffles)

__device__ __forceinline__ float to_f32(lab::f16 v) { return __half2float(v); }
__device__ __forceinline__ float to_f32(lab::bf16 v) { return __bfloat162float(v); }
template <class T> __device__ __forceinline__ T from_f32(float v);
template <> __device__ __forceinline__ lab::f16 from_f32<lab::f16>(float v) { return __float2half_rn(v); }
template <> __device__ __forceinline__ lab::bf16 from_f32<lab::bf16>(float v) { return __float2bfloat16(v); }

/// Widens the low / high 16-bit element of a packed pair (bf16 is the top half of an fp32,
/// so its widening is a shift; fp16 goes through the conversion instruction).
__device__ __forceinline__ float lo_to_f32(std::uint32_t pair, lab::bf16) { return __uint_as_float(pair << 16); }
__device__ __forceinline__ float hi_to_f32(std::uint32_t pair, lab::bf16) { return __uint_as_float(pair & 0xFFFF0000u); }
__device__ __forceinline__ float lo_to_f32(std::uint32_t pair, lab::f16) {
  return __half2float(__ushort_as_half(static_cast<unsigned short>(pair & 0xFFFFu)));
}
__device__ __forceinline__ float hi_to_f32(std::uint32_t pair, lab::f16) {
  return __half2float(__ushort_as_half(static_cast<unsigned short>(pair >> 16)));
}

template <class To, class From>
__device__ __forceinline__ To bit_cast(From v) {  // by value: constexpr host constants stay usable
  static_assert(sizeof(To) == sizeof(From), "bit_cast needs equal sizes");
  To t;
  memcpy(&t, &v, sizeof(To));
  return t;
}

/// (a & mask) | bits in ONE instruction. lop3 evaluates any 3-input boolean function given
/// as an 8-bit truth table; with a = 0xF0, b = 0xCC, c = 0xAA the table of (a & b) | c is
/// (0xF0 & 0xCC) | 0xAA = 0xEA.
__device__ __forceinline__ std::uint32_t lop3_and_or(std::uint32_t a, std::uint32_t mask, std::uint32_t bits) {
#if defined(LABS_BACKEND_CUDA)
  std::uint32_t r;
  asm("lop3.b32 %0, %1, %2, %3, 0xEA;" : "=r"(r) : "r"(a), "r"(mask), "r"(bits));
  return r;
#else
  return (a & mask) | bits;
#endif
}

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = kWarp / 2; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

/// A read that bypasses the (non-coherent) L1: for partial sums written by other blocks.
__device__ __forceinline__ float load_coherent(const float* p) { return *reinterpret_cast<const volatile float*>(p); }

__device__ __forceinline__ uint4 load16(const void* p) { return *reinterpret_cast<const uint4*>(p); }

}  // namespace w4a16
#endif
