/// @file owned_lean.cuh
/// v33's kernel: the block-owned kernel of v26 and v31 written for block ownership instead of
/// compiled out of the stream-K kernel (kernels/lean_stream_k.cuh). Block b owns super-tile b (16
/// output columns); its kWarps warps split the G groups of K as v26 (8 warps) and v31 (4 warps)
/// split them, stage x the same way (stage_x_hoisted), run the same decode and mma per unit and
/// add the warps' partials in the same order: the output is bitwise v26's or v31's at the same
/// warp count. What goes is the bookkeeping a stream-K range needs and an owned range does not:
///   - the range: one shift (G w / kWarps) instead of three 32-bit divisions by runtime values;
///   - the copy side: a pointer that advances by 512 bytes and one by N scales, no super-tile
///     wrap test, no per-copy "is this unit live" selects; the scale bytes are computed once,
///     since a block's 16 columns never change;
///   - the ring tail: the last kStages units issue nothing (an empty commit group keeps the
///     count), where the stream-K kernel issues predicated-off copies.
/// The unit's decode, mma and accumulation, the staging prologue and the reduction are a copy of
/// w4_lean's, not calls into shared functions: moving any one of them out of w4_lean into a
/// force-inlined function (tried one at a time, 2 December) made nvcc 13.0 schedule v17's, v19's,
/// v26's and v31's kernels differently (same size, other SASS), and those kernels' cubins are kept
/// byte-identical to what the journal measured.
/// ncu's source view of v31 on 8b-gate (GPU call of 2026-12-02 15:05 UTC, commit 8b843ca) counts
/// 699 instructions per warp outside the loop and ~145 per unit inside it, of which ~56 decode,
/// 8 mma and ~45 issue the next copy.
#pragma once

#include "kernels/lean_stream_k.cuh"

