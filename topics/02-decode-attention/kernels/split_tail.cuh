/// @file split_tail.cuh
/// The split tail of the tensor-core bodies (kernels/mma_stream.cuh: v9, v10, v12-v14;
/// kernels/paged_mma.cuh: v15): how a split block publishes its partial (v9's acq_rel ticket)
/// and how the last block of a (sequence, KV head) merges the partials one warp per head
/// (v13's combine). NVIDIA only: inline PTX and 32-lane shuffles.
#pragma once

#include "kernels/split_combine.cuh"

#if LABS_GPU && defined(LABS_BACKEND_CUDA)
namespace decode02 {

/// v9's ticket: one `atom.add.acq_rel.gpu` (returns the old count) where v7 brackets a
/// relaxed atomicAdd with two sequentially consistent `__threadfence()`.
__device__ __forceinline__ unsigned ticket_add_acq_rel(unsigned* counter) {
  unsigned old;
  asm volatile("atom.add.acq_rel.gpu.global.u32 %0, [%1], 1;\n" : "=r"(old) : "l"(counter) : "memory");
  return old;
}

/// v13's combine: warp h merges head h; lane i holds dims 4i..4i+3. The first kWarpChunk
/// splits' accumulators are loaded before the (m, l) pairs (they do not depend on the max), so
/// up to 16 splits take one L2 round trip and 32 take two; the max is a warp reduction over
/// lane-strided (m, l) loads and every split's weight is computed at once by its own lane
/// (broadcast with a shuffle), so there is no serial rescale chain (v12's cost at 32 splits).
inline constexpr int kWarpChunk = 16;

__device__ __forceinline__ void combine_warp_per_head(const SplitArgs& sp, size_t bh, int h, int lane, float& l_all,
                                                      float4& acc) {
  const float* ml = sp.partial_ml + (bh * sp.splits * kGqaGroup + h) * 2;  // split x at ml + x * G * 2
  const float* po = sp.partial_o + (bh * sp.splits * kGqaGroup + h) * kHeadDim + lane * 4;
  constexpr size_t kMlStride = kGqaGroup * 2, kOStride = kGqaGroup * kHeadDim;
  float4 os[kWarpChunk];
#pragma unroll
  for (int j = 0; j < kWarpChunk; ++j)
    if (j < sp.splits) os[j] = load_coherent4(po + j * kOStride);
  // Lane x holds split x's (m, l) for the first 32 splits; more splits only feed the max here.
  float m_lane = -INFINITY, l_lane = 0.f;
  if (lane < sp.splits) {
    m_lane = load_coherent(ml + lane * kMlStride);
    l_lane = load_coherent(ml + lane * kMlStride + 1);
  }
  float m_all = m_lane;
  for (int x = lane + 32; x < sp.splits; x += 32) m_all = fmaxf(m_all, load_coherent(ml + x * kMlStride));
  m_all = warp_max(m_all);
  const float m_use = m_all == -INFINITY ? 0.f : m_all;  // all masked: weights 0, never NaN
  l_all = 0.f;
  acc = make_float4(0.f, 0.f, 0.f, 0.f);
  for (int x0 = 0; x0 < sp.splits; x0 += 32) {
    if (x0 > 0) {  // splits 32..: this chunk's (m, l), one per lane
      m_lane = -INFINITY, l_lane = 0.f;
      if (x0 + lane < sp.splits) {
        m_lane = load_coherent(ml + (x0 + lane) * kMlStride);
        l_lane = load_coherent(ml + (x0 + lane) * kMlStride + 1);
      }
    }
    const float w_lane = m_lane == -INFINITY ? 0.f : exp2f(m_lane - m_use);
    l_all += w_lane * l_lane;
    for (int j0 = 0; j0 < 32 && x0 + j0 < sp.splits; j0 += kWarpChunk) {
      if (x0 + j0 > 0) {  // the first chunk was loaded before the max
#pragma unroll
        for (int j = 0; j < kWarpChunk; ++j)
          if (x0 + j0 + j < sp.splits) os[j] = load_coherent4(po + (x0 + j0 + j) * kOStride);
      }
#pragma unroll
      for (int j = 0; j < kWarpChunk; ++j) {
        const float w = __shfl_sync(0xffffffffu, w_lane, j0 + j);
        if (x0 + j0 + j < sp.splits) {
          acc.x += w * os[j].x;
          acc.y += w * os[j].y;
          acc.z += w * os[j].z;
          acc.w += w * os[j].w;
        }
      }
    }
  }
  l_all = warp_sum(l_all);
}

/// The last block's output for 4 dims of one head (acc / l_all), and the ticket's reset for the
/// next launch by one thread (`resets`).
template <class T>
__device__ __forceinline__ void store_combined(T* dst, float4 acc, float l_all, unsigned* counter, bool resets) {
  const float inv = 1.f / l_all;
  dst[0] = Elem<T>::from_float(acc.x * inv);
  dst[1] = Elem<T>::from_float(acc.y * inv);
  dst[2] = Elem<T>::from_float(acc.z * inv);
  dst[3] = Elem<T>::from_float(acc.w * inv);
  if (resets) *counter = 0u;  // ready for the next launch
}

}  // namespace decode02
#endif
