/// @file mma_stream.cuh
/// The tensor-core decode-attention body of v7 and v9 (their files have the design, the
/// fragment layouts, the predictions and the measured story): mma.sync q.K and P.V on
/// register-streamed 16-key warp tiles, v4's split plan and last-block combine. It is
/// compiled once per version; the versions differ only in how the split combine's ticket is
/// published (kAcqRelTicket: v7 fences with `__threadfence()`, v9 and v10 use one acq_rel
/// atomic) and in the cache hints of the K/V loads (kHint: v7 and v9 the evict_first bundle, v10
/// none; the single hints are for the A/B of README exercise 8) and in how the last block of a
/// split reads the partials (kCombine: v7-v10 stage every split's (m, l) in shared memory
/// and then read the accumulators, two dependent L2 round trips; v12 issues the (m, l) and the
/// accumulator loads of up to kCombineChunk splits together and merges them online, one trip;
/// v13 gives each head a warp, whose lanes find the max with shuffles while the first
/// accumulators are already in flight).
#pragma once

#include <stdexcept>
#include <string>

#include "kernels/combine_kernel.cuh"
#include "kernels/mma_ops.cuh"
#include "kernels/split_combine.cuh"
#include "kernels/split_tail.cuh"
#include "labs/gpu_sync.cuh"
#include "labs/pdl.cuh"

#if LABS_GPU
namespace decode02::mma_stream {

inline constexpr int kV7Warps = kThreads / 32;            // 4 warps of 32 lanes (NVIDIA only)
inline constexpr int kV7WarpKeys = 16;                    // keys per warp tile
inline constexpr int kV7BlockKeys = kV7Warps * kV7WarpKeys;  // 64 keys per block iteration
static_assert(kHeadDim == 128 && kGqaGroup == 4, "v7's fragment layout is written for D = 128 and 4 heads per KV head");
static_assert(kMinKeysPerSplit % kV7BlockKeys == 0, "splits are whole block tiles");

/// How the last block of a split reads and merges the partials.
enum CombineKind : int {
  kCombineTwoTrips = 0,     ///< v7-v10: (m, l) to shared memory, barrier, max, then the accumulators
  kCombineOneTrip = 1,      ///< v12: combine_one_trip
  kCombineWarpPerHead = 2,  ///< v13: combine_warp_per_head
  kCombineCluster = 3,      ///< v16: cluster_combine (the splits are one thread-block cluster)
  kCombineWarpPartials = 4, ///< v21: a partial per warp, no block merge (up to kMaxWarpPartialSplits); v13 above
  kCombineDesignated = 5,   ///< v22: v13's combine, run by the block that took the last loop-end ticket
  kCombineDesignatedEarly = 6,  ///< v23: v22 with the ticket taken as warp 0 starts its last tile
  kCombineSecondKernel = 7, ///< v24: no tail; v13's combine in combine_kernel, launched with PDL
  kCombineSecondKernelPlain = 8,  ///< probe-v24-no-pdl: v24 with combine_kernel launched without PDL
  kCombinePolledKernel = 9, ///< v25: v24, the blocks release a per-pair count, combine_kernel polls it
};

/// v24, its no-PDL probe and v25: the streaming kernel stores partials only (v25 also releases a
/// count); combine_kernel merges them.
constexpr bool combines_in_second_kernel(int combine) {
  return combine == kCombineSecondKernel || combine == kCombineSecondKernelPlain || combine == kCombinePolledKernel;
}

/// When thread 0 takes v22's / v23's ticket (stream_keys' kLoopTicket).
enum LoopTicket : int {
  kNoLoopTicket = 0,
  kTicketAtLoopEnd = 1,   ///< v22: after warp 0's last tile (the merge's barrier then waits for the answer)
  kTicketAtLastTile = 2,  ///< v23: as warp 0 starts its last tile (the answer comes back under that tile)
};

#if defined(LABS_BACKEND_CUDA)
static_assert(kThreads == 128, "v7 assumes 4 warps of 32 lanes");

/// Row of key `key` relative to the tile start, clamped to the last live key of the split
/// in a partial tile. A clamped row is live (finite) data whose score is masked to -inf,
/// so it contributes 0 * finite = 0; no unwritten (NaN) slot is ever read.
template <bool kFull>
__device__ __forceinline__ int v7_row(int k0, int rel, int end) {
  return kFull ? k0 + rel : min(k0 + rel, end - 1);
}

/// This lane's K words of the 16-key tile at k0: k[p][4u + r].
template <bool kFull, int kHint, class T>
__device__ __forceinline__ void v7_load_k(std::uint32_t (&k)[2][16], const T* kbh, int k0, int end, int g, int t,
                                          std::uint64_t policy) {
#pragma unroll
  for (int p = 0; p < 2; ++p) {
    const int row = v7_row<kFull>(k0, 4 * (g >> 1) + (g & 1) + 2 * p, end);
    const T* src = kbh + static_cast<size_t>(row) * kHeadDim + t * 8;
#pragma unroll
    for (int u = 0; u < 4; ++u) ld_stream<kHint>(&k[p][4 * u], src + u * 32, policy);
  }
}

/// This lane's V words of the 16-key tile at k0: v[r][4s + j].
template <bool kFull, int kHint, class T>
__device__ __forceinline__ void v7_load_v(std::uint32_t (&v)[4][8], const T* vbh, int k0, int end, int g, int t,
                                          std::uint64_t policy) {
#pragma unroll
  for (int r = 0; r < 4; ++r) {
    const int row = v7_row<kFull>(k0, 4 * t + r, end);
    const T* src = vbh + static_cast<size_t>(row) * kHeadDim + g * 8;
#pragma unroll
    for (int s = 0; s < 2; ++s) ld_stream<kHint>(&v[r][4 * s], src + s * 64, policy);
  }
}

template <int kHint, class T>
__device__ __forceinline__ void v7_load_tile(std::uint32_t (&k)[2][16], std::uint32_t (&v)[4][8], const T* kbh,
                                             const T* vbh, int k0, int end, int g, int t, std::uint64_t policy,
                                             bool load_k, bool load_v) {
  if (k0 + kV7WarpKeys <= end) {
    if (load_k) v7_load_k<true, kHint>(k, kbh, k0, end, g, t, policy);
    if (load_v) v7_load_v<true, kHint>(v, vbh, k0, end, g, t, policy);
  } else {
    if (load_k) v7_load_k<false, kHint>(k, kbh, k0, end, g, t, policy);
    if (load_v) v7_load_v<false, kHint>(v, vbh, k0, end, g, t, policy);
  }
}

/// Shared floats of the end-of-block merge: [warps][G][D] accumulators, then m and l per
/// warp and head. The split combine reuses the accumulators for (m, l) of every split.
inline constexpr int kV7AccFloats = kV7Warps * kGqaGroup * kHeadDim;
inline constexpr int kV7ScratchFloats = kV7AccFloats + 2 * kV7Warps * kGqaGroup;
static_assert(kMaxSplits * kGqaGroup * 2 <= kV7AccFloats, "split (m, l) fit over the accumulators");

/// One block = one (split, KV head, sequence), 4 warps; see the file comment for the layout.
/// 3 blocks per SM (at most 168 registers; ptxas uses ~156, no spills): the 64 words of K/V
/// in flight plus 32 accumulators and 16 words of q do not fit the 128 that 4 blocks allow
/// (ptxas spills ~110 bytes there). 12 warps x 8 KiB = 96 KiB in flight per SM, about 3x
/// what Little's law asks at 4.5 TB/s and ~1 us loaded latency.



/// v14's L2 prefetch: the warp's 16-key K and V tiles at key k (4 KiB each, contiguous rows),
/// or the rows of them before `end`, handed to the copy engine with one
/// `cp.async.bulk.prefetch.L2` each (sm_90). Nothing lands in registers or shared memory, so
/// the prefetch distance costs no registers: the later `ld.global.nc` of the tile hits L2.
template <class T>
__device__ __forceinline__ void prefetch_tile_l2(const T* kbh, const T* vbh, int k, int end) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  const int rows = min(kV7WarpKeys, end - k);
  if (rows <= 0) return;
  const unsigned bytes = static_cast<unsigned>(rows) * kHeadDim * sizeof(T);  // a multiple of 16
  asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;\n" ::"l"(kbh + static_cast<size_t>(k) * kHeadDim),
               "r"(bytes)
               : "memory");
  asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;\n" ::"l"(vbh + static_cast<size_t>(k) * kHeadDim),
               "r"(bytes)
               : "memory");
