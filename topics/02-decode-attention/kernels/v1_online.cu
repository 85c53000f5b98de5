/// @file v1_online.cu Online softmax in one pass: one warp per (sequence, query head), no score buffer.
///
/// **What changed from v0.** The three passes become one (Milakov and Gimelshein's online
/// softmax): keep a running max m, a running sum l and an accumulator o; for each key
///   s = q . K[t],  m' = max(m, s),  l = l 2^(m - m') + 2^(s - m'),  o = o 2^(m - m') + 2^(s - m') V[t]
/// (scores in log2 units, so exp is one ex2 instruction). No score buffer, each K and V
/// row is read once per query head, and the block shrinks to one warp whose lane owns
/// D / 32 = 4 dims: a warp reads a whole 256-byte row with coalesced 4-byte loads.
///
/// **Why it should be faster.** v0 moved 12 extra bytes per key per head through its score
/// buffer and walked K with uncoalesced 2-byte loads; v1 reads each row coalesced, once.
///
/// **Why it is still slow (the next step's target).** Each key is a dependent chain: load
/// the row, 5 shuffles to reduce the dot product, exp, update. One warp has ~1 row of K and
/// one of V in flight; and there are only B * Hq warps (32 at B = 1) on 132 SMs.
///
/// **Prediction (before measuring).** At B = 8, S = 4096 (256 warps, ~2 per SM, 512 B in
/// flight per warp per ~1 us of latency) about 256 x 512 B / 1 us = 130 GB/s per head pass;
/// with the 4x head re-read served partly by L2: roughly v0's time or up to 2x better
/// (0.15-0.3 ms). At B = 1 it is latency-bound: ~1 us per key, S = 32768 -> ~30 ms.
///
/// **Profiler.** `ncu --section WarpStateStats --section Occupancy`: achieved occupancy of a
/// few warps per SM, stall_long_scoreboard and stall_short_scoreboard (the shuffle chain).
///
/// **Run.** `build/cuda/topics/02-decode-attention/lab-02-decode-attention --variant v1 --batch 8 --kv-len 4096`
#include "kernels/common.cuh"

#if LABS_GPU
namespace decode02 {
namespace {

inline constexpr int kDimsPerLaneV1 = kHeadDim / lab::kWarpSize;  // 4 on NVIDIA, 2 on AMD
static_assert(kDimsPerLaneV1 % 2 == 0, "a lane loads its dims as pairs");

template <class T>
__global__ void __launch_bounds__(lab::kWarpSize)
    v1_online_kernel(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v, T* __restrict__ out,
                     int Hq, int Hkv, int S, int S_alloc, float scale_log2) {
  const int h = blockIdx.x, b = blockIdx.y, kvh = h / (Hq / Hkv), lane = threadIdx.x;
  const size_t qo = (static_cast<size_t>(b) * Hq + h) * kHeadDim + lane * kDimsPerLaneV1;
  float qf[kDimsPerLaneV1];
#pragma unroll
  for (int i = 0; i < kDimsPerLaneV1; ++i) qf[i] = Elem<T>::to_float(q[qo + i]) * scale_log2;

  const size_t kv0 = (static_cast<size_t>(b) * Hkv + kvh) * S_alloc * kHeadDim + lane * kDimsPerLaneV1;
  const std::uint32_t* kb = reinterpret_cast<const std::uint32_t*>(k + kv0);
  const std::uint32_t* vb = reinterpret_cast<const std::uint32_t*>(v + kv0);
  constexpr int kRowWords = kHeadDim / 2;  // a row in 4-byte words

  float m = -INFINITY, l = 0.f, acc[kDimsPerLaneV1] = {};
  for (int t = 0; t < S; ++t) {
    float dot = 0.f;
    float vf[kDimsPerLaneV1];
#pragma unroll
    for (int i = 0; i < kDimsPerLaneV1 / 2; ++i) {
      const float2 kk = Elem<T>::pair(kb[static_cast<size_t>(t) * kRowWords + i]);
      const float2 vv = Elem<T>::pair(vb[static_cast<size_t>(t) * kRowWords + i]);
      dot = fmaf(qf[2 * i], kk.x, fmaf(qf[2 * i + 1], kk.y, dot));
      vf[2 * i] = vv.x;
      vf[2 * i + 1] = vv.y;
    }
    const float s = warp_sum(dot);
    const float m_new = fmaxf(m, s);
    const float corr = exp2f(m - m_new);  // 0 on the first key (m = -inf)
    const float p = exp2f(s - m_new);
    l = l * corr + p;
#pragma unroll
    for (int i = 0; i < kDimsPerLaneV1; ++i) acc[i] = acc[i] * corr + p * vf[i];
    m = m_new;
  }
#pragma unroll
  for (int i = 0; i < kDimsPerLaneV1; ++i) out[qo + i] = Elem<T>::from_float(acc[i] / l);
}

Runner prepare_v1(const DeviceProblem& p) {
  const Shape s = p.shape;
  validate(s);
  Runner r;
  dispatch_dtype(s.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    r.launch = [p, s](cudaStream_t stream) {
      v1_online_kernel<T><<<dim3(s.Hq, s.B), lab::kWarpSize, 0, stream>>>(
          static_cast<const T*>(p.q), static_cast<const T*>(p.k), static_cast<const T*>(p.v), static_cast<T*>(p.out),
          s.Hq, s.Hkv, s.S, s.S_alloc, softmax_scale_log2(s.D));
      LABS_CHECK_LAUNCH();
    };
  });
  return r;
}

DecodeVersion make_v1() {
  DecodeVersion v;
  v.info.id = "v1";
  v.info.idea = "online softmax in one pass: one warp per (sequence, query head), no score buffer";
  v.info.min_cc = 0;
  v.info.cuda_only = false;
  v.layouts = {Layout::contiguous};
  v.kernel_regex = "v1_online_kernel";
  v.prepare = &prepare_v1;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(DecodeVersion, (make_v1()))

}  // namespace decode02
#endif
