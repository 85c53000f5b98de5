/// @file lean_stream.cuh
/// The body of v17 and v18: one contiguous range of 16-key units per block across all
/// (sequence, KV head) pairs (lean_plan.hpp), streamed with the tensor-core body of
/// kernels/mma_stream.cuh (`stream_keys`) one segment per pair the range touches, and the pairs
/// shared by several blocks merged by v13's warp-per-head combine. The versions differ only in
/// where the ranges fall (`Ranges`: v17 equal real units with 64-bit arithmetic, v18 equal
/// units of a line with a switch cost before every pair, 32-bit arithmetic). NVIDIA only.
#pragma once

#include <limits>
#include <stdexcept>
#include <string>

#include "kernels/mma_stream.cuh"
#include "lean_plan.hpp"

#if LABS_GPU && defined(LABS_BACKEND_CUDA)
namespace decode02::lean_stream {

using mma_stream::kV7BlockKeys;
using mma_stream::kV7ScratchFloats;

/// v17's ranges: block b holds real units [b U / G, (b + 1) U / G) (lean_plan.hpp).
struct ExactRanges {
  LeanPlan plan;
  __device__ __forceinline__ int units_per_pair() const { return plan.units_per_pair; }
  __device__ __forceinline__ int begin(int b) const { return static_cast<int>(lean_unit_begin(plan, b)); }
  __device__ __forceinline__ int first_block(int pair) const {
    const int pair_u0 = pair * plan.units_per_pair;
    return lean_block_of_unit(plan, pair_u0);
  }
  __device__ __forceinline__ int last_block(int pair) const {
    const int pair_u0 = pair * plan.units_per_pair;
    return lean_block_of_unit(plan, pair_u0 + plan.units_per_pair - 1);
  }
};

/// v18's ranges: equal pieces of the virtual line with switch_units phantoms before each pair.
struct SwitchRanges {
  LeanSwitchPlan plan;
  __device__ __forceinline__ int units_per_pair() const { return plan.units_per_pair; }
  __device__ __forceinline__ int begin(int b) const { return lean_switch_begin(plan, b); }
  __device__ __forceinline__ int first_block(int pair) const { return lean_switch_first_block(plan, pair); }
  __device__ __forceinline__ int last_block(int pair) const { return lean_switch_last_block(plan, pair); }
};

/// One block = one contiguous range of real units, 4 warps; one segment per pair the range
/// touches. A pair inside one range is written directly; a shared one stores its partial in
/// slot block + pair (lean_slot), takes v9's acq_rel ticket, and the last of its segments
/// merges it after the range is streamed.
template <class T, class Ranges>
__device__ __forceinline__ void lean_stream_block(const T* __restrict__ q, const T* __restrict__ kc,
                                                  const T* __restrict__ vc, T* __restrict__ out, int S, int S_alloc,
                                                  int Hq, int Hkv, const Ranges& ranges, const SplitArgs& sp,
                                                  float scale_log2) {
  __shared__ __align__(16) float scratch[kV7ScratchFloats];
  __shared__ int s_last_of[2];  // pairs whose last segment this block streamed (written by thread 0)
  __shared__ int s_lasts;
  const int blk = blockIdx.x;
  const mma_stream::LaneIds id = mma_stream::lane_ids();
  const int d = id.tid;  // kThreads == kHeadDim
  const int upp = ranges.units_per_pair();
  // Unit indices fit 32 bits (prepare checks).
  const int u_stop = ranges.begin(blk + 1);
  int u = ranges.begin(blk);
  if (id.tid == 0) s_lasts = 0;
  // Each segment is derived from its first unit u, before and after it is streamed.
#pragma unroll 1
  while (u < u_stop) {
    float M[kGqaGroup], L[kGqaGroup], A[kGqaGroup];
    {
      const int pair = u / upp, pair_u0 = pair * upp;
      const int begin = (u - pair_u0) * kLeanUnitKeys;
      const int end = min(S, (min(u_stop, pair_u0 + upp) - pair_u0) * kLeanUnitKeys);
      const size_t bh = static_cast<size_t>(pair);
      mma_stream::stream_keys<T, kHintNone, 0>(id, q, pair / Hkv, pair % Hkv, Hq, kc + bh * S_alloc * kHeadDim,
                                               vc + bh * S_alloc * kHeadDim, begin, end,
                                               (end - begin + kV7BlockKeys - 1) / kV7BlockKeys, scale_log2, scratch,
                                               M, L, A);
    }
    const int pair = u / upp, pair_u0 = pair * upp;
    const int first = ranges.first_block(pair);
    const int segments = ranges.last_block(pair) - first + 1;
    u = min(u_stop, pair_u0 + upp);  // the next segment's first unit
    T* out_bh = out + (static_cast<size_t>(pair / Hkv) * Hq + (pair % Hkv) * kGqaGroup) * kHeadDim;
    if (segments == 1) {
#pragma unroll
      for (int h = 0; h < kGqaGroup; ++h) out_bh[h * kHeadDim + d] = Elem<T>::from_float(A[h] / L[h]);
      __syncthreads();  // the next segment writes scratch: every thread's reads of it are done
      continue;
    }
    store_partial(sp, static_cast<size_t>(lean_slot(blk, pair)), d, M, L, A);
    __syncthreads();  // every partial store before thread 0's release; scratch reads done
    if (id.tid == 0 && ticket_add_acq_rel(sp.counters + pair) + 1u == static_cast<unsigned>(segments))
      s_last_of[s_lasts++] = pair;
  }
  // The merges wait until the range is streamed. Only a range's first and last segments can
  // belong to a pair with more than one segment, so a block merges at most two pairs. Inside the
  // streaming loop, v13's combine made ptxas spill ~350 bytes (168 registers); out here it
  // does not (157), and the first pair's merge no longer holds up the rest of the range. The
  // barrier also carries thread 0's acquire (its ticket) to every thread's partial loads.
  __syncthreads();
#pragma unroll 1
  for (int i = 0; i < s_lasts; ++i) {
    const int pair = s_last_of[i];
    const int first = ranges.first_block(pair);
    // The pair's slots first + pair .. are one contiguous run, read as the splits of one
    // (sequence, KV head) by v13's combine.
    SplitArgs mine = sp;
    const size_t slot0 = static_cast<size_t>(lean_slot(first, pair));
    mine.partial_o = sp.partial_o + slot0 * kGqaGroup * kHeadDim;
    mine.partial_ml = sp.partial_ml + slot0 * kGqaGroup * 2;
    mine.splits = ranges.last_block(pair) - first + 1;
    float l_all;
    float4 acc;
    combine_warp_per_head(mine, 0, id.warp, id.lane, l_all, acc);
    T* out_bh = out + (static_cast<size_t>(pair / Hkv) * Hq + (pair % Hkv) * kGqaGroup) * kHeadDim;
    store_combined(out_bh + id.warp * kHeadDim + id.lane * 4, acc, l_all, sp.counters + pair, id.tid == 0);
  }
}

/// The runner of a lean version: `kernel` (its own __global__ over lean_stream_block) on
/// `blocks` blocks, a workspace of blocks + pairs partial slots, and `details` for the row
/// (--splits does not apply: the rows carry no "splits", so the lab's split sweep skips it).
template <class T, class Ranges, class Kernel>
void prepare_runner(const DeviceProblem& p, Runner& r, Kernel kernel, const Ranges& ranges, int blocks, int pairs,
                    nlohmann::json details) {
  const Shape s = p.shape;
  SplitPlan slots;  // blocks + pairs slots (lean_slot), as pairs x ceil(slots / pairs)
  slots.splits = (blocks + 2 * pairs - 1) / pairs;
  auto ws = make_split_workspace(s, slots);
  const SplitArgs sp = ws->args;
  r.workspace = ws;
  r.details = std::move(details);
  r.launch = [p, s, sp, ranges, blocks, kernel](cudaStream_t stream) {
    kernel<<<blocks, kThreads, 0, stream>>>(static_cast<const T*>(p.q), static_cast<const T*>(p.k),
                                            static_cast<const T*>(p.v), static_cast<T*>(p.out), s.S, s.S_alloc, s.Hq,
                                            s.Hkv, ranges, sp, softmax_scale_log2(s.D));
    LABS_CHECK_LAUNCH();
  };
}

}  // namespace decode02::lean_stream
#endif
