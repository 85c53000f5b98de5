/// @file v51_dispatch_measured_m.cu
/// v51 — not a kernel: v50's dispatch table, but at M = 4 v47's picks again (kernels/dispatch.hpp,
/// v51_dispatch_order). So v49 runs at M = 3 and 5-8 in int4-sym where v47 runs v5, v24 or v25
/// (not on gate+up, not on 70b-down at M = 3).
///
/// Why: v50's rule was read from one GPU call (run 20261203T174325Z-29a8) and checked in the next
/// (run 20261203T175034Z-66ee at e9673af, v47, v50 and cuBLAS at M = 1-16 on the nine layers).
/// There, at the 40 points where the two pick differently, v50 was faster at 25 and slower at 15
/// (first written as 42 / 26 / 16, corrected after review); with the p10-p90 bands apart, faster
/// at 7 (70b-down M = 5 / 6 / 7 by 6.66 / 3.89 / 5.25 us, 8b-gate M = 3 by 2.16 and M = 8 by 0.88,
/// 8b-o M = 6 and 7 by 0.59 and 0.56) and slower at 2, both at M = 4:
/// 70b-o +1.58 us and 8b-gate +1.06, where v47 runs v5. M = 4 is one of the values v27's table was
/// read at (1, 2, 4, 8, 16, the issue's); at 3, 5, 6 and 7 its picks were its neighbours' rules.
/// M = 8 was read too, but there v49 was faster in both calls on 8b-gate and 8b-qkv (elsewhere
/// -0.8 to +0.7 us), so v51 keeps it.
///
/// PREDICTION (before measuring; bf16, int4-sym, cold): v50's rows at every M but 4, v47's at
/// M = 4: in one call with both, v51 - v47 sums to about v50 - v47 minus M = 4's share, with no
/// point slower than v47 by more than ~0.7 us.
///
/// MEASURED (H200, cold; GPU call at 1838aa0, run 20261203T175505Z-4d8b with v47, v50 and cuBLAS,
/// and run …175531Z-a82b with torch's int4mm; README: the standing at the top and section 4): of the
/// 34 points where it picks otherwise than v47, faster at 23 and slower at 11, -24.8 us in sum. With
/// bands apart: 7 faster (70b-down M = 5 / 6 / 7 55.41 / 55.63 / 55.50 against 61.81 / 59.17 /
/// 61.18; 8b-gate M = 3 and 5 20.21 / 19.71 against 21.42 / 20.91; 70b-qkv M = 5; 8b-o M = 8) and
/// none slower. The worst point is +0.86 us (70b-down M = 8), a little
/// past the predicted 0.7. The targets (M = 1 and 16, v47's picks) did not move: 8b-gate / 8b-down
/// M = 1 13.39 / 14.37 us (2.57x / 2.27x cuBLAS bf16, 1.56x / 1.50x tinygemm), M = 16 20.96 / 21.42
/// (1.57x / 1.53x). Faster than tinygemm at all 45 points (1.10-4.77x).
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v47,v50,v51,cublas --dtype bf16 --wfmt int4-sym --m 1,2,3,4,5,6,7,8,9,12,16
#include <string>
#include <vector>

#include "kernels/dispatch.hpp"

namespace w4a16 {
LABS_REGISTER_VERSION(Version, (dispatching_version(
                                   "v51", "dispatch: v50's table, but v47's picks at M = 4 (where v27's table was measured)",
                                   v51_dispatch_order)))

}  // namespace w4a16
