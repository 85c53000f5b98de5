/// @file v1_naive_gemv.cu
/// v1 — the first fused kernel: one warp per output feature, lanes striding over the row's
/// 32-bit words (8 weights each), weights dequantised in registers with shift, mask and
/// int-to-float, activations read from global memory for every row, fp32 accumulation.
///
/// What changed from v0: no dense matrix in memory; the INT4 bytes are read once and the
/// dot product happens where they are decoded. One launch.
///
/// Why it should be faster than v0: 0.5 bytes per weight instead of 4.5.
///
/// PREDICTION (before measuring): far from the floor all the same: each lane keeps only
/// 4 bytes of weights in flight (a warp 128 B; with 64 warps per SM ~8 KB per SM against
/// the ~26 KB that hide HBM latency), the scale is re-read per word and every row re-reads
/// x (L1 hits, but LSU instructions). Expect ~30% of copy bandwidth at M = 1 (~24 us on
/// 4096->14336: about cuBLAS bf16's time), and worse as M grows (M FMAs per weight).
///
/// Profiler: `ncu --section MemoryWorkloadAnalysis --section WarpStateStats -k regex:gemv_naive`
/// — "Stall Long Scoreboard" dominates (waiting on loads), DRAM throughput ~1/3 of peak.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v1 --m 1 --n 14336 --k 4096 --dtype bf16 --wfmt int4-sym
#include <stdexcept>

#include "kernels/device_common.cuh"
#include "w4a16.hpp"

namespace w4a16 {
namespace {

#if LABS_GPU
constexpr int kNaiveThreads = 128;

template <class T, bool kAsym>
__global__ void __launch_bounds__(kNaiveThreads)
    gemv_naive(const T* x, T* y, const std::uint8_t* w, const T* scales, const std::uint8_t* zeros, int M, int N,
               int K) {
  const int n = blockIdx.x * (kNaiveThreads / kWarp) + threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (n >= N) return;
  float acc[kMaxM];
#pragma unroll
  for (int m = 0; m < kMaxM; ++m) acc[m] = 0.0f;
  const std::uint32_t* row = reinterpret_cast<const std::uint32_t*>(w + static_cast<std::size_t>(n) * (K / 2));
  for (int i = lane; i < K / 8; i += kWarp) {
    const std::uint32_t word = row[i];
    const int k0 = 8 * i;
    const std::size_t gi = static_cast<std::size_t>(k0 / kGroup) * N + n;
    const float s = to_f32(scales[gi]);
    const int z = kAsym ? zeros[gi] : 8;
#pragma unroll
    for (int e = 0; e < 8; ++e) {
      const float wv = s * static_cast<float>(static_cast<int>((word >> (4 * e)) & 0xFu) - z);
#pragma unroll
      for (int m = 0; m < kMaxM; ++m)
        if (m < M) acc[m] = fmaf(wv, to_f32(x[static_cast<std::size_t>(m) * K + k0 + e]), acc[m]);
    }
  }
#pragma unroll
  for (int m = 0; m < kMaxM; ++m) {
    if (m < M) {
      const float v = warp_sum(acc[m]);
      if (lane == 0) y[static_cast<std::size_t>(m) * N + n] = from_f32<T>(v);
    }
  }
}

Step prepare_v1(const Problem& p) {
  require_supported(p);
  if (!is_int4(p.wfmt)) throw std::invalid_argument("v1 implements int4-sym and int4-asym only");
  const unsigned blocks = static_cast<unsigned>((p.N + kNaiveThreads / kWarp - 1) / (kNaiveThreads / kWarp));
  const Problem q = p;
  Step step;
  auto build = [&](auto tag_t, auto asym_c) {
    using T = decltype(tag_t);
    auto kernel = gemv_naive<T, decltype(asym_c)::value>;
    step = [=](const DeviceWeights& w, Stream s) {
      kernel<<<blocks, kNaiveThreads, 0, s>>>(static_cast<const T*>(q.x), static_cast<T*>(q.y), w.plain,
                                              static_cast<const T*>(w.scales), w.zeros, q.M, q.N, q.K);
      LABS_CHECK_LAUNCH();
    };
  };
  auto with_asym = [&](auto tag_t) {
    if (p.wfmt == WFormat::int4_asym) build(tag_t, std::true_type{});
    else build(tag_t, std::false_type{});
  };
  if (p.dtype == lab::DType::bf16) with_asym(lab::bf16{});
  else with_asym(lab::f16{});
  return step;
}
#else
Step prepare_v1(const Problem&) { return {}; }
#endif

/// The table entry (built in a function: brace-initialising it in the registration line
/// trips GCC's -Wmaybe-uninitialized on nvcc's host stub).
Version make_version() {
  Version v;
  v.info.id = "v1";
  v.info.idea = "naive fused GEMV: one warp per row, 4-byte loads, int-to-float decode";
  v.formats = {WFormat::int4_sym, WFormat::int4_asym};
  v.kernel_regex = "gemv_naive";
  v.prepare = prepare_v1;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
