/// @file split_tail.cuh
/// The split tail of the tensor-core bodies (kernels/mma_stream.cuh: v9, v10, v12-v14, v16;
/// kernels/paged_mma.cuh: v15): how a split block publishes its partial (v9's acq_rel ticket)
/// and how the last block of a (sequence, KV head) merges the partials: online, 8 splits per
/// trip (v12), one warp per head (v13, v14, v15), or through distributed shared memory when the
/// splits form one thread-block cluster (v16). NVIDIA only: inline PTX, 32-lane shuffles,
/// clusters (sm_90).
#pragma once

#include "kernels/split_combine.cuh"

#if LABS_GPU && defined(LABS_BACKEND_CUDA)
#include <cooperative_groups.h>

namespace decode02 {

/// v9's ticket: one `atom.add.acq_rel.gpu` (returns the old count) where v7 brackets a
/// relaxed atomicAdd with two sequentially consistent `__threadfence()`.
__device__ __forceinline__ unsigned ticket_add_acq_rel(unsigned* counter) {
  unsigned old;
  asm volatile("atom.add.acq_rel.gpu.global.u32 %0, [%1], 1;\n" : "=r"(old) : "l"(counter) : "memory");
  return old;
}

/// v12's combine: the (m, l) pair and the 4 accumulators of this many splits are loaded before
/// any is used (8 x (2 + 4) floats in registers), so a combine of up to 8 splits is one L2 round
/// trip and one of 32 splits four, against v10's 1 + ceil(splits / 16).
inline constexpr int kCombineChunk = 8;

/// The last block's merge of every split's partial, for head h and dims c..c+3, in one pass:
/// each chunk's loads are issued together, then folded into a running (max, sum, acc) with the
/// usual rescale. Splits are folded in order, so the result is the same on every run.
/// A split whose max is -inf (only masked keys) has weight 0 and is skipped.
__device__ __forceinline__ void combine_one_trip(const SplitArgs& sp, size_t bh, int h, int c, float& l_all,
                                                 float4& acc) {
  const float* ml = sp.partial_ml + (bh * sp.splits * kGqaGroup + h) * 2;
  const float* po = sp.partial_o + (bh * sp.splits * kGqaGroup + h) * kHeadDim + c;
  float m_all = -INFINITY;
  l_all = 0.f;
  acc = make_float4(0.f, 0.f, 0.f, 0.f);
  for (int x0 = 0; x0 < sp.splits; x0 += kCombineChunk) {
    float ms[kCombineChunk], ls[kCombineChunk];
    float4 os[kCombineChunk];
#pragma unroll
    for (int j = 0; j < kCombineChunk; ++j) {
      if (x0 + j < sp.splits) {
        const size_t x = static_cast<size_t>(x0 + j);
        ms[j] = load_coherent(ml + x * kGqaGroup * 2);
        ls[j] = load_coherent(ml + x * kGqaGroup * 2 + 1);
        os[j] = load_coherent4(po + x * kGqaGroup * kHeadDim);
      }
    }
#pragma unroll
    for (int j = 0; j < kCombineChunk; ++j) {
      if (x0 + j >= sp.splits || ms[j] == -INFINITY) continue;
      const float m_new = fmaxf(m_all, ms[j]);
      const float a = exp2f(m_all - m_new);  // 0 while m_all is -inf (nothing folded yet)
      const float w = exp2f(ms[j] - m_new);
      l_all = l_all * a + w * ls[j];
      acc.x = acc.x * a + w * os[j].x;
      acc.y = acc.y * a + w * os[j].y;
      acc.z = acc.z * a + w * os[j].z;
      acc.w = acc.w * a + w * os[j].w;
      m_all = m_new;
    }
  }
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

/// The largest split count v16 runs as one cluster: 8, the portable cluster size (larger needs
/// cudaFuncAttributeNonPortableClusterSizeAllowed and fits fewer clusters at once).
inline constexpr int kMaxClusterSplits = 8;

/// v16's tail: the `splits` blocks of one (sequence, KV head) are one thread-block cluster
/// (splits, 1, 1), rank = split. Each block leaves its warp-merged (m, l) and accumulators for
/// the 4 heads in its own shared memory (`smem`, >= G * D + 2 * G floats) and, after one cluster
/// barrier (release/acquire at cluster scope), rank 0 reads every rank's through distributed
/// shared memory, merges them in rank order and writes the output. No global partials, no
/// ticket, no L2 round trip; the second barrier keeps every block's shared memory alive until
/// rank 0 has read it. Thread d holds dimension d of the 4 heads (M, L, A from merge_partials).
template <class T>
__device__ __forceinline__ void cluster_combine(float* smem, const float (&M)[kGqaGroup], const float (&L)[kGqaGroup],
                                                const float (&A)[kGqaGroup], int d, T* out_bh, int splits) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  namespace cg = cooperative_groups;
  cg::cluster_group cluster = cg::this_cluster();
  float* s_acc = smem;                         // [G][D]
  float* s_ml = smem + kGqaGroup * kHeadDim;   // [G][2]
  __syncthreads();  // every thread is done reading the warp merge's scratch
#pragma unroll
  for (int h = 0; h < kGqaGroup; ++h) {
    s_acc[h * kHeadDim + d] = A[h];
    if (d == h) {
      s_ml[2 * h] = M[h];
      s_ml[2 * h + 1] = L[h];
    }
  }
  cluster.sync();
  if (cluster.block_rank() == 0) {
    float rm[kMaxClusterSplits][kGqaGroup], rl[kMaxClusterSplits][kGqaGroup], ra[kMaxClusterSplits][kGqaGroup];
#pragma unroll
    for (int r = 0; r < kMaxClusterSplits; ++r) {
      if (r < splits) {  // every rank's loads issued before any is used
        const float* rs = cluster.map_shared_rank(smem, r);
#pragma unroll
        for (int h = 0; h < kGqaGroup; ++h) {
          rm[r][h] = rs[kGqaGroup * kHeadDim + 2 * h];
          rl[r][h] = rs[kGqaGroup * kHeadDim + 2 * h + 1];
          ra[r][h] = rs[h * kHeadDim + d];
        }
      }
    }
#pragma unroll
    for (int h = 0; h < kGqaGroup; ++h) {
      float m_all = -INFINITY;
#pragma unroll
      for (int r = 0; r < kMaxClusterSplits; ++r)
        if (r < splits) m_all = fmaxf(m_all, rm[r][h]);
      const float m_use = m_all == -INFINITY ? 0.f : m_all;
      float l_all = 0.f, acc = 0.f;
#pragma unroll
      for (int r = 0; r < kMaxClusterSplits; ++r) {
        if (r < splits) {
          const float w = rm[r][h] == -INFINITY ? 0.f : exp2f(rm[r][h] - m_use);
          l_all += w * rl[r][h];
          acc += w * ra[r][h];
        }
      }
      out_bh[h * kHeadDim + d] = Elem<T>::from_float(acc / l_all);
    }
  }
  cluster.sync();
#else
  (void)smem, (void)M, (void)L, (void)A, (void)d, (void)out_bh, (void)splits;
  __trap();  // v16 refuses to prepare below compute capability 9.0
#endif
}

}  // namespace decode02
#endif
