/// @file stream_k.cuh
/// The stream-K INT4 GEMV/GEMM of v9 and v10 (see v9_stream_k.cu for the design, the
/// prediction and the measured story): U = (N/8) x (K/128) units of 512 contiguous bytes of
/// the tiled packing cut into equal contiguous ranges, one per warp of one full wave; each
/// warp streams its range through a private cp.async ring; tiles shared between warps are
/// reduced deterministically by the last contributor. The versions differ only in `Decode`,
/// the policy that turns one 32-bit weight word into the four B registers of two k-steps:
///   kFolded = false: B = q - 8 exactly (v5's decoders);
///   kFolded = true:  B = q + kOffset - 8 (the magic-number value, no subtraction), and the
///                    kernel subtracts kOffset x (sum of the group's x) once per group.
#pragma once

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

#include "kernels/mma_dequant.cuh"
#include "kernels/splitk.cuh"
#include "labs/device_buffer.hpp"
#include "quant/tiled_layout.hpp"

#if defined(LABS_BACKEND_CUDA)
namespace w4a16::stream_k {


constexpr int kWarps = 8;
constexpr int kThreads = kWarps * kWarp;
constexpr int kStages = 8;                                      // units in flight per warp
constexpr int kRingBytesPerWarp = kStages * kWarp * (16 + 4);  // weights + scale pairs
constexpr int kXPadWords = 16;  // 64 bytes per staged row: rows 2p and 2p+1 in opposite bank halves

/// Words of one staged x row: G groups x 4 (k-step pairs) x 4 lanes x 4 words, + pad.
__host__ __device__ inline int x_row_words(int G) { return G * 64 + kXPadWords; }

__device__ __forceinline__ void cp_async(void* smem, const void* gmem, int bytes, bool valid) {
  const unsigned saddr = static_cast<unsigned>(__cvta_generic_to_shared(smem));
  const int src = valid ? bytes : 0;  // 0: fill with zeros, read nothing
  if (bytes == 16)
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(saddr), "l"(gmem), "r"(src) : "memory");
  else
    asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(saddr), "l"(gmem), "r"(src) : "memory");
}
/// 16-byte cp.async that reads only the first `src_bytes` (0..16) and zero-fills the rest.
__device__ __forceinline__ void cp_async16_partial(void* smem, const void* gmem, int src_bytes) {
  const unsigned saddr = static_cast<unsigned>(__cvta_generic_to_shared(smem));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(saddr), "l"(gmem), "r"(src_bytes) : "memory");
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
/// Waits until at most kPending - 1 commit groups are in flight: the oldest has landed.
template <int kPending = kStages>
__device__ __forceinline__ void cp_async_wait_oldest() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending - 1) : "memory");
}

/// The warp that owns unit u when U units are cut into W ranges [U w / W, U (w + 1) / W).
__device__ __forceinline__ long long owner_of(long long u, long long U, long long W) { return ((u + 1) * W - 1) / U; }

/// Stage x[0:M][0:K] in fragment order: word (m, g, j, t, w) = the two x values lane t feeds
/// to A as register 0 (w = 0: k-step 2j, k = 2t), 2 (w = 1: 2j, k = 2t + 8), then the same
/// for k-step 2j + 1 (w = 2, 3); relative k inside the group = 16 s + 8 h + 2 t.
template <class T>
__device__ void stage_x(const T* __restrict__ x, std::uint32_t* xs, int M, int K) {
  const int G = K / kTileK, chunks = K / 8;  // 16-byte chunks of 8 values per row
  for (int i = threadIdx.x; i < M * chunks; i += kThreads) {
    const int m = i / chunks, c = i % chunks;
    const uint4 v = load16(x + static_cast<std::size_t>(m) * K + c * 8);
    const int g = c / 16, cc = c % 16, s = cc / 2, h = cc % 2;
    std::uint32_t* dst = xs + m * x_row_words(G) + (g * 4 + s / 2) * 16 + (s % 2) * 2 + h;
    dst[0] = v.x;   // lane t = 0
    dst[4] = v.y;   // lane 1
    dst[8] = v.z;   // lane 2
    dst[12] = v.w;  // lane 3
  }
}

