/// @file v7_streaming_mma.cu
/// v7 — bandwidth first: v5's tensor-core math (INT4 decoded straight into mma.sync B
/// fragments, tiled packing) fed by a deep per-lane register pipeline of 16-byte weight
/// loads that are marked L2 evict-first, activations staged once per block in "fragment
/// order", and a grid planned to be at most one wave of resident blocks. One launch.
///
/// What changed from v5 (the best existing version at every M on both target shapes):
///  1. Bytes in flight. v5 keeps one group ahead (2 x 16 B per lane, ~1 KB per warp; 8 blocks
///     of 4 warps per SM at its 57-64 registers: ~32 KB per SM) and its blocks are small
///     (8b-gate M = 1: 1792 blocks of 4 groups x 64 columns), so each block spends much of its
///     life in two serial DRAM round trips (x staging, then the first weight load).
///     v7 gives each warp 2 n-tiles and a long run of groups (8b-gate M = 1: 16 groups, 32
///     loads per lane) and keeps kStages = 4 groups (8 x LDG.128 + their scales per lane,
///     4 KB per warp) in flight in a register ring; the ring is filled BEFORE x is staged, so
///     the first weight latency overlaps the x copy. ~6-9 MB are in flight device-wide on the
///     target shapes, above the ~4.3 TB/s x ~1.2 us that Little's law asks for.
///  2. One wave. Splits along K are planned as floor(resident blocks / column blocks), so the
///     grid never has a partly filled second wave (8b-gate: 112 column blocks x 2 splits =
///     224 blocks for 264 resident; 8b-down: 32 x 8 = 256). Blocks are 256 threads = 8 warps
///     side by side in N (128 columns), all over the same K range.
///  3. L2 evict-first. Weights are read exactly once per call: `ld.global.nc.L1::no_allocate
///     .L2::cache_hint` with a `createpolicy.fractional.L2::evict_first` policy. Once a few of
///     our lines sit in an L2 set, our next miss replaces one of them instead of a line that
///     someone else will use again (a real decoder's KV cache and activations) or a DIRTY line
///     that would have to be written back first. The lab's cold-L2 method leaves ~2x L2 of
///     freshly memset (dirty) lines before each sample, so every row likely pays a write-back
///     of up to one L2 (~50-60 MB, ~10-12 us at copy bandwidth) while it reads: v5's M = 1
///     times in results/journal.jsonl fit ~10.7 us + bytes / 3.05 TB/s from 30 to 242 MB,
///     an intercept of that size. This is the biggest and least certain term of the
///     prediction: it is a hypothesis about the measurement, and it depends on the
///     replacement policy honouring the hint within a set.
///  4. Activations in fragment order. x[0:M, block K range] is staged once per block so that
///     lane (g, t) finds the A-fragment words of a whole group in 64 contiguous bytes (4 x
///     LDS.128 per group and row half, XOR-swizzled: conflict-free), instead of v5's 16
///     (M <= 8) or 32 (M > 8) 4-byte LDS per group; the A words are reused for both n-tiles.
///  5. Deterministic: fixed mma order per lane, fixed group order, and when K is split across
///     blocks v4/v5's last-block reduction in split order (splitk.cuh). No float atomics.
///
/// Fragment order of x. A 128-k group row of x is 16 chunks of 8 values (16 bytes); chunk c
/// holds k = 8c .. 8c+7 and its word t (k = 8c + 2t, 8c + 2t + 1) is what lane (g, t) feeds
/// to the mma as A of k-step c/2 (register a0/a1 for c even, a2/a3 for c odd). So lane t
/// needs "word t of every chunk", and the 16-byte unit q of its list (chunks 4q..4q+3 =
/// k-steps 2q, 2q+1) is exactly what word q of its tiled B load multiplies:
///
///   x row m, group (global):  | c0: w0 w1 w2 w3 | c1: w0 w1 w2 w3 | ... | c15: w0 w1 w2 w3 |
///   shared unit (t, q):       { c4q.w_t, c4q+1.w_t, c4q+2.w_t, c4q+3.w_t }
///   stored at (m*L + group)*16 + 4t + (q ^ 2*(t>>1) ^ (m&1))   (the XOR makes the 8 lanes of
///   each LDS.128 phase, rows 2p and 2p+1 x t = 0..3, hit 8 different 16-byte bank groups)
///
/// Why it should be faster: v5 (run 20261121T121031Z-f2f6) sits at ~34% of copy bandwidth at
/// M = 1 and 19-22% at M = 16 on the 30.3 MB of either target shape (8b-gate 21.1 / 32.8 us,
/// 8b-down 20.6 / 38.6 us); over the Llama shapes its M = 1 time fits ~10.7 us + bytes / 3.05
/// TB/s: a latency-bound stream (items 1, 2) plus a fixed cost (item 3 is aimed at it).
///
/// PREDICTION (before measuring; H200, cold L2, bf16, int4-sym; cuBLAS bf16 ~41.2 us):
///   8b-gate (4096 -> 14336) and 8b-down (14336 -> 4096):
///     M = 1:  ~12 us (~3.4x cuBLAS bf16, ~1.8x torch tinygemm, ~59% of copy bw on the int4 +
///             scale bytes). The 85%-of-copy target (~8.3 us with launch and ramp included)
///             is NOT expected: ~8.2 us of stream at ~3.7 TB/s + ~2.5 us launch/ramp/tail.
///     M = 16: ~14 us (~3x cuBLAS): same weight stream and mma count; x staging and twice
///             the A reads cost the difference.
///   If evict-first does not spare the dirty lines: ~16 us at M = 1, ~18 us at M = 16.
///   70b-gateup (8192 -> 57344), M = 1: ~68 us (~3.6x cuBLAS; v5 90.1 us).
///
/// MEASURED (run 20261121T123428Z-f07b, commit e66fdf3; launch-gated, clean cold L2): a
/// regression. M = 1: 8b-gate 22.78 us, 8b-down 21.22 us (v5 19.34 / 18.46); M = 16: 30.74 /
/// 28.30 us (v5 29.87 / 35.54); 70b-gateup M = 1: 124.21 us (v5 88.64). Slower than v5 at 39
/// of the 45 bf16 int4-sym points; faster at 8b-o M = 1, 2 and at M = 16 on four shapes.
/// ncu, 8b-gate M = 1: DRAM throughput 29% of peak, 102 registers -> 2 blocks (16 warps) per
/// SM, achieved occupancy 20.6%, 0.85 waves, SMs active 79% of the elapsed cycles. The ring
/// did not keep the bytes in flight the design counted, and the write-back hypothesis of item
/// 3 is refuted: with the flush read back, v5's M = 1 intercept fell only 10.2 -> 8.8 us.
/// Details and the fits: topics/04-w4a16/README.md, sections 4 and 6.
///
/// Profiler: `ncu --section MemoryWorkloadAnalysis --section Occupancy --section
/// WarpStateStats -k regex:w4_stream` — dram__bytes_read.sum ~ the byte model; and, with
/// `--cache-control none` (ncu's own flush cleans L2 and would hide it) after the lab's
/// memset, dram__bytes_write.sum ~0 if evict-first spares the dirty lines (v5: up to ~L2);
/// achieved occupancy 16 warps per SM; stalls mostly "long scoreboard" (waiting on HBM),
/// not "mio throttle"/"math pipe". ptxas: 102-120 registers, no spills (2 blocks per SM).
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v7 --shape 8b-gate,8b-down --dtype bf16 --wfmt int4-sym
#include <algorithm>
#include <memory>
#include <stdexcept>

