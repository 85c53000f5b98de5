/// @file v55_dispatch_owned_small.cu
/// v55 — not a kernel: v51's dispatch table, with v35 (block-owned super-tiles, x's loads first)
/// first at M = 3 and 4 on the K = 4096 layers with N <= 6144 (8b-qkv, 8b-o), int4-sym only
/// (kernels/dispatch.hpp, v55_dispatch_order).
///
/// Why: v35 was only ever measured at M = 1 and 2, where v36 gave it its points. In the GPU call
/// that measured v53 (run 20261203T203316Z-75a7, at 78bba2a) v35 ran beside v51 at M = 1-4 on the
/// nine layers, and at M = 3 and 4 it was faster than v51's pick on the two small layers: 8b-qkv
/// M = 3 / 4 11.18 / 12.30 us against 12.82 / 13.68 (v49 / v5), 8b-o M = 3 9.41 against 9.95 (v49),
/// 8b-o M = 4 10.35 against 10.37 (a tie). Elsewhere it lost (8b-gate M = 4 21.50 against 19.39)
/// or tied (8b-gate M = 3 19.30 against 19.33); by our reading (not timed) because each of its
/// blocks of 16 columns stages all of x, which grows with M and N. The rule was read from that one call; the call that measures
/// v55 checks it.
///
/// PREDICTION (before measuring; bf16, int4-sym, cold): v51's rows except at the four points;
/// there 8b-qkv M = 3 / 4 ~11.2 / ~12.3 us (v51 ~12.8 / ~13.7), 8b-o M = 3 ~9.4 (v51 ~9.9), 8b-o
/// M = 4 level. The issue's targets (M = 1 and 16) do not move.
///
/// MEASURED (H200, bf16, int4-sym, cold; GPU call at a264736, run 20261203T211027Z-a4e4, v35, v51
/// and cuBLAS in the same run; README section 4, "v55"): as predicted. 8b-qkv M = 3 / 4 11.28 /
/// 12.32 us against v51's 12.82 / 13.87, 8b-o M = 3 9.42 against 10.96, with the p10-p90 bands
/// apart at all three; 8b-o M = 4 10.50 against 10.56, a tie. The rule held in the second call:
/// v35 was again ahead there (11.25 / 12.24 / 9.41). At M = 5-8 on the same two layers v35 lost
/// to v51 in the same call (run ...211039Z-381c: 8b-qkv M = 5 13.28 against 12.86, M = 8 23.47
/// against 13.15), so the rule stops at 4. Elsewhere v55 runs v51's kernels (its rows there
/// differ from v51's by run-to-run noise, up to 1.0 us on 70b-qkv M = 3). Picks and the new
/// path tested; compute-sanitizer memcheck and racecheck clean (M = 1-3).
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v35,v51,v55,cublas --dtype bf16 --wfmt int4-sym --m 3,4 --shape 8b-qkv,8b-o
#include <string>
#include <vector>

#include "kernels/dispatch.hpp"

namespace w4a16 {
LABS_REGISTER_VERSION(Version, (dispatching_version(
                                   "v55", "dispatch: v51's table, with v35 at M = 3-4 on the K = 4096, N <= 6144 layers (8b-qkv, 8b-o)",
                                   v55_dispatch_order)))

}  // namespace w4a16
