/// @file v29_even_splits.cu
/// v29 — v24 with splits that divide K's groups evenly: the split rule's count moved to the
/// nearest divisor of G (even_groups_per_split in kernels/mma_lean.cuh), so no split is a short
/// remainder. The kernels are v24's (MmaLeanFeatures of version 29: 8 warps, 128 columns).
///
/// Why: v24's `--splits` sweep at M = 16 (GPU call of 2026-12-02 04:52, commit ca60c8a, journal
/// lines 11326-11379) has 8b-down (G = 112) at 22.21 us with 8 splits and 22.54 with 16, against
/// 25.01 at the rule's 11 (clamp(G / 8, 4, 11) groups per block: ceil(112 / 11) = 11 splits whose
/// last holds 2 groups). Half as many column blocks as v21 (32 on 8b-down) leave too few blocks
/// to hide a short last split: the column block's tail waits for its longest split, which is
/// 11 groups where an even split of the same count would be ~10.2. On the nine Llama layers the
/// rules' counts divide G everywhere except at M = 16 on 8b-down (11 -> 8) and 70b-down (21 ->
/// 16, G = 224; the sweep: 66.38 us at 16 against 65.81 at the rule's 21, a tie).
///
/// PREDICTION (before measuring; bf16, int4-sym, cold): v24's rows everywhere within noise except
/// 8b-down M = 16, 25.0 -> ~22.2 us (the sweep's row: ~1.5x cuBLAS bf16, from 1.34x), and 70b-down
/// M = 16 within ~1% of v24. This is a plan change for two rows, kept as a version so that the
/// rows say which rule made them.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v24,v29 --dtype bf16 --wfmt int4-sym --m 16
#include <stdexcept>

#include "kernels/mma_lean.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

Step prepare_v29(const Problem& p) { return mma_lean::prepare_mma_lean<29>(p, "v29"); }

#else

Step prepare_v29(const Problem&) { throw std::invalid_argument("v29 uses mma.sync and ldmatrix (NVIDIA only)"); }

#endif

Version make_version() {
  Version v;
  v.info.id = "v29";
  v.info.idea = "v24 with the split count moved to the nearest one that divides G (no short last split)";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym, WFormat::int4_asym};
  v.kernel_regex = "w4_mma_lean";
  v.takes_splits = true;
  v.prepare = prepare_v29;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
