/// @file lean_stream_k.cuh
/// The lean stream-K kernel of v12 and v13 (their files have the design, the predictions and
/// the measured story): v11's operand swap (weights are the mma's A, x its B, M <= 8) with
/// the folded decode, advancing pointers and compile-time ring slots, compiled once per
/// version (LeanFeatures): v13 stages x and its group sums in one or two round trips
/// (stage_x_batched) where v12 waits one per 16 bytes (stage_x + stage_pair_sums); v14
/// replaces the 64-bit divisions and the sequentially consistent fences of the stream-K
/// bookkeeping with 32-bit divisions, a range comparison and release/acquire atomics; v15
/// takes the 64-bit divisions out of the publish step too and keeps the last contributor's
/// partial loads in flight together. v17 keeps v14's loop but gives each block one whole
/// super-tile (its 8 warps split K) and reduces the 8 partials in shared memory: no global
/// partials, no ticket, no cross-block tail. v18 is v17 with 16 warps per block: each warp
/// gets half of v17's K range, and twice the warps per SM share the same instructions. v19 is
/// v17 with a cheaper x staging (stage_x_stepped), v26 v19 with that staging's per-chunk
/// address work hoisted (stage_x_hoisted).
#pragma once

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

#include "kernels/folded_decode.cuh"
#include "kernels/stream_k.cuh"

