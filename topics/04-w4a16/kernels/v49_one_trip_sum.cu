/// @file v49_one_trip_sum.cu
/// v49 — v48 with a sum kernel that adds every column block in one L2 round trip: 512 threads
/// per block above M = 8 (a thread per quad of four columns: M x 128 / 4 <= 512), 256 at and
/// below M = 8 as v48 (MmaLeanFeatures of version 49: kOneTripSum; launch_splitk_sum_kernel in
/// kernels/splitk_sum_kernel.cuh). The main kernel is v48's. Same sums in the same order:
/// bitwise v48's and v46's output (GPU test).
///
/// Why: v48 won at M <= 8 and lost above M = 8 on every layer (GPU call at 8fe702e, run
/// 20261203T173811Z-a7c2; 8b-gate M = 8 20.13 us against v46's 21.14, M = 9 21.60 against 20.54), with
/// the same grid and split on both sides of M = 8 (8b-gate: 8 splits of 4 groups). Nsight Compute
/// (GPU call at 84afd7b, each kernel alone, L2 flushed) split it: v48's main kernel takes 17.18 /
/// 16.64 / 17.15 us at M = 8 / 9 / 16 against v46's 20.10 / 20.45 / 19.33 (no ticket, no tail in
/// any block), but its sum kernel 4.35 / 5.66 / 6.05 us. The jump from M = 8 to 9 is the loop in
/// splitk_finish_in_flight: a 256-thread block covers 256 quads per pass, M x 128 / 4 = 256 at
/// M = 8 and 288 at M = 9, so above M = 8 a second pass starts after the first one's loads
/// return: two round trips.
///
/// PREDICTION (before measuring; bf16, int4-sym, cold): above M = 8 v49 is ~1 us faster than v48
/// (one round trip of partial loads, ~0.6-1 us, fewer), which puts it level with v46 (8b-gate M =
/// 9 ~20.6, M = 16 ~21.5 us against v46's ~20.5 / ~21.0): still no win above M = 8, because the
/// second kernel's start after the main grid's end costs about what the in-kernel tail did.
/// At and below M = 8, v48's time (the same launch).
///
/// MEASURED (H200, cold; GPU call at e9673af, run 20261203T175027Z-8fe6, v46 and v48 in the same
/// run; README section 4): above M = 8 faster than v48 at 25 of 27 points, by up to 2.4 us (70b-gateup
/// M = 9 109.68 against 112.10; 8b-gate M = 16 20.61 against 22.29): that half of the prediction
/// held. "Level with v46" did not hold on 70b-gateup. Against v46 above M = 8: -1.0 to +1.1 us on the 8b layers,
/// 70b-down and 70b-o; +0.2 to +1.7 on 70b-qkv and +2.5 to +4.3 on 70b-gateup (M = 16 115.01 against
/// 110.69). So it is no win above M = 8. At M <= 8 it is v48's launch, and there v50 and v51 run it.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v46,v48,v49 --dtype bf16 --wfmt int4-sym --m 8,9,12,16
#include <stdexcept>

#include "kernels/mma_lean.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

Step prepare_v49(const Problem& p) { return mma_lean::prepare_mma_lean<49>(p, "v49"); }

#else

Step prepare_v49(const Problem&) { throw std::invalid_argument("v49 uses mma.sync, ldmatrix and programmatic dependent launch (NVIDIA only)"); }

#endif

Version make_version() {
  Version v;
  v.info.id = "v49";
  v.info.idea = "v48 with a sum kernel of a thread per quad: every column block summed in one L2 round trip";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym, WFormat::int4_asym};
  v.kernel_regex = "w4_mma_lean|splitk_sum_kernel";
  v.takes_splits = true;
  v.prepare = prepare_v49;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
