/// @file mma_lean.cuh
/// The tensor-core kernel of v20-v22, v24, v25, v28, v29 and v37 (their files have the design,
/// the predictions and the measured story): v5's packing, decoders, 64-column blocks and split-K,
/// with two groups of weights in flight, x staged four loads at a time, ldmatrix A above M = 8
/// and an acq_rel split-K tail; v24 and v25 widen the block to 128 and 256 columns, v28 moves
/// the tail into a thread-block cluster, v29 evens v24's splits, v37 loads v29's first batch of
/// x before its weights, v39 moves v37's weights through a 4-deep cp.async ring in shared memory,
/// v44 gives v37's split-K sum to the block that ends its group loop last (a designated finisher),
/// v45 takes v44's ticket as the block starts its last group, v48 moves v46's split-K sum into a
/// second kernel launched with programmatic dependent launch, v49 gives that kernel a thread per quad,
/// v52 has that kernel wait per column block on a counter the blocks release.
/// Compiled once per version; MmaLeanFeatures says what each adds. A number above 1000 is a
/// probe of version kVersion % 1000 (kernels/probe_lean_skeleton.cu): the version's grid, block,
/// weight loads and (probe 2) x staging, with the decode, the mma and the split-K tail cut out;
/// or (probe 3, kernels/probe_v37_notail.cu) the whole version without its split-K tail.
#pragma once

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

#include "kernels/even_splits.hpp"
#include "kernels/gemv_cuda_core.cuh"
#include "kernels/mma_dequant.cuh"
#include "kernels/splitk.cuh"
#include "kernels/splitk_sum_kernel.cuh"
#include "kernels/stream_k.cuh"
#include "labs/device_buffer.hpp"
#include "labs/gpu_sync.cuh"
#include "labs/pdl.cuh"
#include "quant/tiled_layout.hpp"

#if defined(LABS_BACKEND_CUDA)
#include <cooperative_groups.h>