#else
  (void)kbh, (void)vbh, (void)k, (void)end;
#endif
}

/// probe-v13-clock (kernels/probes.cu): the points of a block's life it stamps with the
/// global timer, in order. Only the kClock instantiation of the kernel below writes them; every
/// version compiles with kClock = false, where none of this code exists.
enum ClockPoint : int {
  kClockEntry = 0,      ///< the kernel's first instruction (thread 0)
  kClockFirstTile = 1,  ///< warp 0 has finished its first 16-key tile (its K and V have arrived)
  kClockLoopDone = 2,   ///< warp 0 has finished its last tile
  kClockMerged = 3,     ///< the 4 warps are merged (the block barrier inside stream_keys is passed)
  kClockPublished = 4,  ///< the partial is stored and the ticket's answer known (1 split: the output stored)
  kClockCombined = 5,   ///< the last block of a (sequence, KV head) has stored the output (0 in the others)
  kClockPoints = 6,
};
/// After a block's time points, one more word: v22's / v23's loop ticket + 1 (0: none taken), so
/// the probe can say whether the block holding the last ticket was the last to merge.
inline constexpr int kClockTicketSlot = kClockPoints;
inline constexpr int kClockSlots = kClockPoints + 1;

/// Where the kClock kernel writes: [blocks of the grid][kClockSlots], nanoseconds (and the
/// ticket). Set by the probe's prepare (cudaMemcpyToSymbol), one copy per translation unit.
static __device__ unsigned long long* g_clock_stamps = nullptr;

__device__ __forceinline__ void clock_stamp(int point) {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;\n" : "=l"(t));
  const unsigned block = (blockIdx.z * gridDim.y + blockIdx.y) * gridDim.x + blockIdx.x;
  g_clock_stamps[block * kClockSlots + point] = t;
}

__device__ __forceinline__ void clock_record_ticket(unsigned ticket) {
  const unsigned block = (blockIdx.z * gridDim.y + blockIdx.y) * gridDim.x + blockIdx.x;
  g_clock_stamps[block * kClockSlots + kClockTicketSlot] = ticket + 1ull;
}

/// A thread's place in the block and in its warp's mma fragments (g: row group, t: lane in it),
/// computed once at the top of a kernel (where v7-v16 always computed them: keeping that order
/// keeps their compiled code byte-identical to what was measured).
struct LaneIds {
  int tid, warp, lane, g, t;
};
__device__ __forceinline__ LaneIds lane_ids() {
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32, g = lane / 4, t = lane % 4;
  return LaneIds{tid, warp, lane, g, t};
}

/// q of head g (lanes g < 4; zeros in the others), this lane's 4 chunks in the permuted order
/// K uses; raw bits.
template <class T>
__device__ __forceinline__ void load_q(const T* __restrict__ q, int b, int kvh, int Hq, int g, int t,
                                       std::uint32_t (&qw)[16]) {
  if (g < kGqaGroup) {
    const T* qrow = q + (static_cast<size_t>(b) * Hq + kvh * kGqaGroup + g) * kHeadDim + t * 8;
#pragma unroll
    for (int u = 0; u < 4; ++u) {
      const uint4 x = load16(qrow + u * 32);
      qw[4 * u + 0] = x.x, qw[4 * u + 1] = x.y, qw[4 * u + 2] = x.z, qw[4 * u + 3] = x.w;
    }
  } else {
#pragma unroll
    for (int i = 0; i < 16; ++i) qw[i] = 0u;
  }
}

/// The end of the stream: warp `id.warp`'s head-g (m, l) and O fragments merged with the other
/// warps' in `scratch` (same rule as split_combine.cuh's finish_block) into the (M, L, A) of
/// output dimension threadIdx.x. Ends with every thread's reads of `scratch` issued, not done.
__device__ __forceinline__ void merge_warps(LaneIds id, float m, float l, const float (&o)[8][4], float* scratch,
                                            float (&M)[kGqaGroup], float (&L)[kGqaGroup], float (&A)[kGqaGroup]) {
  const int tid = id.tid, warp = id.warp, g = id.g, t = id.t;
  float* s_acc = scratch;                               // [warps][G][D]
  float* s_m = scratch + kV7AccFloats;                  // [warps][G]
  float* s_l = s_m + kV7Warps * kGqaGroup;              // [warps][G]
  l += __shfl_xor_sync(0xffffffffu, l, 1);
  l += __shfl_xor_sync(0xffffffffu, l, 2);
  if (t == 0 && g < kGqaGroup) {
    s_m[warp * kGqaGroup + g] = m;
    s_l[warp * kGqaGroup + g] = l;
  }
  if (t < 2) {
#pragma unroll
    for (int i2 = 0; i2 < 8; ++i2) {
      const int d = 64 * (i2 / 4) + 8 * g + 2 * (i2 % 4);
      float* h0 = s_acc + (warp * kGqaGroup + 2 * t) * kHeadDim + d;
      float* h1 = h0 + kHeadDim;
      *reinterpret_cast<float2*>(h0) = make_float2(o[i2][0], o[i2][2]);
      *reinterpret_cast<float2*>(h1) = make_float2(o[i2][1], o[i2][3]);
    }
  }
  __syncthreads();

  const int d = tid;  // kThreads == kHeadDim
  merge_partials<kV7Warps>(s_m, s_l, s_acc, d, M, L, A);
}

/// The body every version of this file shares: warp w streams the 16-key tiles begin + 16 w,
/// + 64, ... below `end` (n_tiles block iterations) for the 4 query heads of one (sequence, KV
/// head), q.K and P.V on tensor cores with an online softmax, and the block's 4 warps are
/// merged in `scratch` into the (M, L, A) of output dimension threadIdx.x. Ends with every thread's reads of `scratch` issued, not done:
/// a caller that writes `scratch` again must pass a barrier first.
/// kWarpPartials (v21): when `warp_own` is true, each warp stores its own partial in `warp_sp`'s
/// slot `warp_part` instead (store_warp_partial) and nothing is merged; M, L, A are left unset.
/// kLoopTicket (LoopTicket; v22, v23): thread 0 takes a ticket from `loop_counter` into
/// *loop_ticket (none when loop_counter is null: one split) when warp 0's loop is done (v22) or as
/// it starts its last tile (v23; after the loop when it has no tile). The answer is not waited
/// for here; v22 found the merge's barrier waiting for it (README section 2, v13 -> v22).
template <class T, int kHint, int kPrefetchTiles, bool kClock = false, bool kWarpPartials = false,
          int kLoopTicket = kNoLoopTicket>