/// v13's staging: the fragment order of stage_x, but each thread issues up to kXBatch loads
/// before its first store (stage_x waits one round trip per 16 bytes it moves: 7 in a row at
/// K = 14336), and the 16 threads that hold one (row, group) also add their 128 values with
/// 4 shuffles, so the group sums come from the same loads. sink(m, g, sum) is called once per
/// (row, group), by the thread holding its first chunk; the order of additions is fixed.
inline constexpr int kXBatch = 4;

/// One loaded 16-byte chunk (row m, chunk c) of x: stored in stage_x's fragment order when
/// `live`, and its 8 values added over the 16 lanes that hold one (row, group), the sum handed
/// to sink by the lane with the group's first chunk. Every lane of the warp must call it (the
/// shuffles); the step shared by stage_x_batched and v19's stage_x_stepped.
template <class T, class Sink>
__device__ __forceinline__ void stage_chunk(const uint4& v, std::uint32_t* xs, int G, int m, int c, bool live,
                                            Sink& sink) {
  const int g = c / 16, cc = c % 16, st = cc / 2, h = cc % 2;
  if (live) {
    std::uint32_t* dst = xs + m * x_row_words(G) + (g * 4 + st / 2) * 16 + (st % 2) * 2 + h;
    dst[0] = v.x;
    dst[4] = v.y;
    dst[8] = v.z;
    dst[12] = v.w;
  }
  const std::uint32_t w[4] = {v.x, v.y, v.z, v.w};
  float sum = 0.f;
#pragma unroll
  for (int q = 0; q < 4; ++q) sum += lo_to_f32(w[q], T{}) + hi_to_f32(w[q], T{});
#pragma unroll
  for (int o = 8; o > 0; o >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, o);  // 16 chunks = 16 lanes
  if (live && cc == 0) sink(m, g, sum);
}

/// kBlockThreads: the block's thread count (v18's blocks are twice the others').
template <int kBlockThreads = kThreads, class T, class Sink>
__device__ void stage_x_batched(const T* __restrict__ x, std::uint32_t* xs, int M, int K, Sink sink) {
  const int G = K / kTileK, chunks = K / 8, total = M * chunks;  // chunks % 16 == 0
  for (int base = 0; base < total; base += kBlockThreads * kXBatch) {  // the same trip count for every thread
    uint4 v[kXBatch];
#pragma unroll
    for (int b = 0; b < kXBatch; ++b) {
      const int i = base + b * kBlockThreads + static_cast<int>(threadIdx.x);
      v[b] = i < total ? load16(x + static_cast<std::size_t>(i / chunks) * K + (i % chunks) * 8) : make_uint4(0, 0, 0, 0);
    }
#pragma unroll
    for (int b = 0; b < kXBatch; ++b) {
      const int i = base + b * kBlockThreads + static_cast<int>(threadIdx.x);
      stage_chunk<T>(v[b], xs, G, i / chunks, i % chunks, i < total, sink);
    }
  }
}

