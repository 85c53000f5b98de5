/// @file gelu_math.cuh
/// Device pieces the fused versions share: the fp32 GELU, element conversions for the three
/// storage types, 16-byte packs, and the dtype -> C++ type dispatch.
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "labs/dtype.hpp"
#include "labs/gpu.hpp"

#if LABS_GPU
namespace gelu {

/// The tanh-approximation GELU in fp32, rewritten with 0.5 (1 + tanh(u)) = 1 / (1 + e^(-2u)):
///   gelu(x) = x / (1 + exp(-2u)),  u = sqrt(2/pi) x (1 + 0.044715 x^2)
/// Why this form: one hardware exp2 and one reciprocal instead of tanhf's longer sequence
/// (the bf16 kernel has ~25 instructions per element before it stops being memory-bound),
/// and no cancellation: for negative x the seed's 1 + tanh(u) subtracts two numbers near 1,
/// while exp(-2u) grows and x / (1 + big) stays accurate. Limits: exp overflows to inf for
/// x < about -9.5 and __fdividef then returns 0, the correctly rounded answer in every
/// storage type (|gelu(x)| < 1e-37 there). NaN in, NaN out.
__device__ __forceinline__ float gelu_fast(float x) {
  constexpr float kMinusTwoSqrt2OverPi = -1.5957691216057308f;  // -2 sqrt(2/pi)
  constexpr float kCubic = 0.044715f;
  const float minus_two_u = kMinusTwoSqrt2OverPi * x * fmaf(kCubic, x * x, 1.0f);
  return __fdividef(x, 1.0f + __expf(minus_two_u));
}

template <class T> __device__ __forceinline__ float to_f32(T v);
template <> __device__ __forceinline__ float to_f32<float>(float v) { return v; }
template <> __device__ __forceinline__ float to_f32<lab::bf16>(lab::bf16 v) { return __bfloat162float(v); }
template <> __device__ __forceinline__ float to_f32<lab::f16>(lab::f16 v) { return __half2float(v); }

/// Round-to-nearest-even into the storage type (the host's lab::round_to does the same).
template <class T> __device__ __forceinline__ T from_f32(float v);
template <> __device__ __forceinline__ float from_f32<float>(float v) { return v; }
template <> __device__ __forceinline__ lab::bf16 from_f32<lab::bf16>(float v) { return __float2bfloat16(v); }
template <> __device__ __forceinline__ lab::f16 from_f32<lab::f16>(float v) { return __float2half_rn(v); }

/// 16 bytes of T: 4 floats or 8 halves. Loaded and stored as one uint4 so the compiler
/// emits a single 128-bit LDG/STG (the point of v3).
template <class T>
struct alignas(16) Pack16 {
  static constexpr int kCount = 16 / static_cast<int>(sizeof(T));
  T v[kCount];
};

/// p must be 16-byte aligned.
template <class T>
__device__ __forceinline__ Pack16<T> load16(const T* p) {
  const uint4 raw = *reinterpret_cast<const uint4*>(p);
  Pack16<T> out;
  memcpy(&out, &raw, sizeof raw);
  return out;
}

/// p must be 16-byte aligned.
template <class T>
__device__ __forceinline__ void store16(T* p, const Pack16<T>& v) {
  uint4 raw;
  memcpy(&raw, &v, sizeof raw);
  *reinterpret_cast<uint4*>(p) = raw;
}

/// Bytes past the last 16-byte boundary (0 when aligned).
inline std::uintptr_t misalignment16(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 16; }

template <class T> struct TypeTag { using type = T; };

/// Calls f(TypeTag<float>{}), f(TypeTag<bf16>{}) or f(TypeTag<f16>{}) for the dtype.
template <class F>
void dispatch_dtype(lab::DType t, F&& f) {
  switch (t) {
    case lab::DType::f32: f(TypeTag<float>{}); return;
    case lab::DType::bf16: f(TypeTag<lab::bf16>{}); return;
    case lab::DType::f16: f(TypeTag<lab::f16>{}); return;
  }
  throw std::invalid_argument("gelu: unknown dtype");
}

inline constexpr int kBlockThreads = 256;

/// ceil(a / b) for a grid size, refusing grids the hardware cannot launch.
inline unsigned grid_for(std::size_t work, std::size_t per_block) {
  const std::size_t blocks = (work + per_block - 1) / per_block;
  if (blocks > 0x7fffffffull) throw std::invalid_argument("gelu: problem too large for a 1-D grid");
  return static_cast<unsigned>(blocks == 0 ? 1 : blocks);
}

}  // namespace gelu
#endif
