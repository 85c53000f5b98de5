/// @file v7_mma_stream.cu Tensor-core q.K and P.V (mma.sync m16n8k16) on register-streamed 16-key warp tiles: ~8 instructions per key instead of ~70.
///
/// **What changed from the best existing versions (v4 split-K, v5 cp.async).** The split plan,
/// the workspace and the last-block log-sum-exp combine are v4's (same partial layout,
/// same counters). The body is new:
/// - A warp owns whole 16-key tiles (block tile = 4 warps x 16 = 64 consecutive keys; warp w
///   takes keys 16w..16w+15 of it) and keeps its own online-softmax state.
/// - q.K is one `mma.sync.m16n8k16` chain per 8 keys (A = the 4 query heads, rows 4..15
///   zero; B = K^T, 8 keys; fp32 accumulate): 16 mma per 16 keys, no shuffles for the dot
///   products. v4's lanes spent 32 FMAs plus 16 shuffles and 16 adds per key (4 heads).
/// - P.V is O^T[dim][head] += V^T[dim][key] . P^T[key][head] (A = V^T, 16 dims x 16 keys;
///   B = P^T, heads 4..7 zero): 8 mma per 16 keys. P is rounded to the input dtype (bf16 or
///   fp16) as FlashAttention does; the row sum l adds the rounded P so numerator and
///   denominator use the same weights.
/// - Loads stay 16-byte (LDG.E.128) and go straight to registers, no shared memory:
///   * K: the head dimension is permuted identically for q and K (a dot product does not
///     care about the order of its terms), so a lane's 16-byte chunk 4u + t of a K row is
///     directly the B fragment of two k-steps. Per load instruction the warp reads 64
///     contiguous bytes of 8 rows (whole sectors).
///   * V: a lane loads 16 bytes of each of 4 consecutive keys; two `prmt` per register pair
///     turn (key a, dims d, d+1) + (key b, dims d, d+1) into the (key a, key b) pairs the A
///     fragment wants. Per load instruction the warp reads 128 contiguous bytes of 4 rows.
///   * the mma.sync C layout of q.K (lane (g, t) holds head g, keys 4t + {0,1,2,3}) is by
///     construction the B layout P.V needs: no data moves between the two products.
/// - Each warp keeps 8 KiB in flight (16 x 16 B per lane: the next tile's K is issued right
///   after this tile's q.K, its V right after this tile's P.V), twice v4's 4 KiB. 156
///   registers per thread: 3 blocks (12 warps, 96 KiB in flight) per SM.
/// - The running max is reduced with 2 shuffles per 16 keys (v4: 16 shuffles and 16 adds per
///   key per lane for the dot products); the accumulator rescale (32 FMULs) runs only when some
///   head's max grew in this tile (a warp vote; skipping multiplies by exactly 1.0).
/// - Streamed K/V loads carry an L2 evict_first policy, no L1 allocation and a 256-byte L2
///   prefetch hint (a K/V row is one aligned 256-byte block, so nothing past it is fetched).
///   Set `DECODE02_V7_L2_HINT=normal` to run the same kernel with plain `ld.global.nc`
///   loads; the row's details record which one ran ("l2_hint").
///
/// **Why it should be faster.** Reasoned from the measured rows (run 20261121T120912Z-164,
/// bf16, cold L2): v4 and v5 both stop at 87% of copy bandwidth at B = 32, S = 32768, although
/// v5 keeps 3x more bytes in flight (a shared-memory ring) than v4. Whatever limits both is
/// common to their body, and the body costs ~70 warp instructions per key (16 q.K FMAs,
/// 8 shuffles and 8 adds, 16 P.V FMAs, 4 rescale FMULs, ~8 unpacks, 2.5 exps, loads, masks and
/// addressing; a warp instruction serves 2 keys in v4's 16-lane groups), i.e. about
/// half of every scheduler's issue slots at 3.7 TB/s. A fit of time against bytes over the
/// measured shapes gives v5 3.7-4.0 TB/s marginal plus 15-19 us fixed; cuDNN 4.5-4.6 TB/s
/// marginal (from 512 MiB up) plus ~14 us fixed. The whole gap to cuDNN at every shape >= 128 MiB is the
/// marginal rate. v7 issues ~8 instructions per key (16 LDG + 24 HMMA + 32 PRMT + ~45 for the
/// softmax and bookkeeping per 16 keys) and has 2x v4's bytes in flight per warp, so the
/// SMs should stop being the limit and the stream should run at the DRAM's read rate.
///
/// **Prediction (before measuring; bf16, cold L2, H200).**
/// - B = 32, S = 32768: 0.96-1.02 ms (v5: 1.151; cuDNN: 0.958), 99-105% of copy bandwidth.
/// - B = 8, S = 32768: 0.250-0.265 ms (v5: 0.286; cuDNN: 0.255).
/// - B = 32, S = 4096 and B = 1, S = 131072 (512 MiB): 0.133-0.140 ms, 90-95% (v5: 0.151 /
///   0.154; cuDNN: 0.135 / 0.153).
/// - B = 8, S = 4096 and B = 1, S = 32768 (128 MiB): 0.044-0.047 ms, 67-72% (v4/v5: 0.052;
///   cuDNN: 0.048 / 0.049). The 88% target (35.7 us) and "1.3x / 1.6x the fastest PyTorch
///   backend" (36.7 us / 30.6 us) are out of reach at this size under this timing method: every
///   kernel, cuDNN included, pays a fixed cost per cold sample (fits give 14-19 us; the 1 MiB
///   case, B = 1, S = 512, takes 10.6 us for both v5 and cuDNN), so 128 MiB would have to
///   stream in 20-26 us, 5.1-6.7 TB/s, above the HBM3e datasheet 4.8 TB/s. If the evict_first
///   hint shortens that fixed cost (the cold-L2 flush is a memset, so the L2 starts full of
///   dirty lines that a normal-priority stream must write back inside the timed window), these
///   two shapes can
///   land at 0.038-0.042 ms; the `DECODE02_V7_L2_HINT=normal` A/B separates the two effects.
/// - S = 512 shapes: within 1 us of v5 (launch and latency bound).
///
/// **Profiler.** `ncu --set full -k regex:v7_mma_stream_kernel`: dram__throughput and
/// dram__bytes_read.sum / dram__bytes_write.sum (write traffic during the kernel = dirty
/// flush lines written back; compare with `DECODE02_V7_L2_HINT=normal`); Warp State:
/// stall_long_scoreboard should dominate with sm__inst_executed per key ~8 warp instructions
/// (v4: ~70); sm__pipe_tensor_op_hmma_cycles_active (a few %); Launch Statistics:
/// registers per thread and blocks per SM (details.blocks_per_sm in the row).
///
/// **Run.** `build/cuda/topics/02-decode-attention/lab-02-decode-attention --variant v7 --layout contiguous --dtype bf16`
/// (every default shape), or add `--batch 8 --kv-len 4096` for one.
///
/// Layout of one 16-key warp tile (lane = 4g + t, g = lane / 4, t = lane % 4; keys relative
/// to the tile's first key k0; dims are element indices in a 128-wide row):
/// - K: lane loads key 4(g/2) + (g%2) + 2p for p in {0, 1}, chunks 4u + t (dims 32u + 8t ..
///   32u + 8t + 7) for u in 0..3. Word r of chunk u of key p is k[p][4u + r]. For k-step
///   c = 2u + w the B fragment is (k[p][4u + 2w], k[p][4u + 2w + 1]).
/// - q: lane (g < 4) loads head g with the same chunks: q[4u + r]; A fragment of k-step c is
///   (q[4u + 2w], 0, q[4u + 2w + 1], 0). Lanes g >= 4 hold zeros (rows 4..15 unused).
/// - q.K C fragment of 8-key tile p: lane (g, t) holds head g, keys 4t + 2p + {0, 1}.
/// - V: lane loads keys 4t + r (r = 0..3), chunks g and 8 + g; word j of chunk s is
///   v[r][4s + j] and covers dims 64s + 8g + 2j, +1. m-tile i = 4s + j has row g = dim
///   64s + 8g + 2j and row g + 8 = that dim + 1.
/// - P.V B fragment: lane (g, t) holds P[head g][keys 4t, 4t + 1] and [4t + 2, 4t + 3]:
///   exactly what q.K left in its registers.
/// - O^T C fragment of m-tile i: lane (g, t < 2) holds heads 2t, 2t + 1 at dims
///   64s + 8g + 2j and + 1; lanes t >= 2 hold the unused heads 4..7 (zeros).
#include <cstdlib>
#include <cstring>

