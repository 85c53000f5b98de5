/// @file v47_dispatch_wave_fill.cu
/// v47 — not a kernel: v43's dispatch table with v46 wherever v43 runs v37 (kernels/dispatch.hpp,
/// v47_dispatch_order). v46 is v37's kernel with the split halved above M = 8 where the grid still
/// fills a wave; of the nine layers that changes 8b-gateup only, so v47 differs from v43 in time
/// only there.
///
/// PREDICTION (before measuring; bf16, int4-sym, cold): 8b-gateup M = 9 / 12 / 16 ~33.1 / ~33.5 /
/// ~34.0 us (v43 ~35.1 / ~35.6 / ~36.4); v43's rows within the call's spread everywhere else.
///
/// MEASURED (H200, cold; GPU call at 4d09501, run 20261203T151530Z-832a with v43 and cuBLAS; and
/// run …151622Z-96a6 with torch's int4mm in …151632Z-8b70, the standing at the top of the README):
/// as predicted. 8b-gateup M = 9 / 12 / 16 33.18 / 33.52 / 33.95 us against v43's 35.25 / 35.84 /
/// 36.70 (1.77x / 1.82x / 1.77x cuBLAS bf16); elsewhere v43's rows within +-0.3 us on the 8b
/// layers, +-0.5 on the 70b ones. In the
/// standing call: faster than tinygemm at all 45 points (1.10-4.74x).
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v43,v47,cublas --dtype bf16 --wfmt int4-sym --m 9,12,16
#include <string>
#include <vector>

#include "kernels/dispatch.hpp"

namespace w4a16 {
LABS_REGISTER_VERSION(Version, (dispatching_version(
                                   "v47", "dispatch: v43's table, with v46 (v37's kernel, its split halved where the grid still fills a wave) for v37",
                                   v47_dispatch_order)))

}  // namespace w4a16
