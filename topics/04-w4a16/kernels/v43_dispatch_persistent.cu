/// @file v43_dispatch_persistent.cu
/// v43 — v38's table with v40 (v37 with persistent blocks) first above M = 8, int4-sym, on the
/// long-K layers: K >= 14336, i.e. 8b-down and 70b-down of the nine Llama layers. No new kernel.
/// The order lives in kernels/dispatch.hpp (v43_dispatch_order).
///
/// Why those two: v40, v41 and v42 were measured against v37 at every layer above M = 8 (runs
/// 20261203T114609Z-6a2f at bd721dd and 20261203T120038Z-fec9 at 34a5193, bf16; README section 4).
/// v40 won in both runs on 8b-down (22.21 -> 21.65 and 22.10 -> 21.54 us at M = 16; fp16 21.86
/// -> 20.72) and 70b-down (65.76 -> 60.82 and 65.17 -> 59.28), where a unit stages 14 groups of x
/// (57 KB at M = 16) and a block's units share one staging (on 70b-down 2.7 units per block);
/// elsewhere it lost (8b-gate +12-14%) or moved within ~3% either way. v41 and v42 lost to v40
/// at both. v38 runs v37 on 8b-down and v24 on 70b-down (64.8 us in v29's file).
///
/// PREDICTION (before measuring; bf16, int4-sym, cold): at M = 9, 12, 16 on 8b-down and 70b-down
/// v40's rows within noise (8b-down M = 16 ~21.6 us, ~1.57x cuBLAS bf16; 70b-down ~59-61); v38's
/// rows at every other layer and M, and M <= 8 untouched.
///
/// MEASURED (runs 20261203T124435Z-4408 and ...124446Z-64ef at c302c16, with v38, v40, cuBLAS, and
/// tinygemm in the same GPU call; README section 4): as predicted. 8b-down M = 9 / 12 / 16 20.99 /
/// 21.10 / 21.47 us (v38 21.90 / 21.86 / 22.21; 1.56x cuBLAS bf16 at M = 16), 70b-down 57.17 / 58.29 /
/// 59.60 (v38 64.26 / 64.72 / 65.25); fp16 at M = 16 20.72 and 57.60. Elsewhere v38's rows within ~1%.
/// Faster than tinygemm at all 45 points (1.11-4.71x).
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v38,v40,v43,cublas --dtype bf16 --wfmt int4-sym
#include <string>
#include <vector>

#include "kernels/dispatch.hpp"

namespace w4a16 {
LABS_REGISTER_VERSION(Version, (dispatching_version(
                                   "v43", "dispatch: v38's table, with v40 (persistent blocks) above M = 8 on the long-K layers (K >= 14336), int4-sym",
                                   v43_dispatch_order)))

}  // namespace w4a16
