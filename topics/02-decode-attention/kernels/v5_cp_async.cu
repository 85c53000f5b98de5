/// @file v5_cp_async.cu Deeper load pipelining: a 4-stage cp.async ring in shared memory (sm_80+) under v4's split-K GQA body.
///
/// **What changed from v4.** v4 keeps its in-flight rows in registers: 8 x 16 B per lane,
/// bounded by the 128-register budget. v5 moves the loads to cp.async (global -> shared,
/// bypassing registers and L1): the block copies whole 32-key tiles of K and V (16 KiB per
/// stage) into a 4-stage ring, keeping up to 3 tiles (48 KiB) in flight while it computes
/// on the oldest, then reads its rows from shared memory with 16-byte loads. Everything
/// else (lane groups, 4 heads per block, split plan, last-block combine) is v4's; the
/// combine reuses the ring's shared memory.
///
/// **Why it might be faster.** Bytes in flight per block no longer depend on registers:
/// 3 x 16 KiB per block, 2 blocks per SM (64 KiB of ring each) = 96 KiB per SM, about 4x
/// what Little's law asks for, so the DRAM queue never runs dry between tiles.
///
/// **Why it might not.** v4 may already have enough bytes in flight; then v5 only adds a
/// shared-memory write and read per byte, a barrier per tile, and fewer resident blocks
/// (smem-bound). The RTX 4090 journey's cp.async step regressed for exactly this reason on
/// a one-warp block; here the block is 4 warps and the grid is split, so the comparison is
/// fair. Kept as a version whether it wins or loses; the README records which and why.
///
/// **Prediction (before measuring).** Within +-5% of v4 at the 128 MiB shapes; slightly
/// slower at S = 512 (pipeline fill is most of a 128-key split).
///
/// **Profiler.** `ncu --section MemoryWorkloadAnalysis --section WarpStateStats -k regex:v5_`:
/// stall_barrier and stall_short_scoreboard (shared loads) vs v4's stall_long_scoreboard;
/// dram throughput % of peak side by side with v4.
///
/// **Run.** `build/cuda/topics/02-decode-attention/lab-02-decode-attention --variant v5 --batch 1 --kv-len 32768`
#include "kernels/split_combine.cuh"

#if LABS_GPU
namespace decode02 {
namespace {

inline constexpr int kStages = 4;
inline constexpr int kChunksPerTile = kTileKeys * kHeadDim / 8;  // 16-byte chunks of one K (or V) tile: 512
inline constexpr size_t kStageElems = static_cast<size_t>(kTileKeys) * kHeadDim;

template <class T>
constexpr size_t v5_smem_bytes() {
  const size_t ring = 2 * kStages * kStageElems * sizeof(T);
  const size_t merge = kMergeScratchFloats * sizeof(float);
  return ring > merge ? ring : merge;
}

#if defined(LABS_BACKEND_CUDA)
/// 16 bytes global -> shared, asynchronously; src_bytes = 0 fills the 16 bytes with zeros
/// (masked keys) without reading global memory.
__device__ __forceinline__ void cp_async16(void* smem, const void* gmem, bool valid) {
  const unsigned saddr = static_cast<unsigned>(__cvta_generic_to_shared(smem));
  const int src_bytes = valid ? 16 : 0;
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(saddr), "l"(gmem), "r"(src_bytes) : "memory");
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
template <int kPending>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending) : "memory");
}