__device__ __forceinline__ void stream_keys(LaneIds id, const T* __restrict__ q, int b, int kvh, int Hq, const T* kbh, const T* vbh,
                                            int begin, int end, int n_tiles, float scale_log2, float* scratch, float (&M)[kGqaGroup],
                                            float (&L)[kGqaGroup], float (&A)[kGqaGroup],
                                            bool warp_own = false, const SplitArgs& warp_sp = SplitArgs{},
                                            size_t warp_part = 0, unsigned* loop_counter = nullptr,
                                            unsigned* loop_ticket = nullptr) {
  const int tid = id.tid, warp = id.warp, lane = id.lane, g = id.g, t = id.t;
  std::uint64_t policy = 0;
  if constexpr (kHint == kHintBundle || kHint == kHintEvictFirstOnly)
    asm("createpolicy.fractional.L2::evict_first.b64 %0, 1.0;\n" : "=l"(policy));

  std::uint32_t qw[16];
  load_q(q, b, kvh, Hq, g, t, qw);

  float o[8][4];  // O^T fragments of the 8 m-tiles (16 dims each)
#pragma unroll
  for (int i = 0; i < 8; ++i) o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0.f;
  float m = -INFINITY;  // running max of head g (log2 units); identical in the 4 lanes of group g
  float l = 0.f;        // this lane's share of head g's sum (its 4 keys per tile)

  std::uint32_t kw[2][16], vw[4][8];
  int k0 = begin + warp * kV7WarpKeys;
  if (n_tiles > 0) v7_load_tile<kHint>(kw, vw, kbh, vbh, k0, end, g, t, policy, true, true);
  if constexpr (kPrefetchTiles > 0) {
    if (lane == 0)
#pragma unroll
      for (int d = 1; d <= kPrefetchTiles; ++d) prefetch_tile_l2(kbh, vbh, k0 + d * kV7BlockKeys, end);
  }

  for (int i = 0; i < n_tiles; ++i) {
    const bool full = k0 + kV7WarpKeys <= end;
    const int k1 = k0 + kV7BlockKeys;
    const bool more = i + 1 < n_tiles;
    if constexpr (kLoopTicket == kTicketAtLastTile) {
      if (!more && tid == 0 && loop_counter != nullptr) *loop_ticket = atomicAdd(loop_counter, 1u);
    }
    if constexpr (kPrefetchTiles > 0) {
      if (lane == 0) prefetch_tile_l2(kbh, vbh, k0 + (kPrefetchTiles + 1) * kV7BlockKeys, end);
    }

    // q.K: two 8-key tiles, 8 k-steps each.
    float sc[2][4];
#pragma unroll
    for (int p = 0; p < 2; ++p) {
      sc[p][0] = sc[p][1] = sc[p][2] = sc[p][3] = 0.f;
#pragma unroll
      for (int u = 0; u < 4; ++u)
#pragma unroll
        for (int w = 0; w < 2; ++w)
          TileMma<T>::mma(sc[p], qw[4 * u + 2 * w], 0u, qw[4 * u + 2 * w + 1], 0u, kw[p][4 * u + 2 * w],
                        kw[p][4 * u + 2 * w + 1]);
    }
    // The K registers are free: the next tile's K is in flight during softmax and P.V.
    if (more) v7_load_tile<kHint>(kw, vw, kbh, vbh, k1, end, g, t, policy, true, false);

    // Online softmax for head g. sc[p][e] is key k0 + 4t + 2p + e; rows g >= 4 are not heads.
    float s[2][2];
    float tile_max = -INFINITY;
#pragma unroll
    for (int p = 0; p < 2; ++p)
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        const bool live = g < kGqaGroup && (full || k0 + 4 * t + 2 * p + e < end);
        s[p][e] = live ? sc[p][e] * scale_log2 : -INFINITY;
        tile_max = fmaxf(tile_max, s[p][e]);
      }
    tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 1));
    tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 2));
    const float m_new = fmaxf(m, tile_max);
    // A head that has seen only masked keys keeps m = -inf; subtracting 0 instead keeps every
    // exponent -inf (weight 0), never NaN. When m does not grow, corr is exactly 1.
    const float m_use = m_new == -INFINITY ? 0.f : m_new;
    const float corr = exp2f(m - m_use);
    float pr[2][2];
#pragma unroll
    for (int p = 0; p < 2; ++p)
#pragma unroll
      for (int e = 0; e < 2; ++e) pr[p][e] = exp2f(s[p][e] - m_use);
    const std::uint32_t pb0 = TileMma<T>::pack(pr[0][0], pr[0][1]);  // keys 4t, 4t+1
    const std::uint32_t pb1 = TileMma<T>::pack(pr[1][0], pr[1][1]);  // keys 4t+2, 4t+3
    l = l * corr + ((pr[0][0] + pr[0][1]) + (pr[1][0] + pr[1][1]));
    const bool grew = m_new > m;
    m = m_new;
    if (__any_sync(0xffffffffu, grew)) {
      // Lane (g', t') holds O for heads 2t' and 2t'+1; head h's corr lives in lanes 4h..4h+3.
      const float c_lo = __shfl_sync(0xffffffffu, corr, 8 * t);
      const float c_hi = __shfl_sync(0xffffffffu, corr, 8 * t + 4);
#pragma unroll
      for (int i2 = 0; i2 < 8; ++i2) {
        o[i2][0] *= c_lo;
        o[i2][1] *= c_hi;
        o[i2][2] *= c_lo;
        o[i2][3] *= c_hi;
      }
    }

    // P.V: 8 m-tiles of 16 dims; A = V^T built by pairing keys (4t, 4t+1) and (4t+2, 4t+3).
#pragma unroll
    for (int i2 = 0; i2 < 8; ++i2) {
      const std::uint32_t a0 = __byte_perm(vw[0][i2], vw[1][i2], 0x5410);
      const std::uint32_t a1 = __byte_perm(vw[0][i2], vw[1][i2], 0x7632);
      const std::uint32_t a2 = __byte_perm(vw[2][i2], vw[3][i2], 0x5410);
      const std::uint32_t a3 = __byte_perm(vw[2][i2], vw[3][i2], 0x7632);
      TileMma<T>::mma(o[i2], a0, a1, a2, a3, pb0, pb1);
    }
    if (more) v7_load_tile<kHint>(kw, vw, kbh, vbh, k1, end, g, t, policy, false, true);
    k0 = k1;
    if constexpr (kClock) {
      if (i == 0 && tid == 0) clock_stamp(kClockFirstTile);
    }
  }
  if constexpr (kClock) {
    if (tid == 0) clock_stamp(kClockLoopDone);
  }
  if constexpr (kLoopTicket == kTicketAtLoopEnd) {
    if (tid == 0 && loop_counter != nullptr) *loop_ticket = atomicAdd(loop_counter, 1u);
  }
  if constexpr (kLoopTicket == kTicketAtLastTile) {  // a split with no tile takes its ticket here
    if (n_tiles == 0 && tid == 0 && loop_counter != nullptr) *loop_ticket = atomicAdd(loop_counter, 1u);
  }

  if constexpr (kWarpPartials) {
    if (warp_own) {
      store_warp_partial(warp_sp, warp_part, g, t, m, l, o);
      return;
    }
  }
  merge_warps(id, m, l, o, scratch, M, L, A);
}

