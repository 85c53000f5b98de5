/// @file v17_lean_ranges.cu v13's body and combine with the work cut as one equal range of keys per block over all (sequence, KV head) pairs laid end to end ("stream-K", as in Lean Attention): every SM streams the same bytes.
///
/// **What changed from v13.** Only who streams which keys (lean_plan.hpp). v4-v16 cut each
/// (sequence, KV head) into equal splits, so every *block* has the same keys, but 256 blocks
/// on 132 SMs is 124 SMs with two and 8 with one: the busiest SMs stream 2048 keys at
/// (8, 4096) and (1, 32768) where the mean is 1986. v17 launches one wave of 2 x SMs = 264
/// blocks and gives block b the 16-key units [b U / 264, (b + 1) U / 264) of all U units of
/// all pairs: 62 or 63 units, 992 or 1008 keys, on every SM. A range that crosses from one
/// pair into the next is streamed as two *segments* (the body of kernels/mma_stream.cuh,
/// `stream_keys`, once per segment, q reloaded); each segment of a pair that has more than
/// one stores its partial in slot block + pair, takes v9's acq_rel ticket, and the last of the
/// pair's segments merges them with v13's warp-per-head combine. A pair inside one block's
/// range is written directly.
///
/// **Prediction (written before measuring).** Against v13 in the same run, bf16:
/// - (8, 4096) and (1, 32768): the busiest SM's keys fall 3% (2048 -> 1986-2016 with the
///   unit rounding); if the streaming time follows the busiest SM, 2-3% faster, ~36.0 us at
///   (8, 4096) (87.7% of copy) and ~36.5 at (1, 32768); the extra segments (64 of the 264
///   blocks cross a pair boundary; 8 at (1, 32768)) cost a q load and a barrier each, ~0.1 us.
/// - (32, 4096): v13 runs one split per pair there (no combine); v17 splits every pair in two
///   or three segments and adds 256 combines: within +-1% (the 512 MiB shapes stream at
///   what HBM gives, 102% of copy; balance cannot help there).
/// - (1, 512), (8, 512): the same 128-key ranges as v13's 4 splits, within the noise.
/// - Paged: not attempted (v15 is v11's paged body).
/// If the 3% shows up at the two 128 MiB shapes, the 88% target is met at (8, 4096) and
/// within ~0.5 us at (1, 32768); if not, the imbalance was not what the gap to the read kernel
/// is made of.
///
/// **Run.** `build/cuda/topics/02-decode-attention/lab-02-decode-attention --variant v13,v17 --layout contiguous --dtype bf16`
#include <limits>
#include <stdexcept>

#include "kernels/mma_stream.cuh"
#include "lean_plan.hpp"

