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
/// **MEASURED** (run 20261202T110100Z-35b5 at a83e51e, v13 and v16 in the same run, bf16,
/// medians): slower than v13 at nine of ten shapes. (8, 4096) 40.00 vs 36.82 us (+3.18, 78.9%
/// of copy), (1, 32768) 40.38 vs 37.34 (+3.04); (1, 512) +0.67 and (1, 4096) +1.25, where the
/// ranges are exactly v13's splits; (32, 512) +4.13 and (32, 4096) +6.08 (v13 has no combine
/// there); (1, 131072) 127.44 vs 127.62, a tie. fp16 the same signs (+2.2-2.5 us at the
/// targets). The prediction was wrong in sign, and its counts of crossing blocks were wrong too:
/// 56 at (8, 4096) and none at (1, 32768), where 264 ranges fall exactly 33 to a pair. v18's
/// file names two candidate costs; v18 measured them as at most a third of the loss (README
/// §2). memcheck and racecheck clean at --quick --check-only. The kernel body moved to kernels/lean_stream.cuh
/// afterwards (for v18); that build's SASS is not byte-identical (same size), so v17 was
/// measured again beside v18.
///
/// **Run.** `build/cuda/topics/02-decode-attention/lab-02-decode-attention --variant v13,v17 --layout contiguous --dtype bf16`
#include "kernels/lean_stream.cuh"

#if LABS_GPU
namespace decode02 {
namespace {

#if defined(LABS_BACKEND_CUDA)
template <class T>
__global__ void __launch_bounds__(kThreads, 3)
    v17_lean_kernel(const T* __restrict__ q, const T* __restrict__ kc, const T* __restrict__ vc, T* __restrict__ out,
                    int S, int S_alloc, int Hq, int Hkv, lean_stream::ExactRanges ranges, SplitArgs sp,
                    float scale_log2) {
  lean_stream::lean_stream_block(q, kc, vc, out, S, S_alloc, Hq, Hkv, ranges, sp, scale_log2);
}

template <class T>
void prepare_typed(const DeviceProblem& p, Runner& r) {
  const Shape s = p.shape;
  auto kernel = v17_lean_kernel<T>;
  int sms = 0, per_sm = 0;
  occupancy_of(kernel, 0, &sms, &per_sm);
  const LeanPlan plan = plan_lean(s.B, s.Hkv, s.S, sms, per_sm);
  if (lean_units(plan) > std::numeric_limits<int>::max())
    throw std::invalid_argument("v17: more than 2^31 16-key units (its range arithmetic is 32-bit)");
  lean_stream::prepare_runner<T>(p, r, kernel, lean_stream::ExactRanges{plan}, plan.blocks, plan.pairs,
                                 {{"blocks", plan.blocks},
                                  {"units_per_block", static_cast<double>(lean_units(plan)) / plan.blocks},
                                  {"unit_keys", kLeanUnitKeys},
                                  {"blocks_per_sm", per_sm},
                                  {"sms", sms}});
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
