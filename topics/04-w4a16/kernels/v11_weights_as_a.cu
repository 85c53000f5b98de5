/// @file v11_weights_as_a.cu
/// v11 — v9's stream-K and cp.async rings with the operands of the mma swapped: the WEIGHTS
/// are the 16 x 16 A operand (16 output columns per instruction) and x is the 16 x 8 B
/// operand (up to 8 token rows), so one mma consumes 256 weights instead of 128 and the x
/// registers need no zero rows, no moves and no predicates. M <= 8.
///
/// What changed from v9, and why (read off v9's SASS and ncu, run 20261201T053043Z): v9
/// spends ~220 instructions per 512-byte unit, not the ~90 counted when it was designed,
/// and issues on ~70% of cycles while DRAM sits near 22%: issue-bound. Its A operand (x, with
/// M = 1 real row out of 16) has to be assembled per k-step: a predicated LDS.128, then MOVs
/// that put x and zeros into the four A registers, then the same for the second k-step. v10
/// (the decode's subtraction folded out) removed 16 instructions per unit and got slower, so
/// the decode is not where the time goes. Swapped:
///   A (weights): a0 = W[col gid of n-tile T][k 2t, 2t+1], a1 = W[col gid of n-tile T+1][...],
///                a2, a3 the same at k + 8: exactly the decoded registers of the two tiles'
///                16-byte tiled loads (no repacking), so the unit becomes 1 KB: two n-tiles
///                x one group ("super-tile" of 16 columns);
///   B (x):       b0 = x[row gid][k 2t, 2t+1], b1 = x[row gid][k 2t + 8, 2t + 9]: the first
///                two words of v9's fragment-order LDS.128, the last two are the next k-step;
///                rows >= M read row M - 1 (their outputs are never stored);
///   D:           d0, d1 = columns gid of tile T for x rows 2t, 2t + 1; d2, d3 = tile T + 1.
/// Per 1 KB: 2 LDS.128 of weights, 4 LDS.128 of x, 8 mma (v9: 16), the same decode, and the
/// 16 scales of the super-tile come in by one 16-byte cp.async per lane 0 and 1.
///
/// PREDICTION (before measuring; bf16, cold): ~110 instructions per KB instead of ~440, so
/// the loop stops being issue-bound: 8b-gate / 8b-down M = 1 ~13-14 us (v5 18.6 / 19.4,
/// tinygemm 21.5 / 20.8), i.e. ~1.5x tinygemm and ~2.4x cuBLAS bf16 — still short of the
/// 1.8x / 3.3x targets; M = 8 within ~10% of M = 1 (the B operand carries 8 rows for free).
///
/// MEASURED (run 20261201T053758Z-f6d4, commit fa914cf): 24.19 / 26.05 us at M = 1 (v9 29.09
/// / 31.73, v5 19.50 / 18.72 in the same run): the swap works (-17% vs v9, DRAM 28%, issue
/// 0.63 per scheduler) but the stream-K body still loses to v5 except on 70b-gateup at M = 4
/// (tie) and M = 8 (121.87 vs 132.22 us). Prediction missed by ~2x.
///
/// Profiler: `ncu --section SchedulerStats --section WarpStateStats -k regex:w4_wide_a`:
/// issued warps per scheduler should fall well under v9's 0.68 and DRAM throughput rise.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v5,v9,v11 --shape 8b-gate,8b-down --dtype bf16 --wfmt int4-sym
#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

#include "kernels/stream_k.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

using namespace stream_k;

constexpr int kWideStages = 4;                        // 1 KB units in flight per warp
constexpr int kSlotBytes = 2 * kTileBytes + 32;       // tile T, tile T + 1, 16 scales
constexpr int kWideRingBytes = kWideStages * kSlotBytes;
constexpr int kWideCols = 2 * kTileN;                 // columns per super-tile
constexpr int kWideMaxM = 8;                          // x rows that fit the B operand

