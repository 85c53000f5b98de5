/// @file v5_tensor_core.cu
/// v5 — M = 2..16 on tensor cores: `mma.sync.m16n8k16` with the INT4 weights dequantised
/// straight into the B fragments, from the tiled packing (tiled_layout.hpp).
///
/// What changed from v4: the multiply-adds leave the CUDA cores. One lane's 16-byte load of
/// the tiled packing holds, for its column g = lane/4, exactly the B-fragment elements of
/// all 8 k-steps of a 128-wide group, with each (k, k+1) register pair already in one
/// `(word >> 4i) & 0x000F000F` mask. Decoding is the magic-number trick of v3 but in the
/// mma's own type, and the result IS the register:
///
///   fp16:  w & 0x000F000F | 0x64006400 -> half2(1024 + q0, 1024 + q4);  - (1024 + z) -> q - z
///          (pairs 1 and 3 via the 0x00F000F0 mask and an fma by 1/16, as in v3)
///   bf16:  w & 0x000F000F | 0x43004300 -> bf162(128 + q0, 128 + q4);    - (128 + z)  -> q - z
///          bf16 has 7 mantissa bits, so 0x4300 = 128.0 (exponent 2^7) and 128 + q, q < 16,
///          is exact; the 0x00F0 trick would need 8 mantissa bits, so bf16 shifts by 4 instead
///
///   bf16 0x4300 | q:  0 10000110 000qqqq = 2^7 (1 + q/128) = 128 + q
///
/// B holds the exact integers q - z; the group scale multiplies the fp32 accumulator of the
/// group's 8 mma (4 FFMA per lane per group and n-tile), so no weight is ever rounded to
/// 16 bits. A = x from shared memory (rows >= M are zeros, never loaded). Split-K across
/// blocks with v4's deterministic last-block reduction.
///
/// Block: 4 warps x 2 n-tiles of 8 columns = 64 columns, over one K range of whole groups;
/// each lane double-buffers its 16-byte loads one group ahead.
///
/// Why it should be faster: at M = 16 v4 needs 16 FMAs per weight on CUDA cores (~16x the
/// issue slots of the memory stream: compute-bound at ~1/5 of bandwidth); one mma does
/// 16 x 8 x 16 MACs, so the tensor cores leave v5 memory-bound for every M <= 16.
///
/// PREDICTION (before measuring): ~80% of copy bandwidth at every M in 1..16 on 4096->14336
/// and 14336->4096 (~9 us): >= 2.5x cuBLAS bf16 at M = 16 and ~3x at M = 1; at M = 1 it
/// should tie v4 (the decode per weight costs about the same, the FMA moves to the mma).
///
/// Profiler: `ncu --section ComputeWorkloadAnalysis --section MemoryWorkloadAnalysis
/// -k regex:w4_mma` — `sm__pipe_tensor_op_hmma_cycles_active` low, dram throughput high;
/// `smsp__inst_executed_pipe_alu` vs `_fma` shows the decode cost.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v5 --m 16 --n 14336 --k 4096 --dtype bf16 --wfmt int4-sym
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

constexpr int kMmaWarps = 4;
constexpr int kTilesPerWarp = 2;
constexpr int kBlockN = kMmaWarps * kTilesPerWarp * kTileN;  // 64 columns
constexpr int kMmaThreads = kMmaWarps * kWarp;
constexpr int kXPad = 8;  // halves of padding per staged row: conflict-free A-fragment reads

