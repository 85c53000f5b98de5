/// @file v22_designated_combiner.cu v13 whose combine is run by the block that ends its loop last (a ticket taken at the loop's end, answered under the merge); the others publish with a release add and leave, the combiner polls with acquire loads instead of a fence and an atomic round trip.
///
/// **What changed from v13.** Only the end of a split block (kernels/mma_stream.cuh,
/// kCombine = kCombineDesignated; lab::red_add_release_gpu and lab::load_acquire_gpu in
/// common/labs/gpu_sync.cuh). v13's last block is found *after* the partials are published: each
/// block stores its partial, passes a barrier, and thread 0's `atom.add.acq_rel.gpu` must wait for
/// the block's stores to land (the release) and then for the atomic's answer (a second L2 round
/// trip) before the block knows whether it combines. v22 decides earlier, at the end of the loop:
/// - thread 0 takes a relaxed ticket from the pair's counter when warp 0's last tile is done; its
///   answer is not needed until after the merge, so the round trip runs under the merge;
/// - every block stores its partial and passes one barrier; a block whose ticket is not the last
///   adds 1 to the pair's second counter with `red.release.gpu` (no answer to wait for) and leaves;
/// - the block with the last ticket (the combiner) publishes nothing: thread 0 polls the second
///   counter with `ld.acquire.gpu` until the other splits - 1 have published, one barrier, then
///   v13's warp-per-head combine over all the partials (its own read back after the barrier).
/// It cannot wait for a block that is not running: every other block of its pair took a ticket
/// before it did, so they are all resident and past their loops (no assumption about the order
/// in which the hardware starts blocks). The combine adds the same partials in the same order,
/// so the output is bitwise v13's (a GPU test checks it at the plan's and forced 1-5, 9 and 33
/// splits, both dtypes, on relaunch with the partials poisoned and the counters read back).
/// At one split it is v13 (no ticket).
///
/// **Why: exercise 12 (b) and the clock.** probe-v13-clock (README section 2, "Where v13's time
/// goes") put the tail at 4 splits at ~2.1 us after the last block's last tile: merge 0.58,
/// publish 0.77 (the partial's stores land before the acq_rel ticket can count them, then the
/// ticket's round trip), combine 0.93. v21 attacked the merge and lost in the combine; v22 leaves
/// merge and combine alone and removes the last block's publish: its stores need not land before
/// anything, and the question "am I last?" was asked under the merge.
///
/// **Prediction (written before measuring).** If the last loop-end ticket goes to the block that
/// also finishes its merge last, the combiner's publish (0.77 us) becomes one acquire load's round
/// trip (~0.3-0.4 us; the others published while it merged), and the tail at 4 splits goes from
/// ~2.1 to ~1.7 us: 0.2-0.5 us faster than v13 at the 4- and 32-split shapes ((8, 4096) ~36.7 us
/// against v13's ~37.1, ~86.5% of copy: the 88% target, ~35.9 us, still missed), the same as v13
/// at one split. Where the ticket misleads (the combiner merged early and waits for a slower block),
/// the wait is that block's barrier, release and add plus a poll: about v13's publish, no worse.
/// In probe-v22-clock: "publish" of the combiner ~0.35 us; merge and combine as v13's.
///
/// **MEASURED** (H200, cold; GPU call at 4e8a2c6, runs 20261203T144855Z-5f45, …144911Z-90ac (bf16)
/// and …144909Z-0a8d (fp16), v13 in the same runs; README section 2, "v13 -> v22"): **slower, a
/// regression (kept).** +0.1 to +0.6 us at every split shape but one ((8, 32768) -0.45 in one run;
/// (8, 4096) 37.25 against 37.17 and
/// 37.17 against 36.91; (1, 32768) 37.90 / 37.63 and 37.78 / 37.49; (1, 131072) +0.61); level at one
/// split. probe-v22-clock at (8, 4096): publish 0.77 -> 0.54 per block, but the merge 0.58 -> 0.86
/// (+0.22-0.32 at every shape up to 128 MiB). Our reading: the merge's `__syncthreads()` waits
/// until the ticket's atomic has been performed, so its round trip was not hidden but moved into
/// the merge; the tail 2.11 -> 2.43 us in one run (2.40 -> 2.34 in the other). v23 takes the
/// ticket a tile earlier.
///
/// **Run.** `build/cuda/topics/02-decode-attention/lab-02-decode-attention --variant v13,v22,probe-v13-clock,probe-v22-clock --batch 8 --kv-len 4096 --layout contiguous --dtype bf16`
#include "kernels/mma_stream.cuh"

#if LABS_GPU
namespace decode02 {
namespace {

Runner prepare_v22(const DeviceProblem& p) {
#if defined(LABS_BACKEND_CUDA)
  return mma_stream::prepare_stream_kind<mma_stream::kStreamOwnTiles, false, mma_stream::kCombineDesignated>(p, "v22");
#else
  (void)p;
  throw std::runtime_error("v22 uses mma.sync and PTX release/acquire (NVIDIA sm_80+); it has no HIP build");
#endif
}

DecodeVersion make_v22() {
  DecodeVersion v;
  v.info.id = "v22";
  v.info.idea = "v13 with the combine run by the block that ends its loop last: no fence or ticket round trip on its path";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.layouts = {Layout::contiguous};
  v.kernel_regex = "mma_stream_kernel";
  v.prepare = &prepare_v22;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(DecodeVersion, (make_v22()))

}  // namespace decode02
#endif
