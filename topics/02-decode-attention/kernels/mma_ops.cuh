/// @file mma_ops.cuh
/// The two device primitives v7's tensor-core body and v8's paged body share (kernels/mma_stream.cuh,
/// kernels/paged_mma.cuh): the m16n8k16 mma with its fp32 -> 16-bit packing per dtype, and the
/// streamed 16-byte K/V load with or without the cache-hint bundle. NVIDIA only (PTX).
#pragma once

#include <cstdint>
#include <cstring>

#include "kernels/common.cuh"

#if LABS_GPU && defined(LABS_BACKEND_CUDA)
namespace decode02 {

/// Per-dtype tensor-core op and packing of two floats into the A/B register format.
template <class T>
struct TileMma;

template <>
struct TileMma<lab::bf16> {
  static __device__ __forceinline__ void mma(float (&d)[4], std::uint32_t a0, std::uint32_t a1, std::uint32_t a2,
                                             std::uint32_t a3, std::uint32_t b0, std::uint32_t b1) {
    asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
  }
  /// lo in the low half (the lower k index), both rounded to nearest even; the rounded
  /// values come back in lo/hi so the caller sums exactly what the mma multiplies.
  static __device__ __forceinline__ std::uint32_t pack(float& lo, float& hi) {
    const __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
    lo = __low2float(h);
    hi = __high2float(h);
    std::uint32_t u;
    memcpy(&u, &h, sizeof(u));
    return u;
  }
};

template <>
struct TileMma<lab::f16> {
  static __device__ __forceinline__ void mma(float (&d)[4], std::uint32_t a0, std::uint32_t a1, std::uint32_t a2,
                                             std::uint32_t a3, std::uint32_t b0, std::uint32_t b1) {
    asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
  }
  static __device__ __forceinline__ std::uint32_t pack(float& lo, float& hi) {
    const __half2 h = __floats2half2_rn(lo, hi);
    lo = __low2float(h);
    hi = __high2float(h);
    std::uint32_t u;
    memcpy(&u, &h, sizeof(u));
    return u;
  }
};

/// One streamed 16-byte load into 4 words, with the cache hints kHint names (LoadHint in
/// kernels/common.cuh): kHintBundle is v7's `ld.global.nc.L1::no_allocate.L2::cache_hint.L2::256B`
/// with an evict_first policy; kHintNone a plain `ld.global.nc`; the other three one part alone.
/// The paged body passes a bool (true = the bundle).
template <int kHint>
__device__ __forceinline__ void ld_stream(std::uint32_t* w, const void* p, std::uint64_t policy) {
  if constexpr (kHint == kHintBundle) {
    asm("ld.global.nc.L1::no_allocate.L2::cache_hint.L2::256B.v4.u32 {%0,%1,%2,%3}, [%4], %5;\n"
        : "=r"(w[0]), "=r"(w[1]), "=r"(w[2]), "=r"(w[3])
        : "l"(p), "l"(policy));
  } else if constexpr (kHint == kHintEvictFirstOnly) {
    asm("ld.global.nc.L2::cache_hint.v4.u32 {%0,%1,%2,%3}, [%4], %5;\n"
        : "=r"(w[0]), "=r"(w[1]), "=r"(w[2]), "=r"(w[3])
        : "l"(p), "l"(policy));
  } else if constexpr (kHint == kHintPrefetch256) {
    (void)policy;
    asm("ld.global.nc.L2::256B.v4.u32 {%0,%1,%2,%3}, [%4];\n" : "=r"(w[0]), "=r"(w[1]), "=r"(w[2]), "=r"(w[3]) : "l"(p));
  } else if constexpr (kHint == kHintNoL1) {
    (void)policy;
    asm("ld.global.nc.L1::no_allocate.v4.u32 {%0,%1,%2,%3}, [%4];\n"
        : "=r"(w[0]), "=r"(w[1]), "=r"(w[2]), "=r"(w[3])
        : "l"(p));
  } else {
    (void)policy;
    asm("ld.global.nc.v4.u32 {%0,%1,%2,%3}, [%4];\n" : "=r"(w[0]), "=r"(w[1]), "=r"(w[2]), "=r"(w[3]) : "l"(p));
  }
}

}  // namespace decode02
#endif