#if defined(LABS_BACKEND_CUDA)
namespace w4a16::lean {

using namespace stream_k;

constexpr int kLeanStages = 4;                    // 1 KB super-units in flight per warp
constexpr int kLeanSlot = 2 * kTileBytes + 32;    // tile T, tile T + 1, their 16 scales
constexpr int kLeanCols = 2 * kTileN;
constexpr int kLeanMaxM = 8;

/// xsum2[g * 4 + t] = (sum of group g of x row 2t, of row 2t + 1); rows >= M give 0.
template <class T>
__device__ void stage_pair_sums(const T* __restrict__ x, float2* xsum2, int M, int K) {
  const int G = K / kTileK;
  for (int i = threadIdx.x; i < G * 4; i += kThreads) {
    const int g = i / 4, t = i % 4;
    float s[2] = {0.f, 0.f};
    for (int r = 0; r < 2; ++r) {
      const int row = 2 * t + r;
      if (row >= M) continue;
      const T* p = x + static_cast<std::size_t>(row) * K + static_cast<std::size_t>(g) * kTileK;
      for (int c = 0; c < kTileK / 8; ++c) {
        const uint4 v = load16(p + c * 8);
        const std::uint32_t w[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
        for (int q = 0; q < 4; ++q) s[r] += lo_to_f32(w[q], T{}) + hi_to_f32(w[q], T{});
      }
    }
    xsum2[i] = make_float2(s[0], s[1]);
  }
}

/// v19's staging: stage_x_batched's layout, loads and group sums, minus two costs every warp
/// pays before its first mma. A chunk's row and column come from one division per thread and
/// then an increment (stage_x_batched divides by the runtime chunk count twice per chunk, a
/// ~20-instruction sequence each time), and the batches past the last chunk are skipped by a
/// test that is uniform over the block (M = 1, K = 4096 on 256 threads: 512 chunks, so two of
/// the four batches; stage_x_batched decodes, adds and shuffles all four).
template <int kBlockThreads, class T, class Sink>
__device__ void stage_x_stepped(const T* __restrict__ x, std::uint32_t* xs, int M, int K, Sink sink) {
  const int G = K / kTileK, chunks = K / 8, total = M * chunks;  // chunks % 16 == 0
  int m = static_cast<int>(threadIdx.x) / chunks, c = static_cast<int>(threadIdx.x) % chunks;
  for (int base = 0; base < total; base += kBlockThreads * kXBatch) {  // the same trip count for every thread
    uint4 v[kXBatch];
    int vm[kXBatch], vc[kXBatch];
#pragma unroll
    for (int b = 0; b < kXBatch; ++b) {
      vm[b] = m;
      vc[b] = c;
      v[b] = m < M ? load16(x + static_cast<std::size_t>(m) * K + c * 8) : make_uint4(0, 0, 0, 0);
      c += kBlockThreads;  // the next chunk of this thread: kBlockThreads further in row-major order
      while (c >= chunks) {
        c -= chunks;
        ++m;
      }
    }
#pragma unroll
    for (int b = 0; b < kXBatch; ++b) {
      if (base + b * kBlockThreads >= total) break;  // uniform: no thread of the block has a chunk here
      // stage_chunk's step, written out: called through stage_chunk, ptxas schedules v19
      // differently (the cubin differs), and this is the code the journal's v19 rows measured.
      const int g = vc[b] / 16, cc = vc[b] % 16, st = cc / 2, h = cc % 2;
      const bool live = vm[b] < M;
      if (live) {
        std::uint32_t* dst = xs + vm[b] * x_row_words(G) + (g * 4 + st / 2) * 16 + (st % 2) * 2 + h;
        dst[0] = v[b].x;
        dst[4] = v[b].y;
        dst[8] = v[b].z;
        dst[12] = v[b].w;
      }
      const std::uint32_t w[4] = {v[b].x, v[b].y, v[b].z, v[b].w};
      float sum = 0.f;
#pragma unroll
      for (int q = 0; q < 4; ++q) sum += lo_to_f32(w[q], T{}) + hi_to_f32(w[q], T{});
#pragma unroll
      for (int o = 8; o > 0; o >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, o);  // 16 chunks = 16 lanes
      if (live && cc == 0) sink(vm[b], g, sum);
    }
  }
}

/// v26's staging: stage_x_stepped's loads, layout and sums (the output is bitwise v19's), with the
/// per-chunk address work taken out of the loop. Chunk i of the block's x is x + 8 i (x is
/// row-major and a row is `chunks` chunks), so the load needs no (row, column). And because
/// kBlockThreads and chunks are both multiples of 16, a thread's chunk column c = t + kBlockThreads j
/// (mod chunks) keeps c % 16 = t % 16 at every step: the position inside the group (cc, and from
/// it the word offset in fragment order and "am I the group's first chunk") is one constant per
/// thread. What is left per chunk is the group c / 16 (a shift) and the row's base, stepped.
/// ncu on 8b-o counted 67 instructions per chunk in stage_x_stepped (GPU call of 2026-12-02 04:52).
template <int kBlockThreads, class T, class Sink>
__device__ void stage_x_hoisted(const T* __restrict__ x, std::uint32_t* xs, int M, int K, Sink sink) {
  static_assert(kBlockThreads % 16 == 0, "a thread's chunk keeps its place in the group only if 16 | kBlockThreads");
  const int G = K / kTileK, chunks = K / 8, total = M * chunks;  // chunks % 16 == 0
  const int row_words = x_row_words(G);
  const int t = static_cast<int>(threadIdx.x);
  const int cc = t % 16, st = cc / 2;
  const int word = (st / 2) * 16 + (st % 2) * 2 + cc % 2;  // stage_x's place of this chunk's word 0
  const bool first_of_group = cc == 0;
  int m = t / chunks, c = t % chunks;
  for (int base = 0; base < total; base += kBlockThreads * kXBatch) {  // the same trip count for every thread
    uint4 v[kXBatch];
    int vm[kXBatch], vg[kXBatch];
#pragma unroll
    for (int b = 0; b < kXBatch; ++b) {
      const int i = base + b * kBlockThreads + t;  // = m * chunks + c
      vm[b] = m;
      vg[b] = c >> 4;
      v[b] = i < total ? load16(x + static_cast<std::size_t>(i) * 8) : make_uint4(0, 0, 0, 0);
      c += kBlockThreads;
      while (c >= chunks) {
        c -= chunks;
        ++m;
      }
    }
#pragma unroll
    for (int b = 0; b < kXBatch; ++b) {
      if (base + b * kBlockThreads >= total) break;  // uniform: no thread of the block has a chunk here
      const bool live = vm[b] < M;
      if (live) {
        std::uint32_t* d = xs + vm[b] * row_words + vg[b] * 64 + word;
        d[0] = v[b].x;
        d[4] = v[b].y;
        d[8] = v[b].z;
        d[12] = v[b].w;
      }
      const std::uint32_t w[4] = {v[b].x, v[b].y, v[b].z, v[b].w};
      float sum = 0.f;
#pragma unroll
      for (int q = 0; q < 4; ++q) sum += lo_to_f32(w[q], T{}) + hi_to_f32(w[q], T{});
#pragma unroll
      for (int o = 8; o > 0; o >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, o);  // 16 chunks = 16 lanes
      if (live && first_of_group) sink(vm[b], vg[b], sum);
    }
  }
}

/// What each version adds, by its number: the kernel is compiled once per version. A number
/// above 1000 is a probe of version kVersion % 1000 (kernels/probe_lean_skeleton.cu): the same
/// grid, rings and loads with parts of the work cut out, kProbe saying which.
template <int kVersion>
struct LeanFeatures {
  static constexpr int kBase = kVersion % 1000;   ///< the version a probe is cut from
  /// 0: a version. 1: loads only (no x staging, no decode or mma). 2: loads and x staging, x read
  /// from shared memory as the mma would (no decode or mma). A probe sums what it read instead.
  static constexpr int kProbe = kVersion / 1000;
  static constexpr bool kBatchedStaging = kBase >= 13;    ///< x in one or two round trips
  static constexpr bool kCheapBookkeeping = kBase >= 14;  ///< 32-bit ranges, acq_rel ticket
  static constexpr bool kLeanTail = kBase == 15;          ///< publish: no 64-bit division, loads in flight (v15 only: it lost)
  /// v16: ask ptxas for 3 resident blocks (<= 85 registers: 65536 / (3 x 256)); v12-v15 leave
  /// it free, and the H200 build of v14 took 86 registers, so 2 blocks (16 warps) per SM.
  /// v18 asks for 2 of its 512-thread blocks (<= 64 registers): left free, ptxas takes 65-72
  /// and one block per SM would hold no more warps than v17's two.
  /// v19 asks for v17's 4 blocks per SM (<= 64 registers, what v17 got unasked): its staging
  /// keeps two more ints per batch live and left free took 65, one block per SM fewer.
  /// v31 asks for 8 of its 128-thread blocks: the same 64 registers and 32 warps per SM.
  /// v32's rings allow 2 blocks per SM (77 KB of shared memory at K = 4096), so it asks for 2.
  static constexpr int kMinBlocksPerSm =
      kBase == 16 ? 3 : kBase == 18 ? 2 : kBase == 31 ? 8 : kBase == 32 ? 2 : kBase >= 19 ? 4 : 1;
  /// v17, v18: block b owns super-tile b; its warps split K and meet in shared memory.
  static constexpr bool kBlockOwned = kBase >= 17;
  /// v19: v17 with x staged without per-chunk divisions and without empty batches.
  static constexpr bool kSteppedStaging = kBase == 19;
  /// v26: v19 with the per-chunk address work of that staging hoisted out of the loop (v31 too).
  static constexpr bool kHoistedStaging = kBase == 26 || kBase == 31 || kBase == 32;
  /// v18: 16 warps per block (512 threads) instead of 8: a K range per warp half as long.
  /// v31: 4 warps per block, a K range per warp twice as long.
  static constexpr int kBlockWarps = kBase == 18 ? 16 : kBase == 31 ? 4 : kWarps;
  static constexpr int kBlockThreads = kBlockWarps * kWarp;
  /// v32: an 8-deep ring per warp (8 KB in flight) where every other version keeps 4.
  static constexpr int kStages = kBase == 32 ? 8 : kLeanStages;
  static constexpr int kRing = kStages * kLeanSlot;  ///< one warp's ring, bytes
};

template <class T, bool kVecScales, int kVersion>
__global__ void __launch_bounds__(LeanFeatures<kVersion>::kBlockThreads, LeanFeatures<kVersion>::kMinBlocksPerSm)
    w4_lean(const T* __restrict__ x, T* __restrict__ y, const std::uint8_t* __restrict__ tiled,
            const T* __restrict__ scales, int M, int N, int K, int W, int slots, float* __restrict__ partials,
            unsigned* __restrict__ tickets) {
  using D = MmaDequant<T>;
  using Dec = FoldedDecode<T>;
  constexpr bool kBatchedStaging = LeanFeatures<kVersion>::kBatchedStaging;
  constexpr bool kCheapBookkeeping = LeanFeatures<kVersion>::kCheapBookkeeping;
  constexpr bool kBlockOwned = LeanFeatures<kVersion>::kBlockOwned;
  constexpr int kBlockWarps = LeanFeatures<kVersion>::kBlockWarps;
  constexpr int kBlockThreads = LeanFeatures<kVersion>::kBlockThreads;
  extern __shared__ uint4 smem_raw[];
  const int G = K / kTileK;
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int gid = lane >> 2, tig = lane & 3;
  std::uint8_t* ring = reinterpret_cast<std::uint8_t*>(smem_raw) + warp * LeanFeatures<kVersion>::kRing;
  std::uint32_t* xs = reinterpret_cast<std::uint32_t*>(reinterpret_cast<std::uint8_t*>(smem_raw) +
                                                       kBlockWarps * LeanFeatures<kVersion>::kRing);
  float2* xsum2 = reinterpret_cast<float2*>(xs + M * x_row_words(G));

  const int tiles = tiled_rows(N) / kTileN;
  const long long U = static_cast<long long>((tiles + 1) / 2) * G;
  const long long w = static_cast<long long>(blockIdx.x) * kBlockWarps + warp;
  long long ub = 0, ue = 0;
  int ub_g = 0, ub_st = 0;  // ub % G, ub / G
  if (w < W) {
    if (kCheapBookkeeping && U * W < (1ll << 32)) {  // v14: 32-bit divisions (~20 instructions, not ~100)
      const unsigned u32 = static_cast<unsigned>(U), w32 = static_cast<unsigned>(w), W32 = static_cast<unsigned>(W);
      const unsigned b = u32 * w32 / W32, e = u32 * (w32 + 1) / W32;
      ub = b;
      ue = e;
      ub_g = static_cast<int>(b % static_cast<unsigned>(G));
      ub_st = static_cast<int>(b / static_cast<unsigned>(G));
    } else {
      ub = U * w / W;
      ue = U * (w + 1) / W;
      ub_g = static_cast<int>(ub % G);
      ub_st = static_cast<int>(ub / G);
    }
  }
  const int n_units = static_cast<int>(ue - ub);

  // Copy side: everything advances by counting; the only per-super-tile work is at a wrap.
  int iss_left = n_units, iss_g = ub_g, iss_st = ub_st;
  const std::size_t tile_stride = static_cast<std::size_t>(G) * kTileBytes;  // tile T -> T + 1
  const std::uint8_t* iss_w = tiled + (2 * static_cast<std::size_t>(iss_st) * G + iss_g) * kTileBytes + lane * 16;
  const T* iss_s = scales + static_cast<std::size_t>(iss_g) * N + iss_st * kLeanCols + lane * kTileN;
  auto scale_bytes = [&](int st) { return min(max(N - (st * kLeanCols + lane * kTileN), 0), kTileN) * 2; };
  int iss_sbytes = scale_bytes(iss_st);
  bool iss_b = 2 * iss_st + 1 < tiles;
  auto issue = [&](int slot) {
    const bool live = iss_left > 0;
    std::uint8_t* dst = ring + slot * kLeanSlot + lane * 16;
    cp_async(dst, live ? iss_w : tiled, 16, live);
    cp_async(dst + kTileBytes, live && iss_b ? iss_w + tile_stride : tiled, 16, live && iss_b);
    if (kVecScales && lane < 2)
      cp_async16_partial(ring + slot * kLeanSlot + 2 * kTileBytes + lane * 16,
                         live && iss_sbytes > 0 ? iss_s : scales, live ? iss_sbytes : 0);
    cp_async_commit();
    --iss_left;
    iss_w += kTileBytes;
    iss_s += N;
    if (++iss_g == G) {
      iss_g = 0;
      ++iss_st;
      iss_w += tile_stride;  // skip tile T + 1: the next super-tile starts at tile T + 2
      iss_s = scales + iss_st * kLeanCols + lane * kTileN;
      iss_sbytes = scale_bytes(iss_st);
      iss_b = 2 * iss_st + 1 < tiles;
    }
  };
#pragma unroll
  for (int s = 0; s < LeanFeatures<kVersion>::kStages; ++s) issue(s);

  // LeanFeatures<kVersion>::kProbe is spelled out, not kept in a local constexpr: with the local,
  // nvcc 13.0 scheduled v19's and v26's kernels differently (same size, other SASS), and every
  // measured version's cubin .text is meant to stay byte-identical to what the journal measured.
  if constexpr (LeanFeatures<kVersion>::kProbe == 1) {
    // probe 1: no x staging (the barrier below stays)
  } else if constexpr (kBatchedStaging) {  // v13: one round trip, the sums from the same loads
    for (int i = threadIdx.x; i < G * 4; i += kBlockThreads) {  // rows >= M: zero (disjoint from the sink's)
      const int t = i % 4;
      if (2 * t >= M) xsum2[i].x = 0.f;
      if (2 * t + 1 >= M) xsum2[i].y = 0.f;
    }
    auto sink = [&](int m, int g, float s) {
      float2& e = xsum2[g * 4 + m / 2];
      if (m % 2 == 0) e.x = s;
      else e.y = s;
    };
    if constexpr (LeanFeatures<kVersion>::kHoistedStaging) stage_x_hoisted<kBlockThreads>(x, xs, M, K, sink);
    else if constexpr (LeanFeatures<kVersion>::kSteppedStaging) stage_x_stepped<kBlockThreads>(x, xs, M, K, sink);
    else stage_x_batched<kBlockThreads>(x, xs, M, K, sink);
  } else {  // v12: one round trip per 16 bytes of x per thread, then the sums
    stage_x(x, xs, M, K);
    stage_pair_sums(x, xsum2, M, K);
  }
  __syncthreads();
  if (!kBlockOwned && n_units == 0) {  // v17's warps all meet at the block reduction below
    asm volatile("cp.async.wait_all;\n" ::: "memory");
    return;
  }

  // Compute side.
  const uint4* x_row = reinterpret_cast<const uint4*>(xs + min(gid, M - 1) * x_row_words(G)) + tig;
  int g = ub_g, st = ub_st;
  const uint4* xp = x_row + g * 16;
  const float2* sp = xsum2 + g * 4 + tig;
  Pending first, last;
  int n_pend = 0;
  float acc[4] = {0.f, 0.f, 0.f, 0.f};
  std::uint32_t probe_sum = 0;  // probes: the words this lane read, wrapping

  for (int i0 = 0; i0 < n_units; i0 += LeanFeatures<kVersion>::kStages) {
#pragma unroll
    for (int s = 0; s < LeanFeatures<kVersion>::kStages; ++s) {
      if (i0 + s >= n_units) break;
      cp_async_wait_oldest<LeanFeatures<kVersion>::kStages>();
      __syncwarp();  // the scales were copied by lanes 0 and 1
      const std::uint8_t* src = ring + s * kLeanSlot;
      const uint4 wa = *reinterpret_cast<const uint4*>(src + lane * 16);
      const uint4 wb = *reinterpret_cast<const uint4*>(src + kTileBytes + lane * 16);
      if constexpr (LeanFeatures<kVersion>::kProbe > 0) {  // the slot's words are summed instead of decoded and multiplied
        probe_sum += wa.x + wa.y + wa.z + wa.w + wb.x + wb.y + wb.z + wb.w;
        if (lane < 8) probe_sum += reinterpret_cast<const std::uint32_t*>(src + 2 * kTileBytes)[lane];
        if constexpr (LeanFeatures<kVersion>::kProbe == 2) {
#pragma unroll
          for (int j = 0; j < 4; ++j) {
            const uint4 xv = xp[j * 4];
            probe_sum += xv.x + xv.y + xv.z + xv.w;
          }
        }
        __syncwarp();
        issue(s);
        xp += 16;
        ++g;
        continue;
      }
      float sa, sb;
      if constexpr (kVecScales) {
        const T* sc = reinterpret_cast<const T*>(src + 2 * kTileBytes);
        sa = to_f32(sc[gid]);
        sb = to_f32(sc[kTileN + gid]);
      } else {
        const int ca = st * kLeanCols + gid, cb = ca + kTileN;
        sa = ca < N ? to_f32(scales[static_cast<std::size_t>(g) * N + ca]) : 0.f;
        sb = cb < N ? to_f32(scales[static_cast<std::size_t>(g) * N + cb]) : 0.f;
      }
      const float2 xsum = *sp;

      float d0[4] = {0.f, 0.f, 0.f, 0.f}, d1[4] = {0.f, 0.f, 0.f, 0.f};
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const uint4 xv = xp[j * 4];
        std::uint32_t ba[4], bb[4];
        Dec::decode(word_of(wa, j), ba);
        Dec::decode(word_of(wb, j), bb);
        const std::uint32_t a0[4] = {ba[0], bb[0], ba[1], bb[1]}, a1[4] = {ba[2], bb[2], ba[3], bb[3]};
        D::mma(d0, a0, xv.x, xv.y);
        D::mma(d1, a1, xv.z, xv.w);
      }
      __syncwarp();  // every lane has read the slot before lanes 0 and 1 refill its scales
      issue(s);

      const float off0 = Dec::kOffset * xsum.x, off1 = Dec::kOffset * xsum.y;
      acc[0] = fmaf(d0[0] + d1[0] - off0, sa, acc[0]);
      acc[1] = fmaf(d0[1] + d1[1] - off1, sa, acc[1]);
      acc[2] = fmaf(d0[2] + d1[2] - off0, sb, acc[2]);
      acc[3] = fmaf(d0[3] + d1[3] - off1, sb, acc[3]);

      xp += 16;
      sp += 4;
      // v17: a warp's range lies inside its block's super-tile, so acc is its partial at the end.
      if (!kBlockOwned && (g == G - 1 || i0 + s == n_units - 1)) {  // done with super-tile st
        const long long tg = static_cast<long long>(st) * G;
        // Owned whole: v14 compares the tile with this warp's own range (no division);
        // v12/v13 ask owner_of (two 64-bit divisions) for the tile's first and last unit.
        const bool owned = kCheapBookkeeping ? (tg >= ub && tg + G <= ue)
                                             : owner_of(tg, U, W) == owner_of(tg + G - 1, U, W);
        if (owned) {
          store_super_tile(y, acc, st, M, N, gid, tig);
        } else {
          keep_pending(first, last, n_pend, st, acc);
        }
#pragma unroll
        for (int e = 0; e < 4; ++e) acc[e] = 0.f;
        g = 0;
        ++st;
        xp = x_row;
        sp = xsum2 + tig;
      } else {
        ++g;
      }
    }
  }
  asm volatile("cp.async.wait_all;\n" ::: "memory");
  if constexpr (LeanFeatures<kVersion>::kProbe > 0) {  // one sum per block, in the slot the versions use for partials
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) probe_sum += __shfl_xor_sync(0xffffffffu, probe_sum, o);
    if (lane == 0) *reinterpret_cast<std::uint32_t*>(ring) = probe_sum;
    __syncthreads();
    if (threadIdx.x == 0) {
      std::uint32_t sum = 0;
      for (int v = 0; v < kBlockWarps; ++v)
        sum += *reinterpret_cast<const std::uint32_t*>(reinterpret_cast<const std::uint8_t*>(smem_raw) + v * LeanFeatures<kVersion>::kRing);
      reinterpret_cast<std::uint32_t*>(partials)[blockIdx.x] = sum;
    }
    return;
  } else if constexpr (kBlockOwned) {
    // Each warp's partial goes to the first 512 bytes of its own ring (its copies have landed);
    // warp 0 adds the 8 (v18: 16) in warp order (deterministic) and stores the super-tile.
    reinterpret_cast<float4*>(ring)[lane] = make_float4(acc[0], acc[1], acc[2], acc[3]);
    __syncthreads();
    if (warp == 0) {
      float sum[4] = {0.f, 0.f, 0.f, 0.f};
      const std::uint8_t* rings = reinterpret_cast<const std::uint8_t*>(smem_raw);
#pragma unroll
      for (int v = 0; v < kBlockWarps; ++v) {
        const float4 q = reinterpret_cast<const float4*>(rings + v * LeanFeatures<kVersion>::kRing)[lane];
        sum[0] += q.x;
        sum[1] += q.y;
        sum[2] += q.z;
        sum[3] += q.w;
      }
      store_super_tile(y, sum, static_cast<int>(blockIdx.x), M, N, gid, tig);
    }
    return;
  }
  auto publish_pending = [&](const Pending& p) {
    auto store_mine = [&](float* mine) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int row = 2 * tig + (e & 1), col = (e >= 2 ? kTileN : 0) + gid;
        if (row < M) mine[row * kLeanCols + col] = p.acc[e];
      }
    };
    constexpr bool kLeanTail = LeanFeatures<kVersion>::kLeanTail;
    publish<kCheapBookkeeping, kLeanTail>(p.tile, kLeanCols, w, U, W, G, M, N, slots, partials, tickets, y, lane,
                                          store_mine, ub, ue);
  };
  if (n_pend > 0) publish_pending(first);
  if (n_pend > 1) publish_pending(last);
}