#include "kernels/split_combine.cuh"

#if LABS_GPU
namespace decode02 {
namespace {

inline constexpr int kV7Warps = kThreads / 32;            // 4 warps of 32 lanes (NVIDIA only)
inline constexpr int kV7WarpKeys = 16;                    // keys per warp tile
inline constexpr int kV7BlockKeys = kV7Warps * kV7WarpKeys;  // 64 keys per block iteration
static_assert(kHeadDim == 128 && kGqaGroup == 4, "v7's fragment layout is written for D = 128 and 4 heads per KV head");
static_assert(kMinKeysPerSplit % kV7BlockKeys == 0, "splits are whole block tiles");

#if defined(LABS_BACKEND_CUDA)
static_assert(kThreads == 128, "v7 assumes 4 warps of 32 lanes");

/// Per-dtype tensor-core op and packing of two floats into the A/B register format.
template <class T>
struct V7Mma;

template <>
struct V7Mma<lab::bf16> {
  static __device__ __forceinline__ void mma(float (&d)[4], std::uint32_t a0, std::uint32_t a1, std::uint32_t a2,
                                             std::uint32_t a3, std::uint32_t b0, std::uint32_t b1) {
    asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
  }
  /// lo in the low half (the lower k index), both rounded to nearest even; the rounded
  /// values come back in lo/hi so the caller sums exactly what the mma multiplies.
  static __device__ __forceinline__ std::uint32_t pack(float& lo, float& hi) {
    const __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
    lo = __low2float(h);
    hi = __high2float(h);
    std::uint32_t u;
    memcpy(&u, &h, sizeof(u));
    return u;
  }
};

template <>
struct V7Mma<lab::f16> {
  static __device__ __forceinline__ void mma(float (&d)[4], std::uint32_t a0, std::uint32_t a1, std::uint32_t a2,
                                             std::uint32_t a3, std::uint32_t b0, std::uint32_t b1) {
    asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
  }
  static __device__ __forceinline__ std::uint32_t pack(float& lo, float& hi) {
    const __half2 h = __floats2half2_rn(lo, hi);
    lo = __low2float(h);
    hi = __high2float(h);
    std::uint32_t u;
    memcpy(&u, &h, sizeof(u));
    return u;
  }
};

/// One streamed 16-byte load into 4 words. kEvictFirst: L2 evict_first policy, no L1
/// allocation, 256-byte L2 prefetch (one whole K/V row); otherwise a plain ld.global.nc.
template <bool kEvictFirst>
__device__ __forceinline__ void ld_stream(std::uint32_t* w, const void* p, std::uint64_t policy) {
  if constexpr (kEvictFirst) {
    asm("ld.global.nc.L1::no_allocate.L2::cache_hint.L2::256B.v4.u32 {%0,%1,%2,%3}, [%4], %5;\n"
        : "=r"(w[0]), "=r"(w[1]), "=r"(w[2]), "=r"(w[3])
        : "l"(p), "l"(policy));
  } else {
    (void)policy;
    asm("ld.global.nc.v4.u32 {%0,%1,%2,%3}, [%4];\n" : "=r"(w[0]), "=r"(w[1]), "=r"(w[2]), "=r"(w[3]) : "l"(p));
  }
}

/// Row of key `key` relative to the tile start, clamped to the last live key of the split
/// in a partial tile. A clamped row is live (finite) data whose score is masked to -inf,
/// so it contributes 0 * finite = 0; no unwritten (NaN) slot is ever read.
template <bool kFull>
__device__ __forceinline__ int v7_row(int k0, int rel, int end) {
  return kFull ? k0 + rel : min(k0 + rel, end - 1);
}

/// This lane's K words of the 16-key tile at k0: k[p][4u + r].
template <bool kFull, bool kEvictFirst, class T>
__device__ __forceinline__ void v7_load_k(std::uint32_t (&k)[2][16], const T* kbh, int k0, int end, int g, int t,
                                          std::uint64_t policy) {
#pragma unroll
  for (int p = 0; p < 2; ++p) {
    const int row = v7_row<kFull>(k0, 4 * (g >> 1) + (g & 1) + 2 * p, end);
    const T* src = kbh + static_cast<size_t>(row) * kHeadDim + t * 8;
#pragma unroll
    for (int u = 0; u < 4; ++u) ld_stream<kEvictFirst>(&k[p][4 * u], src + u * 32, policy);
  }
}

/// This lane's V words of the 16-key tile at k0: v[r][4s + j].
template <bool kFull, bool kEvictFirst, class T>
__device__ __forceinline__ void v7_load_v(std::uint32_t (&v)[4][8], const T* vbh, int k0, int end, int g, int t,
                                          std::uint64_t policy) {
#pragma unroll
  for (int r = 0; r < 4; ++r) {
    const int row = v7_row<kFull>(k0, 4 * t + r, end);
    const T* src = vbh + static_cast<size_t>(row) * kHeadDim + g * 8;
#pragma unroll
    for (int s = 0; s < 2; ++s) ld_stream<kEvictFirst>(&v[r][4 * s], src + s * 64, policy);
  }
}

template <bool kEvictFirst, class T>
__device__ __forceinline__ void v7_load_tile(std::uint32_t (&k)[2][16], std::uint32_t (&v)[4][8], const T* kbh,
                                             const T* vbh, int k0, int end, int g, int t, std::uint64_t policy,
                                             bool load_k, bool load_v) {
  if (k0 + kV7WarpKeys <= end) {
    if (load_k) v7_load_k<true, kEvictFirst>(k, kbh, k0, end, g, t, policy);
    if (load_v) v7_load_v<true, kEvictFirst>(v, vbh, k0, end, g, t, policy);
  } else {
    if (load_k) v7_load_k<false, kEvictFirst>(k, kbh, k0, end, g, t, policy);
    if (load_v) v7_load_v<false, kEvictFirst>(v, vbh, k0, end, g, t, policy);
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
template <class T, bool kEvictFirst>
__global__ void __launch_bounds__(kThreads, 3)
    v7_mma_stream_kernel(const T* __restrict__ q, const T* __restrict__ kc, const T* __restrict__ vc,
                         T* __restrict__ out, int S, int S_alloc, int Hq, int Hkv, SplitArgs sp, float scale_log2) {
  __shared__ __align__(16) float scratch[kV7ScratchFloats];
  __shared__ unsigned s_flag;
  const int split = blockIdx.x, kvh = blockIdx.y, b = blockIdx.z;
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32, g = lane / 4, t = lane % 4;
  const int begin = split * sp.keys_per_split;
  const int end = min(S, begin + sp.keys_per_split);
  const int n_tiles = end > begin ? (end - begin + kV7BlockKeys - 1) / kV7BlockKeys : 0;
  const size_t bh = static_cast<size_t>(b) * Hkv + kvh;
  const T* kbh = kc + bh * S_alloc * kHeadDim;
  const T* vbh = vc + bh * S_alloc * kHeadDim;

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
  int k0 = begin + warp * kV7WarpKeys;
  if (n_tiles > 0) v7_load_tile<kEvictFirst>(kw, vw, kbh, vbh, k0, end, g, t, policy, true, true);

  for (int i = 0; i < n_tiles; ++i) {
    const bool full = k0 + kV7WarpKeys <= end;
    const int k1 = k0 + kV7BlockKeys;
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
          V7Mma<T>::mma(sc[p], qw[4 * u + 2 * w], 0u, qw[4 * u + 2 * w + 1], 0u, kw[p][4 * u + 2 * w],
                        kw[p][4 * u + 2 * w + 1]);
    }
    // The K registers are free: the next tile's K is in flight during softmax and P.V.
    if (more) v7_load_tile<kEvictFirst>(kw, vw, kbh, vbh, k1, end, g, t, policy, true, false);

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
    const std::uint32_t pb0 = V7Mma<T>::pack(pr[0][0], pr[0][1]);  // keys 4t, 4t+1
    const std::uint32_t pb1 = V7Mma<T>::pack(pr[1][0], pr[1][1]);  // keys 4t+2, 4t+3
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
      V7Mma<T>::mma(o[i2], a0, a1, a2, a3, pb0, pb1);
    }
    if (more) v7_load_tile<kEvictFirst>(kw, vw, kbh, vbh, k1, end, g, t, policy, false, true);
    k0 = k1;
  }

  // ---- Merge the 4 warps (same rule as split_combine.cuh's finish_block) ----
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
  float M[kGqaGroup], L[kGqaGroup], A[kGqaGroup];
  merge_partials<kV7Warps>(s_m, s_l, s_acc, d, M, L, A);

  if (sp.splits == 1) {
#pragma unroll
    for (int h = 0; h < kGqaGroup; ++h)
      out[(static_cast<size_t>(b) * Hq + kvh * kGqaGroup + h) * kHeadDim + d] = Elem<T>::from_float(A[h] / L[h]);
    return;
  }

  // ---- Split-K: v4's partial layout and last-block combine ----
  const size_t part = bh * sp.splits + split;
#pragma unroll
  for (int h = 0; h < kGqaGroup; ++h) {
    sp.partial_o[(part * kGqaGroup + h) * kHeadDim + d] = A[h];
    if (d == h) {
      sp.partial_ml[(part * kGqaGroup + h) * 2 + 0] = M[h];
      sp.partial_ml[(part * kGqaGroup + h) * 2 + 1] = L[h];
    }
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

/// The A/B knob for the L2 policy of the K/V stream: DECODE02_V7_L2_HINT=normal turns the
/// evict_first hint off (anything else, or unset, keeps it on).
bool v7_evict_first() {
  const char* e = std::getenv("DECODE02_V7_L2_HINT");
  return !(e && std::strcmp(e, "normal") == 0);
}

template <class T, bool kEvictFirst>
void prepare_v7_typed(const DeviceProblem& p, Runner& r) {
  const Shape s = p.shape;
  auto kernel = v7_mma_stream_kernel<T, kEvictFirst>;
  int sms = 0, per_sm = 0;
  occupancy_of(kernel, 0, &sms, &per_sm);
  const SplitPlan plan = plan_splits(s.B, s.Hkv, s.S, sms, per_sm, kV7BlockKeys, s.splits);
  auto ws = make_split_workspace(s, plan);
  const SplitArgs sp = ws->args;
  r.workspace = ws;
  r.details = {{"splits", plan.splits},       {"keys_per_split", plan.keys_per_split},
               {"blocks_per_sm", per_sm},     {"sms", sms},
               {"l2_hint", kEvictFirst ? "evict_first" : "normal"}};
  r.launch = [p, s, sp, kernel](cudaStream_t stream) {
    const dim3 grid(sp.splits, s.Hkv, s.B);
    kernel<<<grid, kThreads, 0, stream>>>(static_cast<const T*>(p.q), static_cast<const T*>(p.k),
                                          static_cast<const T*>(p.v), static_cast<T*>(p.out), s.S, s.S_alloc, s.Hq,
                                          s.Hkv, sp, softmax_scale_log2(s.D));
    LABS_CHECK_LAUNCH();
  };
}
#endif  // LABS_BACKEND_CUDA

Runner prepare_v7(const DeviceProblem& p) {
  const Shape s = p.shape;
#if defined(LABS_BACKEND_CUDA)
  validate(s);
  if (s.group() != kGqaGroup) throw std::invalid_argument("v7 is written for 4 query heads per KV head");
  Runner r;
  const bool evict_first = v7_evict_first();
  dispatch_dtype(s.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (evict_first) prepare_v7_typed<T, true>(p, r);
    else prepare_v7_typed<T, false>(p, r);
  });
  return r;
#else
  (void)s;
  throw std::runtime_error("v7 uses mma.sync and PTX cache hints (NVIDIA sm_80+); it has no HIP build");
#endif
}

DecodeVersion make_v7() {
  DecodeVersion v;
  v.info.id = "v7";
  v.info.idea = "tensor-core q.K and P.V (mma.sync m16n8k16) on register-streamed 16-key warp tiles, split-K";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.layouts = {Layout::contiguous};
  v.kernel_regex = "v7_mma_stream_kernel";
  v.prepare = &prepare_v7;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(DecodeVersion, (make_v7()))

}  // namespace decode02
#endif