/// Columns [blockIdx.x * 64, +64), groups [blockIdx.y * gps, +gps).
template <class T, bool kAsym, bool kRowsAbove8>
__global__ void __launch_bounds__(kMmaThreads)
    w4_mma(const T* __restrict__ x, T* __restrict__ y, const std::uint8_t* __restrict__ tiled,
           const T* __restrict__ scales, const std::uint8_t* __restrict__ zeros, int M, int N, int K, int gps,
           float* __restrict__ partials, unsigned* __restrict__ tickets) {
  using D = MmaDequant<T>;
  extern __shared__ uint4 smem_raw[];
  T* xs = reinterpret_cast<T*>(smem_raw);

  const int G = K / kTileK;
  const int g_begin = blockIdx.y * gps;
  const int g_end = min(G, g_begin + gps);
  const int kr = (g_end - g_begin) * kTileK;
  const int xs_stride = gps * kTileK + kXPad;
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int gid = lane >> 2, tig = lane & 3;

  // Stage x[0:M, this block's k range] (16-byte vectors).
  const int vecs = kr / 8;
  for (int i = threadIdx.x; i < M * vecs; i += kMmaThreads) {
    const int m = i / vecs, v = i % vecs;
    *reinterpret_cast<uint4*>(xs + m * xs_stride + v * 8) =
        load16(x + static_cast<std::size_t>(m) * K + static_cast<std::size_t>(g_begin) * kTileK + v * 8);
  }
  __syncthreads();

  const int n_tiles = tiled_rows(N) / kTileN;
  const int tile0 = blockIdx.x * (kBlockN / kTileN) + warp * kTilesPerWarp;
  const bool row_lo = gid < M, row_hi = kRowsAbove8 && gid + 8 < M;
  const T* xr_lo = xs + gid * xs_stride + 2 * tig;
  const T* xr_hi = xs + (gid + 8) * xs_stride + 2 * tig;

  auto load_group = [&](uint4 (&dst)[kTilesPerWarp], int gi) {
#pragma unroll
    for (int t = 0; t < kTilesPerWarp; ++t) {
      const int tile = tile0 + t;
      dst[t] = tile < n_tiles ? load16(tiled + ((static_cast<std::size_t>(tile) * G + gi) * 32 + lane) * 16)
                              : make_uint4(0, 0, 0, 0);
    }
  };

  float acc[kTilesPerWarp][4] = {};
  uint4 cur[kTilesPerWarp], nxt[kTilesPerWarp];
  if (g_begin < g_end) load_group(cur, g_begin);
  for (int gi = g_begin; gi < g_end; ++gi) {
    if (gi + 1 < g_end) load_group(nxt, gi + 1);  // one group ahead: 2 x 32 bytes in flight per lane

    typename D::Zero zb[kTilesPerWarp];  // zero point of this lane's B column (gid)
    float s_lo[kTilesPerWarp], s_hi[kTilesPerWarp];  // scales of its C columns (2 tig, 2 tig + 1)
#pragma unroll
    for (int t = 0; t < kTilesPerWarp; ++t) {
      const int nb = (tile0 + t) * kTileN;
      const int zc = nb + gid, c0 = nb + 2 * tig;
      zb[t] = D::zero(kAsym && zc < N ? static_cast<int>(zeros[static_cast<std::size_t>(gi) * N + zc]) : 8);
      s_lo[t] = c0 < N ? to_f32(scales[static_cast<std::size_t>(gi) * N + c0]) : 0.0f;
      s_hi[t] = c0 + 1 < N ? to_f32(scales[static_cast<std::size_t>(gi) * N + c0 + 1]) : 0.0f;
    }

    float c[kTilesPerWarp][4] = {};
    const int kg = (gi - g_begin) * kTileK;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      std::uint32_t a0[4], a1[4];  // A fragments of k-steps 2j and 2j + 1
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int k = kg + (2 * j + h) * 16;
        std::uint32_t(&a)[4] = h == 0 ? a0 : a1;
        a[0] = row_lo ? *reinterpret_cast<const std::uint32_t*>(xr_lo + k) : 0u;
        a[1] = row_hi ? *reinterpret_cast<const std::uint32_t*>(xr_hi + k) : 0u;
        a[2] = row_lo ? *reinterpret_cast<const std::uint32_t*>(xr_lo + k + 8) : 0u;
        a[3] = row_hi ? *reinterpret_cast<const std::uint32_t*>(xr_hi + k + 8) : 0u;
      }
#pragma unroll
      for (int t = 0; t < kTilesPerWarp; ++t) {
        const std::uint32_t word = word_of(cur[t], j);
        std::uint32_t b[4];
        D::decode(word, zb[t], b);
        D::mma(c[t], a0, b[0], b[1]);
        D::mma(c[t], a1, b[2], b[3]);
      }
    }
#pragma unroll
    for (int t = 0; t < kTilesPerWarp; ++t) {
      acc[t][0] = fmaf(c[t][0], s_lo[t], acc[t][0]);
      acc[t][1] = fmaf(c[t][1], s_hi[t], acc[t][1]);
      acc[t][2] = fmaf(c[t][2], s_lo[t], acc[t][2]);
      acc[t][3] = fmaf(c[t][3], s_hi[t], acc[t][3]);
    }
#pragma unroll
    for (int t = 0; t < kTilesPerWarp; ++t) cur[t] = nxt[t];
  }

  const int splits = gridDim.y;
  const int col0 = blockIdx.x * kBlockN;
#pragma unroll
  for (int t = 0; t < kTilesPerWarp; ++t) {
    const int local = (warp * kTilesPerWarp + t) * kTileN + 2 * tig;
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

Step prepare_v5(const Problem& p) {
  require_supported(p);
  if (!is_int4(p.wfmt)) throw std::invalid_argument("v5 implements int4-sym and int4-asym only");
  const int G = p.K / kTileK;
  const int col_blocks = (p.N + kBlockN - 1) / kBlockN;
  const int gps_smem = std::max(1, (24576 / p.M - kXPad) / kTileK);  // keep x under 48 KB of shared memory
  Step step;
  auto build = [&](auto tag_t, auto asym_c, auto above8_c) {
    using T = decltype(tag_t);
    auto kernel = w4_mma<T, decltype(asym_c)::value, decltype(above8_c)::value>;
    const int smem_probe = p.M * (std::min(G, gps_smem) * kTileK + kXPad) * 2;
    int per_sm = 1;
    LABS_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kMmaThreads, smem_probe));
    const int gps = std::min(gps_smem, plan_groups_per_split(p.M, p.N, p.K, kBlockN, p.sms, per_sm, 0.5));
    const int splits = (G + gps - 1) / gps;
    const int smem = p.M * (gps * kTileK + kXPad) * 2;
    const SplitKWorkspace ws(col_blocks, splits, p.M, kBlockN);
    const dim3 grid(col_blocks, splits);
    const Problem q = p;
    step = [=](const DeviceWeights& w, Stream s) {
      if (!w.tiled) throw std::invalid_argument("v5 needs the tiled packing");
      kernel<<<grid, kMmaThreads, smem, s>>>(static_cast<const T*>(q.x), static_cast<T*>(q.y), w.tiled,
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

Step prepare_v5(const Problem&) { throw std::invalid_argument("v5 uses mma.sync (NVIDIA only)"); }

#endif

/// The table entry (built in a function: brace-initialising it in the registration line
/// trips GCC's -Wmaybe-uninitialized on nvcc's host stub).
Version make_version() {
  Version v;
  v.info.id = "v5";
  v.info.idea = "tensor cores: mma.sync m16n8k16, INT4 dequantised straight into B fragments";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym, WFormat::int4_asym};
  v.kernel_regex = "w4_mma";
  v.prepare = prepare_v5;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
