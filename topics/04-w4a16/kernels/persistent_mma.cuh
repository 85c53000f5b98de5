/// @file persistent_mma.cuh
/// v40's kernel (kernels/v40_persistent_mma.cu has the design, the prediction and the measured
/// story): v37 above M = 8, int4-sym, with persistent blocks. v37 launches one block per unit
/// (column block of 128 x K split), each paying a prologue, x's staging and a split-K tail around
/// a few groups of work. Here a block keeps one K split for its whole life and walks the column
/// blocks cb = j, j + stride, ... of that split (j = blockIdx.x / splits, stride = gridDim.x /
/// splits): x is staged once per block, and the two-group weight ring runs across unit
/// boundaries, so the next unit's first two groups are in flight while this unit's partial is
/// published (the barrier and ticket) and, in the last block, summed.
///
/// v41 orders the blocks column block first (b -> split b / (grid / splits), first column block
/// b % (grid / splits)), as v37's grid is ordered, instead of split first. v42 adds dynamic
/// claims: a block's first column block is fixed, the later ones are taken from a counter per
/// split (thread 0, one atomicAdd per unit, issued a unit ahead so that its round trip hides
/// behind the loop), so a block that runs faster takes more units, as v37's hardware block
/// scheduler hands a freed slot the next block.
///
/// Per unit, the same loads, decode, mma, scale fmas and tail as v37's block (cb, split), in the
/// same order: the partials and the output are bitwise v37's at the same split.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "kernels/mma_lean.cuh"

#if defined(LABS_BACKEND_CUDA)

