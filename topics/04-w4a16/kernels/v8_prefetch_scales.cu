/// @file v8_prefetch_scales.cu
/// v8 — v5's tensor-core loop with nothing serial left in front of the weight stream: the
/// group scales (and zero points) travel in the same prefetch ring as the weights, the
/// activations are read straight from global memory (no shared-memory staging, no barrier),
/// and the grid is planned as one wave of 4-warp blocks held to 64 registers.
///
/// What changed from v5 (the best version at M = 1 so far; v7 tried to fix the same kernel
/// with a deep ring and lost, see its header):
///  1. Scales prefetched. v5 prefetches the NEXT group's weights, but loads the CURRENT
///     group's scales (and zero points) at the top of the loop body, right before it needs
///     them. Those loads are cold too: each group of each warp waits one full DRAM round
///     trip (~1 us loaded) for 2 x 2 bytes, whatever the weight prefetch did. A block of v5
///     runs 4-8 groups, so its life is a chain of ~5-9 round trips. v8 loads a group's
///     scales with its weights, one ring slot ahead.
///  2. No x staging. v5 copies x[0:M, block K range] to shared memory and waits on a barrier
///     before its first weight load: one more round trip per block before the stream starts.
///     v8 reads each A-fragment word from global memory (`ld.global.nc`): x is 8-256 KB, so
///     after the first touch every block finds it in L2 and L1; and the first weight loads
///     are issued before any x is read.
///  3. Two groups in flight per lane (kStages = 2, 2 n-tiles: 64 bytes), a register budget
///     of 64 (`__launch_bounds__(128, 8)`: 32 warps per SM; v7's 102 registers allowed 16 and
///     it lost). At 32 warps x 32 lanes x 64 B = 64 KB per SM in flight, Little's law (~4.3
///     TB/s x ~1-1.5 us / 132 SMs = 33-49 KB per SM) is met with warps, not with a deep ring.
///  4. One wave: splits along K = floor(resident blocks / column blocks), so no block waits
///     for a second wave and every block streams from its first instruction. The reduction
///     stays v4/v5's deterministic last-block sum in split order (splitk.cuh).
///
/// PREDICTION (written before measuring; H200, cold L2, bf16, int4-sym, 30.3 MB layers):
///   the fixed cost of a v5 call (fit intercept 8.8 us) falls to about cuBLAS's and
///   tinygemm's (6.3-6.9 us) and the rate rises from 3.04 to ~3.8 TB/s:
///   8b-gate / 8b-down M = 1: ~14.5 us (~2.3x cuBLAS bf16, ~1.45x tinygemm; v5 19.3 / 18.5);
///   M = 16: ~17 us (the A words come from L1 instead of shared memory: 32 LDG.32 per group
///   and row half, the main risk); 8b-o M = 1: ~9 us, a tie with tinygemm (9.5 us).
///   The issue's 3.3x (<= 10.1 us) stays out of reach if the measured cold-launch floor
///   (topic 00, floor-empty-cold) is several microseconds: nothing here changes that floor.
///
/// MEASURED (run 20261121T140038Z-9d35, commit f3ec5c3): a regression. 8b-gate / 8b-down M = 1
/// 24.1 / 24.4 us (v5 18.6 / 19.4), M = 16 51.5 / 46.0 us (v5 35.5 / 30.4), 70b-gateup M = 1
/// 138.2 us (v5 89.3); slower than v5 at 43 of 45 points. ncu: 0.85 waves, achieved occupancy
/// 35% (v5 45-49%), DRAM 28% (v5 34%) on 8b-gate; the SASS shows the refill loads sunk below
/// the group's HMMAs under the 64-register cap (about one group in flight, not two) and a
/// 2-register spill in the loop. Details: topics/04-w4a16/README.md, section 4.
///
/// Profiler: `ncu --section MemoryWorkloadAnalysis --section Occupancy --section
/// WarpStateStats --section LaunchStats -k regex:w4_prefetch` — registers <= 64, achieved
/// occupancy near 32 warps per SM, stalls "long scoreboard" (HBM) rather than a chain of them
/// per group, DRAM throughput well above v5's.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v5,v8 --shape 8b-gate,8b-down --m 1,16 --dtype bf16 --wfmt int4-sym
#include <algorithm>
#include <memory>
#include <stdexcept>

#include "kernels/gemv_cuda_core.cuh"
#include "kernels/mma_dequant.cuh"
#include "quant/tiled_layout.hpp"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

constexpr int kWarps = 4;
constexpr int kTiles = 2;                              // n-tiles of 8 columns per warp
constexpr int kBlockN = kWarps * kTiles * kTileN;      // 64 columns per block
constexpr int kThreads = kWarps * kWarp;
constexpr int kStages = 2;                             // groups in flight per lane
constexpr int kMinBlocksPerSm = 8;                     // -> at most 64 registers per thread

