/// @file paged_mma.cuh
/// The paged tensor-core decode-attention body of v8 and v11 (v8's file has the design, the
/// page arithmetic, the predictions and the measured story): v7's mma.sync body reading K and
/// V through a block table, one page lookup per 16-key warp tile, issued a tile ahead. It is
/// compiled once per L2 policy of the K/V loads (kEvictFirst: v8 evict_first, v11 and v15 none)
/// and per split tail (kV13Tail: v8 and v11 keep v7's fenced ticket and two-trip combine; v15
/// takes v13's, kernels/split_tail.cuh: v9's acq_rel ticket and the warp-per-head combine).
#pragma once

#include <stdexcept>
#include <string>

#include "kernels/mma_ops.cuh"
#include "kernels/split_combine.cuh"
#include "kernels/split_tail.cuh"

#if LABS_GPU
namespace decode02::paged_mma {

inline constexpr int kV8Warps = kThreads / 32;            // 4 warps of 32 lanes (NVIDIA only)
inline constexpr int kV8WarpKeys = 16;                    // keys per warp tile
inline constexpr int kV8BlockKeys = kV8Warps * kV8WarpKeys;  // 64 keys per block iteration
static_assert(kHeadDim == 128 && kGqaGroup == 4, "v8's fragment layout is v7's: D = 128, 4 heads per KV head");
static_assert(kMinKeysPerSplit % kV8BlockKeys == 0, "splits are whole block tiles");
static_assert(16 % kV8WarpKeys == 0 && 64 % kV8WarpKeys == 0, "a warp tile never straddles a 16- or 64-key page");

#if defined(LABS_BACKEND_CUDA)
static_assert(kThreads == 128, "v8 assumes 4 warps of 32 lanes");

/// Where one warp tile's rows live: the block-table row of this sequence and the pool geometry.
struct V8Pages {
  const int* table_b;  ///< table + b * max_pages
  int page_shift;      ///< log2(P)
  int hkv;
  int kvh;
  /// Pool row of key kc = min(k0, end - 1) (see the file comment): the tile's rows are this
  /// row + min(rel, end - 1 - kc), all in one page.
  __device__ __forceinline__ unsigned tile_row(int k0, int end) const {
    const int kc = min(k0, end - 1);
    const int page = __ldg(table_b + (kc >> page_shift));
    return ((static_cast<unsigned>(page) * hkv + kvh) << page_shift) + (kc & ((1 << page_shift) - 1));
  }
};

/// Row offset inside the tile: rel, clamped in a partial tile to the last live key.
template <bool kFull>
__device__ __forceinline__ int v8_rel(int rel, int lim) {
  return kFull ? rel : min(rel, lim);
}

/// This lane's K words of the tile whose clamped first row is `base`: k[p][4u + r] (v7's layout).
template <bool kFull, bool kEvictFirst, class T>
__device__ __forceinline__ void v8_load_k(std::uint32_t (&k)[2][16], const T* base, int lim, int g, int t,
                                          std::uint64_t policy) {
#pragma unroll
  for (int p = 0; p < 2; ++p) {
    const int row = v8_rel<kFull>(4 * (g >> 1) + (g & 1) + 2 * p, lim);
    const T* src = base + static_cast<size_t>(row) * kHeadDim + t * 8;
#pragma unroll
    for (int u = 0; u < 4; ++u) ld_stream<kEvictFirst>(&k[p][4 * u], src + u * 32, policy);
  }
}

/// This lane's V words of the tile: v[r][4s + j] (v7's layout).
template <bool kFull, bool kEvictFirst, class T>
__device__ __forceinline__ void v8_load_v(std::uint32_t (&v)[4][8], const T* base, int lim, int g, int t,
                                          std::uint64_t policy) {
#pragma unroll
  for (int r = 0; r < 4; ++r) {
    const int row = v8_rel<kFull>(4 * t + r, lim);
    const T* src = base + static_cast<size_t>(row) * kHeadDim + g * 8;
#pragma unroll
    for (int s = 0; s < 2; ++s) ld_stream<kEvictFirst>(&v[r][4 * s], src + s * 64, policy);
  }
}

/// Issues the K and/or V loads of the warp tile at logical key k0, whose clamped first pool
/// row is `row0` (V8Pages::tile_row of the same k0).
template <bool kEvictFirst, class T>
__device__ __forceinline__ void v8_load_tile(std::uint32_t (&k)[2][16], std::uint32_t (&v)[4][8], const T* kpool,
                                             const T* vpool, unsigned row0, int k0, int end, int g, int t,
                                             std::uint64_t policy, bool load_k, bool load_v) {
  const size_t off = static_cast<size_t>(row0) * kHeadDim;
  if (k0 + kV8WarpKeys <= end) {
    if (load_k) v8_load_k<true, kEvictFirst>(k, kpool + off, 0, g, t, policy);
    if (load_v) v8_load_v<true, kEvictFirst>(v, vpool + off, 0, g, t, policy);
  } else {
    const int lim = end - 1 - min(k0, end - 1);
    if (load_k) v8_load_k<false, kEvictFirst>(k, kpool + off, lim, g, t, policy);
    if (load_v) v8_load_v<false, kEvictFirst>(v, vpool + off, lim, g, t, policy);
  }
}

/// Shared floats of the end-of-block merge (v7's): [warps][G][D] accumulators, then m and l.
inline constexpr int kV8AccFloats = kV8Warps * kGqaGroup * kHeadDim;
inline constexpr int kV8ScratchFloats = kV8AccFloats + 2 * kV8Warps * kGqaGroup;
static_assert(kMaxSplits * kGqaGroup * 2 <= kV8AccFloats, "split (m, l) fit over the accumulators");

/// One block = one (split, KV head, sequence), 4 warps; v7's kernel with paged tile rows.
template <class T, bool kEvictFirst, bool kV13Tail = false>
__global__ void __launch_bounds__(kThreads, 3)
    v8_paged_mma_kernel(const T* __restrict__ q, const T* __restrict__ kpool, const T* __restrict__ vpool,
                        const int* __restrict__ table, int max_pages, int page_shift, T* __restrict__ out, int S,
                        int Hq, int Hkv, SplitArgs sp, float scale_log2) {
  __shared__ __align__(16) float scratch[kV8ScratchFloats];
  __shared__ unsigned s_flag;
  const int split = blockIdx.x, kvh = blockIdx.y, b = blockIdx.z;
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32, g = lane / 4, t = lane % 4;
  const int begin = split * sp.keys_per_split;
  const int end = min(S, begin + sp.keys_per_split);
  const int n_tiles = end > begin ? (end - begin + kV8BlockKeys - 1) / kV8BlockKeys : 0;
  const size_t bh = static_cast<size_t>(b) * Hkv + kvh;
  const V8Pages pages{table + static_cast<size_t>(b) * max_pages, page_shift, Hkv, kvh};

  std::uint64_t policy = 0;
  if constexpr (kEvictFirst) asm("createpolicy.fractional.L2::evict_first.b64 %0, 1.0;\n" : "=l"(policy));

  // q of head g (lanes g < 4), this lane's 4 chunks in the permuted order K uses; raw bits.
  std::uint32_t qw[16];
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

  float o[8][4];  // O^T fragments of the 8 m-tiles (16 dims each)
#pragma unroll
  for (int i = 0; i < 8; ++i) o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0.f;
  float m = -INFINITY;  // running max of head g (log2 units); identical in the 4 lanes of group g
  float l = 0.f;        // this lane's share of head g's sum (its 4 keys per tile)

  std::uint32_t kw[2][16], vw[4][8];
  int k0 = begin + warp * kV8WarpKeys;
  // Prologue: the rows of tiles 0 and 1 (the only exposed lookups), then tile 0's loads.
  unsigned row_next = 0u;
  if (n_tiles > 0) {
    const unsigned row0 = pages.tile_row(k0, end);
    if (n_tiles > 1) row_next = pages.tile_row(k0 + kV8BlockKeys, end);
    v8_load_tile<kEvictFirst>(kw, vw, kpool, vpool, row0, k0, end, g, t, policy, true, true);
  }

  for (int i = 0; i < n_tiles; ++i) {
    const bool full = k0 + kV8WarpKeys <= end;
    const int k1 = k0 + kV8BlockKeys;
    const bool more = i + 1 < n_tiles;

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
    if (more) v8_load_tile<kEvictFirst>(kw, vw, kpool, vpool, row_next, k1, end, g, t, policy, true, false);
    // The page of the tile after next: first used by its K loads in the next iteration, so
    // this dependent lookup overlaps a whole tile of work.
    const unsigned row_after = i + 2 < n_tiles ? pages.tile_row(k1 + kV8BlockKeys, end) : 0u;

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
    if (more) v8_load_tile<kEvictFirst>(kw, vw, kpool, vpool, row_next, k1, end, g, t, policy, false, true);
    row_next = row_after;
    k0 = k1;
  }

  // ---- Merge the 4 warps (same rule as split_combine.cuh's finish_block) ----
  float* s_acc = scratch;                               // [warps][G][D]
  float* s_m = scratch + kV8AccFloats;                  // [warps][G]
  float* s_l = s_m + kV8Warps * kGqaGroup;              // [warps][G]
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
  float M[kGqaGroup], L[kGqaGroup], A[kGqaGroup];
  merge_partials<kV8Warps>(s_m, s_l, s_acc, d, M, L, A);

  if (sp.splits == 1) {
#pragma unroll
    for (int h = 0; h < kGqaGroup; ++h)
      out[(static_cast<size_t>(b) * Hq + kvh * kGqaGroup + h) * kHeadDim + d] = Elem<T>::from_float(A[h] / L[h]);
    return;
  }

  // ---- Split-K: v4's partial layout and last-block combine ----
  const size_t part = bh * sp.splits + split;
  store_partial(sp, part, d, M, L, A);
  if constexpr (kV13Tail) {
    // v15: v9's ticket (the barrier orders the block's partial stores before thread 0's
    // release; the second carries its acquire to the block) and v13's combine.
    __syncthreads();
    if (tid == 0) s_flag = ticket_add_acq_rel(sp.counters + bh) + 1u == static_cast<unsigned>(sp.splits) ? 1u : 0u;
    __syncthreads();
    if (s_flag == 0u) return;
    float l_all;
    float4 acc;
    combine_warp_per_head(sp, bh, warp, lane, l_all, acc);
    store_combined(out + (static_cast<size_t>(b) * Hq + kvh * kGqaGroup + warp) * kHeadDim + lane * 4, acc, l_all,
                   sp.counters + bh, tid == 0);
    return;
  }
  __threadfence();  // publish the partial before counting this block (release)
  __syncthreads();  // also: every thread has finished reading s_acc before it is reused below
  if (tid == 0) {
    const unsigned finished = atomicAdd(sp.counters + bh, 1u) + 1u;
    s_flag = finished == static_cast<unsigned>(sp.splits) ? 1u : 0u;
  }
  __syncthreads();
  if (s_flag == 0u) return;
  __threadfence();  // order the last block's reads after every other block's count (acquire)

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

inline int v8_log2_page(int p) {
  int s = 0;
  while ((1 << s) < p) ++s;
  if ((1 << s) != p || p < kV8WarpKeys) throw std::invalid_argument("v8: page size must be a power of two >= 16");
  return s;
}

template <class T, bool kEvictFirst, bool kV13Tail>
void prepare_typed(const DeviceProblem& p, Runner& r) {
  const Shape s = p.shape;
  const int P = page_size(s.layout);
  auto kernel = v8_paged_mma_kernel<T, kEvictFirst, kV13Tail>;
  int sms = 0, per_sm = 0;
  occupancy_of(kernel, 0, &sms, &per_sm);
  const SplitPlan plan = plan_splits(s.B, s.Hkv, s.S, sms, per_sm, kV8BlockKeys, s.splits);
  if (plan.keys_per_split % kV8BlockKeys != 0) throw std::logic_error("v8: a split must be whole 64-key block tiles");
  auto ws = make_split_workspace(s, plan);
  const SplitArgs sp = ws->args;
  const int shift = v8_log2_page(P), max_pages = s.max_pages();
  r.workspace = ws;
  r.details = {{"splits", plan.splits},   {"keys_per_split", plan.keys_per_split},
               {"blocks_per_sm", per_sm}, {"sms", sms},
               {"page_size", P},          {"l2_hint", kEvictFirst ? "evict_first" : "normal"}};
  r.launch = [p, s, sp, kernel, shift, max_pages](cudaStream_t stream) {
    const dim3 grid(sp.splits, s.Hkv, s.B);
    kernel<<<grid, kThreads, 0, stream>>>(static_cast<const T*>(p.q), static_cast<const T*>(p.k_pages),
                                          static_cast<const T*>(p.v_pages), p.block_table, max_pages, shift,
                                          static_cast<T*>(p.out), s.S, s.Hq, s.Hkv, sp, softmax_scale_log2(s.D));
    LABS_CHECK_LAUNCH();
  };
}
#endif  // LABS_BACKEND_CUDA

/// Validates the shape and builds the runner of the version called `name`; kEvictFirst is the
/// version's L2 policy for K and V, which DECODE02_V7_L2_HINT can override (l2_evict_first).
template <bool kEvictFirst, bool kV13Tail = false>
Runner prepare(const DeviceProblem& p, const char* name) {
  const Shape s = p.shape;
#if defined(LABS_BACKEND_CUDA)
  validate(s);
  if (s.group() != kGqaGroup) throw std::invalid_argument(std::string(name) + " is written for 4 query heads per KV head");
  if (page_size(s.layout) == 0 || !p.k_pages || !p.v_pages || !p.block_table)
    throw std::invalid_argument(std::string(name) + " reads a paged cache: --layout paged16 or paged64");
  Runner r;
  const bool evict_first = l2_evict_first(kEvictFirst);
  dispatch_dtype(s.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (evict_first) prepare_typed<T, true, kV13Tail>(p, r);
    else prepare_typed<T, false, kV13Tail>(p, r);
  });
  return r;
#else
  (void)s;
  throw std::runtime_error(std::string(name) + " uses mma.sync and PTX cache hints (NVIDIA sm_80+); it has no HIP build");
#endif
}

}  // namespace decode02::paged_mma
#endif
