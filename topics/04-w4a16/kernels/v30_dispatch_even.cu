/// @file v30_dispatch_even.cu
/// v30 — v27's table with v29 where v29 measured faster than the v24 that v27 runs: above M = 8
/// on K = 14336 (8b-down). v29 is v24 with split counts that divide K's groups; on the nine
/// Llama layers its plan differs from v24's only above M = 8 (M = 16 among the grid's M values)
/// on 8b-down (11 -> 8 splits) and 70b-down (21 -> 16). Measured (run 20261202T053635Z-8756,
/// commit 5c009e4, v24 and cuBLAS in the same run): 8b-down M = 16 22.18 us against v24's 24.96
/// (1.52x cuBLAS bf16, from 1.35x); 70b-down M = 16 65.98 against 64.78 (1.9% slower), so
/// K = 28672 stays on v24.
///
/// The rule (kernels/dispatch.hpp, v30_dispatch_order): v27's (v27_dispatch_order), except that at M > 8 a problem
/// with 14336 <= K < 28672 that v27 would give v24 goes to v29 first. 8b-down is the one Llama
/// layer in that range; the bound is read off two layers, not derived.
///
/// PREDICTION (before measuring; bf16, int4-sym, cold): v27's rows within noise at every
/// (layer, M) but 8b-down M = 9..16; there ~22.2 us at M = 16 (v29's row: ~1.5x cuBLAS bf16,
/// against v27's ~25.0 us, 1.3x). The M = 16 target (2.5x cuBLAS, ~13 us) stays missed.
///
/// MEASURED (run 20261202T113341Z-6ef7, commit 7cdc331, v27 and cuBLAS in the same run): 8b-down
/// M = 16 22.16 us (dispatch: v29) against v27's 24.90, 1.51x cuBLAS bf16 (33.47); M = 9 and 12
/// 21.50 and 21.82 against 24.70 and 24.94; the other eight layers at M = 16 within 0.01-0.22 us
/// of v27 (the same kernels).
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v27,v30 --dtype bf16 --wfmt int4-sym --m 16
#include <string>
#include <vector>

#include "kernels/dispatch.hpp"

namespace w4a16 {
LABS_REGISTER_VERSION(Version, (dispatching_version(
                                   "v30", "dispatch: v27's table, with v29's even splits at M > 8 on K = 14336 (8b-down)",
                                   v30_dispatch_order)))

}  // namespace w4a16
