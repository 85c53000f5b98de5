/// @file v18_switch_cost.cu v17 with a cost on switching pairs: each pair after the first is preceded by phantom units on the line that the ranges cut, so a range that crosses a boundary carries fewer real keys; and 32-bit range arithmetic with no 64-bit division.
///
/// **Why: v17's measured lesson.** v17 (one equal range of keys per block across all pairs)
/// lost to v13 at nine of ten bf16 shapes (run 20261202T110100Z-35b5 at a83e51e): +0.67 us
/// at (1, 512) and +1.25 at (1, 4096), where its ranges are *exactly* v13's splits (32 and 256
/// blocks of 128 keys), and +3.18 / +3.04 us at (8, 4096) / (1, 32768), where the ranges are
/// 3% shorter than v13's longest. Two costs, our reading:
/// - a fixed one, the same decomposition being slower: lean_unit_begin is a 64-bit division
///   (a ~70-instruction subroutine) twice before the first load is issued, and
///   lean_block_of_unit twice more after the last tile, before the partial is stored;
/// - a crossing one: a block whose range crosses into the next pair stops streaming (merge,
///   barrier, partial, ticket), then loads the next pair's q and waits for its first tile:
///   two or three round trips (~2 us) in which its 4 warps have nothing in flight. Every
///   other block is done by then, and the kernel ends with its slowest block. v13 has no
///   crossing block; v17 has 63 at (8, 4096) and 7 at (1, 32768), and one is enough.
///
/// **What changed from v17.** The plan (lean_plan.hpp, LeanSwitchPlan): the line that is cut
/// into equal ranges has `switch_units` phantom units before every pair but the first
/// (default 4, ~2 us of a block's streaming at the 128 MiB shapes: a range of ~62 units takes
/// ~32 us there); DECODE02_LEAN_SWITCH_UNITS picks 0-16 for a sweep (0: v17's range lengths,
/// the long ones first, with v18's arithmetic). Ranges are b q + min(b, r) and a block's first and last real units come
/// from two 32-bit divisions; the kernel itself is v17's (kernels/lean_stream.cuh).
///
/// **Prediction (written before measuring).** Against v13 and v17 in the same run, bf16:
/// - (1, 512), (1, 4096): v17's fixed cost gone, within +-0.3 us of v13 (the same ranges);
/// - (8, 4096), (1, 32768): if the crossing is the 2-3 us v17 lost, with 4 phantom units
///   v18 is 0.5-1 us *faster* than v13 (the balance v17 was built for: ~36.0-36.3 us at
///   (8, 4096), 87-88% of copy); the sweep of 0, 2, 4, 8 should show the time fall from 0
///   and flatten near the bubble's size;
/// - (32, 512), (32, 4096): still behind v13, which needs no combine there (256 pairs on 264
///   blocks: nearly every range crosses once): +2-4 us at (32, 512), +1-3% at (32, 4096).
///
/// **MEASURED** (run 20261202T111114Z-88c4 at afbb388, v13 and v17 in the same run; the sweep in
/// runs …111119Z-0412, …111120Z-26d2, …111121Z-6238, …111121Z-960c; bf16): neither prediction.
/// (1, 512) 10.32 and (1, 4096) 13.68 us against v13's 8.83 and 11.87 (worse than v17: 4
/// phantom units are half of these 128-key ranges); with 0 phantom units (1, 4096) 12.83, so the
/// 32-bit arithmetic saved ~0.3 us of v17's ~1.3. (8, 4096) 40.26 vs 37.46 and (1, 32768)
/// 41.23 vs 37.92; the sweep 0/2/4/8/16 gives 40.05/40.50/40.26/39.30/40.21 and
/// 41.25/41.15/41.23/40.91/40.96 us, every setting 2-3 us behind v13. Corrections to the reasoning
/// above, from the plan and the ncu source view: v17's 64-bit division routine is compiled but
/// never called (the operands fit 32 bits, and the compiler's fast path is taken), and v17's
/// crossing blocks number 56 at (8, 4096) and none at (1, 32768), not 63 and 7. memcheck and
/// racecheck clean at --quick --check-only.
///
/// **Run.** `build/cuda/topics/02-decode-attention/lab-02-decode-attention --variant v13,v17,v18 --layout contiguous --dtype bf16`;
/// the sweep: `DECODE02_LEAN_SWITCH_UNITS=8 build/cuda/.../lab-02-decode-attention --variant v18 ...`
#include <cstdlib>
#include <string>