/// v19's copy of the loop body of stream_keys, in two parts: q.K of one 16-key warp tile.
/// stream_keys keeps its own inline copy on purpose: calling these from it changed the SASS of
/// v7, v9 and v10 (their .text hashes, checked with nvcc 13.0), which the journal measured.
template <class T>
__device__ __forceinline__ void tile_scores(const std::uint32_t (&qw)[16], const std::uint32_t (&kw)[2][16],
                                            float (&sc)[2][4]) {
  // q.K: two 8-key tiles, 8 k-steps each.
#pragma unroll
  for (int p = 0; p < 2; ++p) {
    sc[p][0] = sc[p][1] = sc[p][2] = sc[p][3] = 0.f;
#pragma unroll
    for (int u = 0; u < 4; ++u)
#pragma unroll
      for (int w = 0; w < 2; ++w)
        TileMma<T>::mma(sc[p], qw[4 * u + 2 * w], 0u, qw[4 * u + 2 * w + 1], 0u, kw[p][4 * u + 2 * w],
                      kw[p][4 * u + 2 * w + 1]);
  }
}

/// The rest of one warp tile: head g's online-softmax update of (m, l) and of the O fragments
/// from the tile's scores, then P.V on the tile's V. `full`: every key of the tile is below `end`.
template <class T>
__device__ __forceinline__ void tile_update(const float (&sc)[2][4], const std::uint32_t (&vw)[4][8], int k0, int end,
                                            bool full, int g, int t, float scale_log2, float& m, float& l,
                                            float (&o)[8][4]) {

  // Online softmax for head g. sc[p][e] is key k0 + 4t + 2p + e; rows g >= 4 are not heads.
  float s[2][2];
  float tile_max = -INFINITY;
#pragma unroll
  for (int p = 0; p < 2; ++p)
#pragma unroll
    for (int e = 0; e < 2; ++e) {
      const bool live = g < kGqaGroup && (full || k0 + 4 * t + 2 * p + e < end);
      s[p][e] = live ? sc[p][e] * scale_log2 : -INFINITY;
      tile_max = fmaxf(tile_max, s[p][e]);
    }
  tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 1));
  tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 2));
  const float m_new = fmaxf(m, tile_max);
  // A head that has seen only masked keys keeps m = -inf; subtracting 0 instead keeps every
  // exponent -inf (weight 0), never NaN. When m does not grow, corr is exactly 1.
  const float m_use = m_new == -INFINITY ? 0.f : m_new;
  const float corr = exp2f(m - m_use);
  float pr[2][2];
#pragma unroll
  for (int p = 0; p < 2; ++p)
#pragma unroll
    for (int e = 0; e < 2; ++e) pr[p][e] = exp2f(s[p][e] - m_use);
  const std::uint32_t pb0 = TileMma<T>::pack(pr[0][0], pr[0][1]);  // keys 4t, 4t+1
  const std::uint32_t pb1 = TileMma<T>::pack(pr[1][0], pr[1][1]);  // keys 4t+2, 4t+3
  l = l * corr + ((pr[0][0] + pr[0][1]) + (pr[1][0] + pr[1][1]));
  const bool grew = m_new > m;
  m = m_new;
  if (__any_sync(0xffffffffu, grew)) {
    // Lane (g', t') holds O for heads 2t' and 2t'+1; head h's corr lives in lanes 4h..4h+3.
    const float c_lo = __shfl_sync(0xffffffffu, corr, 8 * t);
    const float c_hi = __shfl_sync(0xffffffffu, corr, 8 * t + 4);
#pragma unroll
    for (int i2 = 0; i2 < 8; ++i2) {
      o[i2][0] *= c_lo;
      o[i2][1] *= c_hi;
      o[i2][2] *= c_lo;
      o[i2][3] *= c_hi;
    }
  }

  // P.V: 8 m-tiles of 16 dims; A = V^T built by pairing keys (4t, 4t+1) and (4t+2, 4t+3).
#pragma unroll
  for (int i2 = 0; i2 < 8; ++i2) {
    const std::uint32_t a0 = __byte_perm(vw[0][i2], vw[1][i2], 0x5410);
    const std::uint32_t a1 = __byte_perm(vw[0][i2], vw[1][i2], 0x7632);
    const std::uint32_t a2 = __byte_perm(vw[2][i2], vw[3][i2], 0x5410);
    const std::uint32_t a3 = __byte_perm(vw[2][i2], vw[3][i2], 0x7632);
    TileMma<T>::mma(o[i2], a0, a1, a2, a3, pb0, pb1);
  }
}

/// How a kernel's warps get their 16-key tiles: v7-v18 (own tiles, one in flight), v19 (own
/// tiles, two in flight), v20 (shared tiles: a per-(sequence, KV head) counter hands them out).
enum StreamKind : int {
  kStreamOwnTiles = 0,
  kStreamTwoTiles = 1,
  kStreamSharedTiles = 2,
};

/// v19: stream_keys with two 16-key tiles in flight per warp instead of one. Warp w owns the
/// tiles begin + 16 w + 64 i as before; tiles i and i + 1 live in two register sets (a, b), and
/// the registers of tile i are reloaded with tile i + 2 as soon as each half is used (K after
/// q.K, V after P.V), so while tile i is computed tile i + 1 is in flight or landed. Same
/// arithmetic in the same order as stream_keys: the output is bitwise v13's. 64 more registers
/// per thread: 2 blocks per SM (the plan asks for 2 anyway).
template <class T, bool kClock = false>
__device__ __forceinline__ void stream_keys_two(LaneIds id, const T* __restrict__ q, int b, int kvh, int Hq,
                                                const T* kbh, const T* vbh, int begin, int end, int n_tiles,
                                                float scale_log2, float* scratch, float (&M)[kGqaGroup],
                                                float (&L)[kGqaGroup], float (&A)[kGqaGroup]) {
  const int warp = id.warp, g = id.g, t = id.t;
  std::uint32_t qw[16];
  load_q(q, b, kvh, Hq, g, t, qw);
  float o[8][4];
#pragma unroll
  for (int i = 0; i < 8; ++i) o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0.f;
  float m = -INFINITY, l = 0.f;

  std::uint32_t ka[2][16], va[4][8], kb[2][16], vb[4][8];
  int k0 = begin + warp * kV7WarpKeys;  // tile i's first key, i even
  if (n_tiles > 0) v7_load_tile<kHintNone>(ka, va, kbh, vbh, k0, end, g, t, 0, true, true);
  if (n_tiles > 1) v7_load_tile<kHintNone>(kb, vb, kbh, vbh, k0 + kV7BlockKeys, end, g, t, 0, true, true);
  // One tile at key kt in (kw, vw); `more`: tile + 2 exists and goes into the same registers.
  auto one_tile = [&](std::uint32_t (&kw)[2][16], std::uint32_t (&vw)[4][8], int kt, bool more) {
    const bool full = kt + kV7WarpKeys <= end;
    const int kn = kt + 2 * kV7BlockKeys;
    float sc[2][4];
    tile_scores<T>(qw, kw, sc);
    if (more) v7_load_tile<kHintNone>(kw, vw, kbh, vbh, kn, end, g, t, 0, true, false);
    tile_update<T>(sc, vw, kt, end, full, g, t, scale_log2, m, l, o);
    if (more) v7_load_tile<kHintNone>(kw, vw, kbh, vbh, kn, end, g, t, 0, false, true);
  };
  for (int i = 0; i < n_tiles; i += 2) {
    one_tile(ka, va, k0, i + 2 < n_tiles);
    if constexpr (kClock) {
      if (i == 0 && id.tid == 0) clock_stamp(kClockFirstTile);
    }
    if (i + 1 < n_tiles) one_tile(kb, vb, k0 + kV7BlockKeys, i + 3 < n_tiles);
    k0 += 2 * kV7BlockKeys;
  }
  if constexpr (kClock) {
    if (id.tid == 0) clock_stamp(kClockLoopDone);
  }
  merge_warps(id, m, l, o, scratch, M, L, A);
}

