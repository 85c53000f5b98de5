/// @file v31_narrow_blocks.cu
/// v31 — v26 with 4 warps per block instead of 8: each block still owns one 16-column
/// super-tile, each warp streams twice as many units (G / 4), and 8 blocks fit per SM where 4
/// did. Same kernel (kernels/lean_stream_k.cuh), same loads, same staging; the warps' partials
/// meet in shared memory in warp order, so the output is deterministic (not bitwise v26's: the
/// K split per warp differs).
///
/// Why: at 8b-gate (4096 -> 14336, M = 1) v26 launches 896 blocks of 8 warps, 4 units each, and
/// 4 blocks fit per SM (528 at once): 1.70 waves, and 7,168 warps each paying v26's per-warp
/// fixed work (the ring fill, the range arithmetic, its share of the x staging, two barriers and
/// the reduction), which v18's regression measured at several hundred instructions per warp
/// against ~180 per unit (README section 4). 8b-gate is also where v26 is furthest from a pure
/// read of the same 30.3 MB (17.86 us against 11.15, 63%), while 8b-down, with 256 blocks of 14
/// units per warp in well under one wave, reaches 72%. Four-warp blocks give 896 blocks on 1,056
/// places: one wave, 3,584 warps of 8 units.
///
/// PREDICTION (before measuring; bf16, cold, M = 1): 8b-gate ~17.8 -> ~16 us (~10%: the second
/// partial wave goes and ~1.8 M of ~8.6 M warp instructions with it); 8b-gateup (1,792 blocks,
/// 1.7 waves of v31's 1,056) ~31 -> ~28 us, still behind v15 (25.5). Slower where v26 is under
/// one wave: 8b-down and 8b-o (256 blocks) keep ~8 warps per SM with 4 KB in flight each, half
/// of v26's bytes in flight: 8b-down 15.7 -> ~18 us, 8b-o 9.1 -> ~10 us. The probes of
/// kernels/probe_lean_skeleton.cu run beside it and say which part of the time moved.
///
/// MEASURED (runs 20261202T150444Z-788c at 8b843ca and 20261202T151015Z-dc96 at f77dfd7, v26 beside
/// it; bf16, cold, M = 1; README section 4): 8b-gate 15.33 / 15.22 us against v26's 17.79 / 17.70,
/// better than predicted (ncu 16.99 -> 14.62 us, DRAM 37.6% -> 43.6% of peak, 0.85 waves); 8b-gateup
/// 25.34 / 25.12, level with v15 (25.36), not behind it; 8b-down 17.12 / 17.01 against 15.79 /
/// 15.66 (slower, as predicted); 8b-o 8.58 / 8.62, 4-6% *faster* (predicted slower). The probes
/// put the gain on 8b-gate in the x staging (v26 +3.06 us, v31 +0.83). v34 dispatches to it.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v26,v31 --dtype bf16 --wfmt int4-sym --m 1,2
#include <stdexcept>

#include "kernels/lean_stream_k.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

Step prepare_v31(const Problem& p) { return lean::prepare_lean<31>(p, "v31"); }

#else

Step prepare_v31(const Problem&) { throw std::invalid_argument("v31 uses mma.sync and cp.async (NVIDIA only)"); }

#endif

Version make_version() {
  Version v;
  v.info.id = "v31";
  v.info.idea = "v26 with 4 warps per block: one super-tile per block, twice the units per warp, 8 blocks per SM";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym};
  v.max_m = 8;
  v.kernel_regex = "w4_lean";
  v.prepare = prepare_v31;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
