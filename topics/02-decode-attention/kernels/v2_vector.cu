/// @file v2_vector.cu 16-byte loads, 4 keys in flight per 16-lane group, 4-warp blocks (still one query head per block).
///
/// **What changed from v1.** The block grows to 128 threads in 8 groups of 16 lanes. A lane
/// owns 8 dims, so a group reads a whole 256-byte row with one 16-byte load per lane
/// (LDG.E.128), and each group keeps 4 rows of K and 4 of V in flight instead of one. The
/// groups walk interleaved keys with their own online-softmax state and merge through
/// shared memory at the end. The loop is software-pipelined: the next tile's K is loaded
/// right after this tile's scores, its V right after this tile's P.V. The softmax rescale
/// happens once per 4 keys, and the dot product needs 4 shuffles instead of 5.
///
/// **Why it should be faster.** Memory-level parallelism: v1 had ~512 B in flight per warp;
/// v2 has 32 lanes x 8 x 16 B = 4 KiB per warp, and 4 warps per block. Little's law on an
/// H200: 4.8 TB/s (datasheet) x ~0.7 us = ~3.4 MB in flight across 132 SMs, ~25 KB per SM.
///
/// **What it still gets wrong.** One block per (sequence, query head): the 4 query heads
/// that share a KV head each read it (4x the bytes, minus what L2 catches), and at B = 1
/// there are 32 blocks for 132 SMs.
///
/// **Prediction (before measuring).** B = 32, S = 4096 (1024 blocks, enough to fill the GPU):
/// if L2 serves the 3 repeat reads (the 4 blocks of a KV head run at the same time), DRAM
/// traffic stays near 1x and we get 50-70% of copy bandwidth against the model; at B = 1 it
/// is parallelism-bound: 32 blocks, ~25% of SMs busy, ~10-20% of copy bandwidth.
///
/// **Profiler.** `ncu --section MemoryWorkloadAnalysis_Chart --section LaunchStats --section Occupancy`:
/// dram__bytes_read.sum close to the model (L2 absorbs the head re-reads) vs
/// lts__t_sectors_srcunit_tex_op_read.sum at ~4x; "Waves Per SM" well under 1 at B = 1.
///
/// **Run.** `build/cuda/topics/02-decode-attention/lab-02-decode-attention --variant v2 --batch 32 --kv-len 4096`
#include "kernels/split_combine.cuh"