template <class T>
__global__ void __launch_bounds__(kThreads, 2)
    v5_cp_async_kernel(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v, T* __restrict__ out,
                       int S, int S_alloc, int Hq, int Hkv, SplitArgs sp, float scale_log2) {
  extern __shared__ __align__(16) unsigned char smem_raw[];
  T* ring_k = reinterpret_cast<T*>(smem_raw);  // [kStages][kTileKeys][kHeadDim]
  T* ring_v = ring_k + kStages * kStageElems;
  const int split = blockIdx.x, kvh = blockIdx.y, b = blockIdx.z;
  const int tid = threadIdx.x, grp = tid / kLanesPerKey, lane16 = tid % kLanesPerKey;
  const int begin = split * sp.keys_per_split;
  const int end = min(S, begin + sp.keys_per_split);
  const int n_tiles = end > begin ? (end - begin + kTileKeys - 1) / kTileKeys : 0;
  const size_t kv0 = (static_cast<size_t>(b) * Hkv + kvh) * S_alloc * kHeadDim;
  const T* kb = k + kv0;
  const T* vb = v + kv0;

  // The whole block copies a tile: chunk c is key c / 16, 16-byte column c % 16.
  auto issue_tile = [&](int tile, int stage) {
#pragma unroll
    for (int c = tid; c < kChunksPerTile; c += kThreads) {
      const int key = c / kLanesPerKey, col = (c % kLanesPerKey) * 8;
      const int t = begin + tile * kTileKeys + key;
      const bool live = t < end;
      const size_t src = live ? static_cast<size_t>(t) * kHeadDim + col : 0;  // a valid address even when masked
      const size_t dst = stage * kStageElems + static_cast<size_t>(key) * kHeadDim + col;
      cp_async16(ring_k + dst, kb + src, live);
      cp_async16(ring_v + dst, vb + src, live);
    }
  };

  float qf[kGqaGroup][8];
#pragma unroll
  for (int h = 0; h < kGqaGroup; ++h) {
    unpack8<T>(load16(q + (static_cast<size_t>(b) * Hq + kvh * kGqaGroup + h) * kHeadDim + lane16 * 8), qf[h]);
#pragma unroll
    for (int e = 0; e < 8; ++e) qf[h][e] *= scale_log2;
  }
  GroupState st;
  init_state(st);

  // Prologue: tiles 0 .. kStages-2 in flight. One commit group per tile, empty or not, so
  // "wait until at most kStages-2 groups are pending" always means "tile i has landed".
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < n_tiles) issue_tile(s, s);
    cp_async_commit();
  }

  for (int i = 0; i < n_tiles; ++i) {
    cp_async_wait<kStages - 2>();
    // Tile i is in shared memory for every thread's copies, and every thread has finished
    // computing on tile i-1, whose stage the next issue overwrites.
    __syncthreads();
    const int ahead = i + kStages - 1;
    if (ahead < n_tiles) issue_tile(ahead, ahead % kStages);
    cp_async_commit();

    const int stage = i % kStages;
    const T* tk = ring_k + stage * kStageElems;
    const T* tv = ring_v + stage * kStageElems;
    float s[kKeysPerGroup][kGqaGroup];
    uint4 vraw[kKeysPerGroup];
#pragma unroll
    for (int j = 0; j < kKeysPerGroup; ++j) {
      const int key = j * kKeyGroups + grp;  // the same key order as v4
      float kf[8];
      unpack8<T>(*reinterpret_cast<const uint4*>(tk + key * kHeadDim + lane16 * 8), kf);
      vraw[j] = *reinterpret_cast<const uint4*>(tv + key * kHeadDim + lane16 * 8);
#pragma unroll
      for (int h = 0; h < kGqaGroup; ++h) {
        float dot = 0.f;
#pragma unroll
        for (int e = 0; e < 8; ++e) dot = fmaf(qf[h][e], kf[e], dot);
        s[j][h] = dot;
      }
    }
#pragma unroll
    for (int j = 0; j < kKeysPerGroup; ++j)
#pragma unroll
      for (int h = 0; h < kGqaGroup; ++h) s[j][h] = group16_sum(s[j][h]);
#pragma unroll
    for (int j = 0; j < kKeysPerGroup; ++j)
      if (begin + i * kTileKeys + j * kKeyGroups + grp >= end)
#pragma unroll
        for (int h = 0; h < kGqaGroup; ++h) s[j][h] = -INFINITY;
    online_update<T>(st, s, vraw);
  }
  cp_async_wait<0>();
  __syncthreads();  // the ring becomes the merge scratch: nobody may still read a stage
  finish_block<T>(st, reinterpret_cast<float*>(smem_raw), out, sp, b, kvh, Hq, Hkv, split);
}
#endif  // LABS_BACKEND_CUDA

Runner prepare_v5(const DeviceProblem& p) {
  const Shape s = p.shape;
#if defined(LABS_BACKEND_CUDA)
  validate(s);
  if (s.group() != kGqaGroup) throw std::invalid_argument("v5 is written for 4 query heads per KV head");
  Runner r;
  dispatch_dtype(s.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    constexpr size_t smem = v5_smem_bytes<T>();
    LABS_CHECK(cudaFuncSetAttribute(v5_cp_async_kernel<T>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                    static_cast<int>(smem)));
    int sms = 0, per_sm = 0;
    occupancy_of(v5_cp_async_kernel<T>, smem, &sms, &per_sm);
    const SplitPlan plan = plan_splits(s.B, s.Hkv, s.S, sms, per_sm, kTileKeys, s.splits);
    auto ws = make_split_workspace(s, plan);
    const SplitArgs sp = ws->args;
    r.workspace = ws;
    r.details = {{"splits", plan.splits}, {"keys_per_split", plan.keys_per_split}, {"blocks_per_sm", per_sm},
                 {"sms", sms}, {"stages", kStages}, {"smem_bytes", smem}};
    r.launch = [p, s, sp](cudaStream_t stream) {
      const dim3 grid(sp.splits, s.Hkv, s.B);
      v5_cp_async_kernel<T><<<grid, kThreads, smem, stream>>>(
          static_cast<const T*>(p.q), static_cast<const T*>(p.k), static_cast<const T*>(p.v), static_cast<T*>(p.out),
          s.S, s.S_alloc, s.Hq, s.Hkv, sp, softmax_scale_log2(s.D));
      LABS_CHECK_LAUNCH();
    };
  });
  return r;
#else
  (void)s;
  throw std::runtime_error("v5 uses cp.async (NVIDIA sm_80+ PTX); it has no HIP build");
#endif
}

DecodeVersion make_v5() {
  DecodeVersion v;
  v.info.id = "v5";
  v.info.idea = "deeper pipelining: 4-stage cp.async ring of 32-key K/V tiles in shared memory, split-K body";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.layouts = {Layout::contiguous};
  v.kernel_regex = "v5_cp_async_kernel";
  v.prepare = &prepare_v5;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(DecodeVersion, (make_v5()))

}  // namespace decode02
#endif