namespace w4a16::persistent_mma {

using mma_lean::kAhead;
using mma_lean::kStageLoads;
using mma_lean::kTilesPerWarp;
using mma_lean::kXPad;
using mma_lean::Stage;

constexpr int kWarps = 8;  // v37's block: 8 warps side by side in N, 128 columns
constexpr int kThreads = kWarps * kWarp;
constexpr int kBlockN = kWarps * kTilesPerWarp * kTileN;
static_assert(kAhead == 2, "the ring below is v37's two stages");

/// Blocks per SM asked of ptxas: v37's 4 (32 warps per SM, <= 64 registers).
constexpr int kMinBlocks = 4;

/// What each version changes, by its number (40, 41, 42).
template <int kVersion>
struct PersistentFeatures {
  /// v41: consecutive blocks take consecutive column blocks of one split (v37's order), not
  /// consecutive splits of one column block.
  static constexpr bool kColumnFirst = kVersion >= 41;
  /// v42: column blocks after a block's first are claimed from a counter per split.
  static constexpr bool kClaim = kVersion >= 42;
};

/// v42's counters per split: claims[s] counts the column blocks claimed past the first
/// `per_split` (which are fixed), claims[splits + s] the blocks of split s that have left. The
/// last to leave resets both, so the next call starts from zero.
__device__ __forceinline__ void release_claims(unsigned* claims, int split, int splits, int per_split) {
  if (atomicAdd(&claims[splits + split], 1u) == static_cast<unsigned>(per_split) - 1u) {
    claims[split] = 0u;
    claims[splits + split] = 0u;
  }
}

/// v40: block b owns K split b % splits and the column blocks b / splits + i * (gridDim.x /
/// splits). v41: split b / per_split, column blocks b % per_split + i * per_split. v42: v41's
/// first column block, then claimed ones.
template <class T, int kVersion>
__global__ void __launch_bounds__(kThreads, kMinBlocks)
    w4_mma_persistent(const T* __restrict__ x, T* __restrict__ y, const std::uint8_t* __restrict__ tiled,
                      const T* __restrict__ scales, int M, int N, int K, int gps, int splits, int col_blocks,
                      float* __restrict__ partials, unsigned* __restrict__ tickets, unsigned* __restrict__ claims) {
  using D = MmaDequant<T>;
  using F = PersistentFeatures<kVersion>;
  extern __shared__ uint4 smem_raw[];
  T* xs = reinterpret_cast<T*>(smem_raw);

  const int G = K / kTileK;
  const int per_split = static_cast<int>(gridDim.x) / splits;  // blocks per split, the static stride
  const int split = F::kColumnFirst ? static_cast<int>(blockIdx.x) / per_split : static_cast<int>(blockIdx.x) % splits;
  const int first_cb = F::kColumnFirst ? static_cast<int>(blockIdx.x) % per_split : static_cast<int>(blockIdx.x) / splits;
  const int g_begin = split * gps;
  const int g_end = min(G, g_begin + gps);
  const int kr = (g_end - g_begin) * kTileK;
  const int xs_stride = gps * kTileK + kXPad;
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int gid = lane >> 2, tig = lane & 3;
  const int n_tiles = tiled_rows(N) / kTileN;

  // v42 (claims != nullptr: prepare passes none if any split, the last included, has fewer than
  // 3 groups): next_cb is the column block after the current unit's, known a whole unit ahead
  // because the ring starts loading it two groups before the current unit ends (hence >= 3). Thread 0 claims the one after
  // it at the start of a unit (the atomic's round trip hides behind the loop) and hands it to
  // the block at the unit's tail, through claimed[unit parity] and the tail's barrier (two slots:
  // a slow warp may still read one unit's slot while thread 0 writes the next). A claim past the
  // last column block ends the block's list; no claim is made after it.
  const bool dynamic = F::kClaim && claims != nullptr;
  __shared__ int claimed[2];
  auto claim = [&]() { return per_split + static_cast<int>(atomicAdd(&claims[split], 1u)); };
  int next_cb = first_cb + per_split;  // v40, v41: the static walk
  int first_claim = 0;  // thread 0: issued now, stored before the x staging's barrier
  if (dynamic && threadIdx.x == 0) first_claim = claim();

  // The ring's cursor: the next (column block, group) to load; it runs past a unit's last group
  // into the next unit's first, and past the block's last unit (then nothing is live).
  int load_cb = first_cb, load_gi = g_begin;
  auto load_next = [&](Stage& st) {
    const bool unit_live = load_cb < col_blocks;
#pragma unroll
    for (int t = 0; t < kTilesPerWarp; ++t) {
      const int tile = load_cb * (kBlockN / kTileN) + warp * kTilesPerWarp + t;
      const bool live = unit_live && tile < n_tiles;
      st.w[t] = live ? load16(tiled + ((static_cast<std::size_t>(tile) * G + load_gi) * 32 + lane) * 16)
                     : make_uint4(0, 0, 0, 0);
      st.s[t] = live ? mma_lean::scale_pair(scales, load_gi, N, tile * kTileN + 2 * tig) : 0u;
      st.z[t] = 8;
    }
    if (++load_gi == g_end) {
      load_gi = g_begin;
      load_cb = dynamic ? next_cb : load_cb + per_split;
    }
  };

  // x's first batch before the weights (v37), then the ring's two groups, then x into padded
  // rows (all 16: rows M..15 are zeros, ldmatrix reads them). Once per block.
  // This staging and the group body below are v37's (mma_lean.cuh) written out again on purpose:
  // moving them into shared helpers reschedules v37's kernel (that file's note on x_first), whose
  // cubin is kept as measured.
  const int vecs = kr / 8, total = 16 * vecs;
  uint4 x_first[kStageLoads];
#pragma unroll
  for (int b = 0; b < kStageLoads; ++b) {
    const int i = threadIdx.x + b * kThreads;
    const int m = i / vecs, c = i % vecs;
    x_first[b] = i < total && m < M ? load16(x + static_cast<std::size_t>(m) * K + static_cast<std::size_t>(g_begin) * kTileK + c * 8)
                                    : make_uint4(0, 0, 0, 0);
  }
  Stage ring[kAhead];
#pragma unroll
  for (int a = 0; a < kAhead; ++a) load_next(ring[a]);
#pragma unroll
  for (int b = 0; b < kStageLoads; ++b) {
    const int i = threadIdx.x + b * kThreads;
    if (i < total) *reinterpret_cast<uint4*>(xs + (i / vecs) * xs_stride + (i % vecs) * 8) = x_first[b];
  }
  for (int base = threadIdx.x + kThreads * kStageLoads; base < total; base += kThreads * kStageLoads) {
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
  if (dynamic && threadIdx.x == 0) claimed[1] = first_claim;
  __syncthreads();

  // ldmatrix.x4 row addresses, as v37 above M = 8.
  const unsigned a_base =
      static_cast<unsigned>(__cvta_generic_to_shared(xs + (lane & 15) * xs_stride + (lane >> 4) * 8));
  const typename D::Zero zb = D::zero(8);  // int4-sym: q - 8

  if (dynamic) next_cb = claimed[1];
  for (int cb = first_cb, unit = 0; cb < col_blocks; ++unit) {
    int my_claim = col_blocks;  // v42, thread 0: the column block after next_cb
    if (dynamic && threadIdx.x == 0 && next_cb < col_blocks) my_claim = claim();
    float acc[kTilesPerWarp][4] = {};
    for (int gi = g_begin; gi < g_end; ++gi) {
      const Stage cur = ring[0];
      ring[0] = ring[1];
      load_next(ring[1]);  // two groups ahead, into the next unit near the end of this one
      float c[kTilesPerWarp][4] = {};
      const int kg = (gi - g_begin) * kTileK;
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        std::uint32_t a0[4], a1[4];  // A of k-steps 2j and 2j + 1
        mma_lean::ldmatrix_x4(a0, a_base + static_cast<unsigned>((kg + (2 * j) * 16) * 2));
        mma_lean::ldmatrix_x4(a1, a_base + static_cast<unsigned>((kg + (2 * j + 1) * 16) * 2));
#pragma unroll
        for (int t = 0; t < kTilesPerWarp; ++t) {
          std::uint32_t b[4];
          D::decode(word_of(cur.w[t], j), zb, b);
          D::mma(c[t], a0, b[0], b[1]);
          D::mma(c[t], a1, b[2], b[3]);
        }
      }
#pragma unroll
      for (int t = 0; t < kTilesPerWarp; ++t) {
        const float s_lo = lo_to_f32(cur.s[t], T{}), s_hi = hi_to_f32(cur.s[t], T{});
        acc[t][0] = fmaf(c[t][0], s_lo, acc[t][0]);
        acc[t][1] = fmaf(c[t][1], s_hi, acc[t][1]);
        acc[t][2] = fmaf(c[t][2], s_lo, acc[t][2]);
        acc[t][3] = fmaf(c[t][3], s_hi, acc[t][3]);
      }
    }

    // The unit's tail, v37's: y directly at one split, else the partial, the ticket, and in the
    // last block the sum in split order. The ring's next two groups are in flight meanwhile.
    const int col0 = cb * kBlockN;
    float* mine = splits == 1 ? nullptr : partials + (static_cast<std::size_t>(cb) * splits + split) * M * kBlockN;
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
    if (dynamic && threadIdx.x == 0) claimed[unit & 1] = my_claim;  // published by the barrier below
    if (splits > 1 && splitk_arrive_acq_rel(&tickets[cb], splits))
      splitk_finish_in_flight(partials, &tickets[cb], y, M, N, col0, kBlockN, splits, cb);
    if (dynamic && splits == 1) __syncthreads();  // no ticket's barrier to publish the claim
    cb = next_cb;
    next_cb = dynamic ? claimed[unit & 1] : next_cb + per_split;
  }
  if (dynamic && threadIdx.x == 0) release_claims(claims, split, splits, per_split);
}

/// Plans and launches v40, v41 or v42 for p: v37's split (so v37's partials and output), a grid
/// of as many blocks as fit at once, rounded down to a multiple of the split count (at least one
/// block per split, at most one per unit). Above M = 8, int4-sym only. v42 claims column blocks
/// only when every split, the last (shorter under --splits) included, has at least 3 groups (the
/// claim is a unit ahead of the ring); otherwise it runs v41's static walk.
template <int kVersion>
Step prepare_persistent_mma(const Problem& p, const char* name) {
  require_supported(p);
  if (p.wfmt != WFormat::int4_sym || p.M <= 8)
    throw std::invalid_argument(std::string(name) + " is built for M > 8 and int4-sym (v37's kernels run the rest: use v38)");
  const int G = p.K / kTileK;
  if (p.splits > G)
    throw std::invalid_argument(std::string(name) + ": --splits " + std::to_string(p.splits) + " exceeds the " + std::to_string(G) +
                                " groups of K = " + std::to_string(p.K));
  const int col_blocks = (p.N + kBlockN - 1) / kBlockN;
  // v37's rule above M = 8 (the swept plan, evened); `planned` is not used there.
  const int gps = mma_lean::mma_lean_groups_per_split<37>(p.M, G, p.splits, G);
  const int splits = (G + gps - 1) / gps;
  const int smem = 16 * (gps * kTileK + kXPad) * 2;
  int device = 0, optin = 0;
  LABS_CHECK(cudaGetDevice(&device));
  LABS_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  if (smem > optin)
    throw std::invalid_argument(std::string(name) + ": " + std::to_string(splits) + " splits stage " + std::to_string(smem) +
                                " bytes of x per block, the limit is " + std::to_string(optin));
  Step step;
  auto build = [&](auto tag_t) {
    using T = decltype(tag_t);
    auto kernel = w4_mma_persistent<T, kVersion>;
    LABS_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
    int per_sm = 1;
    LABS_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kThreads, smem));
    const int per_split = std::clamp(std::max(1, per_sm) * p.sms / splits, 1, col_blocks);
    const int blocks = per_split * splits;
    const SplitKWorkspace ws(col_blocks, splits, p.M, kBlockN);
    std::shared_ptr<lab::DeviceBytes> claims;  // v42: 2 counters per split, zeroed here and by the kernel's last block
    // The shortest split is the last: G - (splits - 1) gps groups. With fewer than kAhead + 1 the
    // ring would cross into the next unit before its claim arrives (a review found it: 8b-gate at
    // --splits 11 walked the wrong column blocks); such plans walk statically.
    const int last_split_groups = G - (splits - 1) * gps;
    if (PersistentFeatures<kVersion>::kClaim && std::min(gps, last_split_groups) >= kAhead + 1) {
      claims = std::make_shared<lab::DeviceBytes>(sizeof(unsigned) * 2 * static_cast<std::size_t>(splits));
      LABS_CHECK(cudaMemset(claims->get(), 0, claims->bytes()));
    }
    const Problem q = p;
    step = [=](const DeviceWeights& w, Stream s) {
      if (!w.tiled) throw std::invalid_argument(std::string(name) + " needs the tiled packing");
      kernel<<<blocks, kThreads, smem, s>>>(static_cast<const T*>(q.x), static_cast<T*>(q.y), w.tiled,
                                            static_cast<const T*>(w.scales), q.M, q.N, q.K, gps, splits, col_blocks,
                                            ws.partials(), ws.tickets(), claims ? claims->as<unsigned>() : nullptr);
      LABS_CHECK_LAUNCH();
    };
  };
  if (p.dtype == lab::DType::bf16) build(lab::bf16{});
  else build(lab::f16{});
  return step;
}

}  // namespace w4a16::persistent_mma
#endif