#include "kernels/gemv_cuda_core.cuh"
#include "kernels/mma_dequant.cuh"
#include "quant/magic.hpp"
#include "quant/tiled_layout.hpp"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / kWarp;
constexpr int kTilesPerWarp = 2;
constexpr int kTilesPerBlock = kWarps * kTilesPerWarp;  // 16 n-tiles
constexpr int kBlockN = kTilesPerBlock * kTileN;        // 128 columns
constexpr int kStages = 4;                              // groups in flight per warp
constexpr int kStageBatch = 2;                          // x items per thread in flight while staging
constexpr int kXUnitsPerGroupRow = 16;                  // 16-byte units of one staged x group row
constexpr int kXBytesPerGroupRow = kXUnitsPerGroupRow * 16;
constexpr int kMaxXSmem = 100 * 1024;  // two blocks per SM fit in 227 KB with room to spare

/// An L2 policy that makes the lines a load brings in the first to be replaced.
__device__ __forceinline__ std::uint64_t evict_first_policy() {
  std::uint64_t p;
  asm volatile("createpolicy.fractional.L2::evict_first.b64 %0, 1.0;\n" : "=l"(p));
  return p;
}

/// 16 bytes read once: not kept in L1, first out of L2.
__device__ __forceinline__ uint4 load_stream16(const void* ptr, std::uint64_t policy) {
  uint4 r;
  asm volatile("ld.global.nc.L1::no_allocate.L2::cache_hint.v4.u32 {%0,%1,%2,%3}, [%4], %5;\n"
               : "=r"(r.x), "=r"(r.y), "=r"(r.z), "=r"(r.w)
               : "l"(ptr), "l"(policy));
  return r;
}


