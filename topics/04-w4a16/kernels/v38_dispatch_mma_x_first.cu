/// @file v38_dispatch_mma_x_first.cu
/// v38 — v36's table with v37 (v29 with x's first loads before the weights) where v36 runs v37's
/// kernel without them: above M = 8, int4-sym, where v36 runs v24 or v29 on K < 28672 (of the
/// nine Llama layers all but 70b-gateup, which stays on v25, and 70b-down). No new kernel.
/// The order lives in kernels/dispatch.hpp (v38_dispatch_order).
///
/// On every problem it changes, v37 runs the split that v36's pick runs: v29's there (8b-down),
/// and v24's wherever the rule's groups per split divide G (K = 4096 and 8192: 4 and 8 of 32 and
/// 64 groups), so the rows differ by the order of the loads only. Left as they are:
///   - 70b-down (K = 28672): v37's split would be v29's 16 where v36 runs v24's 21, and v29
///     measured 1.9% slower there (65.98 vs 64.78 us, run 20261202T053635Z-8756); the two
///     changes are not mixed in one row;
///   - int4-asym: v37's asymmetric kernels take 92 registers against v29's 79-80, 2 blocks per
///     SM instead of 3 (v37's file), so they wait for their own measurement;
///   - M <= 8: v37's kernels there are v29's.
///
/// PREDICTION (before measuring; bf16, int4-sym, cold): each changed row equal to v37's within
/// noise (8b-gate M = 16 ~20.8 us, ~5% under v36 at M = 9-12; 8b-down M = 9 / 12 / 16 ~21.0 /
/// ~21.3 / ~21.6; v37's file has the reasoning); v36's rows everywhere else.
///
/// MEASURED (runs 20261202T190007Z-9c8e and ...190009Z-9f1b at a9b9311; at every layer and M with cuBLAS
/// and tinygemm in 20261202T191647Z-0e95 at a26b09a; README section 4): each changed row v37's within
/// noise. 8b-gate M = 16 20.78 / 20.83 us against v36's 21.97 / 21.81; 8b-down, where v37 did not win,
/// 0.1-0.25 us behind v36 (the rule was written before v37 was measured and is kept as written). At
/// every layer and M = 1-16: faster than tinygemm at all 45 points (1.12-4.74x), M = 16 1.60x / 1.51x
/// cuBLAS bf16 on 8b-gate / 8b-down.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v36,v37,v38,cublas --dtype bf16 --wfmt int4-sym --m 9,12,16
#include <string>
#include <vector>

#include "kernels/dispatch.hpp"

namespace w4a16 {
LABS_REGISTER_VERSION(Version, (dispatching_version(
                                   "v38", "dispatch: v36's table, with v37 (v29 with x loaded first) above M = 8 where v36 runs v24 or v29 on K < 28672, int4-sym",
                                   v38_dispatch_order)))

}  // namespace w4a16