namespace w4a16::mma_lean {

constexpr int kTilesPerWarp = 2;  // n-tiles per warp, as v5
constexpr int kMaxClusterSplits = 16;  // v28: K splits per cluster, the largest (non-portable) cluster on sm_90

/// What each version adds, by its number.
template <int kVersion>
struct MmaLeanFeatures {
  static constexpr int kBase = kVersion % 1000;  ///< the version a probe is cut from
  /// 0: a version. 1: the weight and scale loads only (no x staging, no decode, mma or tail).
  /// 2: probe 1 plus the x staging and the mma loop's ldmatrix reads of x. Probes 1 and 2 sum
  /// the words they read into one slot per block instead of computing. 3: the whole version up to
  /// its partial's stores, then the block ends (no ticket, no last block's sum). Above M = 8 and
  /// int4-sym only.
  static constexpr int kProbe = kVersion / 1000;
  /// Probes 1 and 2: a checksum of the words read replaces the decode, mma and tail.
  static constexpr bool kSumProbe = kProbe == 1 || kProbe == 2;
  /// Probe 3: no split-K tail.
  static constexpr bool kNoTail = kProbe == 3;
  /// v21, M <= 8: A rows gid >= M read row M - 1 (unpredicated LDS; v20's predicated loads made
  /// ptxas, under the 64-register cap, rebuild the address and branch at every k-step).
  static constexpr bool kClampedRows = kBase >= 21;
  /// v21, M > 8: groups per split from the v20 split sweep (clamp(G / 8, 4, 11)) instead of v5's plan.
  static constexpr bool kSweptPlan = kBase >= 21;
  /// v22, M <= 8: groups per split from v21's sweep at M = 1-8: max(4, G / 8), capped at 112 / M
  /// (x at most 28 KB per block) instead of v5's plan. The kernels are v21's.
  static constexpr bool kSweptPlanSmallM = kBase >= 22;
  /// Warps per block, side by side in N (two n-tiles each): 4 = v5's 64 columns; v24 8 (128
  /// columns, and v28, v29, v37, v39, which are built on v24), v25 16 (256): x staged once per
  /// block feeds 2x / 4x the weights.
  static constexpr bool kWideBlock =
      kBase == 24 || kBase == 28 || kBase == 29 || kBase == 37 || kBase == 39 || kBase == 44 || kBase == 45 || kBase == 46 ||
      kBase == 48 || kBase == 49 || kBase == 52;
  static constexpr int kWarps = kWideBlock ? 8 : kBase == 25 ? 16 : 4;
  /// v29: v24 with the rule's split moved to the nearest split count that divides G (no short
  /// last split). v37 is built on v29, v39, v44, v45 and v46 on v37.
  static constexpr bool kEvenSplits =
      kBase == 29 || kBase == 37 || kBase == 39 || kBase == 44 || kBase == 45 || kBase == 46 || kBase == 48 || kBase == 49 ||
      kBase == 52;
  /// v37, M > 8: each thread's first batch of x loads (kStageLoads x 16 bytes) leaves before the
  /// weight ring's loads instead of queueing behind them (v35's idea on this kernel); the same
  /// loads, stores and layout, so the same output. Its M <= 8 kernels are v29's. v39 keeps it;
  /// probe 1 stages no x.
  static constexpr bool kXFirst =
      (kBase == 37 || kBase == 39 || kBase == 44 || kBase == 45 || kBase == 46 || kBase == 48 || kBase == 49 ||
       kBase == 52) &&
      kProbe != 1;
  /// v39: each warp's weights go through a kDepth-deep cp.async ring in shared memory (after x)
  /// instead of v37's two register stages: 4 groups (4 KB) in flight per warp, not 2. The scales
  /// (and zero points) keep a register ring of the same depth. Same words, same decode and mma,
  /// same order of additions: the output is bitwise v37's.
  static constexpr bool kSmemRing = kBase == 39;
  /// v28: the K splits of one column block run as one thread-block cluster and add their partials
  /// through distributed shared memory (no global partials, no ticket, no fence).
  static constexpr bool kClusterReduce = kBase == 28;
  /// v44: thread 0 takes a ticket from the column block's counter when its group loop ends (the
  /// answer comes back while the partial is stored); the block with the last ticket sums the
  /// partials after polling a second counter with acquire loads, the others publish with one
  /// release add and leave without waiting for an answer (v37: every block waits for its acq_rel
  /// ticket). Same partials, same sum in split order: bitwise v37's output.
  static constexpr bool kDesignatedTail = kBase == 44 || kBase == 45;
  /// v45: v44 with the ticket taken as thread 0 starts its block's last group instead of after
  /// it: v44 measured the barrier after the partial's stores waiting for the atomic's answer.
  static constexpr bool kTicketAtLastGroup = kBase == 45;
  /// v46: v37's kernel; above M = 8 its plan's split is halved where the grid still fills a wave
  /// (wave_filling_groups_per_split in kernels/even_splits.hpp). The same kernel as v37: at the
  /// same split, the same output bit for bit.
  static constexpr bool kWaveFillPlan = kBase == 46 || kBase == 48 || kBase == 49 || kBase == 52;
  /// v48: v46 whose blocks store their partials and leave (no ticket, no last block); the split
  /// sum runs in splitk_sum_kernel (kernels/splitk_sum_kernel.cuh), launched behind this kernel
  /// with programmatic dependent launch. Same partials, same sum in split order: bitwise v46's.
  static constexpr bool kSumKernel = kBase == 48 || kBase == 49 || kBase == 52;
  /// v49: v48 whose sum kernel has a thread per quad of the partial tile (512 above M = 8, 256
  /// below) instead of 256, so it adds every column block in one L2 round trip, not two above
  /// M = 8. The same sums: bitwise v48's.
  static constexpr bool kOneTripSum = kBase == 49 || kBase == 52;
  /// v52: v49 whose blocks publish their partial with one release add on their column block's
  /// counter (after a barrier; no answer to wait for), and whose sum kernel's block b polls that
  /// counter instead of waiting for the whole grid's end: a column block is summed as soon as
  /// its splits are in, while the rest of the grid still streams. Same sums: bitwise v49's.
  static constexpr bool kPolledSum = kBase == 52;
  /// Counters per column block in the workspace: v44's loop ticket and published count.
  static constexpr int kCountersPerBlock = kDesignatedTail ? 2 : 1;
  static constexpr int kBlockN = kWarps * kTilesPerWarp * kTileN;
  static constexpr int kThreads = kWarps * kWarp;
  /// Blocks per SM asked of ptxas for the symmetric kernels: 32 warps per SM, <= 64 registers.
  static constexpr int kMinBlocks = 32 / kWarps;
  /// Groups in flight per warp: kAhead (2) in the register ring, 4 in v39's shared-memory ring.
  static constexpr int kDepth = kSmemRing ? 4 : 2;
  /// v39's ring, bytes per block: kDepth slots of the warp's two 512-byte tiles, per warp.
  static constexpr int kRingBytes = kSmemRing ? kWarps * kDepth * kTilesPerWarp * kTileBytes : 0;
};

/// Groups per block (per K split) for M rows and G groups: --splits when given, else the
/// version's rule, else v5's plan (`planned`, computed by the caller).
template <int kVersion>
int mma_lean_groups_per_split(int M, int G, int forced_splits, int planned) {
  using F = MmaLeanFeatures<kVersion>;
  if (forced_splits > 0) return (G + forced_splits - 1) / forced_splits;
  int gps = planned;
  if (F::kSweptPlan && M > 8) gps = std::min(G, std::clamp(G / 8, 4, 11));
  else if (F::kSweptPlanSmallM && M <= 8) gps = std::min({G, std::max(4, G / 8), 112 / M});
  return F::kEvenSplits ? even_groups_per_split(G, gps) : gps;
}


constexpr int kXPad = 8;         // halves of padding per staged row: conflict-free ldmatrix
constexpr int kAhead = 2;        // groups in flight while one is multiplied (v5: 1)
constexpr int kStageLoads = 4;   // x loads in flight per thread while staging (8: 96 registers)

/// Everything one lane needs for one group of its two n-tiles.
struct Stage {
  uint4 w[kTilesPerWarp];           ///< its 16 bytes of each tile: all 8 k-steps of column gid
  std::uint32_t s[kTilesPerWarp];   ///< the scales of C columns 2 tig (low half), 2 tig + 1 (high)
  int z[kTilesPerWarp];             ///< the zero point of B column gid (8 when symmetric)
};

/// Scales of columns c and c + 1 of group gi as one packed pair (0 past N).
template <class T>
__device__ __forceinline__ std::uint32_t scale_pair(const T* __restrict__ scales, int gi, int N, int c) {
  const std::size_t i = static_cast<std::size_t>(gi) * N + c;
  if (c + 1 < N && N % 2 == 0) return *reinterpret_cast<const std::uint32_t*>(scales + i);  // c is even
  const std::uint32_t lo = c < N ? bit_cast<std::uint16_t>(scales[i]) : 0u;
  const std::uint32_t hi = c + 1 < N ? bit_cast<std::uint16_t>(scales[i + 1]) : 0u;
  return lo | (hi << 16);
}

/// One 16x16 A fragment of row-major x in shared memory: registers a0..a3 of the mma.
__device__ __forceinline__ void ldmatrix_x4(std::uint32_t (&a)[4], unsigned addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(a[0]), "=r"(a[1]), "=r"(a[2]), "=r"(a[3])
               : "r"(addr));
}

