/// @file v26_hoisted_staging.cu
/// v26 — v19 with the address work of its x staging taken out of the per-chunk loop
/// (stage_x_hoisted in kernels/lean_stream_k.cuh). Same loads, same layout, same order of the
/// sums: the output is bitwise v19's (and v17's).
///
/// Why: the one (layer, M) where tinygemm is still ahead is 8b-o at M = 2 (v19 9.89 us vs 9.79,
/// run 20261202T045242Z; 9.87-10.06 vs 9.70-9.82 in five earlier runs). v19 at M = 1 is ahead
/// (9.20 vs 9.41). What grows from M = 1 to 2 in v19 is the x staging, and only it: the ncu source
/// view of both (GPU call of 2026-12-02 04:52, commit ca60c8a) counts 2.53 M -> 2.81 M
/// instructions, all +277 K in stage_x_stepped's two extra chunks per thread: 67 instructions a
/// chunk, of which ~25 find the chunk's place in the fragment order (g = c / 16, cc = c % 16,
/// st = cc / 2, h = cc % 2 through signed-division idioms) and ~10 rebuild its 64-bit x address.
/// Both are loop-invariant in disguise: a thread's chunk index moves by the block size (256, a
/// multiple of 16) so its place in the group never changes, and chunk i of row-major x is x + 8 i.
/// The staging runs before the block's first barrier, on every warp's critical path.
///
/// PREDICTION (before measuring; bf16, cold): ~35 fewer instructions per chunk, i.e. ~70 per warp
/// at M = 1 and ~140 at M = 2 on 8b-o (2.53 M -> ~2.39 M and 2.81 M -> ~2.53 M instructions). At
/// v19's rate (9.3% fewer instructions bought 1.7% of time) that is ~1% at M = 1 and ~2% at M = 2:
/// 8b-o M = 2 9.89 -> ~9.7 us, level with tinygemm (9.7-9.8) rather than clearly ahead. Other
/// layers: the same ~1-2% where v19 is used (M = 1-2, N <= 10240).
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v19,v26 --dtype bf16 --wfmt int4-sym --m 1,2
#include <stdexcept>

#include "kernels/lean_stream_k.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

Step prepare_v26(const Problem& p) { return lean::prepare_lean<26>(p, "v26"); }

#else

Step prepare_v26(const Problem&) { throw std::invalid_argument("v26 uses mma.sync and cp.async (NVIDIA only)"); }

#endif

Version make_version() {
  Version v;
  v.info.id = "v26";
  v.info.idea = "v19 with its x staging's per-chunk address work hoisted (a chunk keeps its place in the group)";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym};
  v.max_m = 8;
  v.kernel_regex = "w4_lean";
  v.prepare = prepare_v26;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
