/// @file v19_stepped_staging.cu
/// v19 — v17 with a cheaper x staging: the same block-owned super-tiles and shared-memory
/// reduction, x and its group sums staged by stage_x_stepped (kernels/lean_stream_k.cuh).
///
/// Why: v18 (16 warps per block) measured what v17's fixed cost is. ncu on 8b-o, M = 1 (the ncu
/// logs of the GPU call of 2026-12-01 23:45 UTC at 225d9ac, whose journal rows were withdrawn
/// for a wrong commit stamp; re-profiled at 4f311a6 with the same counts, README section 4): v17 issues ~1,370 warp instructions per warp for 4 units, v18 ~1,015
/// for 2 units (SM active cycles x issued per scheduler x 4 / warps per SM). Solving the two
/// gives ~180 instructions per unit and **~660 per warp that do not depend on the units**:
/// more than the 4 units of work themselves. Counting the source, most of those 660 are the
/// x staging: stage_x_batched runs kXBatch = 4 batches whatever the size (at M = 1, K = 4096
/// only 2 of a 256-thread block's 4 hold chunks; the other 2 still convert, add and shuffle),
/// and it finds each chunk's row and column with `i / chunks` and `i % chunks`, a runtime
/// divisor, ~20 instructions each, twice per batch. stage_x_stepped divides once per thread,
/// then steps (row, column) by the block size, and skips the empty batches with a test that
/// is uniform over the block. Layout, loads, the order of the sums: unchanged (so the output
/// is bitwise v17's).
///
/// PREDICTION (before measuring; bf16, cold, M = 1): ~200-250 fewer instructions per warp on
/// 8b-o (~1,370 -> ~1,150); at v17's issue efficiency that is 9.44 -> ~8.6-8.9 us, ahead of
/// tinygemm's 9.44. 8b-qkv 11.6 -> ~11.0. 8b-down (K = 14336: 7 of 8 batch slots used, 14
/// units per warp) 16.5 -> ~16.2. M = 2-8 move by less (all batches are full at M >= 2, K =
/// 4096; only the divisions go). Large layers: within noise of v17 (still slower than v14/v15).
///
/// (The 9.44 us above, for v17 and for tinygemm, were medians of a GPU call whose rows were
/// withdrawn for a wrong commit stamp; the journal's are 9.41 and 9.34.)
///
/// MEASURED (run 20261201T235329Z-f621, commit 4f311a6, bf16, cold, M = 1): instructions as
/// predicted, time by a third of it. smsp__inst_executed on 8b-o 2.79 M -> 2.53 M (-9.3%; 8b-down
/// -7.3%), ncu duration 8.03 -> 7.81 us; lab medians 8b-o 9.41 -> 9.25 us (tinygemm 9.34: a tie
/// inside the p10-p90 bands), 8b-qkv 11.62 -> 11.25, 8b-down 16.54 -> 16.32, 70b-o 17.97 ->
/// 17.42. Issue slots are busy 44% of cycles: the kernel is not issue-bound, so fewer
/// instructions buy little; what remains is the in-order chain each warp waits through (README
/// section 4, exercise 11). Best version at M = 1 on five of the nine layers.
///
/// Profiler: `ncu --section SchedulerStats --section LaunchStats -k regex:w4_lean` on 8b-o M = 1
/// against v17: SM active cycles x issued per scheduler (total instructions) should fall ~15%.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v17,v19 --dtype bf16 --wfmt int4-sym --m 1,2
#include <stdexcept>

#include "kernels/lean_stream_k.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

Step prepare_v19(const Problem& p) { return lean::prepare_lean<19>(p, "v19"); }

#else

Step prepare_v19(const Problem&) { throw std::invalid_argument("v19 uses mma.sync and cp.async (NVIDIA only)"); }

#endif

Version make_version() {
  Version v;
  v.info.id = "v19";
  v.info.idea = "v17 with x staged without per-chunk divisions or empty batches (its per-warp fixed cost)";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym};
  v.max_m = 8;
  v.kernel_regex = "w4_lean";
  v.prepare = prepare_v19;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
