/// @file v25_polled_combine_kernel.cu
/// v25 — v24 whose combine kernel waits per (sequence, KV head), not for the whole grid: every
/// split block, after its partial's stores and a barrier, adds 1 to its pair's counter with one
/// `red.release` (nothing comes back, so nothing to wait for: v22's publish). Block (kvh, b) of
/// the combine kernel, launched behind with programmatic dependent launch, polls that counter
/// with acquire loads and runs v13's combine as soon as all the pair's splits are in, then resets
/// the counter (kCombine = kCombinePolledKernel in kernels/mma_stream.cuh; combine_kernel's
/// kPolled path in kernels/combine_kernel.cuh). No `griddepcontrol.wait`. Same partials, same
/// combine: bitwise v13's output (GPU test, with poisoned partials and the counters read back).
///
/// **Why.** v24 measured both halves of a second-kernel combine. Without its tail the streaming
/// kernel is 1.9-4.5 us shorter (ncu), but the combine starts only after the whole grid has ended
/// and griddepcontrol.wait has released, and that gives it back (level with v13 to 1.6 us slower).
/// With PDL the combine blocks are resident before the grid ends (scheduled once every streaming
/// block has started), so each can watch its own pair instead of the grid. The streaming blocks
/// keep v24's short tail (a barrier and a release add, no answer, where v13 waits for an acq_rel
/// ticket), and the last pair is combined one poll after its last block publishes, with no grid
/// drain and no launch release in between. The difference from v22, whose designated finisher lost:
/// there the finisher was one of the streaming blocks, chosen by a ticket and stalled behind its
/// own barrier; here the combiner is a separate, idle block that was already waiting. It cannot
/// deadlock: the combine blocks are scheduled only after every streaming block has started (or,
/// without PDL, after the grid has ended).
///
/// **Prediction (written before measuring).** At the 4-split shapes, ~0.5-1 us under v13
/// ((8, 4096) ~36.3 us, 86.7% of copy; still short of 88%), from the streaming blocks' shorter
/// tail and no grid-end release; at 32 splits ((1, 32768)) the same or a little less, since the
/// combine there takes two round trips either way. One split: v13's kernel, no second launch.
/// The risk: 64-256 polling threads in one wave spend issue slots and L2 requests beside the
/// streaming warps.
///
/// **MEASURED** (H200, cold; GPU call at 5821298, runs 20261203T180557Z-015d (bf16, v13 and v24
/// beside it) and …180600Z-27c9 (fp16); README section 2, "v24 -> v25"): 0.0-1.1 us *slower* than
/// v13 at the split shapes in bf16 ((8, 4096) 37.22 vs 36.96, (1, 32768) 38.67 vs 37.60, (8, 512) 11.26 vs 11.23),
/// +0.55 to +1.31 in fp16; one split level. It is ahead of v24 at (8, 512), (8, 4096) and (1, 4096)
/// ((8, 4096) 37.22 vs 38.05) and behind at (1, 512) and (1, 32768). It does not beat v13's ticket:
/// the prediction was wrong. By our reading (not timed), one release seen by one acquire through
/// L2 costs about what the acq_rel ticket did.
///
/// **Run.** `build/cuda/topics/02-decode-attention/lab-02-decode-attention --variant v13,v24,v25 --layout contiguous --dtype bf16`
#include "kernels/mma_stream.cuh"

#if LABS_GPU
namespace decode02 {
namespace {

Runner prepare_v25(const DeviceProblem& p) {
#if defined(LABS_BACKEND_CUDA)
  return mma_stream::prepare_stream_kind<mma_stream::kStreamOwnTiles, false, mma_stream::kCombinePolledKernel>(p, "v25");
#else
  (void)p;
  throw std::runtime_error("v25 uses mma.sync, PTX release/acquire and programmatic dependent launch (NVIDIA); it has no HIP build");
#endif
}

DecodeVersion make_v25() {
  DecodeVersion v;
  v.info.id = "v25";
  v.info.idea = "v24 with a combine kernel that polls each pair's release count instead of waiting for the grid's end";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.layouts = {Layout::contiguous};
  v.kernel_regex = "mma_stream_kernel|combine_kernel";
  v.prepare = &prepare_v25;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(DecodeVersion, (make_v25()))

}  // namespace decode02
#endif