/// v28: byte offset of the block's fp32 partial tile in dynamic shared memory, after the staged x
/// (`rows` rows of `xs_stride` halves), rounded up to 16 bytes.
__host__ __device__ inline int cluster_partial_offset(int rows, int xs_stride) {
  return (rows * xs_stride * 2 + 15) / 16 * 16;
}

/// v28's split-K tail. Every block of the cluster (the `splits` blocks of one column block, cluster
/// rank = blockIdx.y) has its partial tile part[M][width] in its own shared memory. After one
/// cluster barrier, block r adds slice r of the tile over the cluster's blocks in split order
/// 0, 1, ..., S-1 (the order of splitk_finish_in_flight, so the same bits as v24 at the same
/// split), reading the other blocks' tiles through distributed shared memory, and stores y. A
/// second barrier keeps every block's shared memory alive until the others have read it.
template <int kThreads, class T>
__device__ __forceinline__ void cluster_reduce(const float* part, T* __restrict__ y, int M, int N, int col0, int width,
                                               int splits) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  namespace cg = cooperative_groups;
  cg::cluster_group cluster = cg::this_cluster();
  __syncthreads();
  cluster.sync();  // release / acquire at cluster scope: every block's tile is written
  const int quads = M * width / 4;
  const int r = static_cast<int>(cluster.block_rank());
  const int begin = quads * r / splits, end = quads * (r + 1) / splits;
  for (int i = begin + static_cast<int>(threadIdx.x); i < end; i += kThreads) {
    float sum[4] = {0.f, 0.f, 0.f, 0.f};
    for (int sp = 0; sp < splits; ++sp) {
      const float4 v = reinterpret_cast<const float4*>(cluster.map_shared_rank(const_cast<float*>(part), sp))[i];
      sum[0] += v.x;
      sum[1] += v.y;
      sum[2] += v.z;
      sum[3] += v.w;
    }
    const int m = 4 * i / width, c = 4 * i % width;
#pragma unroll
    for (int e = 0; e < 4; ++e)
      if (col0 + c + e < N) y[static_cast<std::size_t>(m) * N + col0 + c + e] = from_f32<T>(sum[e]);
  }
  cluster.sync();  // no block leaves (and frees its shared memory) while another still reads it
#else
  __trap();  // prepare refuses v28 below compute capability 9.0
#endif
}

/// v44's split-K tail, after every thread stored its part of this block's partial. The block
/// holding the last loop ticket of its column block (`loop_ticket`, thread 0's) waits until the
/// other splits - 1 have published (acquire loads of the second counter), then sums all the
/// partials in split order with v37's splitk_finish_in_flight (its own read back: visible to its
/// threads after the barrier) and resets both counters. The others publish with one release add
/// (cumulative over the barrier: their whole partial) and leave, with no answer to wait for. The
/// finisher never waits for a block that is not running: every block of its column block took a
/// ticket before it did.
template <class T>
__device__ __forceinline__ void designated_finish(const float* partials, unsigned* tickets, T* __restrict__ y, int M,
                                                  int N, int col0, int width, int splits, unsigned loop_ticket) {
  __shared__ unsigned last;
  unsigned* const published = tickets + gridDim.x + blockIdx.x;  // the second counter of the column block
  if (threadIdx.x == 0) last = loop_ticket + 1u == static_cast<unsigned>(splits) ? 1u : 0u;
  __syncthreads();  // every thread's partial stores before thread 0's release or poll
  if (last == 0u) {
    if (threadIdx.x == 0) lab::red_add_release_gpu(published);
    return;
  }
  if (threadIdx.x == 0)
    while (lab::load_acquire_gpu(published) < static_cast<unsigned>(splits) - 1u) {
    }
  __syncthreads();  // thread 0's acquire, for every thread's loads of the partials
  splitk_finish_in_flight(partials, &tickets[blockIdx.x], y, M, N, col0, width, splits, blockIdx.x);
  if (threadIdx.x == 0) *published = 0u;  // with the ticket reset in the call above: ready for the next launch
}