/// v20: the 16-key tiles of one (sequence, KV head) are shared by all the warps of its splits.
/// Each warp starts on a fixed tile (split * 4 + warp, the first 4 * splits tiles of the pair),
/// then takes the next unclaimed one from the pair's counter (`next_tile`, counting from
/// 4 * splits), one atomic per tile, asked for one tile ahead so the answer is back before the
/// loads that need it. A warp whose blocks' SM streams faster takes more tiles; every tile is
/// taken exactly once; the order of the online-softmax updates depends on who took what, so the
/// output's last bits can differ between runs (the combine is v13's). One tile in flight per warp,
/// as v13.
template <class T, bool kClock = false>
__device__ __forceinline__ void stream_keys_shared(LaneIds id, const T* __restrict__ q, int b, int kvh, int Hq,
                                                   const T* kbh, const T* vbh, int S, int split, int splits,
                                                   unsigned* next_tile, float scale_log2, float* scratch,
                                                   float (&M)[kGqaGroup], float (&L)[kGqaGroup],
                                                   float (&A)[kGqaGroup]) {
  const int g = id.g, t = id.t;
  std::uint32_t qw[16];
  load_q(q, b, kvh, Hq, g, t, qw);
  float o[8][4];
#pragma unroll
  for (int i = 0; i < 8; ++i) o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0.f;
  float m = -INFINITY, l = 0.f;

  const int total = (S + kV7WarpKeys - 1) / kV7WarpKeys;  // 16-key tiles of the pair
  const int first = kV7Warps * splits;                     // the fixed ones; the counter counts from here
  auto claim = [&]() -> unsigned { return id.lane == 0 ? atomicAdd(next_tile, 1u) : 0u; };
  int cur = split * kV7Warps + id.warp;
  // Lane 0: the counter's answer for the tile after `cur`. Every claim is waited for (the next
  // iteration's shuffle) before the warp leaves its loop, so none is still in flight when the
  // last block resets the counter; a warp with no fixed tile (the last split's, at a short S)
  // claims nothing.
  unsigned ahead = cur < total ? claim() : 0u;
  std::uint32_t kw[2][16], vw[4][8];
  if (cur < total) v7_load_tile<kHintNone>(kw, vw, kbh, vbh, cur * kV7WarpKeys, S, g, t, 0, true, true);
  int i = 0;
  while (cur < total) {
    const int nxt = first + static_cast<int>(__shfl_sync(0xffffffffu, ahead, 0));
    if (nxt < total) ahead = claim();  // the tile after next, while this one is computed
    const int k0 = cur * kV7WarpKeys;
    const bool full = k0 + kV7WarpKeys <= S;
    float sc[2][4];
    tile_scores<T>(qw, kw, sc);
    if (nxt < total) v7_load_tile<kHintNone>(kw, vw, kbh, vbh, nxt * kV7WarpKeys, S, g, t, 0, true, false);
    tile_update<T>(sc, vw, k0, S, full, g, t, scale_log2, m, l, o);
    if (nxt < total) v7_load_tile<kHintNone>(kw, vw, kbh, vbh, nxt * kV7WarpKeys, S, g, t, 0, false, true);
    cur = nxt;
    if constexpr (kClock) {
      if (i == 0 && id.tid == 0) clock_stamp(kClockFirstTile);
    }
    ++i;
  }
  if constexpr (kClock) {
    if (id.tid == 0) clock_stamp(kClockLoopDone);
  }
  merge_warps(id, m, l, o, scratch, M, L, A);
}

/// kPrefetchTiles > 0 (v14): lane 0 of each warp keeps its tiles 1..kPrefetchTiles ahead in
/// flight to L2 (prefetch_tile_l2); 0 (every other version): no such code. kClock: v13 with its
/// block's ClockPoints stamped (probe-v13-clock, probe-v19-clock); false in every version.
/// kStream: how warps get their tiles (StreamKind): v19 two own tiles in flight (2 blocks per
/// SM), v20 tiles shared through a per-pair counter (after the tickets in sp.counters).
template <class T, int kHint, bool kAcqRelTicket, int kCombine = kCombineTwoTrips, int kPrefetchTiles = 0,
          bool kClock = false, int kStream = kStreamOwnTiles>
