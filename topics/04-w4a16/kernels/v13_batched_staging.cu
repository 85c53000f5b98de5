/// @file v13_batched_staging.cu
/// v13 — v12 with x (and its group sums) staged in one or two round trips: every thread
/// issues its 16-byte loads of x four at a time before the shared-memory stores (kXBatch = 4;
/// 8 made ptxas spill at its 80-register choice), and the sums come out of the same registers
/// (16 lanes per group, 4 shuffles) instead of a second pass over x.
///
/// What changed from v12, and why (read off v12's measured rows, run 20261201T054957Z): over
/// the nine Llama shapes at M = 1 v12 fits ~14 us fixed + bytes / 3.9 TB/s. The rate is the
/// best of any version (~90% of the copy ceiling; v5: 3.0 TB/s) and it wins on the largest
/// layer (70b-gateup 76.6 us vs v5's 90.2), but the fixed cost is ~5 us above v5's, and the
/// layer with the longest K is where v12 does worst (8b-down 26.5 us, 8b-gate 21.9 us, same
/// bytes). stage_x's loop is a load then four dependent stores per 16 bytes, with a run-time
/// trip count the compiler does not unroll: a thread moving 7 chunks (K = 14336) waits 7
/// round trips to L2 before the block's barrier, and the ring (4 units) is full long before
/// that, so the weight stream stops while x is staged. v13 changes only the staging.
///
/// PREDICTION (before measuring; bf16, cold): 8b-down M = 1 from 26.5 to ~23.5 us (five fewer
/// round trips of ~0.6 us), 8b-gate from 21.9 to ~21 us (two trips to one), 70b-gateup
/// unchanged within 2%; still slower than v5 (18.6 / 19.4 us) on the 8B layers.
///
/// MEASURED (run 20261201T055638Z-3671, commit 04382fd): 8b-down 24.85 us (v12 26.45; predicted
/// ~23.5), 8b-gate 22.14 (v12 21.78), 70b-gateup 74.08 (v12 76.03, v5 89.25; M = 8: 94.85 vs
/// v5's 134.06). Over the nine shapes at M = 1: ~15.2 us fixed + bytes / 4.03 TB/s (94% of the
/// copy rate; v5 8.8 us + 3.01 TB/s): the best rate in the topic, the worst fixed cost.
///
/// Profiler: `ncu --section WarpStateStats -k regex:w4_lean` — `stall_barrier` (warps waiting
/// at the staging barrier) should fall against v12 on 8b-down.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v12,v13 --shape 8b-gate,8b-down,70b-gateup --m 1 --dtype bf16 --wfmt int4-sym
#include <stdexcept>

#include "kernels/lean_stream_k.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

Step prepare_v13(const Problem& p) { return lean::prepare_lean<13>(p, "v13"); }

#else

Step prepare_v13(const Problem&) { throw std::invalid_argument("v13 uses mma.sync and cp.async (NVIDIA only)"); }

#endif

Version make_version() {
  Version v;
  v.info.id = "v13";
  v.info.idea = "v12 with x and its group sums staged in one round trip (all loads first, sums by shuffles)";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym};
  v.max_m = 8;
  v.kernel_regex = "w4_lean";
  v.prepare = prepare_v13;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
