/// @file v46_wave_fill_split.cu
/// v46 — v37 with its split halved above M = 8 where the grid still fills one wave of resident
/// blocks and a block then holds at most 8 groups (kernels/even_splits.hpp,
/// wave_filling_groups_per_split; MmaLeanFeatures of version 46: kWaveFillPlan). The kernel is
/// v37's; only the plan changes, so at the same split the output is v37's bit for bit (GPU test),
/// and `--splits` overrides the plan as for v37.
///
/// Why: the split sweep of v37 at M = 9 and 16 on all nine layers (GPU call at 2065144, runs
/// 20261203T150348Z-3c11 ... 150401Z-1f34; README section 4, "The M > 8 split, swept on every
/// layer") found the plan (clamp(G / 8, 4, 11) groups per block, evened) within ~0.3 us of the best
/// split on eight layers and 6% slow on one: 8b-gateup, 35.12 / 36.38 us at M = 9 / 16 with 8
/// splits of 4 groups against 33.06 / 34.00 with 4 of 8. Halving the split pays each block's fixed
/// costs (prologue, x's staging, the tail) over twice the groups; it helps only while the grid
/// still fills the GPU (8b-gate at 4 splits, 448 blocks for 528 slots: 22.00 against 21.07) and
/// while x stays small enough for 4 blocks per SM (70b-gateup at 16 groups per block: 125.3
/// against 111.6). The rule encodes those two limits; on the nine layers it changes 8b-gateup only.
///
/// PREDICTION (before measuring; bf16, int4-sym, cold): 8b-gateup M = 9 / 12 / 16 ~33.1 / ~33.5 /
/// ~34.0 us (v37 ~35.1 / ~35.6 / ~36.4: -6%); every other layer and M = 1-8 v37's time within the
/// call's spread (the same kernel at the same split). The targets (8b-gate, 8b-down) do not move.
///
/// MEASURED (H200, cold; GPU call at 4d09501, runs 20261203T151530Z-832a (bf16, nine layers) and
/// …151539Z-d467 (fp16), v37 in the same runs; README section 4, "v46, v47"): as predicted.
/// 8b-gateup bf16 M = 9 / 12 / 16 33.26 / 33.57 / 33.98 us against v37's 35.14 / 36.18 / 36.88
/// (-5 to -8%); fp16 M = 9 / 16 32.59 / 33.41 against 34.56 / 35.98. Every other layer and M
/// within +-0.3 us of v37 on the 8b layers, +-0.8 on the 70b ones (the same kernel and split).
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v37,v46 --dtype bf16 --wfmt int4-sym --m 9,12,16
#include <stdexcept>

#include "kernels/mma_lean.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

Step prepare_v46(const Problem& p) { return mma_lean::prepare_mma_lean<46>(p, "v46"); }

#else

Step prepare_v46(const Problem&) { throw std::invalid_argument("v46 uses mma.sync and ldmatrix (NVIDIA only)"); }

#endif

Version make_version() {
  Version v;
  v.info.id = "v46";
  v.info.idea = "v37 with its split halved above M = 8 where the grid still fills a wave and a block holds <= 8 groups";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym, WFormat::int4_asym};
  v.kernel_regex = "w4_mma_lean";
  v.takes_splits = true;
  v.prepare = prepare_v46;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