/// Columns [blockIdx.x * kBlockN, +kBlockN), groups [blockIdx.y * gps, +gps).
template <class T, bool kAsym, bool kRowsAbove8, int kVersion>
// Symmetric: <= 64 registers, 32 warps per SM as v5 (left free, the M <= 8 kernel took 70).
// Asymmetric: left free (capped at 64 it spills 48-64 bytes).
__global__ void __launch_bounds__(MmaLeanFeatures<kVersion>::kThreads, kAsym ? 1 : MmaLeanFeatures<kVersion>::kMinBlocks)
    w4_mma_lean(const T* __restrict__ x, T* __restrict__ y, const std::uint8_t* __restrict__ tiled,
                const T* __restrict__ scales, const std::uint8_t* __restrict__ zeros, int M, int N, int K, int gps,
                float* __restrict__ partials, unsigned* __restrict__ tickets) {
  using D = MmaDequant<T>;
  constexpr int kBlockN = MmaLeanFeatures<kVersion>::kBlockN;
  constexpr int kThreads = MmaLeanFeatures<kVersion>::kThreads;
  extern __shared__ uint4 smem_raw[];
  T* xs = reinterpret_cast<T*>(smem_raw);
  // v48: the sum kernel may be scheduled once every block of this grid has started; it waits
  // inside (griddepcontrol.wait) for this grid's end.
  if constexpr (MmaLeanFeatures<kVersion>::kSumKernel) {
    lab::pdl_allow_dependents();
  }

  const int G = K / kTileK;
  const int g_begin = blockIdx.y * gps;
  const int g_end = min(G, g_begin + gps);
  const int kr = (g_end - g_begin) * kTileK;
  const int xs_stride = gps * kTileK + kXPad;
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int gid = lane >> 2, tig = lane & 3;
  const int n_tiles = tiled_rows(N) / kTileN;
  const int tile0 = blockIdx.x * (kBlockN / kTileN) + warp * kTilesPerWarp;

  auto load_stage = [&](Stage& st, int gi) {
#pragma unroll
    for (int t = 0; t < kTilesPerWarp; ++t) {
      const int tile = tile0 + t;
      const int nb = tile * kTileN;
      const bool live = gi < g_end && tile < n_tiles;
      if constexpr (!MmaLeanFeatures<kVersion>::kSmemRing) {  // v39: the weights go through cp.async (issue_w)
        st.w[t] = live ? load16(tiled + ((static_cast<std::size_t>(tile) * G + gi) * 32 + lane) * 16)
                       : make_uint4(0, 0, 0, 0);
      }
      st.s[t] = live ? scale_pair(scales, gi, N, nb + 2 * tig) : 0u;
      st.z[t] = kAsym && live && nb + gid < N ? static_cast<int>(zeros[static_cast<std::size_t>(gi) * N + nb + gid]) : 8;
    }
  };

  // v39: the warp's ring of kDepth slots, behind the staged x (16-byte aligned: 2 xs_stride is a
  // multiple of 16). Lane l copies and reads bytes [16 l, 16 l + 16) of each tile: no lane reads
  // another's copy, so a slot needs no barrier, only the lane's own cp.async.wait_group.
  std::uint8_t* ring_w = reinterpret_cast<std::uint8_t*>(smem_raw) + (kRowsAbove8 ? 16 : M) * xs_stride * 2 +
                         warp * MmaLeanFeatures<kVersion>::kDepth * kTilesPerWarp * kTileBytes + lane * 16;
  static_assert((MmaLeanFeatures<kVersion>::kDepth & (MmaLeanFeatures<kVersion>::kDepth - 1)) == 0, "a power of two");
  auto ring_slot = [&](int gi) {
    return ring_w + ((gi - g_begin) & (MmaLeanFeatures<kVersion>::kDepth - 1)) * kTilesPerWarp * kTileBytes;
  };
  auto issue_w = [&](int gi) {  // one commit group per group gi, empty past the block's range
    if (gi < g_end) {
#pragma unroll
      for (int t = 0; t < kTilesPerWarp; ++t) {
        const int tile = tile0 + t;
        const bool live = tile < n_tiles;  // past the last tile: zero-filled, as v37's registers
        stream_k::cp_async(ring_slot(gi) + t * kTileBytes,
                           live ? tiled + ((static_cast<std::size_t>(tile) * G + gi) * 32 + lane) * 16 : tiled, 16, live);
      }
    }
    stream_k::cp_async_commit();
  };

  // v37, above M = 8: the x staging's first batch (step 2's first pass: the same chunks and
  // predicates) is loaded before the weights and stored after them, so its requests leave the SM
  // ahead of the ring's instead of behind them. At M = 16 on a K = 4096 layer that is all of the
  // block's x. Spelled out here rather than shared with step 2 through a helper: sharing it
  // rescheduled the other versions' kernels (their cubins are kept as measured).
  uint4 x_first[kStageLoads];
  if constexpr (MmaLeanFeatures<kVersion>::kXFirst && kRowsAbove8) {
    const int vecs = kr / 8, total = 16 * vecs;
#pragma unroll
    for (int b = 0; b < kStageLoads; ++b) {
      const int i = threadIdx.x + b * kThreads;
      const int m = i / vecs, c = i % vecs;
      x_first[b] = i < total && m < M ? load16(x + static_cast<std::size_t>(m) * K + static_cast<std::size_t>(g_begin) * kTileK + c * 8)
                                      : make_uint4(0, 0, 0, 0);
    }
  }

  // 1. Two groups of weights in flight (first, but for v37's batch of x above); v39: four, the
  // weights by cp.async into the shared-memory ring, the scales in registers.
  if constexpr (MmaLeanFeatures<kVersion>::kSmemRing) {
#pragma unroll
    for (int a = 0; a < MmaLeanFeatures<kVersion>::kDepth; ++a) issue_w(g_begin + a);
  }
  Stage ring[MmaLeanFeatures<kVersion>::kDepth];
#pragma unroll
  for (int a = 0; a < MmaLeanFeatures<kVersion>::kDepth; ++a) load_stage(ring[a], g_begin + a);

  // 2. x[0:M, the block's k range] into padded rows; above M = 8 all 16 rows (M..15 zero: ldmatrix
  // reads them), else M rows (read with v5's predicated LDS).
  const int rows = kRowsAbove8 ? 16 : M;
  const int vecs = kr / 8;
  const int total = rows * vecs;
  if constexpr (MmaLeanFeatures<kVersion>::kXFirst && kRowsAbove8) {  // v37: its first batch, then the loop from the second
#pragma unroll
    for (int b = 0; b < kStageLoads; ++b) {
      const int i = threadIdx.x + b * kThreads;
      if (i < total) *reinterpret_cast<uint4*>(xs + (i / vecs) * xs_stride + (i % vecs) * 8) = x_first[b];
    }
  }
  if constexpr (MmaLeanFeatures<kVersion>::kProbe != 1) {  // probe 1 stages no x (the barrier stays)
    for (int base = threadIdx.x + (MmaLeanFeatures<kVersion>::kXFirst && kRowsAbove8 ? kThreads * kStageLoads : 0); base < total;
         base += kThreads * kStageLoads) {
      uint4 v[kStageLoads];
#pragma unroll
      for (int b = 0; b < kStageLoads; ++b) {
        const int i = base + b * kThreads;
        const int m = i / vecs, c = i % vecs;
        v[b] = i < total && m < M ? load16(x + static_cast<std::size_t>(m) * K + static_cast<std::size_t>(g_begin) * kTileK + c * 8)
                                  : make_uint4(0, 0, 0, 0);
      }
#pragma unroll
      for (int b = 0; b < kStageLoads; ++b) {
        const int i = base + b * kThreads;
        if (i < total) *reinterpret_cast<uint4*>(xs + (i / vecs) * xs_stride + (i % vecs) * 8) = v[b];
      }
    }
  }
  __syncthreads();

  // M > 8, ldmatrix.x4 row addresses: lanes 0-7 rows 0-7 (k), 8-15 rows 8-15 (k), 16-23 rows 0-7
  // (k + 8), 24-31 rows 8-15 (k + 8), i.e. registers a0..a3 of the mma.
  // M <= 8: v5's four-byte LDS of row gid (a1 = a3 = 0: rows 8..15).
  const unsigned a_base =
      static_cast<unsigned>(__cvta_generic_to_shared(xs + (lane & 15) * xs_stride + (lane >> 4) * 8));
  // v21: rows gid >= M read row M - 1 instead (no predicate, no branch); they only feed C rows
  // >= M, which are never stored.
  constexpr bool kClampedRows = MmaLeanFeatures<kVersion>::kClampedRows;
  const bool row_lo = kClampedRows || gid < M;
  const T* xr_lo = xs + (kClampedRows ? min(gid, M - 1) : gid) * xs_stride + 2 * tig;
  auto load_a = [&](std::uint32_t (&a)[4], int k) {  // k: relative to the block's first group
    if constexpr (kRowsAbove8) {
      ldmatrix_x4(a, a_base + static_cast<unsigned>(k * 2));
    } else {
      a[0] = row_lo ? *reinterpret_cast<const std::uint32_t*>(xr_lo + k) : 0u;
      a[2] = row_lo ? *reinterpret_cast<const std::uint32_t*>(xr_lo + k + 8) : 0u;
      a[1] = a[3] = 0u;
    }
  };

  float acc[kTilesPerWarp][4] = {};
  std::uint32_t probe_sum = 0;  // probes: the words this lane read, wrapping
  unsigned loop_ticket = 0;  // v44, v45: the block's place in its column block's order of loop ends
  for (int gi = g_begin; gi < g_end; ++gi) {
    if constexpr (MmaLeanFeatures<kVersion>::kTicketAtLastGroup) {
      if (gi + 1 == g_end && gridDim.y > 1 && threadIdx.x == 0) loop_ticket = atomicAdd(&tickets[blockIdx.x], 1u);
    }
    Stage cur = ring[0];
#pragma unroll
    for (int a = 0; a + 1 < MmaLeanFeatures<kVersion>::kDepth; ++a) ring[a] = ring[a + 1];
    // g + 1 and g + 2 in flight while g is multiplied (v39: g + 1 .. g + 3, and g + 4 after it)
    load_stage(ring[MmaLeanFeatures<kVersion>::kDepth - 1], gi + MmaLeanFeatures<kVersion>::kDepth);
    if constexpr (MmaLeanFeatures<kVersion>::kSmemRing) {  // v39: group gi's copies (the oldest) have landed
      stream_k::cp_async_wait_oldest<MmaLeanFeatures<kVersion>::kDepth>();
#pragma unroll
      for (int t = 0; t < kTilesPerWarp; ++t) cur.w[t] = *reinterpret_cast<const uint4*>(ring_slot(gi) + t * kTileBytes);
    }
    if constexpr (MmaLeanFeatures<kVersion>::kSumProbe) {  // the words are summed instead of decoded and multiplied
#pragma unroll
      for (int t = 0; t < kTilesPerWarp; ++t)  // a scale pair is loaded by the 8 lanes of one tig: counted once
        probe_sum += cur.w[t].x + cur.w[t].y + cur.w[t].z + cur.w[t].w + (gid == 0 ? cur.s[t] : 0u);
      if constexpr (MmaLeanFeatures<kVersion>::kProbe == 2) {  // the mma loop's A fragments: every staged word once per warp
#pragma unroll
        for (int j = 0; j < 8; ++j) {
          std::uint32_t a[4];
          load_a(a, (gi - g_begin) * kTileK + j * 16);
          probe_sum += a[0] + a[1] + a[2] + a[3];
        }
      }
      if constexpr (MmaLeanFeatures<kVersion>::kSmemRing) issue_w(gi + MmaLeanFeatures<kVersion>::kDepth);
    } else {
      typename D::Zero zb[kTilesPerWarp];
#pragma unroll
      for (int t = 0; t < kTilesPerWarp; ++t) zb[t] = D::zero(cur.z[t]);

      float c[kTilesPerWarp][4] = {};
      const int kg = (gi - g_begin) * kTileK;
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        std::uint32_t a0[4], a1[4];  // A of k-steps 2j and 2j + 1
        load_a(a0, kg + (2 * j) * 16);
        load_a(a1, kg + (2 * j + 1) * 16);
#pragma unroll
        for (int t = 0; t < kTilesPerWarp; ++t) {
          std::uint32_t b[4];
          D::decode(word_of(cur.w[t], j), zb[t], b);
          D::mma(c[t], a0, b[0], b[1]);
          D::mma(c[t], a1, b[2], b[3]);
        }
      }
      // v39: the slot's words are in registers and used: refill it with group gi + kDepth.
      if constexpr (MmaLeanFeatures<kVersion>::kSmemRing) issue_w(gi + MmaLeanFeatures<kVersion>::kDepth);
#pragma unroll
      for (int t = 0; t < kTilesPerWarp; ++t) {
        const float s_lo = lo_to_f32(cur.s[t], T{}), s_hi = hi_to_f32(cur.s[t], T{});
        acc[t][0] = fmaf(c[t][0], s_lo, acc[t][0]);
        acc[t][1] = fmaf(c[t][1], s_hi, acc[t][1]);
        acc[t][2] = fmaf(c[t][2], s_lo, acc[t][2]);
        acc[t][3] = fmaf(c[t][3], s_hi, acc[t][3]);
      }
    }
  }

  // v44: the ticket after the loop. Its answer is first needed after the partial's stores and a
  // barrier, which was to hide its round trip; the barrier waits for it instead (v45's reason).
  if constexpr (MmaLeanFeatures<kVersion>::kDesignatedTail && !MmaLeanFeatures<kVersion>::kTicketAtLastGroup) {
    if (gridDim.y > 1 && threadIdx.x == 0) loop_ticket = atomicAdd(&tickets[blockIdx.x], 1u);
  }

  if constexpr (MmaLeanFeatures<kVersion>::kSumProbe) {  // one sum per block, in the buffer passed as partials
    __shared__ std::uint32_t warp_sums[kThreads / kWarp];
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) probe_sum += __shfl_xor_sync(0xffffffffu, probe_sum, o);
    if (lane == 0) warp_sums[warp] = probe_sum;
    __syncthreads();
    if (threadIdx.x == 0) {
      std::uint32_t sum = 0;
      for (int v = 0; v < kThreads / kWarp; ++v) sum += warp_sums[v];
      reinterpret_cast<std::uint32_t*>(partials)[blockIdx.y * gridDim.x + blockIdx.x] = sum;
    }
    return;
  }
  const int splits = gridDim.y;
  const int col0 = blockIdx.x * kBlockN;
  if constexpr (MmaLeanFeatures<kVersion>::kClusterReduce) {
    if (splits > 1) {
      // The partial tile goes to this block's shared memory, behind x; cluster_reduce (below) adds
      // the cluster's tiles in split order and stores y.
      float* part = reinterpret_cast<float*>(reinterpret_cast<unsigned char*>(smem_raw) +
                                             cluster_partial_offset(rows, xs_stride));
#pragma unroll
      for (int t = 0; t < kTilesPerWarp; ++t) {
        const int local = (warp * kTilesPerWarp + t) * kTileN + 2 * tig;
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          const int row = gid + 8 * h;
          if (row < M) *reinterpret_cast<float2*>(part + row * kBlockN + local) = make_float2(acc[t][2 * h], acc[t][2 * h + 1]);
        }
      }
      cluster_reduce<kThreads>(part, y, M, N, col0, kBlockN, splits);
      return;
    }
  }
  float* mine = splits == 1 ? nullptr : partials + (static_cast<std::size_t>(blockIdx.x) * splits + blockIdx.y) * M * kBlockN;
