/// @file common.cuh
/// Device helpers the versions share: 16-byte loads, unpacking bf16/fp16 pairs to float,
/// warp and block reductions, and the dtype dispatch. No kernel lives here.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "decode.hpp"
#include "labs/device_buffer.hpp"

#if LABS_GPU
namespace decode02 {

inline constexpr float kLog2e = 1.4426950408889634f;
inline constexpr float kNegInf = -__builtin_huge_valf();

/// Per-dtype conversions. `pair` widens two packed 16-bit elements (element 0 in the low
/// half, as they sit in memory on a little-endian GPU).
template <class T>
struct Elem;

template <>
struct Elem<lab::bf16> {
  static __device__ __forceinline__ float2 pair(std::uint32_t bits) {
    // bf16 is the top half of an fp32: widening is a shift, exact.
    return make_float2(__uint_as_float(bits << 16), __uint_as_float(bits & 0xffff0000u));
  }
  static __device__ __forceinline__ float to_float(lab::bf16 x) { return __bfloat162float(x); }
  static __device__ __forceinline__ lab::bf16 from_float(float x) { return __float2bfloat16(x); }  // RNE
};

template <>
struct Elem<lab::f16> {
  static __device__ __forceinline__ float2 pair(std::uint32_t bits) {
    const __half lo = __ushort_as_half(static_cast<unsigned short>(bits & 0xffffu));
    const __half hi = __ushort_as_half(static_cast<unsigned short>(bits >> 16));
    return make_float2(__half2float(lo), __half2float(hi));
  }
  static __device__ __forceinline__ float to_float(lab::f16 x) { return __half2float(x); }
  static __device__ __forceinline__ lab::f16 from_float(float x) { return __float2half_rn(x); }
};

/// 8 elements (one 16-byte chunk) widened to float.
template <class T>
__device__ __forceinline__ void unpack8(const uint4& raw, float (&f)[8]) {
  const float2 a = Elem<T>::pair(raw.x), b = Elem<T>::pair(raw.y);
  const float2 c = Elem<T>::pair(raw.z), d = Elem<T>::pair(raw.w);
  f[0] = a.x, f[1] = a.y, f[2] = b.x, f[3] = b.y, f[4] = c.x, f[5] = c.y, f[6] = d.x, f[7] = d.y;
}

/// One 16-byte read-only load (LDG.E.128 through the non-coherent path on NVIDIA).
__device__ __forceinline__ uint4 load16(const void* p) {
#if defined(LABS_BACKEND_CUDA)
  return __ldg(reinterpret_cast<const uint4*>(p));
#else
  return *reinterpret_cast<const uint4*>(p);
#endif
}

/// A load that must see another block's stores (after a __threadfence on both sides): it
/// goes to L2, never to a possibly stale L1 line.
__device__ __forceinline__ float load_coherent(const float* p) {
#if defined(LABS_BACKEND_CUDA)
  return __ldcg(p);
#else
  return *reinterpret_cast<const volatile float*>(p);
#endif
}

/// 16 bytes with the same visibility rule as load_coherent (p 16-byte aligned).
__device__ __forceinline__ float4 load_coherent4(const float* p) {
#if defined(LABS_BACKEND_CUDA)
  return __ldcg(reinterpret_cast<const float4*>(p));
#else
  const volatile float* v = p;
  return make_float4(v[0], v[1], v[2], v[3]);
#endif
}

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = lab::kWarpSize / 2; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
  for (int o = lab::kWarpSize / 2; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

/// Sum over the 16 lanes of an aligned lane group (xor offsets below 16 stay inside it,
/// on 32- and 64-wide warps alike). Every lane of the group gets the total.
__device__ __forceinline__ float group16_sum(float v) {
  v += __shfl_xor_sync(0xffffffffu, v, 8);
  v += __shfl_xor_sync(0xffffffffu, v, 4);
  v += __shfl_xor_sync(0xffffffffu, v, 2);
  v += __shfl_xor_sync(0xffffffffu, v, 1);
  return v;
}

/// Block-wide max or sum; every thread gets the result. `red` holds one float per warp.
/// The leading barrier lets two calls share `red` back to back.
template <bool kMax>
__device__ __forceinline__ float block_reduce(float v, float* red) {
  v = kMax ? warp_max(v) : warp_sum(v);
  const int warp = threadIdx.x / lab::kWarpSize, lane = threadIdx.x % lab::kWarpSize;
  const int warps = (blockDim.x + lab::kWarpSize - 1) / lab::kWarpSize;
  __syncthreads();
  if (lane == 0) red[warp] = v;
  __syncthreads();
  float r = red[0];
  for (int i = 1; i < warps; ++i) r = kMax ? fmaxf(r, red[i]) : r + red[i];
  return r;
}

template <class T>
struct TypeTag {
  using type = T;
};

/// Calls f(TypeTag<T>{}) with T the element type named by `t`.
template <class F>
void dispatch_dtype(lab::DType t, F&& f) {
  if (t == lab::DType::bf16) f(TypeTag<lab::bf16>{});
  else if (t == lab::DType::f16) f(TypeTag<lab::f16>{});
  else throw std::invalid_argument("decode attention kernels take fp16 or bf16");
}

/// 1/sqrt(D) with log2(e) folded in, so the kernels can use exp2.
inline float softmax_scale_log2(int D) { return kLog2e / std::sqrt(static_cast<float>(D)); }

/// The cache hints on the K/V loads of v7-v11 (ld_stream in kernels/mma_ops.cuh). kHintBundle is
/// v7's: L1::no_allocate + the L2::256B prefetch + an L2 evict_first policy. The next three are
/// one part of the bundle alone, for the A/B that asks which part costs (README exercise 8).
enum LoadHint : int { kHintNone = 0, kHintBundle = 1, kHintPrefetch256 = 2, kHintNoL1 = 3, kHintEvictFirstOnly = 4 };
inline constexpr int kLoadHints = 5;

/// The name a journal row carries in details.l2_hint, and that DECODE02_V7_L2_HINT takes.
inline const char* load_hint_name(int hint) {
  static const char* const names[kLoadHints] = {"normal", "evict_first", "prefetch_256B", "no_l1_allocate",
                                                "evict_first_only"};
  return names[hint];
}

/// The hint a version runs with: its own default (v7, v8, v9: kHintBundle; v10, v11: none), or
/// DECODE02_V7_L2_HINT set to one of the names above, for an A/B on the same binary. An unknown
/// name is an error.
inline int l2_hint(int version_default) {
  const char* e = std::getenv("DECODE02_V7_L2_HINT");
  if (!e || !*e) return version_default;
  for (int h = 0; h < kLoadHints; ++h)
    if (std::strcmp(e, load_hint_name(h)) == 0) return h;
  throw std::invalid_argument(std::string("DECODE02_V7_L2_HINT=") + e +
                              ": expected normal, evict_first, prefetch_256B, no_l1_allocate or evict_first_only");
}

/// The paged body (v8, v11) is compiled with the bundle or nothing: normal or evict_first only.
inline bool l2_evict_first(bool version_default) {
  const int hint = l2_hint(version_default ? kHintBundle : kHintNone);
  if (hint != kHintNone && hint != kHintBundle)
    throw std::invalid_argument(std::string("the paged versions take DECODE02_V7_L2_HINT=normal or evict_first, not ") +
                                load_hint_name(hint));
  return hint == kHintBundle;
}

}  // namespace decode02
#endif