template <class T>
__global__ void __launch_bounds__(kThreads)
    w4_wide_a(const T* __restrict__ x, T* __restrict__ y, const std::uint8_t* __restrict__ tiled,
              const T* __restrict__ scales, int M, int N, int K, int W, bool vec_scales, int slots,
              float* __restrict__ partials, unsigned* __restrict__ tickets) {
  using D = MmaDequant<T>;
  extern __shared__ uint4 smem_raw[];
  const int G = K / kTileK;
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int gid = lane >> 2, tig = lane & 3;
  std::uint8_t* ring = reinterpret_cast<std::uint8_t*>(smem_raw) + warp * kWideRingBytes;
  std::uint32_t* xs = reinterpret_cast<std::uint32_t*>(reinterpret_cast<std::uint8_t*>(smem_raw) +
                                                       kWarps * kWideRingBytes);

  const int tiles = tiled_rows(N) / kTileN;
  const long long U = static_cast<long long>((tiles + 1) / 2) * G;  // super-tile units
  const long long w = static_cast<long long>(blockIdx.x) * kWarps + warp;
  const long long ub = w < W ? U * w / W : 0, ue = w < W ? U * (w + 1) / W : 0;
  const int n_units = static_cast<int>(ue - ub);

  int iss_st = static_cast<int>(ub / G), iss_g = static_cast<int>(ub % G);
  auto issue = [&](int i) {
    const bool live = i < n_units;
    std::uint8_t* dst = ring + (i & (kWideStages - 1)) * kSlotBytes;
    const int ta = 2 * iss_st, tb = ta + 1;
    const bool live_b = live && tb < tiles;
    cp_async(dst + lane * 16, tiled + ((static_cast<std::size_t>(live ? ta : 0) * G + iss_g) * kWarp + lane) * 16, 16,
             live);
    cp_async(dst + kTileBytes + lane * 16,
             tiled + ((static_cast<std::size_t>(live_b ? tb : 0) * G + iss_g) * kWarp + lane) * 16, 16, live_b);
    if (vec_scales && lane < 2) {  // lane 0: the scales of tile T's 8 columns, lane 1: tile T + 1's
      const int c = ta * kTileN + lane * kTileN;
      const int valid = live ? min(max(N - c, 0), kTileN) : 0;
      cp_async16_partial(dst + 2 * kTileBytes + lane * 16,
                         scales + (valid > 0 ? static_cast<std::size_t>(iss_g) * N + c : 0), valid * 2);
    }
    cp_async_commit();
    if (++iss_g == G) {
      iss_g = 0;
      ++iss_st;
    }
  };
#pragma unroll
  for (int s = 0; s < kWideStages; ++s) issue(s);

  stage_x(x, xs, M, K);
  __syncthreads();
  if (n_units == 0) {
    asm volatile("cp.async.wait_all;\n" ::: "memory");
    return;
  }

  const uint4* xl = reinterpret_cast<const uint4*>(xs + min(gid, M - 1) * x_row_words(G)) + tig;
  const typename D::Zero zero = D::zero(8);
  Pending first, last;  // acc[0..3] = (tile T, rows 2t, 2t+1), (tile T + 1, rows 2t, 2t+1)
  int n_pend = 0;
  float acc[4] = {0.f, 0.f, 0.f, 0.f};
  int st = static_cast<int>(ub / G), g = static_cast<int>(ub % G);

  for (int i = 0; i < n_units; ++i) {
    cp_async_wait_oldest<kWideStages>();
    __syncwarp();  // the scales were copied by lanes 0 and 1
    const std::uint8_t* src = ring + (i & (kWideStages - 1)) * kSlotBytes;
    const uint4 wa = *reinterpret_cast<const uint4*>(src + lane * 16);
    const uint4 wb = *reinterpret_cast<const uint4*>(src + kTileBytes + lane * 16);
    float sa, sb;
    if (vec_scales) {
      const T* sc = reinterpret_cast<const T*>(src + 2 * kTileBytes);
      sa = to_f32(sc[gid]);
      sb = to_f32(sc[kTileN + gid]);
    } else {
      const int ca = st * kWideCols + gid, cb = ca + kTileN;
      sa = ca < N ? to_f32(scales[static_cast<std::size_t>(g) * N + ca]) : 0.f;
      sb = cb < N ? to_f32(scales[static_cast<std::size_t>(g) * N + cb]) : 0.f;
    }

    float d0[4] = {0.f, 0.f, 0.f, 0.f}, d1[4] = {0.f, 0.f, 0.f, 0.f};  // even / odd k-steps
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const uint4 xv = xl[g * 16 + j * 4];
      std::uint32_t ba[4], bb[4];
      D::decode(word_of(wa, j), zero, ba);
      D::decode(word_of(wb, j), zero, bb);
      const std::uint32_t a0[4] = {ba[0], bb[0], ba[1], bb[1]}, a1[4] = {ba[2], bb[2], ba[3], bb[3]};
      D::mma(d0, a0, xv.x, xv.y);
      D::mma(d1, a1, xv.z, xv.w);
    }
    __syncwarp();  // every lane has read the slot's scales before lanes 0 and 1 refill it
    issue(i + kWideStages);

    acc[0] = fmaf(d0[0] + d1[0], sa, acc[0]);
    acc[1] = fmaf(d0[1] + d1[1], sa, acc[1]);
    acc[2] = fmaf(d0[2] + d1[2], sb, acc[2]);
    acc[3] = fmaf(d0[3] + d1[3], sb, acc[3]);

    if (g == G - 1 || i == n_units - 1) {  // this warp is done with super-tile st
      const long long tg = static_cast<long long>(st) * G;
      if (owner_of(tg, U, W) == owner_of(tg + G - 1, U, W)) {
        store_super_tile(y, acc, st, M, N, gid, tig);
      } else {
        keep_pending(first, last, n_pend, st, acc);
      }
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[e] = 0.f;
      g = 0;
      ++st;
    } else {
      ++g;
    }
  }
  asm volatile("cp.async.wait_all;\n" ::: "memory");
  auto publish_pending = [&](const Pending& p) {
    publish(p.tile, kWideCols, w, U, W, G, M, N, slots, partials, tickets, y, lane, [&](float* mine) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int row = 2 * tig + (e & 1), col = (e >= 2 ? kTileN : 0) + gid;
        if (row < M) mine[row * kWideCols + col] = p.acc[e];
      }
    });
  };
  if (n_pend > 0) publish_pending(first);
  if (n_pend > 1) publish_pending(last);
}