__global__ void __launch_bounds__(kThreads, kStream == kStreamTwoTiles ? 2 : 3)
    mma_stream_kernel(const T* __restrict__ q, const T* __restrict__ kc, const T* __restrict__ vc,
                         T* __restrict__ out, int S, int S_alloc, int Hq, int Hkv, SplitArgs sp, float scale_log2) {
  __shared__ __align__(16) float scratch[kV7ScratchFloats];
  __shared__ unsigned s_flag;
  constexpr bool kDesignated = kCombine == kCombineDesignated || kCombine == kCombineDesignatedEarly;
  static_assert(!kClock || ((kCombine == kCombineWarpPerHead || kCombine == kCombineWarpPartials || kDesignated) &&
                            kPrefetchTiles == 0),
                "the clock probes are v13's, v21's, v22's and v23's kernels");
  const int split = blockIdx.x, kvh = blockIdx.y, b = blockIdx.z;
  if constexpr (combines_in_second_kernel(kCombine)) {
    // v24: the combine kernel may be scheduled as soon as every block of this grid has started;
    // its blocks then wait (griddepcontrol.wait) for this grid's end, not for a launch.
    lab::pdl_allow_dependents();
  }
  const LaneIds id = lane_ids();
  const int tid = id.tid, warp = id.warp, lane = id.lane;
  if constexpr (kClock) {
    if (tid == 0) clock_stamp(kClockEntry);
  }
  const int begin = split * sp.keys_per_split;
  const int end = min(S, begin + sp.keys_per_split);
  const int n_tiles = end > begin ? (end - begin + kV7BlockKeys - 1) / kV7BlockKeys : 0;
  const size_t bh = static_cast<size_t>(b) * Hkv + kvh;
  const T* kbh = kc + bh * S_alloc * kHeadDim;
  const T* vbh = vc + bh * S_alloc * kHeadDim;

  const int d = tid;  // kThreads == kHeadDim
  float M[kGqaGroup], L[kGqaGroup], A[kGqaGroup];
  if constexpr (kStream != kStreamOwnTiles)
    static_assert(kHint == kHintNone && kPrefetchTiles == 0 && kCombine == kCombineWarpPerHead, "v19 and v20 are v13's kernel");
  unsigned* const next_tile = sp.counters + gridDim.y * gridDim.z + bh;  // v20 only: after the tickets
  unsigned* const published = next_tile;  // v22, v23 only: the second counter of the pair, the same slot
  unsigned loop_ticket = 0;               // v22, v23: thread 0's place in the pair's order of loop ends
  if constexpr (kStream == kStreamTwoTiles) {
    stream_keys_two<T, kClock>(id, q, b, kvh, Hq, kbh, vbh, begin, end, n_tiles, scale_log2, scratch, M, L, A);
  } else if constexpr (kStream == kStreamSharedTiles) {
    stream_keys_shared<T, kClock>(id, q, b, kvh, Hq, kbh, vbh, S, split, sp.splits, next_tile, scale_log2, scratch, M,
                                  L, A);
  } else if constexpr (kCombine == kCombineWarpPartials) {
    const bool own = sp.splits > 1 && sp.splits <= kMaxWarpPartialSplits;  // else v13's block merge
    stream_keys<T, kHint, kPrefetchTiles, kClock, true>(id, q, b, kvh, Hq, kbh, vbh, begin, end, n_tiles, scale_log2,
                                                        scratch, M, L, A, own, sp,
                                                        (bh * sp.splits + split) * kV7Warps + warp);
  } else if constexpr (kDesignated) {
    constexpr int kTicket = kCombine == kCombineDesignated ? kTicketAtLoopEnd : kTicketAtLastTile;
    stream_keys<T, kHint, kPrefetchTiles, kClock, false, kTicket>(id, q, b, kvh, Hq, kbh, vbh, begin, end, n_tiles,
                                                               scale_log2, scratch, M, L, A, false, SplitArgs{}, 0,
                                                               sp.splits > 1 ? sp.counters + bh : nullptr, &loop_ticket);
  } else {
    stream_keys<T, kHint, kPrefetchTiles, kClock>(id, q, b, kvh, Hq, kbh, vbh, begin, end, n_tiles, scale_log2, scratch, M, L, A);
  }
  if constexpr (kClock) {
    if (tid == 0) clock_stamp(kClockMerged);  // v21 with warp partials: warp 0's partial stored (issued)
  }
  if constexpr (kCombine == kCombineWarpPartials) {
    if (sp.splits > 1 && sp.splits <= kMaxWarpPartialSplits) {
      // Every warp's stores before thread 0's count (v9's cumulative release), as below.
      __syncthreads();
      if (tid == 0) s_flag = ticket_add_acq_rel(sp.counters + bh) + 1u == static_cast<unsigned>(sp.splits) ? 1u : 0u;
      __syncthreads();
      if constexpr (kClock) {
        if (tid == 0) clock_stamp(kClockPublished);
      }
      if (s_flag == 0u) return;
      combine_warp_partials(sp, bh, sp.splits * kV7Warps, tid,
                            out + (static_cast<size_t>(b) * Hq + kvh * kGqaGroup) * kHeadDim);
      if (tid == 0) sp.counters[bh] = 0u;  // ready for the next launch
      if constexpr (kClock) {
        if (tid == 0) clock_stamp(kClockCombined);
      }
      return;
    }
  }

  if (sp.splits == 1) {
#pragma unroll
    for (int h = 0; h < kGqaGroup; ++h)
      out[(static_cast<size_t>(b) * Hq + kvh * kGqaGroup + h) * kHeadDim + d] = Elem<T>::from_float(A[h] / L[h]);
    if constexpr (kStream == kStreamSharedTiles) {
      if (tid == 0) *next_tile = 0u;  // every warp of the pair is past its loop (the merge's barrier)
    }
    if constexpr (kClock) {
      if (tid == 0) clock_stamp(kClockPublished), clock_stamp(kClockCombined);
    }
    return;
  }
  if constexpr (combines_in_second_kernel(kCombine)) {
    // v24: store the partial and leave: no fence, no ticket, no last block. The grid's end is
    // the barrier; combine_kernel (launched behind this one with PDL) reads the partials.
    store_partial(sp, bh * sp.splits + split, d, M, L, A);
    if constexpr (kCombine == kCombinePolledKernel) {
      // v25: publish the partial to the pair's combine block with one release add (v22's).
      __syncthreads();  // every thread's partial stores before thread 0's release (cumulative)
      if (tid == 0) lab::red_add_release_gpu(sp.counters + bh);
    }
    return;
  }
  if constexpr (kDesignated) {
    // v22, v23: the block whose loop ended last (by the ticket thread 0 took at its loop's end) is the
    // pair's combiner. Every block stores its partial; one barrier orders the block's stores before
    // thread 0's next step. The others publish with a release add and leave without waiting for
    // any answer; the combiner does not publish at all, it polls the published count with acquire
    // loads. It cannot wait on a block that is not running: every other block of the pair took its
    // ticket before it, so all of them are resident and past their loops. v13's combine reads all
    // the partials, its own included (visible to its own threads after the barrier), in split
    // order: the output is v13's, bit for bit.
    store_partial(sp, bh * sp.splits + split, d, M, L, A);
    if (tid == 0) s_flag = loop_ticket + 1u == static_cast<unsigned>(sp.splits) ? 1u : 0u;
    if constexpr (kClock) {
      if (tid == 0) clock_record_ticket(loop_ticket);
    }
    __syncthreads();
    if (s_flag == 0u) {
      if (tid == 0) {
        lab::red_add_release_gpu(published);
        if constexpr (kClock) clock_stamp(kClockPublished);
      }
      return;
    }
    if (tid == 0) {
      while (lab::load_acquire_gpu(published) < static_cast<unsigned>(sp.splits) - 1u) {
      }
    }
    __syncthreads();  // thread 0's acquire, for every thread's loads of the partials
    if constexpr (kClock) {
      if (tid == 0) clock_stamp(kClockPublished);
    }
    float l_all;
    float4 acc;
    combine_warp_per_head(sp, bh, warp, lane, l_all, acc);
    if (tid == 0) sp.counters[bh] = *published = 0u;  // both counters are complete: ready for the next launch
    store_combined(out + (static_cast<size_t>(b) * Hq + kvh * kGqaGroup + warp) * kHeadDim + lane * 4, acc, l_all,
                   nullptr, false);
    if constexpr (kClock) {
      if (tid == 0) clock_stamp(kClockCombined);
    }
    return;
  }
  if constexpr (kCombine == kCombineCluster) {
    cluster_combine(scratch, M, L, A, d, out + (static_cast<size_t>(b) * Hq + kvh * kGqaGroup) * kHeadDim, sp.splits);
    return;
  }

  // ---- Split-K: v4's partial layout and last-block combine ----
  const size_t part = bh * sp.splits + split;
  store_partial(sp, part, d, M, L, A);
  // v7: a sequentially consistent fence on every thread before and after the count
  // (`__threadfence()` is MEMBAR.SC.GPU in SASS). v9: the block barrier orders every thread's
  // partial stores before thread 0's count, and one release/acquire atomic publishes them all
  // (PTX memory model: release is cumulative over what the barrier made visible to thread 0);
  // the second barrier carries thread 0's acquire to the block's later loads.
  if constexpr (!kAcqRelTicket) __threadfence();  // publish the partial before counting this block (release)
  __syncthreads();  // also: every thread has finished reading s_acc before it is reused below
  if (tid == 0) {
    const unsigned finished = (kAcqRelTicket ? ticket_add_acq_rel(sp.counters + bh) : atomicAdd(sp.counters + bh, 1u)) + 1u;
    s_flag = finished == static_cast<unsigned>(sp.splits) ? 1u : 0u;
  }
  __syncthreads();
  if constexpr (kClock) {
    if (tid == 0) clock_stamp(kClockPublished);
  }
  if (s_flag == 0u) return;
  if constexpr (!kAcqRelTicket) __threadfence();  // order the last block's reads after every other block's count (acquire)

  if constexpr (kCombine == kCombineWarpPerHead || kCombine == kCombineWarpPartials) {
    static_assert(kV7Warps == kGqaGroup && kHeadDim == 32 * 4, "one warp per head, 4 dims per lane");
    float l_all;
    float4 acc;
    combine_warp_per_head(sp, bh, warp, lane, l_all, acc);
    const float inv = 1.f / l_all;
    T* dst = out + (static_cast<size_t>(b) * Hq + kvh * kGqaGroup + warp) * kHeadDim + lane * 4;
    dst[0] = Elem<T>::from_float(acc.x * inv);
    dst[1] = Elem<T>::from_float(acc.y * inv);
    dst[2] = Elem<T>::from_float(acc.z * inv);
    dst[3] = Elem<T>::from_float(acc.w * inv);
    if (tid == 0) sp.counters[bh] = 0u;  // ready for the next launch
    if constexpr (kStream == kStreamSharedTiles) {
      if (tid == 0) *next_tile = 0u;  // every split of the pair has counted itself: all are past their loops
    }
    if constexpr (kClock) {
      if (tid == 0) clock_stamp(kClockCombined);
    }
    return;
  }
  if constexpr (kCombine == kCombineOneTrip) {
    constexpr int kThreadsPerHead = kThreads / kGqaGroup;
    const int h = tid / kThreadsPerHead, c = (tid % kThreadsPerHead) * 4;
    T* dst = out + (static_cast<size_t>(b) * Hq + kvh * kGqaGroup + h) * kHeadDim + c;
    float l_all;
    float4 acc;
    combine_one_trip(sp, bh, h, c, l_all, acc);
    const float inv = 1.f / l_all;
    dst[0] = Elem<T>::from_float(acc.x * inv);
    dst[1] = Elem<T>::from_float(acc.y * inv);
    dst[2] = Elem<T>::from_float(acc.z * inv);
    dst[3] = Elem<T>::from_float(acc.w * inv);
    if (tid == 0) sp.counters[bh] = 0u;  // ready for the next launch
    return;
  }
  float* s_ml = scratch;  // [splits][G][2]
  const float* ml = sp.partial_ml + bh * sp.splits * kGqaGroup * 2;
  for (int x = tid; x < sp.splits * kGqaGroup * 2; x += kThreads) s_ml[x] = load_coherent(ml + x);
  __syncthreads();
  constexpr int kThreadsPerHead = kThreads / kGqaGroup;
  const int h = tid / kThreadsPerHead, c = (tid % kThreadsPerHead) * 4;
  float m_all = -INFINITY;
  for (int x = 0; x < sp.splits; ++x) m_all = fmaxf(m_all, s_ml[(x * kGqaGroup + h) * 2]);
  float l_all = 0.f;
  float4 acc = make_float4(0.f, 0.f, 0.f, 0.f);
  const float* po = sp.partial_o + (bh * sp.splits * kGqaGroup + h) * kHeadDim + c;
#pragma unroll 16
  for (int x = 0; x < sp.splits; ++x) {
    const float ms = s_ml[(x * kGqaGroup + h) * 2];
    const float w = ms == -INFINITY ? 0.f : exp2f(ms - m_all);
    l_all += w * s_ml[(x * kGqaGroup + h) * 2 + 1];
    const float4 os = load_coherent4(po + static_cast<size_t>(x) * kGqaGroup * kHeadDim);
    acc.x += w * os.x;
    acc.y += w * os.y;
    acc.z += w * os.z;
    acc.w += w * os.w;
  }
  const float inv = 1.f / l_all;
  T* dst = out + (static_cast<size_t>(b) * Hq + kvh * kGqaGroup + h) * kHeadDim + c;
  dst[0] = Elem<T>::from_float(acc.x * inv);
  dst[1] = Elem<T>::from_float(acc.y * inv);
  dst[2] = Elem<T>::from_float(acc.z * inv);
  dst[3] = Elem<T>::from_float(acc.w * inv);
  if (tid == 0) sp.counters[bh] = 0u;  // ready for the next launch
}

