/// @file gqa_body.cuh
/// The GQA-aware decode body shared by v3 (one split), v4 (split-K) and v6 (paged KV).
///
/// A block serves one (sequence, KV head, split) and all G = 4 query heads that read that
/// KV head, so each K and V byte is loaded once per step instead of once per query head.
/// 128 threads form 8 groups of 16 lanes; a lane owns 8 of the 128 dims (one 16-byte
/// chunk), so a group reads a whole 256-byte row with one load instruction. Each group walks
/// its own keys (tile i, slot j: key begin + 32 i + 8 j + group) with 4 rows of K and 4 of V
/// in flight, keeps its own online-softmax state for the 4 heads, and the groups merge at
/// the end (split_combine.cuh). The loop is software-pipelined across iterations: the next
/// tile's K loads are issued right after this tile's scores, its V loads right after this
/// tile's P.V, so a lane almost always has 8 x 16 B outstanding.
///
/// The KV addressing is a policy: contiguous [B, Hkv, S_alloc, D] or paged pools
/// [pages, Hkv, P, D] behind a block table. Both return a 32-bit row index (a row is 256 B,
/// so 2^32 rows would be 1 TiB: no overflow on any GPU).
#pragma once

#include "kernels/split_combine.cuh"

#if LABS_GPU
namespace decode02 {

template <class T>
struct ContiguousKV {
  const T* k;
  const T* v;
  int s_alloc;
  int hkv;
  __device__ __forceinline__ unsigned row(int b, int kvh, int t) const {
    return (static_cast<unsigned>(b) * hkv + kvh) * static_cast<unsigned>(s_alloc) + t;
  }
};

template <class T>
struct PagedKV {
  const T* k;  ///< [pages, Hkv, P, D]
  const T* v;
  const int* table;  ///< [B, max_pages]
  int max_pages;
  int page_shift;  ///< log2(P)
  int hkv;
  __device__ __forceinline__ unsigned row(int b, int kvh, int t) const {
#if defined(LABS_BACKEND_CUDA)
    const int page = __ldg(table + static_cast<size_t>(b) * max_pages + (t >> page_shift));
#else
    const int page = table[static_cast<size_t>(b) * max_pages + (t >> page_shift)];
#endif
    return ((static_cast<unsigned>(page) * hkv + kvh) << page_shift) + (t & ((1 << page_shift) - 1));
  }
};

/// Rows of this group's 4 keys of one tile (0 for keys past `end`, never dereferenced).
template <class KV>
__device__ __forceinline__ void tile_rows(unsigned (&rows)[kKeysPerGroup], const KV& kv, int b, int kvh, int first,
                                          int end) {
#pragma unroll
  for (int j = 0; j < kKeysPerGroup; ++j) {
    const int t = first + j * kKeyGroups;
    rows[j] = t < end ? kv.row(b, kvh, t) : 0u;
  }
}

/// This lane's 16-byte chunk of each of the group's 4 rows; zeros for keys past `end`, so
/// a masked key contributes 0 * 0, never 0 * NaN from an unwritten cache slot.
template <class T>
__device__ __forceinline__ void load_chunks(uint4 (&r)[kKeysPerGroup], const T* base, const unsigned (&rows)[kKeysPerGroup],
                                            int first, int end, int lane16) {
#pragma unroll
  for (int j = 0; j < kKeysPerGroup; ++j) {
    const int t = first + j * kKeyGroups;
    r[j] = t < end ? load16(base + static_cast<size_t>(rows[j]) * kHeadDim + lane16 * 8) : make_uint4(0u, 0u, 0u, 0u);
  }
}

/// 4 registers per thread are the difference between 3 and 4 resident blocks per SM; the
/// bound asks the compiler for at most 128 registers so that 4 fit.
template <class T, class KV>
__global__ void __launch_bounds__(kThreads, 4)
    gqa_decode_kernel(const T* __restrict__ q, KV kv, T* __restrict__ out, int S, int Hq, int Hkv, SplitArgs sp,
                      float scale_log2) {
  __shared__ float scratch[kMergeScratchFloats];
  const int split = blockIdx.x, kvh = blockIdx.y, b = blockIdx.z;
  const int tid = threadIdx.x, grp = tid / kLanesPerKey, lane16 = tid % kLanesPerKey;
  const int begin = split * sp.keys_per_split;
  const int end = min(S, begin + sp.keys_per_split);
  const int n_tiles = end > begin ? (end - begin + kTileKeys - 1) / kTileKeys : 0;

  // q for the 4 heads of this KV head, this lane's 8 dims, pre-scaled into log2 units.
  float qf[kGqaGroup][8];
#pragma unroll
  for (int h = 0; h < kGqaGroup; ++h) {
    unpack8<T>(load16(q + (static_cast<size_t>(b) * Hq + kvh * kGqaGroup + h) * kHeadDim + lane16 * 8), qf[h]);
#pragma unroll
    for (int e = 0; e < 8; ++e) qf[h][e] *= scale_log2;
  }

  GroupState st;
  init_state(st);
  unsigned rows[kKeysPerGroup];
  uint4 kraw[kKeysPerGroup], vraw[kKeysPerGroup];
  int first = begin + grp;  // this group's first key of the current tile
  tile_rows(rows, kv, b, kvh, first, end);
  load_chunks(kraw, kv.k, rows, first, end, lane16);
  load_chunks(vraw, kv.v, rows, first, end, lane16);

  for (int i = 0; i < n_tiles; ++i) {
    float s[kKeysPerGroup][kGqaGroup];
#pragma unroll
    for (int j = 0; j < kKeysPerGroup; ++j) {
      float kf[8];
      unpack8<T>(kraw[j], kf);
#pragma unroll
      for (int h = 0; h < kGqaGroup; ++h) {
        float dot = 0.f;
#pragma unroll
        for (int e = 0; e < 8; ++e) dot = fmaf(qf[h][e], kf[e], dot);
        s[j][h] = dot;
      }
    }
#pragma unroll
    for (int j = 0; j < kKeysPerGroup; ++j)
#pragma unroll
      for (int h = 0; h < kGqaGroup; ++h) s[j][h] = group16_sum(s[j][h]);
#pragma unroll
    for (int j = 0; j < kKeysPerGroup; ++j)
      if (first + j * kKeyGroups >= end)
#pragma unroll
        for (int h = 0; h < kGqaGroup; ++h) s[j][h] = -INFINITY;

    // The K registers are free: start the next tile's K while this tile's softmax and P.V run.
    const int next = first + kTileKeys;
    tile_rows(rows, kv, b, kvh, next, end);
    load_chunks(kraw, kv.k, rows, next, end, lane16);

    online_update<T>(st, s, vraw);

    load_chunks(vraw, kv.v, rows, next, end, lane16);
    first = next;
  }

  finish_block<T>(st, scratch, out, sp, b, kvh, Hq, Hkv, split);
}

/// Enqueues the kernel for problem `p` with addressing `kv` and split arguments `sp`.
template <class T, class KV>
void launch_gqa_decode(const DeviceProblem& p, const KV& kv, const SplitArgs& sp, cudaStream_t stream) {
  const Shape& s = p.shape;
  const dim3 grid(sp.splits, s.Hkv, s.B);
  gqa_decode_kernel<T, KV><<<grid, kThreads, 0, stream>>>(static_cast<const T*>(p.q), kv, static_cast<T*>(p.out), s.S,
                                                           s.Hq, s.Hkv, sp, softmax_scale_log2(s.D));
  LABS_CHECK_LAUNCH();
}

inline void require_gqa_shape(const Shape& s) {
  validate(s);
  if (s.group() != kGqaGroup)
    throw std::invalid_argument("the GQA-aware kernels are written for 4 query heads per KV head");
}

}  // namespace decode02
#endif