/// Plans one full wave of w4_lean for p; `name` is the version in messages. A probe
/// (kVersion > 1000) also hands back the buffer of its per-block sums in *probe_sums.
template <int kVersion>
Step prepare_lean(const Problem& p, const char* name, std::shared_ptr<lab::DeviceBytes>* probe_sums = nullptr) {
  constexpr bool kIsProbe = LeanFeatures<kVersion>::kProbe > 0;
  require_supported(p);
  if (p.wfmt != WFormat::int4_sym) throw std::invalid_argument(std::string(name) + " implements int4-sym only");
  if (p.M > kLeanMaxM) throw std::invalid_argument(std::string(name) + " carries x in the 8 columns of the mma's B operand: M <= 8");
  const int G = p.K / kTileK;
  const int tiles = tiled_rows(p.N) / kTileN;
  const long long U = static_cast<long long>((tiles + 1) / 2) * G;
  constexpr int kBlockWarps = LeanFeatures<kVersion>::kBlockWarps;
  constexpr int kBlockThreads = LeanFeatures<kVersion>::kBlockThreads;
  const int smem = kBlockWarps * LeanFeatures<kVersion>::kRing + p.M * x_row_words(G) * 4 + G * 4 * static_cast<int>(sizeof(float2));
  int device = 0, optin = 0;
  LABS_CHECK(cudaGetDevice(&device));
  LABS_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  if (smem > optin)
    throw std::invalid_argument(std::string(name) + " keeps x[M][K] in shared memory beside its rings: " + std::to_string(smem) +
                                " bytes needed, the limit is " + std::to_string(optin));
  Step step;
  auto build = [&](auto tag_t, auto vec_c) {
    using T = decltype(tag_t);
    auto kernel = w4_lean<T, decltype(vec_c)::value, kVersion>;
    LABS_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
    int per_sm = 0;
    LABS_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kBlockThreads, smem));
    constexpr bool kBlockOwned = LeanFeatures<kVersion>::kBlockOwned;
    // Stream-K: one full wave of warps over all units. v17: one block per super-tile, its 8
    // warps splitting the super-tile's G units (U w / W with W = 8 x super-tiles lands every
    // warp of block b inside super-tile b, for any G), and no workspace.
    const int super_tiles = (tiles + 1) / 2;
    const int W = kBlockOwned
                      ? super_tiles * kBlockWarps
                      : static_cast<int>(std::min<long long>(static_cast<long long>(std::max(per_sm, 1)) * p.sms * kBlockWarps, U));
    const int blocks = (W + kBlockWarps - 1) / kBlockWarps;
    std::shared_ptr<lab::DeviceBytes> partials, tickets;
    int slots = 0;
    if (!kBlockOwned) {
      const StreamKWorkspace ws(U, G, W, p.M, kLeanCols);
      slots = ws.slots;
      partials = ws.partials;
      tickets = ws.tickets;
    }
    if constexpr (kIsProbe) {  // one 32-bit sum per block, where a stream-K version keeps partials
      partials = std::make_shared<lab::DeviceBytes>(sizeof(std::uint32_t) * blocks);
      *probe_sums = partials;
    }
    const Problem q = p;
    step = [=](const DeviceWeights& w, Stream s) {
      if (!w.tiled) throw std::invalid_argument(std::string(name) + " needs the tiled packing");
      kernel<<<blocks, kBlockThreads, smem, s>>>(static_cast<const T*>(q.x), static_cast<T*>(q.y), w.tiled,
                                            static_cast<const T*>(w.scales), q.M, q.N, q.K, W, slots,
                                            partials ? partials->as<float>() : nullptr,
                                            tickets ? tickets->as<unsigned>() : nullptr);
      LABS_CHECK_LAUNCH();
    };
  };
  // 16-byte scale copies need each group's row of scales 16-byte aligned: N % 8 == 0.
  auto with_vec = [&](auto tag_t) {
    if (p.N % kTileN == 0) build(tag_t, std::true_type{});
    else if constexpr (kIsProbe) throw std::invalid_argument(std::string(name) + " sums 16-byte scale copies: N % 8 == 0");
    else build(tag_t, std::false_type{});
  };
  if (p.dtype == lab::DType::bf16) with_vec(lab::bf16{});
  else with_vec(lab::f16{});
  return step;
}

}  // namespace w4a16::lean
#endif
