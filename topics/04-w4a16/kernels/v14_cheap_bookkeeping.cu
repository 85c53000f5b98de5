/// @file v14_cheap_bookkeeping.cu
/// v14 — v13 with the stream-K bookkeeping made cheap: 32-bit divisions for a warp's range,
/// a range comparison instead of two 64-bit divisions per finished tile, and a
/// release/acquire ticket instead of two sequentially consistent fences per shared tile.
///
/// What changed from v13, and why (read off v13's fit and v12's SASS): v13 streams at 4.03
/// TB/s (94% of copy) but pays ~15 us per call (v5: 8.8), and on the smallest layer (8b-o,
/// 8.6 MB, ~2.6 units per warp) it takes 16.7 us. Per warp, the code that does not scale
/// with bytes is: the range [U w / W, U (w + 1) / W) and its (tile, group) — four 64-bit
/// divisions, each a ~100-instruction subroutine (`CALL.REL.NOINC` in SASS) that runs BEFORE
/// the warp's first cp.async; two more per finished tile (`owner_of` of its first and last
/// unit); and per shared tile `__threadfence()` twice, which is `MEMBAR.SC.GPU` + `CCTL.IVALL`
/// in SASS. v14:
///  - computes the range and its (tile, group) with 32-bit divisions when U x W < 2^32 (every
///    Llama shape here: at most 1.9e9), the 64-bit path otherwise;
///  - decides "this warp owns the whole tile" by comparing the tile with its own range;
///  - publishes a shared tile with `atom.add.acq_rel.gpu` by lane 0 between two warp
///    barriers (stream_k.cuh, publish<true>), no sequentially consistent fence.
///
/// PREDICTION (before measuring; bf16, cold): the fixed cost falls from ~15 to ~11-12 us and
/// the rate stays ~4 TB/s: 8b-o M = 1 16.7 -> ~13 us, 8b-gate / 8b-down 22.1 / 24.9 -> ~19 /
/// ~21 us (v5 19.3 / 18.6: a tie at best), 70b-gateup 74.1 -> ~71 us.
///
/// MEASURED (run 20261201T061221Z-6783, commit aff9c9e; confirmed by 20261201T061300Z-4259):
/// 8b-o 12.83 us, 8b-gate 18.69 (v5 19.36: the best version there), 8b-down 20.72 (v5 18.58),
/// 70b-gateup 73.86 (v5 89.01); fit over nine shapes at M = 1: 11.6 us fixed + 3.79 TB/s.
/// Prediction met. Its first run (20261201T060421Z-2bad, commit af234ad, another machine)
/// was 2-3 us slower on the small layers; README section 4 discusses that spread.
///
/// Profiler: `ncu --section SchedulerStats --section WarpStateStats -k regex:w4_lean` on
/// 8b-o M = 1: the `stall_membar` and branch-resolving shares of v13 should disappear.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v5,v13,v14 --dtype bf16 --wfmt int4-sym --m 1,8
#include <stdexcept>

#include "kernels/lean_stream_k.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

Step prepare_v14(const Problem& p) { return lean::prepare_lean<14>(p, "v14"); }

#else

Step prepare_v14(const Problem&) { throw std::invalid_argument("v14 uses mma.sync and cp.async (NVIDIA only)"); }

#endif

Version make_version() {
  Version v;
  v.info.id = "v14";
  v.info.idea = "v13 with cheap stream-K bookkeeping: 32-bit range division, no per-tile division, acq_rel ticket";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym};
  v.max_m = 8;
  v.kernel_regex = "w4_lean";
  v.prepare = prepare_v14;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
