/// @file split_tail.cuh
/// The split tail of the tensor-core bodies (kernels/mma_stream.cuh: v9, v10, v12-v14, v16;
/// kernels/paged_mma.cuh: v15): how a split block publishes its partial (v9's acq_rel ticket)
/// and how the last block of a (sequence, KV head) merges the partials: online, 8 splits per
/// trip (v12), one warp per head (v13, v14, v15), or through distributed shared memory when the
/// splits form one thread-block cluster (v16). NVIDIA only: inline PTX, 32-lane shuffles,
/// clusters (sm_90).
#pragma once

#include "kernels/split_combine.cuh"
#include "labs/gpu_sync.cuh"

#if LABS_GPU && defined(LABS_BACKEND_CUDA)
#include <cooperative_groups.h>

namespace decode02 {

/// v9's ticket: one `atom.add.acq_rel.gpu` (returns the old count) where v7 brackets a
/// relaxed atomicAdd with two sequentially consistent `__threadfence()`. Shared with topic 04.
using lab::ticket_add_acq_rel;

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

/// v21: up to this many splits, every warp publishes its own partial (4 per split, 16 per
/// (sequence, KV head) at most), so the last block's combine still loads every partial in one
/// round trip (2 float4 per partial per thread, 32 at 16 partials). Above it v21 is v13.
inline constexpr int kMaxWarpPartialSplits = 4;
inline constexpr int kWarpPartialsMax = 4 * kMaxWarpPartialSplits;

/// v21's partial of one warp, slot `part` (= split * 4 + warp), stored straight from the mma
/// fragments with no block merge. The accumulators keep the fragment order, so every store is
/// a float4 and one warp-wide store covers 256 contiguous bytes: lane (g, t < 2) holds, for m-tile
/// i2, dims d = 64 (i2 / 4) + 8 g + 2 (i2 % 4) and d + 1 of heads 2t and 2t + 1, as
/// (h 2t d, h 2t+1 d, h 2t d+1, h 2t+1 d+1) at float4 slot [part][i2][2g + t]. (m, l) of head g
/// go to [part][g][2] from lane (g, 0) after the 4 lanes of group g have summed their l.
__device__ __forceinline__ void store_warp_partial(const SplitArgs& sp, size_t part, int g, int t, float m, float l,
                                                   const float (&o)[8][4]) {
  l += __shfl_xor_sync(0xffffffffu, l, 1);
  l += __shfl_xor_sync(0xffffffffu, l, 2);
  if (t < 2) {
    float* po = sp.partial_o + part * kGqaGroup * kHeadDim + (2 * g + t) * 4;
#pragma unroll
    for (int i2 = 0; i2 < 8; ++i2)
      *reinterpret_cast<float4*>(po + i2 * 64) = make_float4(o[i2][0], o[i2][1], o[i2][2], o[i2][3]);
  }
  if (t == 0 && g < kGqaGroup) *reinterpret_cast<float2*>(sp.partial_ml + (part * kGqaGroup + g) * 2) = make_float2(m, l);
}

/// v21's combine in the last block: thread `tid` owns float4 slot (i2, j) = (tid / 16, tid % 16)
/// of every warp partial, i.e. 2 dims of heads 2t and 2t + 1 (t = j % 2). It loads that slot and
/// the heads' (m, l) of all `parts` partials at once (one L2 round trip), takes the two maxima
/// itself, and writes its 4 outputs: no shuffles, no shared memory, no barrier. Partials are
/// summed in slot order, so the result is the same on every run.
template <class T>
__device__ __forceinline__ void combine_warp_partials(const SplitArgs& sp, size_t bh, int parts, int tid,
                                                      T* out_bh) {
  const int i2 = tid / 16, j = tid % 16, g = j / 2, t = j % 2;
  const float* po = sp.partial_o + bh * parts * kGqaGroup * kHeadDim + i2 * 64 + j * 4;
  const float* pml = sp.partial_ml + bh * parts * kGqaGroup * 2 + 4 * t;  // (m, l) of heads 2t, 2t + 1
  float4 os[kWarpPartialsMax], ml[kWarpPartialsMax];
#pragma unroll
  for (int x = 0; x < kWarpPartialsMax; ++x) {
    if (x < parts) {
      os[x] = load_coherent4(po + static_cast<size_t>(x) * kGqaGroup * kHeadDim);
      ml[x] = load_coherent4(pml + static_cast<size_t>(x) * kGqaGroup * 2);
    }
  }
  float m0 = -INFINITY, m1 = -INFINITY;
#pragma unroll
  for (int x = 0; x < kWarpPartialsMax; ++x)
    if (x < parts) m0 = fmaxf(m0, ml[x].x), m1 = fmaxf(m1, ml[x].z);
  const float u0 = m0 == -INFINITY ? 0.f : m0, u1 = m1 == -INFINITY ? 0.f : m1;  // all masked: weights 0
  float l0 = 0.f, l1 = 0.f;
  float4 acc = make_float4(0.f, 0.f, 0.f, 0.f);
#pragma unroll
  for (int x = 0; x < kWarpPartialsMax; ++x) {
    if (x < parts) {
      const float w0 = ml[x].x == -INFINITY ? 0.f : exp2f(ml[x].x - u0);
      const float w1 = ml[x].z == -INFINITY ? 0.f : exp2f(ml[x].z - u1);
      l0 += w0 * ml[x].y;
      l1 += w1 * ml[x].w;
      acc.x += w0 * os[x].x;
      acc.y += w1 * os[x].y;
      acc.z += w0 * os[x].z;
      acc.w += w1 * os[x].w;
    }
  }
  const int d = 64 * (i2 / 4) + 8 * g + 2 * (i2 % 4);
  T* h0 = out_bh + (2 * t) * kHeadDim + d;
  T* h1 = h0 + kHeadDim;
  const float inv0 = 1.f / l0, inv1 = 1.f / l1;
  h0[0] = Elem<T>::from_float(acc.x * inv0);
  h0[1] = Elem<T>::from_float(acc.z * inv0);
  h1[0] = Elem<T>::from_float(acc.y * inv1);
  h1[1] = Elem<T>::from_float(acc.w * inv1);
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