/// One pipeline stage: everything one lane needs for one group of its two n-tiles.
struct Stage {
  uint4 w[kTilesPerWarp];            ///< the lane's 16 bytes of each tile (all 8 k-steps)
  std::uint32_t s[kTilesPerWarp];    ///< raw 16-bit scales of C columns 2t (low) and 2t+1 (high)
  std::uint32_t z[kTilesPerWarp];    ///< zero point of B column g (asym only; unset otherwise)
};

/// Columns [blockIdx.x * 128, +128), groups [blockIdx.y * gpb, +gpb). Dynamic shared memory:
/// x[0:M, this block's groups] in fragment order, M * gpb * 256 bytes.
template <class T, bool kAsym, bool kRowsAbove8>
__global__ void __launch_bounds__(kThreads, 2)
    w4_stream(const T* __restrict__ x, T* __restrict__ y, const std::uint8_t* __restrict__ tiled,
              const T* __restrict__ scales, const std::uint8_t* __restrict__ zeros, int M, int N, int K, int gpb,
              float* __restrict__ partials, unsigned* __restrict__ tickets) {
  using D = MmaDequant<T>;
  extern __shared__ uint4 xs[];

  const int G = K / kTileK;
  const int g_begin = blockIdx.y * gpb;
  const int L = min(G, g_begin + gpb) - g_begin;  // >= 1: the plan never makes an empty split
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int gid = lane >> 2, tig = lane & 3;
  const int n_tiles = tiled_rows(N) / kTileN;
  const int tile0 = blockIdx.x * kTilesPerBlock + warp * kTilesPerWarp;
  const std::uint64_t policy = evict_first_policy();
  const unsigned short* scale_bits = reinterpret_cast<const unsigned short*>(scales);

  auto load_stage = [&](Stage& st, int gl) {
    const int gi = g_begin + gl;
#pragma unroll
    for (int t = 0; t < kTilesPerWarp; ++t) {
      const int tile = tile0 + t;
      st.w[t] = tile < n_tiles
                    ? load_stream16(tiled + ((static_cast<std::size_t>(tile) * G + gi) * kWarp + lane) * 16, policy)
                    : make_uint4(0, 0, 0, 0);
      const int c0 = tile * kTileN + 2 * tig;
      const std::size_t row = static_cast<std::size_t>(gi) * N;
      const std::uint32_t lo = c0 < N ? __ldg(scale_bits + row + c0) : 0u;  // scale 0: padding adds nothing
      const std::uint32_t hi = c0 + 1 < N ? __ldg(scale_bits + row + c0 + 1) : 0u;
      st.s[t] = lo | (hi << 16);
      if constexpr (kAsym) {
        const int zc = tile * kTileN + gid;
        st.z[t] = zc < N ? __ldg(zeros + row + zc) : 8u;
      }
    }
  };

  // Fill the ring first: the weights' DRAM latency overlaps the x staging below.
  Stage ring[kStages];
#pragma unroll
  for (int s = 0; s < kStages; ++s)
    if (s < L) load_stage(ring[s], s);

  // Stage x in fragment order: item (m, gl, q) copies chunks 4q..4q+3 (64 B) of row m,
  // group gl and writes unit (t, q) = word t of each chunk, for t = 0..3 (see the file comment).
  // kStageBatch items per thread per round, all loads before any store: at M = 16 a block
  // stages up to 1600 items, and one L2 round trip per item would stall the stream.
  const int items = M * L * 4;
  for (int i0 = threadIdx.x; i0 < items; i0 += kThreads * kStageBatch) {
    uint4 ch[kStageBatch][4];
#pragma unroll
    for (int b = 0; b < kStageBatch; ++b) {
      const int i = i0 + b * kThreads;
      if (i < items) {
        const int q = i & 3, r = i >> 2;
        const int gl = r % L, m = r / L;
        const T* src =
            x + static_cast<std::size_t>(m) * K + static_cast<std::size_t>(g_begin + gl) * kTileK + q * 32;
#pragma unroll
        for (int c = 0; c < 4; ++c) ch[b][c] = load16(src + 8 * c);
      }
    }
#pragma unroll
    for (int b = 0; b < kStageBatch; ++b) {
      const int i = i0 + b * kThreads;
      if (i < items) {
        const int q = i & 3, r = i >> 2;
        const int gl = r % L, m = r / L;
        uint4* dst = xs + (m * L + gl) * kXUnitsPerGroupRow;
        const int lo = q ^ (m & 1), hi = q ^ 2 ^ (m & 1);  // swizzle of t = 0, 1 and of t = 2, 3
        dst[0 * 4 + lo] = make_uint4(ch[b][0].x, ch[b][1].x, ch[b][2].x, ch[b][3].x);
        dst[1 * 4 + lo] = make_uint4(ch[b][0].y, ch[b][1].y, ch[b][2].y, ch[b][3].y);
        dst[2 * 4 + hi] = make_uint4(ch[b][0].z, ch[b][1].z, ch[b][2].z, ch[b][3].z);
        dst[3 * 4 + hi] = make_uint4(ch[b][0].w, ch[b][1].w, ch[b][2].w, ch[b][3].w);
      }
    }
  }
  __syncthreads();

  const bool row_lo = gid < M;
  const bool row_hi = kRowsAbove8 && gid + 8 < M;
  const int swz = ((tig >> 1) << 1) ^ (gid & 1);  // rows gid and gid + 8 have the same parity
  float acc[kTilesPerWarp][4] = {};

  auto consume = [&](const Stage& st, int gl) {
    const uint4* xlo = xs + (gid * L + gl) * kXUnitsPerGroupRow + tig * 4;
    const uint4* xhi = xs + ((gid + 8) * L + gl) * kXUnitsPerGroupRow + tig * 4;
    typename D::Zero zb[kTilesPerWarp];
#pragma unroll
    for (int t = 0; t < kTilesPerWarp; ++t) zb[t] = D::zero(kAsym ? static_cast<int>(st.z[t]) : 8);
    float c[kTilesPerWarp][4] = {};
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const uint4 zero4 = make_uint4(0, 0, 0, 0);
      const uint4 alo = row_lo ? xlo[j ^ swz] : zero4;  // words of k-steps 2j, 2j+1, row gid
      const uint4 ahi = row_hi ? xhi[j ^ swz] : zero4;  // the same for row gid + 8
      const std::uint32_t a0[4] = {alo.x, ahi.x, alo.y, ahi.y};  // A of k-step 2j
      const std::uint32_t a1[4] = {alo.z, ahi.z, alo.w, ahi.w};  // A of k-step 2j + 1
#pragma unroll
      for (int t = 0; t < kTilesPerWarp; ++t) {
        std::uint32_t b[4];
        D::decode(word_of(st.w[t], j), zb[t], b);
        D::mma(c[t], a0, b[0], b[1]);
        D::mma(c[t], a1, b[2], b[3]);
      }
    }
#pragma unroll
    for (int t = 0; t < kTilesPerWarp; ++t) {  // the group scale, once per group, in fp32
      const float s_lo = lo_to_f32(st.s[t], T{}), s_hi = hi_to_f32(st.s[t], T{});
      acc[t][0] = fmaf(c[t][0], s_lo, acc[t][0]);
      acc[t][1] = fmaf(c[t][1], s_hi, acc[t][1]);
      if constexpr (kRowsAbove8) {
        acc[t][2] = fmaf(c[t][2], s_lo, acc[t][2]);
        acc[t][3] = fmaf(c[t][3], s_hi, acc[t][3]);
      }
    }
  };

  // The ring: slot s holds group gl with gl % kStages == s; refilled with gl + kStages as
  // soon as it is consumed. L is block-uniform, so every branch here is warp-uniform.
  for (int base = 0; base < L; base += kStages) {
#pragma unroll
    for (int s = 0; s < kStages; ++s) {
      const int gl = base + s;
      if (gl < L) {
        consume(ring[s], gl);
        if (gl + kStages < L) load_stage(ring[s], gl + kStages);
      }
    }
  }

  const int splits = gridDim.y;
  const int col0 = blockIdx.x * kBlockN;
