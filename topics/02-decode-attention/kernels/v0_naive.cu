/// @file v0_naive.cu One block per (sequence, query head), scores in device memory, two-pass softmax.
///
/// **What it is.** The textbook decode step, written the way one first writes it: a block of
/// 128 threads per (sequence b, query head h). Pass 1: each thread takes keys t = tid,
/// tid + 128, ... and writes score[t] = q . K[t] / sqrt(D) to a float buffer in device
/// memory. Block max. Pass 2: score[t] = exp(score[t] - max) in place, block sum. Pass 3:
/// thread d computes sum_t score[t] V[t][d] / sum. fp32 throughout.
///
/// **Why it is slow (the baseline the rest improve on).** (1) Each of the 4 query heads of a
/// KV head reads that head's K and V again: 4x the cache bytes unless L2 catches them.
/// (2) Pass 1 has each thread walk its own 256-byte row with 2-byte loads: 32 rows per warp
/// instruction, 32 sectors touched for 64 useful bytes. (3) The score buffer is written once
/// and read twice (12 bytes per key per head). (4) Pass 3 is one long dependent sum per
/// thread over all S keys. (5) B * Hq blocks: 32 at B = 1.
///
/// **Prediction (before measuring).** Cache bytes at B = 8, S = 4096: 128 MiB of K and V,
/// read 4x = 512 MiB plus 16 MiB of scores traffic; with L2 catching part of the repeat
/// reads and the scalar, latency-bound loops, expect 10-20% of copy bandwidth against the
/// 128 MiB model, i.e. 0.2-0.35 ms, and far worse at B = 1 (32 blocks on 132 SMs).
///
/// **Profiler.** `ncu --section MemoryWorkloadAnalysis --section SourceCounters`:
/// lts__t_sectors_srcunit_tex_op_read.sum vs dram__bytes_read.sum shows the 4x K/V re-read
/// and how much L2 absorbs; l1tex__t_sectors_pipe_lsu_mem_global_op_ld.sum per request shows
/// the uncoalesced pass 1; smsp__warp_issue_stalled_long_scoreboard dominates.
///
/// **Run.** `build/cuda/topics/02-decode-attention/lab-02-decode-attention --variant v0 --batch 8 --kv-len 4096`
#include "kernels/common.cuh"

#if LABS_GPU
namespace decode02 {
namespace {

template <class T>
__global__ void __launch_bounds__(128)
    v0_naive_kernel(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v, T* __restrict__ out,
                    float* __restrict__ scores, int Hq, int Hkv, int S, int S_alloc) {
  __shared__ float q_s[kHeadDim];
  __shared__ float red[32];
  const int h = blockIdx.x, b = blockIdx.y, kvh = h / (Hq / Hkv);
  const size_t qo = (static_cast<size_t>(b) * Hq + h) * kHeadDim;
  for (int d = threadIdx.x; d < kHeadDim; d += blockDim.x) q_s[d] = Elem<T>::to_float(q[qo + d]);
  __syncthreads();

  const size_t kv0 = (static_cast<size_t>(b) * Hkv + kvh) * S_alloc * kHeadDim;
  const T* kb = k + kv0;
  const T* vb = v + kv0;
  float* sc = scores + (static_cast<size_t>(b) * Hq + h) * S;
  const float scale = rsqrtf(static_cast<float>(kHeadDim));

  float local_max = -INFINITY;
  for (int t = threadIdx.x; t < S; t += blockDim.x) {
    float dot = 0.f;
    for (int d = 0; d < kHeadDim; ++d) dot += q_s[d] * Elem<T>::to_float(kb[static_cast<size_t>(t) * kHeadDim + d]);
    dot *= scale;
    sc[t] = dot;
    local_max = fmaxf(local_max, dot);
  }
  const float m = block_reduce<true>(local_max, red);

  float local_sum = 0.f;
  for (int t = threadIdx.x; t < S; t += blockDim.x) {
    const float p = expf(sc[t] - m);
    sc[t] = p;
    local_sum += p;
  }
  // The barriers inside block_reduce also make every thread's sc[] writes visible to the block.
  const float l = block_reduce<false>(local_sum, red);

  for (int d = threadIdx.x; d < kHeadDim; d += blockDim.x) {
    float acc = 0.f;
    for (int t = 0; t < S; ++t) acc += sc[t] * Elem<T>::to_float(vb[static_cast<size_t>(t) * kHeadDim + d]);
    out[qo + d] = Elem<T>::from_float(acc / l);
  }
}

struct V0Workspace {
  lab::DeviceBytes scores;
};

Runner prepare_v0(const DeviceProblem& p) {
  const Shape s = p.shape;
  validate(s);
  auto ws = std::make_shared<V0Workspace>();
  ws->scores = lab::DeviceBytes(static_cast<size_t>(s.B) * s.Hq * s.S * sizeof(float));
  float* scores = ws->scores.as<float>();
  Runner r;
  r.workspace = ws;
  r.details = {{"score_buffer_bytes", static_cast<double>(ws->scores.bytes())}};
  dispatch_dtype(s.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    r.launch = [p, s, scores](cudaStream_t stream) {
      v0_naive_kernel<T><<<dim3(s.Hq, s.B), 128, 0, stream>>>(static_cast<const T*>(p.q), static_cast<const T*>(p.k),
                                                               static_cast<const T*>(p.v), static_cast<T*>(p.out),
                                                               scores, s.Hq, s.Hkv, s.S, s.S_alloc);
      LABS_CHECK_LAUNCH();
    };
  });
  return r;
}

DecodeVersion make_v0() {
  DecodeVersion v;
  v.info.id = "v0";
  v.info.idea = "naive: block per (sequence, query head), scores in device memory, two-pass softmax";
  v.info.min_cc = 0;
  v.info.cuda_only = false;
  v.layouts = {Layout::contiguous};
  v.kernel_regex = "v0_naive_kernel";
  v.prepare = &prepare_v0;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(DecodeVersion, (make_v0()))

}  // namespace decode02
#endif