/// kClock: a clock probe's kernel, launched on the plan of the same kernel without the clock
/// (its registers, hence its occupancy, may differ; the plan must not).
template <class T, int kHint, bool kAcqRelTicket, int kCombine, int kPrefetchTiles = 0, bool kClock = false,
          int kStream = kStreamOwnTiles>
void prepare_typed(const DeviceProblem& p, Runner& r) {
  const Shape s = p.shape;
  auto kernel = mma_stream_kernel<T, kHint, kAcqRelTicket, kCombine, kPrefetchTiles, kClock, kStream>;
  int sms = 0, per_sm = 0;
  occupancy_of(mma_stream_kernel<T, kHint, kAcqRelTicket, kCombine, kPrefetchTiles, false, kStream>, 0, &sms,
               &per_sm);
  const SplitPlan plan = plan_splits(s.B, s.Hkv, s.S, sms, per_sm, kV7BlockKeys, s.splits);
  const bool warp_partials = kCombine == kCombineWarpPartials && plan.splits <= kMaxWarpPartialSplits;
  auto ws = make_split_workspace(s, plan,
                                 kStream == kStreamSharedTiles || kCombine == kCombineDesignated ||
                                     kCombine == kCombineDesignatedEarly,
                                 warp_partials ? kV7Warps : 1);
  const SplitArgs sp = ws->args;
  r.workspace = ws;
  r.details = {{"splits", plan.splits},       {"keys_per_split", plan.keys_per_split},
               {"blocks_per_sm", per_sm},     {"sms", sms},
               {"l2_hint", load_hint_name(kHint)}};
  if (kPrefetchTiles > 0) r.details["l2_prefetch_tiles"] = kPrefetchTiles;
  if (kCombine == kCombineWarpPartials && plan.splits > 1) r.details["partials"] = warp_partials ? "per warp" : "per block";
  if constexpr (kCombine == kCombineCluster) {
    if (plan.splits > kMaxClusterSplits) throw std::logic_error("v16: more splits than one cluster holds");
    r.details["combine"] = "cluster";
    r.launch = [p, s, sp, kernel](cudaStream_t stream) {
      cudaLaunchConfig_t cfg{};
      cfg.gridDim = dim3(sp.splits, s.Hkv, s.B);
      cfg.blockDim = dim3(kThreads);
      cfg.stream = stream;
      cudaLaunchAttribute attr{};
      attr.id = cudaLaunchAttributeClusterDimension;
      attr.val.clusterDim.x = static_cast<unsigned>(sp.splits);  // one (sequence, KV head) per cluster
      attr.val.clusterDim.y = 1;
      attr.val.clusterDim.z = 1;
      cfg.attrs = &attr;
      cfg.numAttrs = 1;
      LABS_CHECK(cudaLaunchKernelEx(&cfg, kernel, static_cast<const T*>(p.q), static_cast<const T*>(p.k),
                                    static_cast<const T*>(p.v), static_cast<T*>(p.out), s.S, s.S_alloc, s.Hq, s.Hkv,
                                    sp, softmax_scale_log2(s.D)));
      LABS_CHECK_LAUNCH();
    };
    return;
  }
  r.launch = [p, s, sp, kernel](cudaStream_t stream) {
    const dim3 grid(sp.splits, s.Hkv, s.B);
    kernel<<<grid, kThreads, 0, stream>>>(static_cast<const T*>(p.q), static_cast<const T*>(p.k),
                                          static_cast<const T*>(p.v), static_cast<T*>(p.out), s.S, s.S_alloc, s.Hq,
                                          s.Hkv, sp, softmax_scale_log2(s.D));
    LABS_CHECK_LAUNCH();
    if constexpr (combines_in_second_kernel(kCombine)) {
      if (sp.splits > 1)
        launch_combine_kernel<T, kCombine == kCombinePolledKernel>(static_cast<T*>(p.out), s.B, s.Hq, s.Hkv, sp,
                                                                   kCombine != kCombineSecondKernelPlain, stream);
    }
  };
  if (combines_in_second_kernel(kCombine) && plan.splits > 1)
    r.details["combine"] = kCombine == kCombineSecondKernel        ? "second kernel (PDL)"
                           : kCombine == kCombinePolledKernel      ? "second kernel (PDL), polls a count per pair"
                                                                   : "second kernel (plain launch)";
}
#endif  // LABS_BACKEND_CUDA

