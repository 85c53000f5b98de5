/// @file split_combine.cuh
/// The end of every GQA-aware block (v3 to v6): merge the block's key groups, then either
/// write the output (one split) or write an unnormalised partial and, in the last block of
/// a (sequence, KV head) to finish, merge all partials with the log-sum-exp rule
///   M = max_s m_s,  L = sum_s l_s 2^(m_s - M),  out = sum_s o_s 2^(m_s - M) / L
/// (m in log2 units: the kernels fold log2(e) into the score scale). Doing the combine in
/// the last block instead of a second kernel saves a launch and its gap, which is several
/// percent of a 30 us step. A per-(sequence, KV head) counter finds the last block; that
/// block resets it, so the workspace needs no clearing between launches.
#pragma once

#include "kernels/common.cuh"
#include "split_plan.hpp"

#if LABS_GPU
namespace decode02 {

inline constexpr int kThreads = 128;                    ///< 4 warps (2 wavefronts on AMD)
inline constexpr int kLanesPerKey = 16;                 ///< 16 lanes x 16 B = one 256-byte row
inline constexpr int kKeyGroups = kThreads / kLanesPerKey;  ///< 8 lane groups, each its own keys
inline constexpr int kKeysPerGroup = 4;                 ///< rows each group has in flight
inline constexpr int kTileKeys = kKeyGroups * kKeysPerGroup;  ///< 32 keys per block iteration
static_assert(kThreads == kHeadDim, "the merge gives each thread one output dimension");
static_assert(kLanesPerKey * 8 == kHeadDim, "a lane owns one 16-byte chunk of 8 elements");

/// Shared floats the merge needs: [groups][G][D] accumulators, then m and l per group and
/// head, then one flag word. The split combine reuses the same space.
inline constexpr int kMergeScratchFloats = kKeyGroups * kGqaGroup * kHeadDim + 2 * kKeyGroups * kGqaGroup + 4;
static_assert(kMaxSplits * kGqaGroup * 2 <= kKeyGroups * kGqaGroup * kHeadDim, "split (m, l) reuse the accumulators");
static_assert(kThreads % kGqaGroup == 0 && (kThreads / kGqaGroup) * 4 == kHeadDim, "combine: 4 dims per thread");

/// Split-K workspace, allocated by the version's prepare step (never in the timed region).
struct SplitArgs {
  float* partial_o = nullptr;   ///< [B * Hkv, splits, G, D] unnormalised accumulators
  float* partial_ml = nullptr;  ///< [B * Hkv, splits, G, 2] running max (log2 units) and sum
  unsigned* counters = nullptr; ///< [B * Hkv] blocks finished; the last one resets it to 0
  int splits = 1;
  int keys_per_split = 0;
};

/// Per-thread online-softmax state of one lane group: G heads, 8 dims per lane.
struct GroupState {
  float m[kGqaGroup];
  float l[kGqaGroup];
  float acc[kGqaGroup][8];
};

__device__ __forceinline__ void init_state(GroupState& st) {
#pragma unroll
  for (int h = 0; h < kGqaGroup; ++h) {
    st.m[h] = -INFINITY;
    st.l[h] = 0.f;
#pragma unroll
    for (int e = 0; e < 8; ++e) st.acc[h][e] = 0.f;
  }
}

/// Folds a tile of scores s[j][h] (log2 units, -inf for masked keys) and the matching V
/// chunks into the state: one max, one rescale and one exp per key per head.
template <class T>
__device__ __forceinline__ void online_update(GroupState& st, float (&s)[kKeysPerGroup][kGqaGroup],
                                              const uint4 (&vraw)[kKeysPerGroup]) {
#pragma unroll
  for (int h = 0; h < kGqaGroup; ++h) {
    float tile_max = s[0][h];
#pragma unroll
    for (int j = 1; j < kKeysPerGroup; ++j) tile_max = fmaxf(tile_max, s[j][h]);
    const float m_new = fmaxf(st.m[h], tile_max);
    // A group that has seen only masked keys keeps m = -inf; subtracting 0 instead of -inf
    // keeps every exponent -inf (weight 0) rather than NaN.
    const float m_use = m_new == -INFINITY ? 0.f : m_new;
    const float corr = exp2f(st.m[h] - m_use);
    float psum = 0.f;
#pragma unroll
    for (int j = 0; j < kKeysPerGroup; ++j) {
      s[j][h] = exp2f(s[j][h] - m_use);
      psum += s[j][h];
    }
    st.l[h] = st.l[h] * corr + psum;
    st.m[h] = m_new;
#pragma unroll
    for (int e = 0; e < 8; ++e) st.acc[h][e] *= corr;
  }
#pragma unroll
  for (int j = 0; j < kKeysPerGroup; ++j) {
    float vf[8];
    unpack8<T>(vraw[j], vf);
#pragma unroll
    for (int h = 0; h < kGqaGroup; ++h)
#pragma unroll
      for (int e = 0; e < 8; ++e) st.acc[h][e] += s[j][h] * vf[e];
  }
}

/// Log-sum-exp merge of `kGroups` partial softmax states held in shared memory (s_m, s_l:
/// [groups][G]; s_acc: [groups][G][D]) for output dimension d. Shared by the block-local
/// merges of v3/v4/v6 (lane groups) and v7/v8 (warps).
template <int kGroups>
__device__ __forceinline__ void merge_partials(const float* s_m, const float* s_l, const float* s_acc, int d,
                                               float (&M)[kGqaGroup], float (&L)[kGqaGroup], float (&A)[kGqaGroup]) {
#pragma unroll
  for (int h = 0; h < kGqaGroup; ++h) {
    M[h] = -INFINITY;
#pragma unroll
    for (int g = 0; g < kGroups; ++g) M[h] = fmaxf(M[h], s_m[g * kGqaGroup + h]);
    L[h] = 0.f;
    A[h] = 0.f;
#pragma unroll
    for (int g = 0; g < kGroups; ++g) {
      const float mg = s_m[g * kGqaGroup + h];
      const float w = mg == -INFINITY ? 0.f : exp2f(mg - M[h]);
      L[h] += w * s_l[g * kGqaGroup + h];
      A[h] += w * s_acc[(g * kGqaGroup + h) * kHeadDim + d];
    }
  }
}

/// A block's partial for slot `part`: dimension d's accumulator of the 4 heads, and (m, l) of
/// head h from thread h. Every split-K body stores its partial this way.
__device__ __forceinline__ void store_partial(const SplitArgs& sp, size_t part, int d, const float (&M)[kGqaGroup],
                                              const float (&L)[kGqaGroup], const float (&A)[kGqaGroup]) {
#pragma unroll
  for (int h = 0; h < kGqaGroup; ++h) {
    sp.partial_o[(part * kGqaGroup + h) * kHeadDim + d] = A[h];
    if (d == h) {
      sp.partial_ml[(part * kGqaGroup + h) * 2 + 0] = M[h];
      sp.partial_ml[(part * kGqaGroup + h) * 2 + 1] = L[h];
    }
  }
}

/// Merges the block's 8 lane groups, then writes the output (splits == 1) or this split's
/// partial and, if this block is the last of its (b, kvh) to finish, the combined output.
/// Must be called by all kThreads threads, with no shared-memory reads of `scratch` pending.
template <class T>
__device__ void finish_block(const GroupState& st, float* scratch, T* __restrict__ out, const SplitArgs& sp, int b,
                             int kvh, int Hq, int Hkv, int split) {
  const int tid = threadIdx.x, grp = tid / kLanesPerKey, lane16 = tid % kLanesPerKey;
  float* s_acc = scratch;                                       // [groups][G][D]
  float* s_m = scratch + kKeyGroups * kGqaGroup * kHeadDim;     // [groups][G]
  float* s_l = s_m + kKeyGroups * kGqaGroup;                    // [groups][G]
  unsigned* s_flag = reinterpret_cast<unsigned*>(s_l + kKeyGroups * kGqaGroup);

#pragma unroll
  for (int h = 0; h < kGqaGroup; ++h) {
    if (lane16 == 0) {
      s_m[grp * kGqaGroup + h] = st.m[h];
      s_l[grp * kGqaGroup + h] = st.l[h];
    }
#pragma unroll
    for (int e = 0; e < 8; ++e) s_acc[(grp * kGqaGroup + h) * kHeadDim + lane16 * 8 + e] = st.acc[h][e];
  }
  __syncthreads();

  const int d = tid;  // kThreads == kHeadDim
  float M[kGqaGroup], L[kGqaGroup], A[kGqaGroup];
  merge_partials<kKeyGroups>(s_m, s_l, s_acc, d, M, L, A);

  if (sp.splits == 1) {
#pragma unroll
    for (int h = 0; h < kGqaGroup; ++h)
      out[(static_cast<size_t>(b) * Hq + kvh * kGqaGroup + h) * kHeadDim + d] = Elem<T>::from_float(A[h] / L[h]);
    return;
  }

  const size_t bh = static_cast<size_t>(b) * Hkv + kvh;
  const size_t part = bh * sp.splits + split;
  store_partial(sp, part, d, M, L, A);
  // Publish the partial before counting this block as done (release) ...
  __threadfence();
  __syncthreads();
  if (tid == 0) {
    const unsigned finished = atomicAdd(sp.counters + bh, 1u) + 1u;
    *s_flag = finished == static_cast<unsigned>(sp.splits) ? 1u : 0u;
  }
  __syncthreads();
  if (*s_flag == 0u) return;
  __threadfence();  // ... and order the last block's reads after every other block's count (acquire).

  // The tail of the step: only the last block of each (b, kvh) runs it, so it must be short.
  // (m, l) of every split and head go to shared memory in one round trip; then a thread owns
  // one head and 4 dims (32 threads per head) and streams the partial accumulators with 16-byte
  // loads, up to 16 splits in flight, so 64 splits of 2 KiB cost a few L2 round trips.
  float* s_ml = scratch;  // [splits][G][2], over the accumulators (read before the barriers above)
  const float* ml = sp.partial_ml + bh * sp.splits * kGqaGroup * 2;
  for (int i = tid; i < sp.splits * kGqaGroup * 2; i += kThreads) s_ml[i] = load_coherent(ml + i);
  __syncthreads();
  constexpr int kThreadsPerHead = kThreads / kGqaGroup;
  const int h = tid / kThreadsPerHead, c = (tid % kThreadsPerHead) * 4;
  float m_all = -INFINITY;
  for (int s = 0; s < sp.splits; ++s) m_all = fmaxf(m_all, s_ml[(s * kGqaGroup + h) * 2]);
  float l_all = 0.f;
  float4 o = make_float4(0.f, 0.f, 0.f, 0.f);
  const float* po = sp.partial_o + (bh * sp.splits * kGqaGroup + h) * kHeadDim + c;
#pragma unroll 16
  for (int s = 0; s < sp.splits; ++s) {
    const float ms = s_ml[(s * kGqaGroup + h) * 2];
    const float w = ms == -INFINITY ? 0.f : exp2f(ms - m_all);  // an empty split weighs 0
    l_all += w * s_ml[(s * kGqaGroup + h) * 2 + 1];
    const float4 os = load_coherent4(po + static_cast<size_t>(s) * kGqaGroup * kHeadDim);
    o.x += w * os.x;
    o.y += w * os.y;
    o.z += w * os.z;
    o.w += w * os.w;
  }
  const float inv = 1.f / l_all;
  T* dst = out + (static_cast<size_t>(b) * Hq + kvh * kGqaGroup + h) * kHeadDim + c;
  dst[0] = Elem<T>::from_float(o.x * inv);
  dst[1] = Elem<T>::from_float(o.y * inv);
  dst[2] = Elem<T>::from_float(o.z * inv);
  dst[3] = Elem<T>::from_float(o.w * inv);
  if (tid == 0) sp.counters[bh] = 0u;  // every block of this (b, kvh) has counted: ready for the next launch
}

/// Split-K workspace owned by a Runner.
struct SplitWorkspace {
  lab::DeviceBytes partial_o, partial_ml, counters;
  SplitArgs args;
};

/// Allocates and zeroes the workspace for `plan` (outside any timed region).
/// tile_counters (v20, v22): a second counter per (sequence, KV head) after the tickets, at any split
/// count (v20: the next tile to hand out; v22: the partials published).
/// partials_per_split (v21): room for this many partials per split (one per warp) instead of one.
inline std::shared_ptr<SplitWorkspace> make_split_workspace(const Shape& s, const SplitPlan& plan,
                                                            bool tile_counters = false, int partials_per_split = 1) {
  auto ws = std::make_shared<SplitWorkspace>();
  const size_t bh = static_cast<size_t>(s.B) * s.Hkv;
  if (plan.splits > 1) {
    const size_t parts = bh * plan.splits * static_cast<size_t>(partials_per_split);
    ws->partial_o = lab::DeviceBytes(parts * kGqaGroup * kHeadDim * sizeof(float));
    ws->partial_ml = lab::DeviceBytes(parts * kGqaGroup * 2 * sizeof(float));
  }
  if (plan.splits > 1 || tile_counters) {
    ws->counters = lab::DeviceBytes((tile_counters ? 2 : 1) * bh * sizeof(unsigned));
    LABS_CHECK(cudaMemset(ws->counters.get(), 0, ws->counters.bytes()));
    LABS_CHECK(cudaDeviceSynchronize());
  }
  ws->args.partial_o = ws->partial_o.as<float>();
  ws->args.partial_ml = ws->partial_ml.as<float>();
  ws->args.counters = ws->counters.as<unsigned>();
  ws->args.splits = plan.splits;
  ws->args.keys_per_split = plan.keys_per_split;
  return ws;
}

/// Resident blocks per SM for `kernel` at kThreads threads and `smem` dynamic bytes, and
/// the SM count, both from the runtime.
template <class Kernel>
inline void occupancy_of(Kernel kernel, size_t smem, int* sms, int* blocks_per_sm) {
  int dev = 0;
  LABS_CHECK(cudaGetDevice(&dev));
  LABS_CHECK(cudaDeviceGetAttribute(sms, cudaDevAttrMultiProcessorCount, dev));
  LABS_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(blocks_per_sm, kernel, kThreads, smem));
  if (*blocks_per_sm < 1) *blocks_per_sm = 1;
}

}  // namespace decode02
#endif
