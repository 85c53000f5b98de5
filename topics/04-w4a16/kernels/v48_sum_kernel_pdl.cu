/// @file v48_sum_kernel_pdl.cu
/// v48 — v46 with the split-K sum moved out of the kernel: every block stores its fp32 partial
/// and leaves; a second kernel (kernels/splitk_sum_kernel.cuh), launched behind it with
/// programmatic dependent launch (PDL, sm_90, common/labs/pdl.cuh), adds the partials in split
/// order. MmaLeanFeatures of version 48: kSumKernel. Topic 02's v24 is the same idea on decode
/// attention's split combine.
///
/// What changes from v46: each block's tail was a barrier, one acq_rel ticket (an L2 round trip
/// that every block waits for while holding its SM slot) and, in the last block of a column
/// block, the sum. In v48 the block ends after its partial's stores. Every block first runs
/// `griddepcontrol.launch_dependents`, so once the whole grid has started the sum kernel's blocks
/// (one per column block, 256 threads, splitk_finish_in_flight's loop) are scheduled and wait in
/// `griddepcontrol.wait` until the main grid has ended and its stores are visible. One split: no
/// second kernel. Same partials, same additions in the same order: bitwise v46's output (GPU test).
///
/// Why: the split-K tail is the largest measured overhead left above M = 8. probe-v37-notail
/// (README section 4) measured v37 without it 2.5 us faster on 8b-gate at M = 16. v44 and v45 (a
/// designated finisher) tried to shorten it inside the kernel and lost: the barrier after a
/// ticket waits for the atomic's answer. A grid's end needs no atomic.
///
/// PREDICTION (before measuring; bf16, int4-sym, cold): the blocks stop waiting for their ticket
/// (~0.7 us each, hidden in part behind other resident blocks), but all of the sum now comes
/// after the grid's end instead of overlapping its last wave: at M = 16 on 8b-gate 112 column
/// blocks x 8 splits x 16 rows x 128 columns x 4 bytes = 7.3 MB of partials, read from L2 in one
/// pass after the release of griddepcontrol.wait, whose latency I have no number for. Guess:
/// within +-0.5 us of v46 above M = 8 on 8b-gate and 8b-down (~20.7 / ~21.6 us at M = 16); no gain
/// near the 2.5 us the tail-free probe shows, because the sum itself is still there. At M <= 8
/// (v29's kernels with v46's plan) the same comparison; v46 is not picked there.
///
/// MEASURED (H200, cold; GPU call at 8fe702e, run 20261203T173811Z-a7c2, v46 in the same run;
/// README section 4, "v48, v49"): split by M. At M = 1 and 8 faster than v46 at 15 of 18 points, by up
/// to 2.45 us (8b-gate M = 8 20.13 against 21.14, M = 1 18.98 against 20.10). Above M = 8 slower on
/// every layer but 8b-o, by 0.6-5.1 us (8b-gate M = 9 / 16 21.60 / 22.50 against 20.54 / 21.01). ncu
/// (GPU call at 84afd7b, one kernel at a time, L2 flushed, 8b-gate) split it. The main kernel
/// without its tail takes 17.18 / 16.64 / 17.15 us at M = 8 / 9 / 16, against v46's 20.10 / 20.45 /
/// 19.33; the sum kernel 4.35 / 5.66 / 6.05. Above M = 8 its 256 threads need two passes (two L2
/// round trips) for a column block's M x 32 quads: v49.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v46,v48 --dtype bf16 --wfmt int4-sym --m 1,8,9,12,16
#include <stdexcept>

#include "kernels/mma_lean.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

Step prepare_v48(const Problem& p) { return mma_lean::prepare_mma_lean<48>(p, "v48"); }

#else

Step prepare_v48(const Problem&) { throw std::invalid_argument("v48 uses mma.sync, ldmatrix and programmatic dependent launch (NVIDIA only)"); }

#endif

Version make_version() {
  Version v;
  v.info.id = "v48";
  v.info.idea = "v46 with the split-K sum in a second kernel launched with programmatic dependent launch: no ticket";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym, WFormat::int4_asym};
  v.kernel_regex = "w4_mma_lean|splitk_sum_kernel";
  v.takes_splits = true;
  v.prepare = prepare_v48;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