/// xsum[m][g] = sum of the 128 x values of group g of row m, in fp32, in a fixed order.
template <class T>
__device__ void stage_group_sums(const T* __restrict__ x, float* xsum, int M, int K) {
  const int G = K / kTileK;
  for (int i = threadIdx.x; i < M * G; i += kThreads) {
    const T* row = x + static_cast<std::size_t>(i / G) * K + static_cast<std::size_t>(i % G) * kTileK;
    float s = 0.f;
    for (int c = 0; c < kTileK / 8; ++c) {
      const uint4 v = load16(row + c * 8);
      const std::uint32_t w[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
      for (int q = 0; q < 4; ++q) s += lo_to_f32(w[q], T{}) + hi_to_f32(w[q], T{});
    }
    xsum[i] = s;
  }
}

struct Pending {  // a partly owned n-tile, published at the warp's end
  int tile = -1;
  float acc[4] = {0.f, 0.f, 0.f, 0.f};
};

/// Keeps a shared tile's accumulators until the warp's end: the first into `first`, the second
/// into `last`. Selects, not a run-time index, so both pendings stay in registers.
__device__ __forceinline__ void keep_pending(Pending& first, Pending& last, int& n_pend, int tile,
                                             const float (&acc)[4]) {
  const bool into_first = n_pend == 0;
  first.tile = into_first ? tile : first.tile;
  last.tile = into_first ? last.tile : tile;
#pragma unroll
  for (int e = 0; e < 4; ++e) {
    first.acc[e] = into_first ? acc[e] : first.acc[e];
    last.acc[e] = into_first ? last.acc[e] : acc[e];
  }
  ++n_pend;
}

/// Output of one tile's C fragment (rows gid, gid + 8; columns 2 tig, 2 tig + 1).
template <class T, bool kRowsAbove8>
__device__ __forceinline__ void store_tile(T* y, const float (&acc)[4], int tile, int M, int N, int gid, int tig) {
  const int c0 = tile * kTileN + 2 * tig;
#pragma unroll
  for (int e = 0; e < (kRowsAbove8 ? 4 : 2); ++e) {
    const int row = gid + (e >= 2 ? 8 : 0), col = c0 + (e & 1);
    if (row < M && col < N) y[static_cast<std::size_t>(row) * N + col] = from_f32<T>(acc[e]);
  }
}

/// Publishes this warp's partial of a shared tile (`width` output columns, starting at column
/// tile x width): `store_mine(float* slot)` writes the lane's values at [row * width + column];
/// after a fence and a ticket, the last contributor adds the slots in order 0, 1, ... and
/// writes y, then resets the ticket.
/// The ticket's memory ordering. kReleaseAcquire = false (v9 ... v13): `__threadfence()`
/// before and after the atomic, which compiles to MEMBAR.SC.GPU (a sequentially consistent
/// fence) plus an L1 invalidation. true (v14): the lanes' partial stores are ordered before
/// lane 0's `atom.add.acq_rel.gpu` by the warp barrier (bar.warp.sync orders memory among its
/// threads), and the last contributor's loads after it by the same barrier: the pattern
/// CUTLASS's semaphores use with __syncthreads.
/// (ticket_add_acq_rel is common/labs/gpu_sync.cuh's, shared with v20's split-K tail and topic 02.)

/// kLeanTail = false (v9 ... v14): the tile's first and last contributors come from two
/// 64-bit divisions (owner_of, ~100 instructions each), and the last contributor adds the
/// slots with one load per loop iteration: `contributors` L2 round trips in a row (13 on 8b-o
/// at M = 1). true (v15): a contributor is this warp itself whenever the tile starts (ends)
/// inside its range [ub, ue), the other end costs one 32-bit division when U x W < 2^32, and
/// eight partial loads are in flight before their additions (same order 0, 1, ...: same result).
template <bool kReleaseAcquire = false, bool kLeanTail = false, class T, class StoreMine>
__device__ void publish(int tile, int width, long long w, long long U, long long W, int G, int M, int N, int slots,
                        float* partials, unsigned* tickets, T* y, int lane, StoreMine store_mine, long long ub = 0,
                        long long ue = 0) {
  const long long t0 = static_cast<long long>(tile) * G, t1 = t0 + G - 1;
  long long first, last;
  if constexpr (kLeanTail) {
    const bool small = U * W < (1ll << 32);
    auto owner = [&](long long u) {
      return small ? static_cast<long long>((static_cast<unsigned>(u + 1) * static_cast<unsigned>(W) - 1u) /
                                            static_cast<unsigned>(U))
                   : owner_of(u, U, W);
    };
    first = t0 >= ub ? w : owner(t0);
    last = t1 < ue ? w : owner(t1);
  } else {
    first = owner_of(t0, U, W);
    last = owner_of(t1, U, W);
  }
  const int contributors = static_cast<int>(last - first + 1);
  float* tile_base = partials + static_cast<std::size_t>(tile) * slots * M * width;
  store_mine(tile_base + static_cast<std::size_t>(w - first) * M * width);
  if (!kReleaseAcquire) __threadfence();
  __syncwarp();
  unsigned arrived = 0;
  if (lane == 0) arrived = kReleaseAcquire ? ticket_add_acq_rel(&tickets[tile]) : atomicAdd(&tickets[tile], 1u);
  arrived = __shfl_sync(0xffffffffu, arrived, 0);
  if (arrived != static_cast<unsigned>(contributors - 1)) return;
  if (kReleaseAcquire) __syncwarp();  // every lane's loads below come after lane 0's acquire
  else __threadfence();
  for (int i = lane; i < M * width; i += kWarp) {
    float sum = 0.f;
    if constexpr (kLeanTail) {
      constexpr int kInFlight = 8;
      for (int s0 = 0; s0 < contributors; s0 += kInFlight) {
        float v[kInFlight];
#pragma unroll
        for (int b = 0; b < kInFlight; ++b)
          v[b] = s0 + b < contributors ? __ldcg(tile_base + static_cast<std::size_t>(s0 + b) * M * width + i) : 0.f;
#pragma unroll
        for (int b = 0; b < kInFlight; ++b)
          if (s0 + b < contributors) sum += v[b];
      }
    } else {
      for (int s = 0; s < contributors; ++s) sum += __ldcg(tile_base + static_cast<std::size_t>(s) * M * width + i);
    }
    const int row = i / width, col = tile * width + i % width;
    if (col < N) y[static_cast<std::size_t>(row) * N + col] = from_f32<T>(sum);
  }
  if (lane == 0) tickets[tile] = 0u;
}

/// Warp w of W (global) takes units [U w / W, U (w + 1) / W) of the tiled packing.
template <class T, class Decode, bool kRowsAbove8>
__global__ void __launch_bounds__(kThreads)
    w4_streamk(const T* __restrict__ x, T* __restrict__ y, const std::uint8_t* __restrict__ tiled,
               const T* __restrict__ scales, int M, int N, int K, int W, bool pair_scales, int slots,
               float* __restrict__ partials, unsigned* __restrict__ tickets) {
  using D = MmaDequant<T>;  // the mma; Decode turns weight words into B registers
  extern __shared__ uint4 smem_raw[];
  const int G = K / kTileK;
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int gid = lane >> 2, tig = lane & 3;
  std::uint8_t* ring = reinterpret_cast<std::uint8_t*>(smem_raw) + warp * kRingBytesPerWarp;
  uint4* ring_w = reinterpret_cast<uint4*>(ring) + lane;                                  // slot s at [s * 32]
  std::uint32_t* ring_s = reinterpret_cast<std::uint32_t*>(ring + kStages * kWarp * 16) + lane;  // [s * 32]
  std::uint32_t* xs = reinterpret_cast<std::uint32_t*>(reinterpret_cast<std::uint8_t*>(smem_raw) +
                                                       kWarps * kRingBytesPerWarp);

  const long long U = static_cast<long long>(tiled_rows(N) / kTileN) * G;
  const long long w = static_cast<long long>(blockIdx.x) * kWarps + warp;
  const long long ub = w < W ? U * w / W : 0, ue = w < W ? U * (w + 1) / W : 0;
  const int n_units = static_cast<int>(ue - ub);

  // 1. Fill the ring first: unit ub + s into slot s (one commit group per slot, even empty).
  // The (tile, group) of the next unit to issue advances by counting: a 64-bit division per
  // unit (the first version of this kernel) costs ~100 instructions and made it issue-bound.
  int iss_tile = static_cast<int>(ub / G), iss_g = static_cast<int>(ub % G);
  auto issue = [&](int i) {
    const bool live = i < n_units;
    const int slot = i & (kStages - 1);
    cp_async(ring_w + slot * kWarp, tiled + (static_cast<std::size_t>(live ? ub + i : 0) * kWarp + lane) * 16, 16,
             live);
    if (pair_scales) {
      const int c0 = iss_tile * kTileN + 2 * tig;
      const bool ok = live && c0 < N;
      cp_async(ring_s + slot * kWarp, scales + (ok ? static_cast<std::size_t>(iss_g) * N + c0 : 0), 4, ok);
    }
    cp_async_commit();
    if (++iss_g == G) {
      iss_g = 0;
      ++iss_tile;
    }
  };
#pragma unroll
  for (int s = 0; s < kStages; ++s) issue(s);

  // 2. x in fragment order while the ring fills (and, for a folded decode, the group sums).
  stage_x(x, xs, M, K);
  float* xsum = reinterpret_cast<float*>(xs + M * x_row_words(G));  // [M][G], folded decode only
  if constexpr (Decode::kFolded) stage_group_sums(x, xsum, M, K);
  __syncthreads();
  if (n_units == 0) {
    asm volatile("cp.async.wait_all;\n" ::: "memory");  // the zero-fills land before the warp leaves
    return;
  }

  const bool row_lo = gid < M, row_hi = kRowsAbove8 && gid + 8 < M;
  const uint4* x_lo = reinterpret_cast<const uint4*>(xs + gid * x_row_words(G)) + tig;
  const uint4* x_hi = reinterpret_cast<const uint4*>(xs + (gid + 8) * x_row_words(G)) + tig;

  Pending first, last;  // a range can share its first and its last tile with neighbours
  int n_pend = 0;
  float acc[4] = {0.f, 0.f, 0.f, 0.f};
  int tile = static_cast<int>(ub / G), g = static_cast<int>(ub % G);

  for (int i = 0; i < n_units; ++i) {
    cp_async_wait_oldest();
    const int slot = i & (kStages - 1);
    const uint4 wv = ring_w[slot * kWarp];
    float s_lo, s_hi;
    if (pair_scales) {
      const std::uint32_t sp = ring_s[slot * kWarp];
      s_lo = lo_to_f32(sp, T{});
      s_hi = hi_to_f32(sp, T{});
    } else {
      const int c0 = tile * kTileN + 2 * tig;
      s_lo = c0 < N ? to_f32(scales[static_cast<std::size_t>(g) * N + c0]) : 0.f;
      s_hi = c0 + 1 < N ? to_f32(scales[static_cast<std::size_t>(g) * N + c0 + 1]) : 0.f;
    }

    float c0[4] = {0.f, 0.f, 0.f, 0.f}, c1[4] = {0.f, 0.f, 0.f, 0.f};  // even / odd k-steps
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const uint4 lo = row_lo ? x_lo[g * 16 + j * 4] : make_uint4(0, 0, 0, 0);
      const uint4 hi = row_hi ? x_hi[g * 16 + j * 4] : make_uint4(0, 0, 0, 0);
      const std::uint32_t a0[4] = {lo.x, hi.x, lo.y, hi.y}, a1[4] = {lo.z, hi.z, lo.w, hi.w};
      std::uint32_t b[4];
      Decode::decode(word_of(wv, j), b);
      D::mma(c0, a0, b[0], b[1]);
      D::mma(c1, a1, b[2], b[3]);
    }
    // The slot is consumed (its words are in registers and used above): refill it.
    issue(i + kStages);

    float lo = 0.f, hi = 0.f;  // what the folded decode's offset added to this group's dot products
    if constexpr (Decode::kFolded) {
      lo = row_lo ? Decode::kOffset * xsum[gid * G + g] : 0.f;
      if (kRowsAbove8) hi = row_hi ? Decode::kOffset * xsum[(gid + 8) * G + g] : 0.f;
    }
    acc[0] = fmaf(c0[0] + c1[0] - lo, s_lo, acc[0]);
    acc[1] = fmaf(c0[1] + c1[1] - lo, s_hi, acc[1]);
    if (kRowsAbove8) {
      acc[2] = fmaf(c0[2] + c1[2] - hi, s_lo, acc[2]);
      acc[3] = fmaf(c0[3] + c1[3] - hi, s_hi, acc[3]);
    }

    if (g == G - 1 || i == n_units - 1) {  // this warp is done with `tile`
      const long long tg = static_cast<long long>(tile) * G;
      if (owner_of(tg, U, W) == owner_of(tg + G - 1, U, W)) {
        store_tile<T, kRowsAbove8>(y, acc, tile, M, N, gid, tig);
      } else {  // shared: only the first and the last tile of a range can be
        keep_pending(first, last, n_pend, tile, acc);
      }
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[e] = 0.f;
      g = 0;
      ++tile;
    } else {
      ++g;
    }
  }
  asm volatile("cp.async.wait_all;\n" ::: "memory");  // no copy outlives the block
  auto publish_pending = [&](const Pending& p) {
    publish(p.tile, kTileN, w, U, W, G, M, N, slots, partials, tickets, y, lane, [&](float* mine) {
#pragma unroll
      for (int e = 0; e < (kRowsAbove8 ? 4 : 2); ++e) {
        const int row = gid + (e >= 2 ? 8 : 0), col = 2 * tig + (e & 1);
        if (row < M) mine[row * kTileN + col] = p.acc[e];
      }
    });
  };
  if (n_pend > 0) publish_pending(first);
  if (n_pend > 1) publish_pending(last);
}

