/// @file v18_sixteen_warps.cu
/// v18 — v17 with 16 warps per block instead of 8: the same block-owned super-tile (16
/// output columns), the same shared-memory reduction, each warp half of v17's K range.
///
/// Why: v17 won the small layers (8b-o M = 1 9.47 us, 8b-down 16.64 us, run
/// 20261201T232734Z-98f4) but its profile on 8b-o is not a memory profile: DRAM 22% of peak,
/// 8.06 us for 8.7 MB, while the SMs issue on 47% of cycles with 3.7 warps per scheduler, 7.8
/// cycles between a warp's instructions (ncu, WarpStateStats). Each warp runs its ~1,400
/// instructions (4 units of decode + mma, x staging, the reduction) one after another; with
/// so few warps per scheduler the latency of each instruction is not hidden. The bytes are
/// all in flight from the start (4 units per warp, the whole layer in the rings), so adding
/// warps, not bytes, is the lever: 16 warps per block give each warp 2 units on 8b-o (7 on
/// 8b-down), halve the x-staging trips per thread, and put ~7 warps on each scheduler.
/// The cost: 512-thread blocks, at most 2 per SM (64 registers, 68 KB of rings + x each),
/// and a 16-term reduction instead of 8.
///
/// PREDICTION (before measuring; bf16, cold, M = 1): 8b-o 9.5 -> ~7.5 us (would beat
/// tinygemm's 9.39), 8b-qkv 11.5 -> ~9.5, 8b-down 16.6 -> ~14 (more bytes in flight per
/// SM on its 14-unit ranges); 8b-gate and the 70B layers (1.7+ waves of blocks) within
/// +-1 us of v17. M = 2-8: the same direction, smaller (the mma work per unit grows with M).
///
/// MEASURED (run 20261201T235329Z-f621, commit 4f311a6): a regression at M = 1 on every
/// layer (at M = 4-8 it beats v17 on some, e.g. 8b-o M = 4 10.86 vs 11.55 us). 8b-o 9.89 us
/// (v17 9.41), 8b-down 17.12 (16.54), 8b-gate 25.09 (19.52), 8b-gateup 46.11 (33.58). ncu on
/// 8b-o: 6.8 warps per scheduler and issue slots busy 68% (v17: 3.7 and 47%), as intended, but
/// 4.10 M instructions executed against v17's 2.79 M: ~1,000 per warp for 2 units against
/// ~1,360 for 4, so most of a warp's instructions do not depend on its units and twice the warps
/// pay them twice. Kept: it is the measurement that pointed v19 at the per-warp fixed work.
///
/// Profiler: `ncu --section SchedulerStats --section WarpStateStats -k regex:w4_lean` on 8b-o
/// M = 1 against v17: active warps per scheduler ~7, issue slots busy well above 47%.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v17,v18 --dtype bf16 --wfmt int4-sym --m 1,8
#include <stdexcept>

#include "kernels/lean_stream_k.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

Step prepare_v18(const Problem& p) { return lean::prepare_lean<18>(p, "v18"); }

#else

Step prepare_v18(const Problem&) { throw std::invalid_argument("v18 uses mma.sync and cp.async (NVIDIA only)"); }

#endif

Version make_version() {
  Version v;
  v.info.id = "v18";
  v.info.idea = "v17 with 16 warps per block: half the K range per warp, twice the warps per scheduler";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym};
  v.max_m = 8;
  v.kernel_regex = "w4_lean";
  v.prepare = prepare_v18;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
