/// @file v54_x_copied_through_l1.cu
/// v54 — v53 with x's copies allocating in L1 (`cp.async.ca`, kernels/owned_lean.cuh,
/// XCopy::through_l1) instead of `.cg`, which reads through L2 only. Nothing else changes: the
/// same chunks per thread, the same quad transpose and sums; bitwise v53's and v35's output (GPU
/// test).
///
/// Why: v53 lost to v35 everywhere (run 20261203T203316Z-75a7). ncu gave two candidates, more
/// instructions (+14% at M = 1 on 8b-gate) and more L2 traffic (55.9 against 47.3 MB at M = 2):
/// v35 loads x with ordinary loads, which allocate in L1, so of the 8 blocks an SM holds at 4 warps
/// only the first fetches x from L2; v53's `.cg` copies fetch it 8 times. v54 removes the second
/// cost alone, so what is left of v53's loss is the instructions.
///
/// PREDICTION (before measuring; bf16, int4-sym, cold; v35 and v53 of run 20261203T203316Z-75a7):
/// between v53 and v35. M = 1: 8b-gate 14.48 (v53) -> ~13.8 (v35 13.36): the L2 share of the loss
/// goes, the instructions stay; M = 2: 8b-gate 20.22 -> ~18.8 (v35 18.05). Still no gain over v35:
/// the premise that x waits behind the weights failed with v53. Kept as the measurement that
/// splits v53's loss between L1 and instructions.
///
/// MEASURED (H200, bf16, int4-sym, cold; GPU call at a264736, run 20261203T211027Z-a4e4, v35 and
/// v53 in the same run; README section 4, "v53, v54"): half right. At M = 2-4 v54 is faster than
/// v53 at all 26 points (0.35-3.12 us; 8b-gate M = 2 18.22 against 20.48) but still slower than
/// v35 at every one (8b-gate M = 2 18.22 against 17.70; +0.35 to +42.7 us). At M = 1 it is level
/// with v53 (v54 - v53 from -0.10 to +0.45 us, the bands overlapping at all nine layers; 8b-gate
/// 14.56 against 14.66), not the predicted ~13.8, and as far behind v35 (13.31; the bands overlap
/// at five layers). ncu on 8b-gate (same call, L2
/// flushed): L1's hit rate is back to v35's (16.66% / 27.84% at M = 1 / 2, v53 0.05% / 0.08%), so
/// is the L2 traffic (46.80 MB at M = 1), and the instructions are v53's (6.63 M against v35's
/// 5.83 M at M = 1); time 13.50 / 17.06 us against v53's 13.15 / 19.01 and v35's 12.54 / 16.64.
/// So fetching x from L2 eight times was more than half of v53's loss at M = 2 on six of the nine
/// layers and at M = 3-4 on 8b-qkv, 8b-o and 8b-gate (51-81%), 3-44% of it on the gate+up layers
/// and 70b-down, and none of it at M = 1, where what is left goes with the extra instructions (by our reading: they run in every
/// block's prologue, before its first mma, in a one-wave grid). Bitwise v35's output (GPU test);
/// compute-sanitizer memcheck and racecheck clean (M = 1-3).
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v35,v53,v54 --dtype bf16 --wfmt int4-sym --m 1,2,4
#include <stdexcept>

#include "kernels/owned_lean.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

Step prepare_v54(const Problem& p) { return owned::prepare_owned<false, owned::XCopy::through_l1>(p, "v54"); }

#else

Step prepare_v54(const Problem&) { throw std::invalid_argument("v54 uses mma.sync and cp.async (NVIDIA only)"); }

#endif

Version make_version() {
  Version v;
  v.info.id = "v54";
  v.info.idea = "v53 with x's copies through L1 (cp.async.ca): the SM's other blocks hit L1 for x, as v35's loads do";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym};
  v.max_m = 8;
  v.kernel_regex = "w4_owned";
  v.prepare = prepare_v54;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
