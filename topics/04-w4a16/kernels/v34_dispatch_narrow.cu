/// @file v34_dispatch_narrow.cu
/// v34 — v30's table with v31 where v31 measured faster than, or level with, the v26 that v30
/// runs: at M = 1 on layers with K <= 8192 (G <= 64 groups) that v30 gives v26 (8b-qkv, 8b-o,
/// 8b-gate, 70b-qkv, and 70b-o, where the two tie, among the nine). No new kernel.
/// The order lives in kernels/dispatch.hpp (v34_dispatch_order), where v36 starts from it.
///
/// v31 is v26 with 4 warps per block instead of 8 (one wave of 8 blocks per SM where v26 ran 1.7
/// waves on 8b-gate, half the warps paying the per-warp fixed work). Measured at M = 1 (bf16,
/// cold, µs), v26 / v31 in the same run, two runs (20261202T150444Z-788c at 8b843ca,
/// 20261202T151015Z-dc96 at f77dfd7): 8b-gate 17.79 / 15.33 and 17.70 / 15.22, 8b-qkv 11.04 /
/// 10.26 and 10.88 / 10.14, 8b-o 9.10 / 8.58 and 8.99 / 8.62, 70b-qkv 20.27 / 19.46 and 20.22 /
/// 19.50; 70b-o a tie (17.06 / 16.98, 16.88 / 17.01). Where each warp's range gets long, v31
/// loses: 8b-down (G = 112) 15.79 / 17.12, 70b-down (G = 224) 44.62 / 51.26, so K > 8192 stays on
/// v26 (and 70b-down on v15, as in v30). At M = 2 the picture is mixed (8b-gate: v27's pick, v15, 18.14
/// in run 20261202T151017Z against v31's 18.59 in 20261202T150450Z), so v34 changes M = 1 only.
/// v33 (the same kernel as v31 without the stream-K bookkeeping, bitwise its output) measured no
/// faster than v31 on these five layers and is not used.
///
/// PREDICTION (before measuring; bf16, int4-sym, cold): v30's rows within noise everywhere but
/// M = 1 on those five layers; there v31's rows: 8b-gate ~15.3 us (~2.2x cuBLAS bf16, ~1.35x
/// tinygemm; v30 ~17.8), 8b-qkv ~10.2, 8b-o ~8.6, 70b-qkv ~19.5.
///
/// MEASURED (run 20261202T152051Z-cf9e, commit abe9092, v30 and cuBLAS in the same run): 8b-gate
/// M = 1 15.31 us against v30's 17.76, 2.22x cuBLAS bf16 (34.03) and 1.36x tinygemm (20.80, same
/// GPU call); 8b-qkv 10.35 vs 11.12, 8b-o 8.66 vs 9.07, 70b-qkv 19.50 vs 20.26, 70b-o 17.04 vs
/// 16.96; elsewhere v30's kernels and rows.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v30,v34,cublas --dtype bf16 --wfmt int4-sym --m 1
#include <string>
#include <vector>

#include "kernels/dispatch.hpp"

namespace w4a16 {
LABS_REGISTER_VERSION(Version, (dispatching_version(
                                   "v34", "dispatch: v30's table, with v31's 4-warp blocks at M = 1 on K <= 8192",
                                   v34_dispatch_order)))

}  // namespace w4a16