#if defined(LABS_BACKEND_CUDA)
namespace w4a16::owned {

using namespace stream_k;
using lean::kLeanCols;
using lean::kLeanMaxM;
using lean::kLeanSlot;

constexpr int kStages = 4;                  // units in flight per warp, as v26 and v31
constexpr int kRing = kStages * kLeanSlot;  // one warp's ring, bytes

/// The warps per block v33 uses for a layer of G groups: v31's 4 where each warp then streams at
/// most 16 units (G <= 64), v26's 8 above (8b-down's 112 groups, 70b-down's 224), where v31's
/// longer ranges lost to v26 (run 20261202T150444Z: 8b-down 17.12 vs 15.79 us, 70b-down 51.26
/// vs 44.62) and won everywhere else but 70b-o (a tie).
constexpr int warps_for_groups(int G) { return G <= 64 ? 4 : 8; }

/// v35's x staging: stage_x_hoisted's loads, layout, group sums and order of additions (so the
/// staged x and sums are bitwise the same), cut in two so that the first batch of loads (up to
/// kXBatch 16-byte chunks per thread: all of x at K = 4096 on 4 warps) leaves before the ring's
/// weight copies instead of queueing behind them. x_first_loads issues the batch; stage_x_after
/// stores it, then loads and stores the remaining batches as stage_x_hoisted does.
struct XFirstBatch {
  uint4 v[kXBatch];
  int vm[kXBatch], vg[kXBatch];
  int m, c;  // the thread's next chunk after the batch
};

template <int kBlockThreads, class T>
__device__ __forceinline__ XFirstBatch x_first_loads(const T* __restrict__ x, int M, int K) {
  const int chunks = K / 8, total = M * chunks, t = static_cast<int>(threadIdx.x);
  XFirstBatch b;
  b.m = t / chunks;
  b.c = t % chunks;
#pragma unroll
  for (int k = 0; k < kXBatch; ++k) {
    const int i = k * kBlockThreads + t;
    b.vm[k] = b.m;
    b.vg[k] = b.c >> 4;
    b.v[k] = i < total ? load16(x + static_cast<std::size_t>(i) * 8) : make_uint4(0, 0, 0, 0);
    b.c += kBlockThreads;
    while (b.c >= chunks) {
      b.c -= chunks;
      ++b.m;
    }
  }
  return b;
}

template <int kBlockThreads, class T, class Sink>
__device__ __forceinline__ void stage_x_after(const T* __restrict__ x, std::uint32_t* xs, int M, int K, Sink sink,
                                              const XFirstBatch& first) {
  static_assert(kBlockThreads % 16 == 0, "a thread's chunk keeps its place in the group only if 16 | kBlockThreads");
  const int G = K / kTileK, chunks = K / 8, total = M * chunks;
  const int row_words = x_row_words(G);
  const int t = static_cast<int>(threadIdx.x);
  const int cc = t % 16, st = cc / 2;
  const int word = (st / 2) * 16 + (st % 2) * 2 + cc % 2;
  const bool first_of_group = cc == 0;
  int m = first.m, c = first.c;
  for (int base = 0; base < total; base += kBlockThreads * kXBatch) {
    uint4 v[kXBatch];
    int vm[kXBatch], vg[kXBatch];
#pragma unroll
    for (int b = 0; b < kXBatch; ++b) {
      if (base == 0) {
        vm[b] = first.vm[b];
        vg[b] = first.vg[b];
        v[b] = first.v[b];
        continue;
      }
      const int i = base + b * kBlockThreads + t;
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

/// v53's x staging, in two halves around the ring fill. x_copy_issue sends every 16-byte chunk of
/// x[M][K] to shared memory with cp.async, as one commit group, before the weights' copies: no
/// registers are held across the fill and no chunk queues behind a weight copy, whatever M and
/// K (v35 sends at most kXBatch chunks per thread first; at M = 2 on 8b-gate half of x waited).
/// Each chunk lands in its own 16 bytes of the staged layout's group segment, unpermuted.
/// How x_copy_issue copies: v53 with cp.async's 16-byte `.cg` (L2 only), v54 with `.ca`, which
/// allocates the line in L1 too, so the other blocks of the SM (8 at 4 warps) that copy the same
/// x after the first hit L1, as v35's ordinary loads of x do.
enum class XCopy { none, l2_only, through_l1 };

/// cp.async of 16 bytes, allocating in L1 (`.ca`); stream_k::cp_async's 16-byte form is `.cg`.
__device__ __forceinline__ void cp_async16_ca(void* smem, const void* gmem) {
  const unsigned saddr = static_cast<unsigned>(__cvta_generic_to_shared(smem));
  asm volatile("cp.async.ca.shared.global [%0], [%1], 16;\n" ::"r"(saddr), "l"(gmem) : "memory");
}

template <int kBlockThreads, XCopy kHow, class T>
__device__ __forceinline__ void x_copy_issue(const T* __restrict__ x, std::uint32_t* xs, int M, int K) {
  const int chunks = K / 8, total = M * chunks, row_words = x_row_words(K / kTileK);
  int m = static_cast<int>(threadIdx.x) / chunks, c = static_cast<int>(threadIdx.x) % chunks;
  for (int i = threadIdx.x; i < total; i += kBlockThreads) {
    if constexpr (kHow == XCopy::through_l1) {
      cp_async16_ca(xs + m * row_words + c * 4, x + static_cast<std::size_t>(i) * 8);
    } else {
      stream_k::cp_async(xs + m * row_words + c * 4, x + static_cast<std::size_t>(i) * 8, 16, true);
    }
    c += kBlockThreads;
    while (c >= chunks) {
      c -= chunks;
      ++m;
    }
  }
  stream_k::cp_async_commit();
}

/// The second half, once the thread's copy group has landed (cp.async.wait_group): every thread
/// reads back the chunks it copied itself, so no block barrier is needed. In the staged layout
/// (stage_x) the four chunks 4q .. 4q + 3 of a group share 16 words, word w of chunk 4q + r at
/// 16 q + 4 w + r: a 4 x 4 transpose of words. The four chunks belong to the four lanes of a quad,
/// so two xor-shuffle rounds (1, then 2) transpose them, and lane r stores its column where its
/// own chunk was. The group sums are stage_x_after's: the same chunk per thread, the same 8
/// additions and the same 16-lane shuffle, so the staged x and the sums are bitwise v35's.
template <int kBlockThreads, class T, class Sink>
__device__ __forceinline__ void x_copy_relayout(std::uint32_t* xs, int M, int K, Sink sink) {
  static_assert(kBlockThreads % 16 == 0, "a thread's chunk keeps its place in the group only if 16 | kBlockThreads");
  const int chunks = K / 8, total = M * chunks, row_words = x_row_words(K / kTileK);
  const int t = static_cast<int>(threadIdx.x);
  const bool first_of_group = t % 16 == 0;
  const bool odd = (t & 1) != 0, upper = (t & 2) != 0;  // the lane's place in its quad
  int m = t / chunks, c = t % chunks;
  for (int base = 0; base < total; base += kBlockThreads) {  // the same trip count for every thread
    const bool live = base + t < total;                       // 16-lane groups are all live or all dead
    std::uint32_t* p = xs + m * row_words + c * 4;
    const uint4 v = live ? *reinterpret_cast<const uint4*>(p) : make_uint4(0, 0, 0, 0);
    std::uint32_t w[4] = {v.x, v.y, v.z, v.w};
    float sum = 0.f;
#pragma unroll
    for (int q = 0; q < 4; ++q) sum += lo_to_f32(w[q], T{}) + hi_to_f32(w[q], T{});
#pragma unroll
    for (int o = 8; o > 0; o >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, o);  // 16 chunks = 16 lanes
    // Round 1 (xor 1) transposes each 2 x 2 block of the quad's 4 x 4 words; round 2 (xor 2)
    // swaps the off-diagonal blocks. A lane sends the two words it is about to replace.
    std::uint32_t r0 = __shfl_xor_sync(0xffffffffu, odd ? w[0] : w[1], 1);
    std::uint32_t r1 = __shfl_xor_sync(0xffffffffu, odd ? w[2] : w[3], 1);
    if (odd) {
      w[0] = r0;
      w[2] = r1;
    } else {
      w[1] = r0;
      w[3] = r1;
    }
    r0 = __shfl_xor_sync(0xffffffffu, upper ? w[0] : w[2], 2);
    r1 = __shfl_xor_sync(0xffffffffu, upper ? w[1] : w[3], 2);
    if (upper) {
      w[0] = r0;
      w[1] = r1;
    } else {
      w[2] = r0;
      w[3] = r1;
    }
    if (live) {
      *reinterpret_cast<uint4*>(p) = make_uint4(w[0], w[1], w[2], w[3]);
      if (first_of_group) sink(m, c >> 4, sum);
    }
    c += kBlockThreads;
    while (c >= chunks) {
      c -= chunks;
      ++m;
    }
  }
}

template <class T, bool kVecScales, int kWarps, bool kXFirst = false, XCopy kXCopy = XCopy::none>
__global__ void __launch_bounds__(kWarps * kWarp, 32 / kWarps)
    w4_owned(const T* __restrict__ x, T* __restrict__ y, const std::uint8_t* __restrict__ tiled,
             const T* __restrict__ scales, int M, int N, int K) {
  using D = MmaDequant<T>;
  using Dec = FoldedDecode<T>;
  constexpr int kThreads = kWarps * kWarp;
  extern __shared__ uint4 smem_raw[];
  const int G = K / kTileK;
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int gid = lane >> 2, tig = lane & 3;
  std::uint8_t* ring = reinterpret_cast<std::uint8_t*>(smem_raw) + warp * kRing;
  std::uint32_t* xs = reinterpret_cast<std::uint32_t*>(reinterpret_cast<std::uint8_t*>(smem_raw) + kWarps * kRing);
  float2* xsum2 = reinterpret_cast<float2*>(xs + M * x_row_words(G));

  // The warp's groups [g0, g0 + n_units) of super-tile st: v26's U w / W range, reduced (U = S G,
  // W = S kWarps, w = st kWarps + warp gives G st + G warp / kWarps).
  const int st = static_cast<int>(blockIdx.x);
  const unsigned gw = static_cast<unsigned>(G) * static_cast<unsigned>(warp);
  const int g0 = static_cast<int>(gw / kWarps);
  const int n_units = static_cast<int>((gw + G) / kWarps) - g0;

  // Copy side: two tile pointers and one scale pointer, advanced by counting.
  const int tiles = tiled_rows(N) / kTileN;
  const bool has_b = 2 * st + 1 < tiles;  // an odd tile count: the last super-tile's second tile is zeros
  const std::size_t tile_stride = static_cast<std::size_t>(G) * kTileBytes;
  const std::uint8_t* wsrc = tiled + (2 * static_cast<std::size_t>(st) * G + g0) * kTileBytes + lane * 16;
  const int col0 = st * kLeanCols + lane * kTileN;  // lanes 0 and 1 copy the 16 scales
  const int sbytes = min(max(N - col0, 0), kTileN) * 2;
  const T* ssrc = scales + static_cast<std::size_t>(g0) * N + col0;
  XFirstBatch first;  // v35: x's first batch of loads, issued before the weights
  if constexpr (kXFirst) {
    first = x_first_loads<kThreads>(x, M, K);
  }
  if constexpr (kXCopy != XCopy::none) {  // v53, v54: all of x, copied to shared memory before the weights
    x_copy_issue<kThreads, kXCopy>(x, xs, M, K);
  }
  auto issue = [&](int slot) {
    std::uint8_t* dst = ring + slot * kLeanSlot + lane * 16;
    cp_async(dst, wsrc, 16, true);
    cp_async(dst + kTileBytes, has_b ? wsrc + tile_stride : tiled, 16, has_b);
    if (kVecScales && lane < 2)
      cp_async16_partial(ring + slot * kLeanSlot + 2 * kTileBytes + lane * 16, sbytes > 0 ? ssrc : scales, sbytes);
    cp_async_commit();
    wsrc += kTileBytes;
    ssrc += N;
  };
#pragma unroll
  for (int s = 0; s < kStages; ++s) {
    if (s < n_units) issue(s);
    else cp_async_commit();  // empty: the wait below counts groups
  }

  for (int i = threadIdx.x; i < G * 4; i += kThreads) {  // rows >= M: zero (disjoint from the sink's)
    const int t = i % 4;
    if (2 * t >= M) xsum2[i].x = 0.f;
    if (2 * t + 1 >= M) xsum2[i].y = 0.f;
  }
  auto sink = [&](int m, int g, float s) {
    float2& e = xsum2[g * 4 + m / 2];
    if (m % 2 == 0) e.x = s;
    else e.y = s;
  };
  if constexpr (kXCopy != XCopy::none) {
    cp_async_wait_oldest<kStages + 1>();  // x's group, committed before the ring's kStages, has landed
    x_copy_relayout<kThreads, T>(xs, M, K, sink);
  } else if constexpr (kXFirst) {
    stage_x_after<kThreads>(x, xs, M, K, sink, first);
  } else {
    lean::stage_x_hoisted<kThreads>(x, xs, M, K, sink);
  }
  __syncthreads();

  // Compute side: v26's unit, unchanged.
  const uint4* xp = reinterpret_cast<const uint4*>(xs + min(gid, M - 1) * x_row_words(G)) + tig + g0 * 16;
  const float2* sp = xsum2 + g0 * 4 + tig;
  int g = g0;
  float acc[4] = {0.f, 0.f, 0.f, 0.f};
  for (int i0 = 0; i0 < n_units; i0 += kStages) {
#pragma unroll
    for (int s = 0; s < kStages; ++s) {
      if (i0 + s >= n_units) break;
      cp_async_wait_oldest<kStages>();
      __syncwarp();  // the scales were copied by lanes 0 and 1
      const std::uint8_t* src = ring + s * kLeanSlot;
      const uint4 wa = *reinterpret_cast<const uint4*>(src + lane * 16);
      const uint4 wb = *reinterpret_cast<const uint4*>(src + kTileBytes + lane * 16);
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
      if (i0 + s + kStages < n_units) issue(s);
      else cp_async_commit();  // the tail: nothing left to fetch

      const float off0 = Dec::kOffset * xsum.x, off1 = Dec::kOffset * xsum.y;
      acc[0] = fmaf(d0[0] + d1[0] - off0, sa, acc[0]);
      acc[1] = fmaf(d0[1] + d1[1] - off1, sa, acc[1]);
      acc[2] = fmaf(d0[2] + d1[2] - off0, sb, acc[2]);
      acc[3] = fmaf(d0[3] + d1[3] - off1, sb, acc[3]);
      xp += 16;
      sp += 4;
      ++g;
    }
  }
  asm volatile("cp.async.wait_all;\n" ::: "memory");
  // v26's reduction: each warp's partial in the first 512 bytes of its own (drained) ring, warp 0
  // adds them in warp order (deterministic) and stores the super-tile.
  reinterpret_cast<float4*>(ring)[lane] = make_float4(acc[0], acc[1], acc[2], acc[3]);
  __syncthreads();
  if (warp == 0) {
    float sum[4] = {0.f, 0.f, 0.f, 0.f};
    const std::uint8_t* rings = reinterpret_cast<const std::uint8_t*>(smem_raw);
#pragma unroll
    for (int v = 0; v < kWarps; ++v) {
      const float4 q = reinterpret_cast<const float4*>(rings + v * kRing)[lane];
      sum[0] += q.x;
      sum[1] += q.y;
      sum[2] += q.z;
      sum[3] += q.w;
    }
    store_super_tile(y, sum, st, M, N, gid, tig);
  }
}

/// One block per super-tile, 4 or 8 warps (warps_for_groups); `name` is the version in messages.
/// kXFirst: v35's staging (x's first loads before the weight copies); kXCopy: v53's and v54's
/// (all of x copied to shared memory before them, through L2 only or through L1 too).
template <bool kXFirst = false, XCopy kXCopy = XCopy::none>
Step prepare_owned(const Problem& p, const char* name) {
  require_supported(p);
  if (p.wfmt != WFormat::int4_sym) throw std::invalid_argument(std::string(name) + " implements int4-sym only");
  if (p.M > kLeanMaxM) throw std::invalid_argument(std::string(name) + " carries x in the 8 columns of the mma's B operand: M <= 8");
  const int G = p.K / kTileK;
  const int warps = warps_for_groups(G);
  const int smem = warps * kRing + p.M * x_row_words(G) * 4 + G * 4 * static_cast<int>(sizeof(float2));
  int device = 0, optin = 0;
  LABS_CHECK(cudaGetDevice(&device));
  LABS_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  if (smem > optin)
    throw std::invalid_argument(std::string(name) + " keeps x[M][K] in shared memory beside its rings: " + std::to_string(smem) +
                                " bytes needed, the limit is " + std::to_string(optin));
  const int blocks = (tiled_rows(p.N) / kTileN + 1) / 2;  // one per super-tile
  Step step;
  auto build = [&](auto tag_t, auto vec_c, auto warps_c) {
    using T = decltype(tag_t);
    constexpr int kW = decltype(warps_c)::value;
    auto kernel = w4_owned<T, decltype(vec_c)::value, kW, kXFirst, kXCopy>;
    LABS_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
    const Problem q = p;
    step = [=](const DeviceWeights& w, Stream s) {
      if (!w.tiled) throw std::invalid_argument(std::string(name) + " needs the tiled packing");
      kernel<<<blocks, kW * kWarp, smem, s>>>(static_cast<const T*>(q.x), static_cast<T*>(q.y), w.tiled,
                                              static_cast<const T*>(w.scales), q.M, q.N, q.K);
      LABS_CHECK_LAUNCH();
    };
  };
  auto with_warps = [&](auto tag_t, auto vec_c) {
    if (warps == 4) build(tag_t, vec_c, std::integral_constant<int, 4>{});
    else build(tag_t, vec_c, std::integral_constant<int, 8>{});
  };
  // 16-byte scale copies need each group's row of scales 16-byte aligned: N % 8 == 0.
  auto with_vec = [&](auto tag_t) {
    if (p.N % kTileN == 0) with_warps(tag_t, std::true_type{});
    else with_warps(tag_t, std::false_type{});
  };
  if (p.dtype == lab::DType::bf16) with_vec(lab::bf16{});
  else with_vec(lab::f16{});
  return step;
}

}  // namespace w4a16::owned
#endif