/// Everything one lane needs for one group of its kTiles n-tiles, loaded together.
struct Slot {
  uint4 w[kTiles];              ///< the lane's 16 bytes of each tile: all 8 k-steps of column g
  std::uint32_t s[kTiles];      ///< raw 16-bit scales of C columns 2t (low half), 2t + 1 (high)
  std::uint32_t z[kTiles];      ///< zero point of B column g (asymmetric formats only)
};

template <class T>
__device__ __forceinline__ float scale_f32(std::uint32_t raw) {
  return to_f32(bit_cast<T>(static_cast<unsigned short>(raw)));
}

/// Columns [blockIdx.x * 64, +64), groups [blockIdx.y * gps, +gps).
template <class T, bool kAsym, bool kRowsAbove8>
__global__ void __launch_bounds__(kThreads, kMinBlocksPerSm)
    w4_prefetch(const T* __restrict__ x, T* __restrict__ y, const std::uint8_t* __restrict__ tiled,
                const T* __restrict__ scales, const std::uint8_t* __restrict__ zeros, int M, int N, int K, int gps,
                float* __restrict__ partials, unsigned* __restrict__ tickets) {
  using D = MmaDequant<T>;
  const int G = K / kTileK;
  const int g_begin = blockIdx.y * gps;
  const int g_end = min(G, g_begin + gps);
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int gid = lane >> 2, tig = lane & 3;
  const int n_tiles = tiled_rows(N) / kTileN;
  const int tile0 = blockIdx.x * (kBlockN / kTileN) + warp * kTiles;

  // One base pointer per stream, 32-bit offsets from it (registers are the budget): the
  // lane's 16 bytes of tile tile0 + t at group gi are uint4 number 32 (t G + gi) past w_q;
  // its two scales are halves 8 t + N gi and + 1 past s_q.
  const uint4* w_q = reinterpret_cast<const uint4*>(tiled) + static_cast<std::size_t>(tile0) * G * 32 + lane;
  const unsigned short* s_q = reinterpret_cast<const unsigned short*>(scales) + tile0 * kTileN + 2 * tig;
  const std::uint8_t* z_q = zeros + tile0 * kTileN + gid;
  const int c_lo = tile0 * kTileN + 2 * tig;  // this lane's first C column (of tile t: + 8 t)
  auto load = [&](Slot& sl, int gi) {
    const bool live = gi < g_end;
#pragma unroll
    for (int t = 0; t < kTiles; ++t) {
      const int c0 = c_lo + t * kTileN, srow = gi * N + t * kTileN;
      sl.w[t] = live && tile0 + t < n_tiles ? load16(w_q + (t * G + gi) * 32) : make_uint4(0, 0, 0, 0);
      sl.s[t] = (live && c0 < N ? static_cast<std::uint32_t>(__ldg(s_q + srow)) : 0u) |
                ((live && c0 + 1 < N ? static_cast<std::uint32_t>(__ldg(s_q + srow + 1)) : 0u) << 16);
      if constexpr (kAsym)
        sl.z[t] = live && c0 - 2 * tig + gid < N ? static_cast<std::uint32_t>(__ldg(z_q + srow)) : 8u;
    }
  };

  // The stream starts first: kStages groups of weights and scales before anything else.
  Slot ring[kStages];
#pragma unroll
  for (int s = 0; s < kStages; ++s) load(ring[s], g_begin + s);

  // A-fragment words come from global memory: lane (g, t) feeds row g (and g + 8) at
  // k = 16 step + 2t (a0/a1) and 16 step + 2t + 8 (a2/a3), i.e. 32-bit words 8 step + t and
  // 8 step + t + 4 of the row. Rows >= M are zeros and never loaded.
  const bool row_lo = gid < M, row_hi = kRowsAbove8 && gid + 8 < M;
  const std::uint32_t* x_lo = reinterpret_cast<const std::uint32_t*>(x + static_cast<std::size_t>(gid) * K) + tig;
  const std::uint32_t* x_hi =
      reinterpret_cast<const std::uint32_t*>(x + static_cast<std::size_t>(kRowsAbove8 ? gid + 8 : gid) * K) + tig;

  float acc[kTiles][4] = {};
  for (int g0 = g_begin; g0 < g_end; g0 += kStages) {
#pragma unroll
    for (int s = 0; s < kStages; ++s) {
      const int gi = g0 + s;
      if (gi >= g_end) break;  // the last pass may hold fewer than kStages groups
      const Slot cur = ring[s];
      load(ring[s], gi + kStages);  // refill the slot at once: kStages groups stay in flight

      typename D::Zero zb[kTiles];
#pragma unroll
      for (int t = 0; t < kTiles; ++t) zb[t] = D::zero(kAsym ? static_cast<int>(cur.z[t]) : 8);

      float c[kTiles][4] = {};
      const int wbase = gi * (kTileK / 2);  // first 32-bit word of this group in a row of x
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        std::uint32_t a0[4], a1[4];  // A fragments of k-steps 2j and 2j + 1
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          const int w = wbase + (2 * j + h) * 8;
          std::uint32_t(&a)[4] = h == 0 ? a0 : a1;
          a[0] = row_lo ? __ldg(x_lo + w) : 0u;
          a[1] = row_hi ? __ldg(x_hi + w) : 0u;
          a[2] = row_lo ? __ldg(x_lo + w + 4) : 0u;
          a[3] = row_hi ? __ldg(x_hi + w + 4) : 0u;
        }
#pragma unroll
        for (int t = 0; t < kTiles; ++t) {
          std::uint32_t b[4];
          D::decode(word_of(cur.w[t], j), zb[t], b);
          D::mma(c[t], a0, b[0], b[1]);
          D::mma(c[t], a1, b[2], b[3]);
        }
      }
#pragma unroll
      for (int t = 0; t < kTiles; ++t) {
        const float s_lo = scale_f32<T>(cur.s[t] & 0xFFFFu), s_hi = scale_f32<T>(cur.s[t] >> 16);
        acc[t][0] = fmaf(c[t][0], s_lo, acc[t][0]);
        acc[t][1] = fmaf(c[t][1], s_hi, acc[t][1]);
        acc[t][2] = fmaf(c[t][2], s_lo, acc[t][2]);
        acc[t][3] = fmaf(c[t][3], s_hi, acc[t][3]);
      }
    }
  }

  const int splits = gridDim.y;
  const int col0 = blockIdx.x * kBlockN;