#include "kernels/lean_stream.cuh"

#if LABS_GPU
namespace decode02 {
namespace {

/// The phantom units per pair: 4, or DECODE02_LEAN_SWITCH_UNITS (0-16); anything else is an error.
int switch_units() {
  const char* e = std::getenv("DECODE02_LEAN_SWITCH_UNITS");
  if (!e || !*e) return 4;
  const std::string v(e);
  for (int c = 0; c <= 16; ++c)
    if (v == std::to_string(c)) return c;
  throw std::invalid_argument("DECODE02_LEAN_SWITCH_UNITS=" + v + ": expected 0-16 (16-key units per pair switch)");
}

#if defined(LABS_BACKEND_CUDA)
template <class T>
__global__ void __launch_bounds__(kThreads, 3)
    v18_switch_kernel(const T* __restrict__ q, const T* __restrict__ kc, const T* __restrict__ vc, T* __restrict__ out,
                      int S, int S_alloc, int Hq, int Hkv, lean_stream::SwitchRanges ranges, SplitArgs sp,
                      float scale_log2) {
  lean_stream::lean_stream_block(q, kc, vc, out, S, S_alloc, Hq, Hkv, ranges, sp, scale_log2);
}

template <class T>
void prepare_typed(const DeviceProblem& p, Runner& r, int asked) {
  const Shape s = p.shape;
  auto kernel = v18_switch_kernel<T>;
  int sms = 0, per_sm = 0;
  occupancy_of(kernel, 0, &sms, &per_sm);
  bool fits = false;
  const LeanSwitchPlan plan = plan_lean_switch(s.B, s.Hkv, s.S, sms, per_sm, asked, &fits);
  if (!fits) throw std::invalid_argument("v18: the unit line does not fit its 32-bit range arithmetic");
  lean_stream::prepare_runner<T>(p, r, kernel, lean_stream::SwitchRanges{plan}, plan.blocks, plan.pairs,
                                 {{"blocks", plan.blocks},
                                  {"units_per_block", plan.q},
                                  {"unit_keys", kLeanUnitKeys},
                                  {"switch_units", plan.switch_units},
                                  {"blocks_per_sm", per_sm},
                                  {"sms", sms}});
}
#endif  // LABS_BACKEND_CUDA

Runner prepare_v18(const DeviceProblem& p) {
  const Shape s = p.shape;
#if defined(LABS_BACKEND_CUDA)
  mma_stream::validate_unhinted(s, "v18");
  const int asked = switch_units();
  Runner r;
  dispatch_dtype(s.dtype, [&](auto tag) { prepare_typed<typename decltype(tag)::type>(p, r, asked); });
  return r;
#else
  (void)s;
  (void)switch_units;
  throw std::runtime_error("v18 uses mma.sync and PTX atomics (NVIDIA sm_80+); it has no HIP build");
#endif
}

DecodeVersion make_v18() {
  DecodeVersion v;
  v.info.id = "v18";
  v.info.idea = "v17 with a switch cost: ranges that cross into another pair carry fewer keys; 32-bit range arithmetic";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.layouts = {Layout::contiguous};
  v.kernel_regex = "v18_switch_kernel";
  v.prepare = &prepare_v18;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(DecodeVersion, (make_v18()))

}  // namespace decode02
#endif
