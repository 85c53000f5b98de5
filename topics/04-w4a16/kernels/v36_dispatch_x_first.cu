/// @file v36_dispatch_x_first.cu
/// v36 — v34's table with v35 where v35 measured clearly faster: at M = 1 on every int4-sym layer but the
/// widest (N >= 57344, 70b-gateup, where v15's one-wave stream-K stays ahead), and at M = 2 where
/// v34 runs v26 (8b-qkv, 8b-o, 8b-down, 70b-o among the nine). No new kernel.
/// The order lives in kernels/dispatch.hpp (v36_dispatch_order), where v38 starts from it.
///
/// Read off (bf16, cold, µs; v35 in run 20261202T155401Z-9049 at M = 1 and …155403Z-ecde at M = 2,
/// the others in the GPU calls of 15:10 and 15:20 UTC, same session): M = 1 8b-gate 13.46 against
/// v34's 15.31, 8b-down 14.40 / 15.65, 8b-gateup 22.24 / 25.46 (v15), 70b-down 43.55 / 44.59 (v15),
/// 70b-gateup 75.73 / 71.39 (v15: stays); M = 2 8b-o 8.59 / 9.46, 8b-qkv 10.30 / 11.71 (v27's v26),
/// 8b-down 16.54 / 17.34, 70b-o 18.51 / 20.53 (v27's v26); where v34 runs v15 or v5 at M = 2
/// (8b-gate 18.21 / v35 17.98, 8b-gateup, 70b-qkv, 70b-gateup, 70b-down) v35 is level or slower, and
/// v36 keeps v34's pick.
///
/// PREDICTION (before measuring; bf16, int4-sym, cold): each changed row equal to v35's within
/// noise (8b-gate M = 1 ~13.5 us, ~2.5x cuBLAS bf16; 8b-down ~14.4; 8b-o M = 2 ~8.6, ahead of
/// tinygemm's ~9.8); v34's rows elsewhere.
///
/// MEASURED (run 20261202T160402Z-7dca, commit e1be9db, v34 and cuBLAS in the same run, tinygemm in
/// the same GPU call): as predicted. 8b-gate M = 1 13.39 us (2.53x cuBLAS bf16, 1.57x tinygemm),
/// 8b-down 14.53 (2.25x, 1.48x), 8b-o M = 2 8.45 against tinygemm's 9.66 (bands apart); where v36
/// keeps v34's kernel the rows are within 0.5 us.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v34,v36,cublas --dtype bf16 --wfmt int4-sym --m 1,2
#include <string>
#include <vector>

#include "kernels/dispatch.hpp"

namespace w4a16 {
LABS_REGISTER_VERSION(Version, (dispatching_version(
                                   "v36", "dispatch: v34's table, with v35 (x loaded first) at M = 1 but on 70b-gateup, and at M = 2 where v34 runs v26",
                                   v36_dispatch_order)))

}  // namespace w4a16
