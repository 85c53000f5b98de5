/// @file v15_lean_tail.cu
/// v15 — v14 with a lean tail: the publish step of a shared tile without 64-bit divisions,
/// and the last contributor's partial loads kept in flight together (eight `ld.global.cg`
/// issued before the first addition instead of one per loop iteration).
///
/// What changed from v14, and why (read off v14's rows, run 20261201T060421Z-2bad): v14 cut
/// the fixed cost from ~15.1 to ~13.5 us (fit over the nine shapes at M = 1), but it is still
/// the smallest layers that lose most (8b-o 15.3 us vs v5's 12.5). On 8b-o a warp streams only
/// ~2.6 units of a 32-unit super-tile, so each super-tile has ~13 contributors, and the last
/// one to arrive adds 13 partials with `for (s ...) sum += __ldcg(...)`: a load, an add that
/// waits for it, the next load — 13 L2 round trips in a row at the very end of the kernel,
/// where nothing else overlaps them. On the 8B target layers (~9 units per warp) it is ~4-5
/// contributors; on 70b-gateup ~2. Before that, each shared tile still asks owner_of for its
/// first and last contributor: two 64-bit divisions (~200 instructions) per tile, ~400 per warp,
/// in a kernel where ncu counts ~1,400 instructions per warp on 8b-o for ~360 of loop (v14:
/// 4.54 M executed). A contributor is this warp itself whenever the tile starts (ends) inside
/// its range, and the other end is a 32-bit division. The order of the additions stays 0, 1,
/// ..., so the result is bitwise the same as v14's.
///
/// PREDICTION (before measuring; bf16, cold): 8b-o M = 1 15.3 -> ~11-12 us (about ten fewer
/// round trips of ~0.4 us), 8b-gate / 8b-down 21.1 / 23.6 -> ~20 / ~22.5 us, 70b-gateup within
/// noise of v14.
///
/// MEASURED (run 20261201T061221Z-6783, commit aff9c9e): a regression against v14 on the
/// small layers (8b-o 14.30 vs 12.83 us, 8b-down 22.83 vs 20.72) and a tie on 70b-gateup
/// (74.4 vs 73.9; M = 8 94.67 vs 95.2); fit 12.6 us fixed. The shortened tail was not on the
/// critical path; why the extra code costs more is not profiled (README exercise 6).
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v5,v14,v15 --dtype bf16 --wfmt int4-sym --m 1,8
#include <stdexcept>

#include "kernels/lean_stream_k.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

Step prepare_v15(const Problem& p) { return lean::prepare_lean<15>(p, "v15"); }

#else

Step prepare_v15(const Problem&) { throw std::invalid_argument("v15 uses mma.sync and cp.async (NVIDIA only)"); }

#endif

Version make_version() {
  Version v;
  v.info.id = "v15";
  v.info.idea = "v14 with a lean tail: publish without 64-bit divisions, the last contributor's loads in flight";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym};
  v.max_m = 8;
  v.kernel_regex = "w4_lean";
  v.prepare = prepare_v15;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
