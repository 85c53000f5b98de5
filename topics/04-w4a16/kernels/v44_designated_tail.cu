/// @file v44_designated_tail.cu
/// v44 — v37 with a designated finisher for the split-K sum (kernels/mma_lean.cuh,
/// MmaLeanFeatures of version 44: kDesignatedTail; `designated_finish`; lab::red_add_release_gpu
/// and lab::load_acquire_gpu in common/labs/gpu_sync.cuh). Topic 02's v22 is the same idea on
/// decode attention's combine.
///
/// What changes, only the end of a block with more than one K split:
///   - v37: every block stores its fp32 partial, passes a barrier, and thread 0's
///     `atom.add.acq_rel.gpu` on the column block's ticket first waits for the block's stores to
///     land (the release: MEMBAR.ALL.GPU in SASS), then for the atomic's answer; a second barrier
///     hands the answer to the block, the last one sums the partials, the others leave. Every block
///     holds its SM slot for two L2 round trips after its last store.
///   - v44: thread 0 takes a relaxed ticket when its group loop ends, before the partial's stores,
///     so the answer comes back while they are issued. After one barrier a block whose ticket is
///     not the last adds 1 to a second counter with `red.release.gpu` (no answer to wait for) and
///     leaves; the block with the last ticket publishes nothing and polls that counter with
///     `ld.acquire.gpu` until the other splits - 1 are in, then sums as v37 (its own partial read
///     back after the barrier) and resets both counters. It never waits for a block that is not
///     running: every block of its column block took a ticket before it did.
/// Same partials, same sum in split order: the output is bitwise v37's (a GPU test at M = 1, 5, 8,
/// 9, 12, 16, both formats, the plan's split and forced ones, on relaunch).
///
/// Why: probe-v37-notail (README section 4, "The tail, measured") put v37's split-K tail at
/// 2.4-2.6 us of 20.8 on 8b-gate at M = 9-16 (896 blocks in 1.7 waves: a first-wave block's fence
/// and ticket delay the second wave's start) and 1.7 us on 8b-down (one wave); ncu's source view
/// had 14.9% of v37's warp-state samples at the barrier around thread 0's fence and ticket.
///
/// PREDICTION (before measuring; bf16, int4-sym, cold): every block leaves ~one L2 round trip
/// sooner (no atomic's answer to wait for; the finisher no fence), and the finisher's ticket is
/// answered under its stores. 8b-gate M = 16 ~0.5-1.0 us under v37 (~20.0 us, ~1.65x cuBLAS
/// bf16), M = 9 and 12 the same; 8b-down ~0.3-0.6 us under v37 (one wave: only the last
/// finishers' path counts). At M <= 8, where v37 runs v29's kernels, the same kind of gain where
/// the plan splits K. Where the ticket's order misleads (the last to end its loop is not the last
/// to store), the finisher waits for a slower block's release: about v37's path, no worse. The
/// M = 16 target (2.5x cuBLAS, ~13 us) stays far: the whole tail is 2.5 us.
///
/// MEASURED (H200, cold; GPU call at 4e8a2c6, runs 20261203T144859Z-0d88 and …144912Z-b23f (bf16),
/// …144917Z-2761 (fp16), v37 in the same runs; README section 4, "v44"): **level at best, a
/// regression (kept).** 8b-gate -0.06 to +0.10 us at M = 1-16 bf16 (M = 16 20.75 against 20.82),
/// -0.1 to -0.3 fp16; 8b-down +0.13 to +0.32 (M = 16 22.42 against 22.10); 8b-o, 8b-qkv, 70b-o
/// +0.2 to +0.5; the large layers within the call's spread. The barrier after the partial's
/// stores waits until thread 0's ticket atomic has been performed, so the ticket's round trip is
/// paid there by every block instead of hiding under the stores (topic 02's v22 clock: the merge
/// +0.28 us); a non-finisher then pays its release, the finisher a poll: no round trip saved.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v37,v44,cublas --dtype bf16 --wfmt int4-sym --m 1,8,9,12,16 --shape 8b-gate,8b-down
#include <stdexcept>

#include "kernels/mma_lean.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

Step prepare_v44(const Problem& p) { return mma_lean::prepare_mma_lean<44>(p, "v44"); }

#else

Step prepare_v44(const Problem&) {
  throw std::invalid_argument("v44 uses mma.sync, ldmatrix and PTX release/acquire (NVIDIA only)");
}

#endif

Version make_version() {
  Version v;
  v.info.id = "v44";
  v.info.idea = "v37 with the split-K sum done by the block that ends its loop last: no fence or ticket answer to wait for";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym, WFormat::int4_asym};
  v.kernel_regex = "w4_mma_lean";
  v.takes_splits = true;
  v.prepare = prepare_v44;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