#pragma unroll
  for (int t = 0; t < kTilesPerWarp; ++t) {
    const int local = (warp * kTilesPerWarp + t) * kTileN + 2 * tig;  // columns local, local + 1
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int row = gid + 8 * h;
      if (row >= M) continue;
      if (splits == 1) {
        if (col0 + local < N) y[static_cast<std::size_t>(row) * N + col0 + local] = from_f32<T>(acc[t][2 * h]);
        if (col0 + local + 1 < N) y[static_cast<std::size_t>(row) * N + col0 + local + 1] = from_f32<T>(acc[t][2 * h + 1]);
      } else {
        *reinterpret_cast<float2*>(mine + row * kBlockN + local) = make_float2(acc[t][2 * h], acc[t][2 * h + 1]);
      }
    }
  }
  if constexpr (MmaLeanFeatures<kVersion>::kNoTail) return;  // probe 3: the partials stay in the workspace
  if constexpr (MmaLeanFeatures<kVersion>::kSumKernel) {  // v48, v49, v52: splitk_sum_kernel adds them
    if constexpr (MmaLeanFeatures<kVersion>::kPolledSum) {
      if (splits > 1) {
        __syncthreads();  // every thread's partial stores before thread 0's release (cumulative)
        if (threadIdx.x == 0) lab::red_add_release_gpu(&tickets[blockIdx.x]);
      }
    }
    return;
  }
  if constexpr (MmaLeanFeatures<kVersion>::kDesignatedTail) {
    if (splits > 1) {
      designated_finish(partials, tickets, y, M, N, col0, kBlockN, splits, loop_ticket);
      return;
    }
  }
  if (splits > 1 && splitk_arrive_acq_rel(&tickets[blockIdx.x], splits))
    splitk_finish_in_flight(partials, &tickets[blockIdx.x], y, M, N, col0, kBlockN, splits, blockIdx.x);
}