/// Validates the shape and builds the runner of the version called `name`; kEvictFirst is the
/// version's default for the K/V loads (the hint bundle or none), which DECODE02_V7_L2_HINT can
/// override with any LoadHint (l2_hint).
template <bool kAcqRelTicket, bool kEvictFirst, int kCombine = kCombineTwoTrips>
Runner prepare(const DeviceProblem& p, const char* name) {
  const Shape s = p.shape;
#if defined(LABS_BACKEND_CUDA)
  validate(s);
  if (s.group() != kGqaGroup) throw std::invalid_argument(std::string(name) + " is written for 4 query heads per KV head");
  Runner r;
  const int hint = l2_hint(kEvictFirst ? kHintBundle : kHintNone);
  dispatch_dtype(s.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    switch (hint) {
      case kHintBundle: prepare_typed<T, kHintBundle, kAcqRelTicket, kCombine>(p, r); break;
      case kHintPrefetch256: prepare_typed<T, kHintPrefetch256, kAcqRelTicket, kCombine>(p, r); break;
      case kHintNoL1: prepare_typed<T, kHintNoL1, kAcqRelTicket, kCombine>(p, r); break;
      case kHintEvictFirstOnly: prepare_typed<T, kHintEvictFirstOnly, kAcqRelTicket, kCombine>(p, r); break;
      default: prepare_typed<T, kHintNone, kAcqRelTicket, kCombine>(p, r);
    }
  });
  return r;
#else
  (void)s;
  throw std::runtime_error(std::string(name) + " uses mma.sync and PTX cache hints (NVIDIA sm_80+); it has no HIP build");
#endif
}

/// v14's prefetch distance in warp tiles: its default, or DECODE02_L2_PREFETCH_TILES (1, 2, 4
/// or 8: the instantiated distances) for a sweep on the same binary; anything else is an error.
inline int l2_prefetch_tiles(int version_default) {
  const char* e = std::getenv("DECODE02_L2_PREFETCH_TILES");
  if (!e || !*e) return version_default;
  const std::string v(e);
  for (int d : {1, 2, 4, 8})
    if (v == std::to_string(d)) return d;
  throw std::invalid_argument("DECODE02_L2_PREFETCH_TILES=" + v + ": expected 1, 2, 4 or 8 (warp tiles ahead)");
}

#if defined(LABS_BACKEND_CUDA)
/// The shape checks of the versions that have no cache-hint variants (v14, v16), and their
/// refusal of DECODE02_V7_L2_HINT (which the hinted versions v7-v13 take).
inline void validate_unhinted(const Shape& s, const char* name) {
  validate(s);
  if (s.group() != kGqaGroup) throw std::invalid_argument(std::string(name) + " is written for 4 query heads per KV head");
  if (l2_hint(kHintNone) != kHintNone)
    throw std::invalid_argument(std::string(name) + " has no cache-hint variants: unset DECODE02_V7_L2_HINT");
}
#endif

#if defined(LABS_BACKEND_CUDA)
/// v19 (kStream = kStreamTwoTiles) and v20 (kStreamSharedTiles): v13's kernel (no cache hint,
/// acq_rel ticket, warp-per-head combine) with another stream; v21: v13's stream with
/// kCombine = kCombineWarpPartials; v22, v23: with kCombineDesignated(Early). kClock: their clock probes.
template <int kStream, bool kClock = false, int kCombine = kCombineWarpPerHead>
Runner prepare_stream_kind(const DeviceProblem& p, const char* name) {
  validate_unhinted(p.shape, name);
  Runner r;
  dispatch_dtype(p.shape.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    prepare_typed<T, kHintNone, true, kCombine, 0, kClock, kStream>(p, r);
  });
  if (kStream == kStreamTwoTiles) r.details["tiles_in_flight_per_warp"] = 2;
  if (kStream == kStreamSharedTiles) r.details["tiles"] = "shared per (sequence, KV head)";
  return r;
}
#endif

/// v14: v13's body and combine, no cache hint on the loads, plus the L2 bulk prefetch
/// kDefaultTiles warp tiles ahead (DECODE02_L2_PREFETCH_TILES overrides it). Needs sm_90.
template <int kDefaultTiles>
Runner prepare_prefetch(const DeviceProblem& p, const char* name) {
  const Shape s = p.shape;
#if defined(LABS_BACKEND_CUDA)
  validate_unhinted(s, name);
  Runner r;
  const int tiles = l2_prefetch_tiles(kDefaultTiles);
  dispatch_dtype(s.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    switch (tiles) {
      case 1: prepare_typed<T, kHintNone, true, kCombineWarpPerHead, 1>(p, r); break;
      case 2: prepare_typed<T, kHintNone, true, kCombineWarpPerHead, 2>(p, r); break;
      case 4: prepare_typed<T, kHintNone, true, kCombineWarpPerHead, 4>(p, r); break;
      default: prepare_typed<T, kHintNone, true, kCombineWarpPerHead, 8>(p, r);
    }
  });
  return r;
#else
  (void)s;
  throw std::runtime_error(std::string(name) + " uses mma.sync and the sm_90 bulk prefetch; it has no HIP build");
#endif
}

}  // namespace decode02::mma_stream
#endif
