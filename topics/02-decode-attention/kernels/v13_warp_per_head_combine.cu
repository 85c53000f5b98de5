/// @file v13_warp_per_head_combine.cu v10 with the split combine done by one warp per head: the first 16 splits' accumulators are loaded before the max is known, the max is a warp reduction, and every split's weight is computed at once by its own lane.
///
/// **What changed from v10.** One thing, the `kCombine = kCombineWarpPerHead` instantiation of the
/// shared body (kernels/mma_stream.cuh, `combine_warp_per_head`): in the last block of a
/// (sequence, KV head), warp h merges head h's partials, lane i holding dims 4i..4i+3. No shared
/// memory and no barrier: the lanes load the (m, l) pairs (lane x: split x), reduce the max with
/// shuffles, each lane turns its own split's max into a weight, and the weights reach the
/// accumulator sums through `__shfl_sync`. The accumulators of the first 16 splits are loaded
/// before the (m, l) pairs, since they do not depend on the max.
///
/// **Why: v12's measured lesson.** v12 (one trip, online merge) was 0.4-0.55 us faster than
/// v10 at 4 splits but 1.3 us *slower* at 32 (run 20261202T081040Z-029f, bf16: (1, 32768) 39.58
/// vs 38.30 us; (1, 4096) 13.47 vs 12.22). Its loop over chunks of 8 splits is not unrolled, so
/// 32 splits are 4 round trips, not 1, and each split's rescale waits for the previous one's
/// max (two exp2f per split in a dependent chain of 32). v10 has neither problem (the max first,
/// then independent weights) but pays a barrier and a second trip. v13 keeps v10's independent
/// weights and v12's early loads: 1 L2 round trip up to 16 splits, 2 at 32 (v10: 2 and 3).
///
/// **Prediction (written before measuring).** Against v10 in the same run: 0.3-0.7 us faster at
/// 4 splits ((8, 4096), (8, 512), (1, 512)) like v12, and 0.3-0.8 us faster at 32-33 splits
/// ((1, 4096), (1, 32768), (1, 131072)), where v12 lost; the same at one split. At (8, 4096)
/// that is ~37.4 us, 84% of copy: still short of the 88% target (35.5 us).
///
/// **MEASURED** (runs 20261202T081636Z-bc6d, …081638Z-7950 and …081639Z-279d at 48de50d,
/// 20261202T082355Z-88f2 at c7547e3; bf16 unless said): against v10 in the same run, -0.16 to
/// -0.64 us at 4 and 32 splits (13 pairs; 9 inside the predicted 0.3-0.8, 4 smaller):
/// (1, 32768) 37.58 vs 37.87 and 37.36 vs 37.86 (84.4% of copy), (1, 4096) 11.76 vs 12.21,
/// (8, 4096) 37.02 vs 37.49 and 36.82 vs 37.09; fp16 (1, 32768) 37.94 vs 38.45. At 33 splits,
/// (1, 131072), +0.22 and +0.51 us, inside the bands: that prediction was wrong. At one split the
/// same as v10. 88% of copy (~35.9 us) still missed by 0.9-1.7 us.
///
/// **Run.** `build/cuda/topics/02-decode-attention/lab-02-decode-attention --variant v10,v12,v13 --layout contiguous --dtype bf16`
#include "kernels/mma_stream.cuh"

#if LABS_GPU
namespace decode02 {
namespace {

Runner prepare_v13(const DeviceProblem& p) {
  return mma_stream::prepare<true, false, mma_stream::kCombineWarpPerHead>(p, "v13");
}

DecodeVersion make_v13() {
  DecodeVersion v;
  v.info.id = "v13";
  v.info.idea = "v10 with the split combine by one warp per head: early accumulator loads, shuffle max, no barrier";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.layouts = {Layout::contiguous};
  v.kernel_regex = "mma_stream_kernel";
  v.prepare = &prepare_v13;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(DecodeVersion, (make_v13()))

}  // namespace decode02
#endif
