/// @file v33_owned_issue.cu
/// v33 — v26/v31's block-owned kernel written for block ownership (kernels/owned_lean.cuh): the
/// same block per super-tile, K split, x staging, decode, mma and reduction order, without the
/// stream-K bookkeeping it was compiled from, and 4 or 8 warps per block by the layer's group
/// count (4 up to G = 64, as v31; 8 above, as v26). Its output is bitwise v31's (G <= 64) or
/// v26's (G > 64).
///
/// Why: the probes (kernels/probe_lean_skeleton.cu; run 20261202T150444Z, commit 8b843ca, bf16,
/// cold, M = 1) split v31's 15.33 us on 8b-gate into 11.84 for its loads alone (the read kernel of
/// the same 30.3 MB: 11.28 in the same call), +0.83 for the x staging and +2.66 for the decode,
/// the mma and the accumulation; and v26's 15.79 us on 8b-down into 12.00 + 2.24 + 1.55. What
/// the compute costs is instructions: ncu counts 6.72 M warp instructions for v31 on 8b-gate
/// (issue slots busy 49%), 699 per warp outside the loop (2.5 M, 37%) and ~145 per unit inside
/// it (4.15 M). Of the 145, the decode is 56 (7 per word: 3 shifts, 4 lop3) and the mma 8; about
/// 45 issue the next unit's copies through a stream-K range's logic (a super-tile wrap test,
/// "is this unit live" selects for every copy, the scale byte count recomputed), and ~100 of the
/// 699 find the range with three runtime divisions. A block-owned range needs none of that.
///
/// PREDICTION (before measuring; bf16, cold, M = 1): ~30 fewer instructions per unit and ~250
/// fewer per warp: 6.72 M -> ~5.0 M on 8b-gate (-25%). v26 -> v31 took 19% of the instructions
/// and 14% of the ncu time, so ~-15-18% of the compute-bound part: 8b-gate 15.3 -> ~13.5 us,
/// 8b-down 15.8 -> ~14.5, 8b-o 8.6 -> ~8.0, 8b-qkv 10.3 -> ~9.5. The loads alone (~11.8-12.0) stay
/// the floor of this design.
///
/// MEASURED (run 20261202T151015Z-dc96, commit f77dfd7, beside v26 and v31; README section 4): the
/// premise "the compute costs instructions" did not hold. ncu's source view on 8b-gate: 5.90 M
/// instructions against v31's 6.72 M (-12%, not -25%: ~107 per unit instead of ~145, but 776 per
/// warp outside the loop instead of 699), 14.62 us against 14.46. Lab medians against the twin:
/// 8b-gate 15.94 vs 15.22 (+4.7%), 70b-qkv +3.5%, 70b-o and 70b-down +2.2%, 8b-o -1.4% and 8b-gateup
/// -1.2% (bands overlapping), 70b-gateup -1.6% (bands apart). 20% of its stall samples wait on the
/// first use of the x staging's loads. Kept as the measurement that this kernel is bound by its
/// chain of waits, not by issue (exercise 17).
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v26,v31,v33 --dtype bf16 --wfmt int4-sym --m 1,2
#include <stdexcept>

#include "kernels/owned_lean.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

Step prepare_v33(const Problem& p) { return owned::prepare_owned(p, "v33"); }

#else

Step prepare_v33(const Problem&) { throw std::invalid_argument("v33 uses mma.sync and cp.async (NVIDIA only)"); }

#endif

Version make_version() {
  Version v;
  v.info.id = "v33";
  v.info.idea = "v26/v31's block-owned kernel without the stream-K bookkeeping: a shift for the range, lean copies, 4 or 8 warps by G";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym};
  v.max_m = 8;
  v.kernel_regex = "w4_owned";
  v.prepare = prepare_v33;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
