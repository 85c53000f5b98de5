/// @file v35_x_first.cu
/// v35 — v33 with x's first loads issued before the weight copies (kernels/owned_lean.cuh,
/// kXFirst): each thread loads its first batch of x chunks (up to 4 x 16 bytes: at M = 1 all of x
/// at K = 4096 on 4 warps, 4 of 7 chunks at K = 14336 on 8) into registers, then fills its warp's
/// ring, then stores and sums the batch and stages the rest as v33 does. Same loads, same layout,
/// same order of additions: the output is bitwise v33's.
///
/// Why: in v33's source view (GPU call of 2026-12-02 15:10 UTC, commit f77dfd7) 20% of the stall
/// samples (302 of 1,486) sit on one instruction, the first use of the x staging's loads, which
/// v26, v31 and v33 issue after every warp's 4-unit ring fill: the x requests leave the SM behind
/// ~4 KB of weight copies per warp. The probes put the x staging at +0.83 us in v31 on 8b-gate and
/// +2.24 us in v26 on 8b-down (README section 4).
///
/// PREDICTION (before measuring; bf16, cold, M = 1): the x loads wait for an L2 hit instead of the
/// queue: 8b-gate 15.3 -> ~14.8 us (most of v31's 0.83 us of staging), 8b-down 15.7 -> ~14.7 (about half
/// of v26's 2.24: only 4 of 7 chunks go first). A register cost: the batch (16 registers for the
/// data, up to 8 for its rows and groups) lives across
/// the ring fill; if ptxas spills under the 64-register bound, slower.
///
/// MEASURED (run 20261202T155401Z-9049, commit e4ae6cd, beside v26, v31, v33 and cuBLAS; README
/// section 4): better than predicted. 8b-gate 13.46 us (v33 16.16, v31 15.31; 2.56x cuBLAS bf16,
/// 84.5% of the read kernel's speed), 8b-down 14.40 (v26 15.71; 2.31x), 8b-o 7.34, 8b-qkv 8.69; faster
/// than v33 on all nine layers at M = 1 (3-17%) and M = 2 (5-12%). ncu on 8b-gate: 12.00 us against
/// v33's 14.62 with the same instructions (5.83 M vs 5.90 M); the x stall is gone from the source
/// view. No spills at 64 registers.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v31,v33,v35 --dtype bf16 --wfmt int4-sym --m 1,2
#include <stdexcept>

#include "kernels/owned_lean.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

Step prepare_v35(const Problem& p) { return owned::prepare_owned<true>(p, "v35"); }

#else

Step prepare_v35(const Problem&) { throw std::invalid_argument("v35 uses mma.sync and cp.async (NVIDIA only)"); }

#endif

Version make_version() {
  Version v;
  v.info.id = "v35";
  v.info.idea = "v33 with x's first loads issued before the weight copies (they no longer queue behind the ring fill)";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym};
  v.max_m = 8;
  v.kernel_regex = "w4_owned";
  v.prepare = prepare_v35;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