#pragma unroll
  for (int t = 0; t < kTiles; ++t) {
    const int local = (warp * kTiles + t) * kTileN + 2 * tig;
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const int row = gid + (e >= 2 ? 8 : 0);
      const int col = local + (e & 1);
      if (row >= M) continue;
      if (splits == 1) {
        if (col0 + col < N) y[static_cast<std::size_t>(row) * N + col0 + col] = from_f32<T>(acc[t][e]);
      } else {
        partials[((static_cast<std::size_t>(blockIdx.x) * splits + blockIdx.y) * M + row) * kBlockN + col] =
            acc[t][e];
      }
    }
  }
  if (splits > 1 && splitk_arrive(&tickets[blockIdx.x], splits))
    splitk_finish(partials, &tickets[blockIdx.x], y, M, N, col0, kBlockN, splits, blockIdx.x);
}

/// One wave: as many K splits as fit beside the column blocks in the resident slots, each
/// split a whole number of groups; capped so the fp32 partials stay under 1/4 of the
/// weight bytes (they are written and read once more).
int plan_splits(const Problem& p, int resident_blocks) {
  const int G = p.K / kTileK;
  const long col_blocks = (p.N + kBlockN - 1) / kBlockN;
  long splits = std::max(1L, resident_blocks / col_blocks);
  const double weight_bytes = 0.5 * static_cast<double>(p.N) * p.K;
  const double partial_bytes_per_split = 8.0 * p.M * p.N;
  splits = std::min<long>(splits, std::max(1L, static_cast<long>(0.25 * weight_bytes / partial_bytes_per_split)));
  splits = std::min<long>(splits, G);
  const int gps = static_cast<int>((G + splits - 1) / splits);
  return (G + gps - 1) / gps;  // no empty split
}

Step prepare_v8(const Problem& p) {
  require_supported(p);
  if (!is_int4(p.wfmt)) throw std::invalid_argument("v8 implements int4-sym and int4-asym only");
  const int G = p.K / kTileK;
  const int col_blocks = (p.N + kBlockN - 1) / kBlockN;
  Step step;
  auto build = [&](auto tag_t, auto asym_c, auto above8_c) {
    using T = decltype(tag_t);
    auto kernel = w4_prefetch<T, decltype(asym_c)::value, decltype(above8_c)::value>;
    int per_sm = 1;
    LABS_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kThreads, 0));
    const int splits = plan_splits(p, std::max(1, p.sms) * std::max(1, per_sm));
    const int gps = (G + splits - 1) / splits;
    const SplitKWorkspace ws(col_blocks, splits, p.M, kBlockN);
    const dim3 grid(col_blocks, splits);
    const Problem q = p;
    step = [=](const DeviceWeights& w, Stream s) {
      if (!w.tiled) throw std::invalid_argument("v8 needs the tiled packing");
      kernel<<<grid, kThreads, 0, s>>>(static_cast<const T*>(q.x), static_cast<T*>(q.y), w.tiled,
                                       static_cast<const T*>(w.scales), w.zeros, q.M, q.N, q.K, gps,
                                       ws.partials(),
                                       ws.tickets());
      LABS_CHECK_LAUNCH();
    };
  };
  dispatch_mma_kernel(p, build);
  return step;
}

#else

Step prepare_v8(const Problem&) { throw std::invalid_argument("v8 uses mma.sync (NVIDIA only)"); }

#endif

/// The table entry (built in a function: brace-initialising it in the registration line
/// trips GCC's -Wmaybe-uninitialized on nvcc's host stub).
Version make_version() {
  Version v;
  v.info.id = "v8";
  v.info.idea = "v5 with scales prefetched beside the weights, x read from L1 (no staging), one wave at 64 regs";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym, WFormat::int4_asym};
  v.kernel_regex = "w4_prefetch";
  v.prepare = prepare_v8;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