#pragma unroll
  for (int t = 0; t < kTilesPerWarp; ++t) {
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      if (!kRowsAbove8 && e >= 2) continue;
      const int row = gid + (e >= 2 ? 8 : 0);
      if (row >= M) continue;
      const int local = (warp * kTilesPerWarp + t) * kTileN + 2 * tig + (e & 1);
      if (splits == 1) {
        if (col0 + local < N) y[static_cast<std::size_t>(row) * N + col0 + local] = from_f32<T>(acc[t][e]);
      } else {
        partials[((static_cast<std::size_t>(blockIdx.x) * splits + blockIdx.y) * M + row) * kBlockN + local] =
            acc[t][e];
      }
    }
  }
  if (splits > 1 && splitk_arrive(&tickets[blockIdx.x], splits))
    splitk_finish(partials, &tickets[blockIdx.x], y, M, N, col0, kBlockN, splits, blockIdx.x);
}

/// Groups per block and splits for one problem: at most one wave of resident blocks
/// (floor(resident / column blocks) splits, at least 1), then enough splits that the staged
/// x fits kMaxXSmem, never more splits than groups, no empty split.
struct StreamPlan {
  int gpb = 1, splits = 1, smem = 0;
};

StreamPlan plan_stream(int M, int N, int K, int sms, int blocks_per_sm) {
  const int G = K / kTileK;
  const int n_tiles = tiled_rows(N) / kTileN;
  const long col_blocks = (n_tiles + kTilesPerBlock - 1) / kTilesPerBlock;
  const long resident = static_cast<long>(std::max(sms, 1)) * std::max(blocks_per_sm, 1);
  long splits = std::max(1L, resident / col_blocks);
  const long gpb_max = std::max(1, kMaxXSmem / (kXBytesPerGroupRow * M));
  splits = std::max(splits, (G + gpb_max - 1) / gpb_max);
  splits = std::min<long>(splits, G);
  StreamPlan p;
  p.gpb = static_cast<int>((G + splits - 1) / splits);
  p.splits = (G + p.gpb - 1) / p.gpb;
  p.smem = M * p.gpb * kXBytesPerGroupRow;
  return p;
}