/// The workspace of a stream-K plan: U units cut into W ranges, tiles of G units and `width`
/// output columns. Every range holds at least U / W units, so a tile meets at most
/// ceil(G / (U / W)) + 1 ranges: that many fp32 partial slots per tile, and one zeroed ticket per
/// tile (reset by its last contributor, so the same workspace serves every launch).
struct StreamKWorkspace {
  int slots = 0;
  std::shared_ptr<lab::DeviceBytes> partials, tickets;
  StreamKWorkspace(long long U, int G, int W, int M, int width) {
    const long long min_units = U / W;
    const std::size_t tiles = static_cast<std::size_t>(U / G);
    slots = static_cast<int>((G + min_units - 1) / min_units + 1);
    partials = std::make_shared<lab::DeviceBytes>(sizeof(float) * tiles * slots * M * width);
    tickets = std::make_shared<lab::DeviceBytes>(sizeof(unsigned) * tiles);
    LABS_CHECK(cudaMemset(tickets->get(), 0, tickets->bytes()));
  }
};

/// Stores a whole-owned 16-column super-tile (v11 ... v16): acc[0], acc[1] are column gid of its
/// first n-tile for x rows 2t, 2t + 1; acc[2], acc[3] the same column of its second n-tile.
template <class T>
__device__ __forceinline__ void store_super_tile(T* y, const float (&acc)[4], int st, int M, int N, int gid, int tig) {
#pragma unroll
  for (int e = 0; e < 4; ++e) {
    const int row = 2 * tig + (e & 1), col = st * 2 * kTileN + (e >= 2 ? kTileN : 0) + gid;
    if (row < M && col < N) y[static_cast<std::size_t>(row) * N + col] = from_f32<T>(acc[e]);
  }
}