Step prepare_v11(const Problem& p) {
  require_supported(p);
  if (p.wfmt != WFormat::int4_sym) throw std::invalid_argument("v11 implements int4-sym only");
  if (p.M > kWideMaxM) throw std::invalid_argument("v11 carries x in the 8 columns of the mma's B operand: M <= 8");
  const int G = p.K / kTileK;
  const int tiles = tiled_rows(p.N) / kTileN;
  const long long U = static_cast<long long>((tiles + 1) / 2) * G;
  const int smem = kWarps * kWideRingBytes + p.M * x_row_words(G) * 4;
  int device = 0, optin = 0;
  LABS_CHECK(cudaGetDevice(&device));
  LABS_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  if (smem > optin)
    throw std::invalid_argument("v11 keeps x[M][K] in shared memory beside its rings: " + std::to_string(smem) +
                                " bytes needed, the limit is " + std::to_string(optin));
  Step step;
  auto build = [&](auto tag_t) {
    using T = decltype(tag_t);
    auto kernel = w4_wide_a<T>;
    LABS_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
    int per_sm = 0;
    LABS_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kThreads, smem));
    const int W = static_cast<int>(std::min<long long>(static_cast<long long>(std::max(per_sm, 1)) * p.sms * kWarps, U));
    const int blocks = (W + kWarps - 1) / kWarps;
    const bool vec_scales = p.N % kTileN == 0;  // 16-byte scale copies need 16-byte aligned rows
    const StreamKWorkspace ws(U, G, W, p.M, kWideCols);
    const int slots = ws.slots;
    auto partials = ws.partials;
    auto tickets = ws.tickets;
    const Problem q = p;
    step = [=](const DeviceWeights& w, Stream s) {
      if (!w.tiled) throw std::invalid_argument("v11 needs the tiled packing");
      kernel<<<blocks, kThreads, smem, s>>>(static_cast<const T*>(q.x), static_cast<T*>(q.y), w.tiled,
                                            static_cast<const T*>(w.scales), q.M, q.N, q.K, W, vec_scales, slots,
                                            partials->as<float>(), tickets->as<unsigned>());
      LABS_CHECK_LAUNCH();
    };
  };
  if (p.dtype == lab::DType::bf16) build(lab::bf16{});
  else build(lab::f16{});
  return step;
}

#else

Step prepare_v11(const Problem&) { throw std::invalid_argument("v11 uses mma.sync and cp.async (NVIDIA only)"); }

#endif

Version make_version() {
  Version v;
  v.info.id = "v11";
  v.info.idea = "v9 with the mma operands swapped: weights are A (16 columns per mma), x is B (M <= 8, no zero rows)";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym};
  v.max_m = 8;
  v.kernel_regex = "w4_wide_a";
  v.prepare = prepare_v11;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
