/// @file v21_warp_partials.cu v13 with a partial per warp at up to 4 splits: no block merge; the last block combines 16 partials per (sequence, KV head), each thread one float4 slot of all of them.
///
/// **What changed from v13.** Only the end of a split block, and only at 2-4 splits
/// (kernels/split_tail.cuh, `store_warp_partial` and `combine_warp_partials`; the kernel is
/// `mma_stream_kernel` with kCombine = kCombineWarpPartials):
/// - each warp stores its own (m, l) and O fragments as soon as its last tile is done, 8 float4
///   per lane in fragment order, instead of writing them to shared memory, passing a barrier and
///   merging the 4 warps there (merge_warps) and then storing the block's partial;
/// - the block passes one barrier (every warp's stores before thread 0's acq_rel ticket, as v9),
///   and the last block of a (sequence, KV head) combines its 4 x splits warp partials: thread i
///   owns float4 slot i of every partial (2 dims of 2 heads), loads it and the two heads' (m, l)
///   from all 16 partials at once, takes the maxima itself and stores its 4 outputs. No shuffles,
///   no shared memory, no second barrier.
/// At one split and above 4 splits it is v13 (the block merge): 32 splits would be 128 warp
/// partials, 8 round trips for the combine.
///
/// **Why: the clock.** probe-v13-clock (README section 2, "Where v13's time goes") put ~2.1 us at
/// 4 splits between the last block's last tile and the last output: merge 0.58 (the slowest warp,
/// then shared memory, a barrier and merge_partials' exp2), publish 0.77 (the partial's stores
/// land, the ticket's round trip), combine 0.93 (one L2 round trip, then a shuffle per split).
/// v21 removes the shared-memory merge and its barrier; a warp's stores start while its siblings
/// still stream, so fewer are still in flight when the ticket needs them; the combine loads 4x the
/// bytes (33 KiB per last block instead of 8) in the same single round trip.
///
/// **Prediction (written before measuring).** The clock at (8, 4096): merge (last tile to the
/// barrier) 0.58 -> ~0.25 us (what is left is the wait for the block's slowest warp), publish
/// 0.77 -> ~0.6, combine 0.93 -> ~0.8; the tail ~2.1 -> ~1.6 us, so v21 ~0.4-0.6 us faster than v13
/// at 4-split shapes ((8, 4096), (8, 512), (1, 512)): ~36.6 us at (8, 4096), ~86% of copy, still
/// short of 88% (~35.9). The same as v13 (within the bands) at 1 and 32 splits, where it runs
/// v13's code. Output: not bitwise v13's (4 more terms per sum, in another order), within the
/// oracle's tolerance.
///
/// **MEASURED** (H200, bf16, cold; GPU call at bf8792e, runs 20261203T072449Z-6f2a and
/// 20261203T072450Z-aa8a; README section 2, "v13 -> v21"): **slower, a regression (kept).** +0.50
/// to +0.74 us at every 4-split shape ((8, 4096) 37.54 against 36.91 and 38.08 against 37.34; (8,
/// 512) +0.59 / +0.50; (1, 512) +0.61); 0.0-0.45 us at 1 and 32-33 splits, where it takes v13's
/// steps (the spread of two kernels in one call). The clock at (8, 4096): merge 0.58 -> 0.32 (as
/// predicted), publish 0.74 -> 0.80 (not shorter), combine 0.96 -> 1.60 (predicted ~0.8): 16
/// partials are not one L2 round trip like 4; the tail grew 2.18 -> 2.59 us.
///
/// **Run.** `build/cuda/topics/02-decode-attention/lab-02-decode-attention --variant v13,v21,probe-v13-clock,probe-v21-clock --batch 8 --kv-len 4096 --layout contiguous --dtype bf16`
#include "kernels/mma_stream.cuh"

#if LABS_GPU
namespace decode02 {
namespace {

Runner prepare_v21(const DeviceProblem& p) {
#if defined(LABS_BACKEND_CUDA)
  return mma_stream::prepare_stream_kind<mma_stream::kStreamOwnTiles, false, mma_stream::kCombineWarpPartials>(p, "v21");
#else
  (void)p;
  throw std::runtime_error("v21 uses mma.sync (NVIDIA sm_80+); it has no HIP build");
#endif
}

DecodeVersion make_v21() {
  DecodeVersion v;
  v.info.id = "v21";
  v.info.idea = "v13 with a partial per warp at up to 4 splits: no block merge, a per-thread combine of 16 partials";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.layouts = {Layout::contiguous};
  v.kernel_regex = "mma_stream_kernel";
  v.prepare = &prepare_v21;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(DecodeVersion, (make_v21()))

}  // namespace decode02
#endif
