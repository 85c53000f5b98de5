/// @file v50_dispatch_pdl_sum.cu
/// v50 — not a kernel: v47's dispatch table with v49 first at M = 3-8 in int4-sym, except on the
/// gate+up layers (N >= 28672, where v47 runs the stream-K v15) and on the long-K layer (K >=
/// 28672, 70b-down) at M <= 4 (kernels/dispatch.hpp, v50_dispatch_order). v49 at M <= 8 is v29's
/// mma kernel (8 warps, 128 columns, even splits) whose blocks store their partials and leave;
/// the split-K sum runs in a second kernel launched with programmatic dependent launch.
///
/// Where the rule was read: one GPU call at 84afd7b (run 20261203T174325Z-29a8, bf16, v47 and v48
/// at M = 2-8 on the nine layers; v49 is v48 below M = 9, the same launches). v48 minus v47:
///   M = 2: slower on all nine (+1.6 to +26 us): v47's CUDA-core v35 and stream-K v15 stay.
///   M = 3-8 on the seven layers that are not gate+up: 24 of 42 points faster (first written as
///     27, a miscount corrected after review), 12 with the p10-p90 bands apart, by up to 7.8 us;
///     the largest gains where v47 runs v25 with v22's plan at M = 5-7 on 70b-down (62.02 /
///     59.23 / 61.26 us against 54.24 / 55.54 / 56.51: that plan caps x at 28 KB per block and
///     leaves 11 uneven splits of 22 groups at M = 5) and at M = 3 on 8b-gate (21.36 against
///     19.41: v5's 64-column blocks); the losses up to +0.8 us, but +0.9 and +2.1 on 70b-down at
///     M = 3 and 4, which the rule leaves to v25.
///   Gate+up (v15 at M = 3-8): v48 +0.7 to +24 us.
/// The M values the issue names are 1, 2, 4, 8 and 16; v27's table was read at those, and M = 3,
/// 5, 6 and 7 fell to its neighbours' rules (v47 at 8b-gate: 18.24 / 21.36 / 19.33 us at M = 2 /
/// 3 / 4; at 70b-down 52.45 / 62.02 at M = 4 / 5). The rule is fitted on one call; the next call
/// measures it against v47 at every M.
///
/// PREDICTION (before measuring; bf16, int4-sym, cold): v47's rows at M = 1, 2 and 9-16 (the same
/// picks); at M = 3-8 on the seven layers v48's rows of the call above, within that call's
/// spread: 70b-down M = 5-7 ~54-57 us (v47 ~59-62), 8b-gate M = 3 ~19.4 (v47 ~21.4), elsewhere
/// within +-1 us of v47. The targets (M = 1 and 16) do not move.
///
/// MEASURED (H200, cold; GPU call at e9673af, run 20261203T175034Z-66ee, v47 and cuBLAS in the
/// same run; README section 4, "v50, v51"): as predicted where the gains were large, 70b-down M = 5 /
/// 6 / 7 -6.66 / -3.89 / -5.25 us and 8b-gate M = 3 -2.16. Of the 40 points where it picks otherwise
/// than v47, v50 was faster at 25 and slower at 15. With the p10-p90 bands apart, faster at 7 and
/// slower at 2, both at M = 4 (70b-o +1.58, 8b-gate +1.06: v5 there). Again slower at 70b-o M = 4 (+1.46) in the next call (1838aa0). v51 keeps v47's
/// picks at M = 4.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v47,v50,cublas --dtype bf16 --wfmt int4-sym --m 1,2,3,4,5,6,7,8,9,12,16
#include <string>
#include <vector>

#include "kernels/dispatch.hpp"

namespace w4a16 {
LABS_REGISTER_VERSION(Version, (dispatching_version(
                                   "v50", "dispatch: v47's table, with v49 (the split-K sum in a PDL-launched second kernel) at M = 3-8 on the layers v15 does not take",
                                   v50_dispatch_order)))

}  // namespace w4a16