/// Plans one full wave of w4_streamk<T, DecodeFor<T>> for p; `name` is the version in messages.
template <template <class> class DecodeFor>
Step prepare_stream_k(const Problem& p, const char* name) {
  require_supported(p);
  if (p.wfmt != WFormat::int4_sym) throw std::invalid_argument(std::string(name) + " implements int4-sym only");
  const int G = p.K / kTileK;
  const long long U = static_cast<long long>(tiled_rows(p.N) / kTileN) * G;
  const bool folded = DecodeFor<lab::bf16>::kFolded;
  const int smem = kWarps * kRingBytesPerWarp + p.M * x_row_words(G) * 4 + (folded ? p.M * G * 4 : 0);
  int device = 0, optin = 0;
  LABS_CHECK(cudaGetDevice(&device));
  LABS_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  if (smem > optin)
    throw std::invalid_argument(std::string(name) + " keeps x[M][K] in shared memory beside its rings: " + std::to_string(smem) +
                                " bytes needed at M=" + std::to_string(p.M) + ", K=" + std::to_string(p.K) +
                                ", the limit is " + std::to_string(optin));
  Step step;
  auto build = [&](auto tag_t, auto asym_c, auto above8_c) {
    using T = decltype(tag_t);
    if constexpr (!decltype(asym_c)::value) {
      auto kernel = w4_streamk<T, DecodeFor<T>, decltype(above8_c)::value>;
      LABS_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
      int per_sm = 0;
      LABS_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kThreads, smem));
      per_sm = std::max(per_sm, 1);
      // One full wave; never more warps than units (an empty range would stall a ticket).
      const long long want_warps = std::min<long long>(static_cast<long long>(per_sm) * p.sms * kWarps, U);
      const int W = static_cast<int>(want_warps);
      const int blocks = (W + kWarps - 1) / kWarps;
      const bool pair_scales = p.N % 2 == 0;
      const StreamKWorkspace ws(U, G, W, p.M, kTileN);
      const int slots = ws.slots;
      auto partials = ws.partials;
      auto tickets = ws.tickets;
      const Problem q = p;
      step = [=](const DeviceWeights& w, Stream s) {
        if (!w.tiled) throw std::invalid_argument(std::string(name) + " needs the tiled packing");
        kernel<<<blocks, kThreads, smem, s>>>(static_cast<const T*>(q.x), static_cast<T*>(q.y), w.tiled,
                                              static_cast<const T*>(w.scales), q.M, q.N, q.K, W, pair_scales, slots,
                                              partials->as<float>(), tickets->as<unsigned>());
        LABS_CHECK_LAUNCH();
      };
    }
  };
  dispatch_mma_kernel(p, build);
  return step;
}

}  // namespace w4a16::stream_k
#endif