/// Plans and launches the kernel for p; `name` is the version in messages. A probe (kVersion >
/// 1000) runs above M = 8 in int4-sym only and hands back in *probe_out the buffer of its
/// per-block sums (probes 1 and 2) or its split-K partials (probe 3, which refuses one split).
template <int kVersion>
Step prepare_mma_lean(const Problem& p, const char* name, std::shared_ptr<lab::DeviceBytes>* probe_out = nullptr) {
  constexpr bool kIsProbe = MmaLeanFeatures<kVersion>::kProbe > 0;
  constexpr bool kSumProbe = MmaLeanFeatures<kVersion>::kSumProbe;
  require_supported(p);
  if (!is_int4(p.wfmt)) throw std::invalid_argument(std::string(name) + " implements int4-sym and int4-asym only");
  if (kIsProbe && (p.M <= 8 || p.wfmt != WFormat::int4_sym || p.N % 2 != 0))
    throw std::invalid_argument(std::string(name) + " runs above M = 8, int4-sym, even N only (the kernels the probes were checked on; the checksums count scale pairs as words)");
  constexpr int kBlockN = MmaLeanFeatures<kVersion>::kBlockN;
  constexpr int kThreads = MmaLeanFeatures<kVersion>::kThreads;
  const int G = p.K / kTileK;
  if (p.splits > G)
    throw std::invalid_argument(std::string(name) + ": --splits " + std::to_string(p.splits) + " exceeds the " + std::to_string(G) +
                                " groups of K = " + std::to_string(p.K));
  const int col_blocks = (p.N + kBlockN - 1) / kBlockN;
  const int rows = p.M > 8 ? 16 : p.M;  // staged rows of x
  const int gps_smem = std::max(1, (24576 / rows - kXPad) / kTileK);  // x under 48 KB, as v5
  Step step;
  auto build = [&](auto tag_t, auto asym_c, auto above8_c) {
    using T = decltype(tag_t);
    auto kernel = w4_mma_lean<T, decltype(asym_c)::value, decltype(above8_c)::value, kVersion>;
    constexpr int kRingBytes = MmaLeanFeatures<kVersion>::kRingBytes;  // v39: the weights' ring, after x
    const int smem_probe = rows * (std::min(G, gps_smem) * kTileK + kXPad) * 2 + kRingBytes;
    int per_sm = 1;
    LABS_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kThreads, smem_probe));
    int gps = mma_lean_groups_per_split<kVersion>(
        p.M, G, p.splits, std::min(gps_smem, plan_groups_per_split(p.M, p.N, p.K, kBlockN, p.sms, per_sm, 0.5)));
    if constexpr (MmaLeanFeatures<kVersion>::kWaveFillPlan) {
      if (p.splits == 0 && p.M > 8) gps = wave_filling_groups_per_split(G, gps, col_blocks, p.sms * per_sm);
    }
    constexpr bool kCluster = MmaLeanFeatures<kVersion>::kClusterReduce;
    if (kCluster && (G + gps - 1) / gps > kMaxClusterSplits) {
      if (p.splits > 0)
        throw std::invalid_argument(std::string(name) + ": --splits " + std::to_string(p.splits) +
                                    " exceeds the largest cluster, " + std::to_string(kMaxClusterSplits) + " blocks");
      gps = (G + kMaxClusterSplits - 1) / kMaxClusterSplits;  // the rule's split, capped at one cluster
    }
    const int splits = (G + gps - 1) / gps;
    const bool cluster = kCluster && splits > 1;
    const int xs_stride = gps * kTileK + kXPad;
    const int smem = cluster ? cluster_partial_offset(rows, xs_stride) + p.M * kBlockN * 4 : rows * xs_stride * 2 + kRingBytes;
    int device = 0, optin = 0;
    LABS_CHECK(cudaGetDevice(&device));
    LABS_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
    if (smem > optin)
      throw std::invalid_argument(std::string(name) + ": " + std::to_string(splits) + " splits stage " + std::to_string(smem) +
                                  " bytes of x per block, the limit is " + std::to_string(optin));
    LABS_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
    const SplitKWorkspace ws(col_blocks, cluster || kSumProbe ? 1 : splits, p.M, kBlockN,  // v28: no global partials
                             MmaLeanFeatures<kVersion>::kCountersPerBlock);
    const dim3 grid(col_blocks, splits);
    std::shared_ptr<lab::DeviceBytes> sums;  // probes 1, 2: one 32-bit sum per block, passed as the partials
    if constexpr (kSumProbe) {
      sums = std::make_shared<lab::DeviceBytes>(sizeof(std::uint32_t) * static_cast<std::size_t>(col_blocks) * splits);
      *probe_out = sums;
    } else if constexpr (kIsProbe) {  // probe 3: its partials are its output
      if (splits == 1) throw std::invalid_argument(std::string(name) + " cuts the split-K tail; this problem has one split");
      *probe_out = ws.partials_buf;
    }
    cudaLaunchAttribute cluster_dim{};
    cluster_dim.id = cudaLaunchAttributeClusterDimension;
    cluster_dim.val.clusterDim.x = 1;
    cluster_dim.val.clusterDim.y = static_cast<unsigned>(splits);
    cluster_dim.val.clusterDim.z = 1;
    if (cluster) {
      int cc_major = 0;
      LABS_CHECK(cudaDeviceGetAttribute(&cc_major, cudaDevAttrComputeCapabilityMajor, device));
      if (cc_major < 9) throw std::invalid_argument(std::string(name) + " needs thread-block clusters (compute capability 9.0)");
      if (splits > 8) LABS_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeNonPortableClusterSizeAllowed, 1));
      cudaLaunchConfig_t probe{};
      probe.gridDim = grid;
      probe.blockDim = dim3(kThreads);
      probe.dynamicSmemBytes = static_cast<std::size_t>(smem);
      probe.attrs = &cluster_dim;
      probe.numAttrs = 1;
      int clusters = 0;
      LABS_CHECK(cudaOccupancyMaxActiveClusters(&clusters, kernel, &probe));
      if (clusters < 1)
        throw std::invalid_argument(std::string(name) + ": a cluster of " + std::to_string(splits) + " blocks of " +
                                    std::to_string(smem) + " bytes does not fit on one GPC");
    }
    const Problem q = p;
    step = [=](const DeviceWeights& w, Stream s) {
      if (!w.tiled) throw std::invalid_argument(std::string(name) + " needs the tiled packing");
      const T* x = static_cast<const T*>(q.x);
      T* y = static_cast<T*>(q.y);
      const T* scales = static_cast<const T*>(w.scales);
      if (cluster) {
        cudaLaunchConfig_t cfg{};
        cfg.gridDim = grid;
        cfg.blockDim = dim3(kThreads);
        cfg.dynamicSmemBytes = static_cast<std::size_t>(smem);
        cfg.stream = s;
        cudaLaunchAttribute attr = cluster_dim;
        cfg.attrs = &attr;
        cfg.numAttrs = 1;
        LABS_CHECK(cudaLaunchKernelEx(&cfg, kernel, x, y, w.tiled, scales, w.zeros, q.M, q.N, q.K, gps,
                                      static_cast<float*>(nullptr), static_cast<unsigned*>(nullptr)));
      } else {
        kernel<<<grid, kThreads, smem, s>>>(x, y, w.tiled, scales, w.zeros, q.M, q.N, q.K, gps,
                                            sums ? sums->as<float>() : ws.partials(), ws.tickets());
      }
      LABS_CHECK_LAUNCH();
      if constexpr (MmaLeanFeatures<kVersion>::kSumKernel) {
        if (splits > 1) {
          if constexpr (MmaLeanFeatures<kVersion>::kOneTripSum) {
            static_assert(16 * kBlockN / 4 <= 512, "a thread per quad of a 16-row tile");
            const int quads = q.M * kBlockN / 4;  // one per thread: 32 M
            launch_splitk_sum_kernel<T, 512, MmaLeanFeatures<kVersion>::kPolledSum>(
                ws.partials(), ws.tickets(), y, q.M, q.N, kBlockN, splits, col_blocks, quads <= 256 ? 256 : 512, s);
          } else {
            launch_splitk_sum_kernel<T, 256>(ws.partials(), ws.tickets(), y, q.M, q.N, kBlockN, splits, col_blocks, 256,
                                             s);
          }
        }
      }
    };
  };
  if constexpr (kIsProbe) {  // the kernels it was checked to take: above M = 8, symmetric
    if (p.dtype == lab::DType::bf16) build(lab::bf16{}, std::false_type{}, std::true_type{});
    else build(lab::f16{}, std::false_type{}, std::true_type{});
  } else {
    dispatch_mma_kernel(p, build);
  }
  return step;
}

}  // namespace w4a16::mma_lean
#endif