Step prepare_v7(const Problem& p) {
  require_supported(p);
  if (!is_int4(p.wfmt)) throw std::invalid_argument("v7 implements int4-sym and int4-asym only");
  const int col_blocks = (tiled_rows(p.N) / kTileN + kTilesPerBlock - 1) / kTilesPerBlock;
  Step step;
  auto build = [&](auto tag_t, auto asym_c, auto above8_c) {
    using T = decltype(tag_t);
    auto kernel = w4_stream<T, decltype(asym_c)::value, decltype(above8_c)::value>;
    LABS_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kMaxXSmem));
    // Plan with the register-limited residency, then again with the shared memory it needs.
    int per_sm = 1;
    LABS_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kThreads, 0));
    StreamPlan plan = plan_stream(p.M, p.N, p.K, p.sms, per_sm);
    int per_sm_smem = per_sm;
    LABS_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm_smem, kernel, kThreads, plan.smem));
    if (per_sm_smem < per_sm) plan = plan_stream(p.M, p.N, p.K, p.sms, per_sm_smem);
    const SplitKWorkspace ws(col_blocks, plan.splits, p.M, kBlockN);
    const dim3 grid(col_blocks, plan.splits);
    const Problem q = p;
    const int gpb = plan.gpb, smem = plan.smem;
    step = [=](const DeviceWeights& w, Stream s) {
      if (!w.tiled) throw std::invalid_argument("v7 needs the tiled packing");
      kernel<<<grid, kThreads, smem, s>>>(static_cast<const T*>(q.x), static_cast<T*>(q.y), w.tiled,
                                          static_cast<const T*>(w.scales), w.zeros, q.M, q.N, q.K, gpb,
                                          ws.partials(),
                                          ws.tickets());
      LABS_CHECK_LAUNCH();
    };
  };
  dispatch_mma_kernel(p, build);
  return step;
}

#else

Step prepare_v7(const Problem&) { throw std::invalid_argument("v7 uses mma.sync and L2 cache hints (NVIDIA only)"); }

#endif

/// The table entry (built in a function: brace-initialising it in the registration line
/// trips GCC's -Wmaybe-uninitialized on nvcc's host stub).
Version make_version() {
  Version v;
  v.info.id = "v7";
  v.info.idea = "v5's mma + 4-group register pipeline of L2-evict-first 16 B loads, x in fragment order, one wave";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym, WFormat::int4_asym};
  v.kernel_regex = "w4_stream";
  v.prepare = prepare_v7;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