#if LABS_GPU
namespace decode02 {
namespace {

#if defined(LABS_BACKEND_CUDA)
using mma_stream::kV7BlockKeys;
using mma_stream::kV7ScratchFloats;

/// One block = one contiguous range of units of the lean plan, 4 warps; one segment per pair
/// the range touches (see the file comment).
template <class T>
__global__ void __launch_bounds__(kThreads, 3)
    v17_lean_kernel(const T* __restrict__ q, const T* __restrict__ kc, const T* __restrict__ vc, T* __restrict__ out,
                    int S, int S_alloc, int Hq, int Hkv, LeanPlan plan, SplitArgs sp, float scale_log2) {
  __shared__ __align__(16) float scratch[kV7ScratchFloats];
  __shared__ int s_last_of[2];  // pairs whose last segment this block streamed (written by thread 0)
  __shared__ int s_lasts;
  const int blk = blockIdx.x;
  const mma_stream::LaneIds id = mma_stream::lane_ids();
  const int d = id.tid;  // kThreads == kHeadDim
  // Unit indices fit 32 bits (the plan's units are B * Hkv * S / 16); only the range ends
  // need a 64-bit product.
  const int u_stop = static_cast<int>(lean_unit_begin(plan, blk + 1));
  int u = static_cast<int>(lean_unit_begin(plan, blk));
  if (id.tid == 0) s_lasts = 0;
  // Each segment is derived from its first unit u, before and after it is streamed.
#pragma unroll 1
  while (u < u_stop) {
    float M[kGqaGroup], L[kGqaGroup], A[kGqaGroup];
    {
      const int pair = u / plan.units_per_pair, pair_u0 = pair * plan.units_per_pair;
      const int begin = (u - pair_u0) * kLeanUnitKeys;
      const int end = min(S, (min(u_stop, pair_u0 + plan.units_per_pair) - pair_u0) * kLeanUnitKeys);
      const size_t bh = static_cast<size_t>(pair);
      mma_stream::stream_keys<T, kHintNone, 0>(id, q, pair / Hkv, pair % Hkv, Hq, kc + bh * S_alloc * kHeadDim,
                                               vc + bh * S_alloc * kHeadDim, begin, end,
                                               (end - begin + kV7BlockKeys - 1) / kV7BlockKeys, scale_log2, scratch,
                                               M, L, A);
    }
    const int pair = u / plan.units_per_pair, pair_u0 = pair * plan.units_per_pair;
    const int first = lean_block_of_unit(plan, pair_u0);
    const int segments = lean_block_of_unit(plan, pair_u0 + plan.units_per_pair - 1) - first + 1;
    u = min(u_stop, pair_u0 + plan.units_per_pair);  // the next segment's first unit
    T* out_bh = out + (static_cast<size_t>(pair / Hkv) * Hq + (pair % Hkv) * kGqaGroup) * kHeadDim;
    if (segments == 1) {
#pragma unroll
      for (int h = 0; h < kGqaGroup; ++h) out_bh[h * kHeadDim + d] = Elem<T>::from_float(A[h] / L[h]);
      __syncthreads();  // the next segment writes scratch: every thread's reads of it are done
      continue;
    }
    const size_t part = static_cast<size_t>(lean_slot(blk, pair));
#pragma unroll
    for (int h = 0; h < kGqaGroup; ++h) {
      sp.partial_o[(part * kGqaGroup + h) * kHeadDim + d] = A[h];
      if (d == h) {
        sp.partial_ml[(part * kGqaGroup + h) * 2 + 0] = M[h];
        sp.partial_ml[(part * kGqaGroup + h) * 2 + 1] = L[h];
      }
    }
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
    const int pair = s_last_of[i], pair_u0 = pair * plan.units_per_pair;
    const int first = lean_block_of_unit(plan, pair_u0);
    // The pair's slots first + pair .. are one contiguous run, read as the splits of one
    // (sequence, KV head) by v13's combine.
    SplitArgs mine = sp;
    const size_t slot0 = static_cast<size_t>(lean_slot(first, pair));
    mine.partial_o = sp.partial_o + slot0 * kGqaGroup * kHeadDim;
    mine.partial_ml = sp.partial_ml + slot0 * kGqaGroup * 2;
    mine.splits = lean_block_of_unit(plan, pair_u0 + plan.units_per_pair - 1) - first + 1;
    float l_all;
    float4 acc;
    combine_warp_per_head(mine, 0, id.warp, id.lane, l_all, acc);
    T* out_bh = out + (static_cast<size_t>(pair / Hkv) * Hq + (pair % Hkv) * kGqaGroup) * kHeadDim;
    store_combined(out_bh + id.warp * kHeadDim + id.lane * 4, acc, l_all, sp.counters + pair, id.tid == 0);
  }
}

template <class T>
void prepare_typed(const DeviceProblem& p, Runner& r) {
  const Shape s = p.shape;
  auto kernel = v17_lean_kernel<T>;
  int sms = 0, per_sm = 0;
  occupancy_of(kernel, 0, &sms, &per_sm);
  // --splits does not apply: the rows carry no "splits", so a split sweep skips v17.
  const LeanPlan plan = plan_lean(s.B, s.Hkv, s.S, sms, per_sm);
  if (lean_units(plan) > std::numeric_limits<int>::max())
    throw std::invalid_argument("v17: more than 2^31 16-key units (its range arithmetic is 32-bit)");
  // Workspace for blocks + pairs partial slots (lean_slot), as pairs x ceil(slots / pairs).
  SplitPlan slots;
  slots.splits = (plan.blocks + 2 * plan.pairs - 1) / plan.pairs;
  auto ws = make_split_workspace(s, slots);
  const SplitArgs sp = ws->args;
  r.workspace = ws;
  r.details = {{"blocks", plan.blocks},
               {"units_per_block", static_cast<double>(lean_units(plan)) / plan.blocks},
               {"unit_keys", kLeanUnitKeys},
               {"blocks_per_sm", per_sm},
               {"sms", sms}};
  r.launch = [p, s, sp, plan, kernel](cudaStream_t stream) {
    kernel<<<plan.blocks, kThreads, 0, stream>>>(static_cast<const T*>(p.q), static_cast<const T*>(p.k),
                                                 static_cast<const T*>(p.v), static_cast<T*>(p.out), s.S, s.S_alloc,
                                                 s.Hq, s.Hkv, plan, sp, softmax_scale_log2(s.D));
    LABS_CHECK_LAUNCH();
  };
}
#endif  // LABS_BACKEND_CUDA

Runner prepare_v17(const DeviceProblem& p) {
  const Shape s = p.shape;
#if defined(LABS_BACKEND_CUDA)
  mma_stream::validate_unhinted(s, "v17");
  Runner r;
  dispatch_dtype(s.dtype, [&](auto tag) { prepare_typed<typename decltype(tag)::type>(p, r); });
  return r;
#else
  (void)s;
  throw std::runtime_error("v17 uses mma.sync and PTX atomics (NVIDIA sm_80+); it has no HIP build");
#endif
}

DecodeVersion make_v17() {
  DecodeVersion v;
  v.info.id = "v17";
  v.info.idea = "v13's body and combine over equal key ranges across all (sequence, KV head) pairs: every SM the same bytes";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.layouts = {Layout::contiguous};
  v.kernel_regex = "v17_lean_kernel";
  v.prepare = &prepare_v17;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(DecodeVersion, (make_v17()))

}  // namespace decode02
#endif