#if LABS_GPU
namespace decode02 {
namespace {

/// Chunks of this group's 4 keys (zeros for keys past S).
template <class T>
__device__ __forceinline__ void load_rows_v2(uint4 (&r)[kKeysPerGroup], const T* base, int first, int S, int lane16) {
#pragma unroll
  for (int j = 0; j < kKeysPerGroup; ++j) {
    const int t = first + j * kKeyGroups;
    r[j] = t < S ? load16(base + static_cast<size_t>(t) * kHeadDim + lane16 * 8) : make_uint4(0u, 0u, 0u, 0u);
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    v2_vector_kernel(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v, T* __restrict__ out,
                     int Hq, int Hkv, int S, int S_alloc, float scale_log2) {
  __shared__ float s_acc[kKeyGroups][kHeadDim];
  __shared__ float s_m[kKeyGroups], s_l[kKeyGroups];
  const int h = blockIdx.x, b = blockIdx.y, kvh = h / (Hq / Hkv);
  const int tid = threadIdx.x, grp = tid / kLanesPerKey, lane16 = tid % kLanesPerKey;

  float qf[8];
  unpack8<T>(load16(q + (static_cast<size_t>(b) * Hq + h) * kHeadDim + lane16 * 8), qf);
#pragma unroll
  for (int e = 0; e < 8; ++e) qf[e] *= scale_log2;

  const size_t kv0 = (static_cast<size_t>(b) * Hkv + kvh) * S_alloc * kHeadDim;
  const T* kb = k + kv0;
  const T* vb = v + kv0;
  float m = -INFINITY, l = 0.f, acc[8] = {};
  uint4 kraw[kKeysPerGroup], vraw[kKeysPerGroup];
  int first = grp;
  load_rows_v2(kraw, kb, first, S, lane16);
  load_rows_v2(vraw, vb, first, S, lane16);
  const int n_tiles = (S + kTileKeys - 1) / kTileKeys;

  for (int i = 0; i < n_tiles; ++i) {
    float s[kKeysPerGroup];
#pragma unroll
    for (int j = 0; j < kKeysPerGroup; ++j) {
      float kf[8];
      unpack8<T>(kraw[j], kf);
      float dot = 0.f;
#pragma unroll
      for (int e = 0; e < 8; ++e) dot = fmaf(qf[e], kf[e], dot);
      s[j] = group16_sum(dot);
      if (first + j * kKeyGroups >= S) s[j] = -INFINITY;
    }
    const int next = first + kTileKeys;
    load_rows_v2(kraw, kb, next, S, lane16);

    float tile_max = s[0];
#pragma unroll
    for (int j = 1; j < kKeysPerGroup; ++j) tile_max = fmaxf(tile_max, s[j]);
    const float m_new = fmaxf(m, tile_max);
    const float m_use = m_new == -INFINITY ? 0.f : m_new;  // a group with no live key yet stays at weight 0
    const float corr = exp2f(m - m_use);
    float psum = 0.f;
#pragma unroll
    for (int j = 0; j < kKeysPerGroup; ++j) {
      s[j] = exp2f(s[j] - m_use);
      psum += s[j];
    }
    l = l * corr + psum;
    m = m_new;
#pragma unroll
    for (int e = 0; e < 8; ++e) acc[e] *= corr;
#pragma unroll
    for (int j = 0; j < kKeysPerGroup; ++j) {
      float vf[8];
      unpack8<T>(vraw[j], vf);
#pragma unroll
      for (int e = 0; e < 8; ++e) acc[e] = fmaf(s[j], vf[e], acc[e]);
    }
    load_rows_v2(vraw, vb, next, S, lane16);
    first = next;
  }

  // Merge the 8 groups: thread d combines dim d.
  if (lane16 == 0) {
    s_m[grp] = m;
    s_l[grp] = l;
  }
#pragma unroll
  for (int e = 0; e < 8; ++e) s_acc[grp][lane16 * 8 + e] = acc[e];
  __syncthreads();
  const int d = tid;
  float M = -INFINITY;
  for (int g = 0; g < kKeyGroups; ++g) M = fmaxf(M, s_m[g]);
  float L = 0.f, A = 0.f;
  for (int g = 0; g < kKeyGroups; ++g) {
    const float w = s_m[g] == -INFINITY ? 0.f : exp2f(s_m[g] - M);
    L += w * s_l[g];
    A += w * s_acc[g][d];
  }
  out[(static_cast<size_t>(b) * Hq + h) * kHeadDim + d] = Elem<T>::from_float(A / L);
}

Runner prepare_v2(const DeviceProblem& p) {
  const Shape s = p.shape;
  validate(s);
  Runner r;
  dispatch_dtype(s.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    r.launch = [p, s](cudaStream_t stream) {
      v2_vector_kernel<T><<<dim3(s.Hq, s.B), kThreads, 0, stream>>>(
          static_cast<const T*>(p.q), static_cast<const T*>(p.k), static_cast<const T*>(p.v), static_cast<T*>(p.out),
          s.Hq, s.Hkv, s.S, s.S_alloc, softmax_scale_log2(s.D));
      LABS_CHECK_LAUNCH();
    };
  });
  return r;
}

DecodeVersion make_v2() {
  DecodeVersion v;
  v.info.id = "v2";
  v.info.idea = "16-byte loads, 4 keys in flight per 16-lane group, 4-warp blocks, pipelined loop";
  v.info.min_cc = 0;
  v.info.cuda_only = false;
  v.layouts = {Layout::contiguous};
  v.kernel_regex = "v2_vector_kernel";
  v.prepare = &prepare_v2;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(DecodeVersion, (make_v2()))

}  // namespace decode02
#endif
