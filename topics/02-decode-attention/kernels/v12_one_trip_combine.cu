/// @file v12_one_trip_combine.cu v10 with the split combine's partial reads in one L2 round trip: the last block loads every split's (m, l) and accumulators together and merges them online.
///
/// **What changed from v10.** One thing, the `kCombine = kCombineOneTrip` instantiation of the shared
/// body (kernels/mma_stream.cuh): the last block of a (sequence, KV head) no longer copies every
/// split's (m, l) into shared memory, waits at a barrier, takes the max and only then loads the
/// accumulators. Each thread loads the (m, l) and its 4 accumulator floats of up to 8 splits at
/// once (`combine_one_trip`) and folds them into a running (max, sum, acc) with the usual
/// rescale. The streaming loop, the ticket (v9's acq_rel atomic) and the plan are v10's.
///
/// **Why.** Topic 00's read sweep (run 20261202T080021Z, commit 54c600c) put the ceiling of a
/// kernel that only reads 128 MiB, cold, at 33.28 us (94.7% of copy), and v10 took 37.17 us at
/// (8, 4096) and 37.73 at (1, 32768) in the same call: 3.9-4.5 us more than a pure read of the
/// same bytes. The two-point fits of section 2 give v10 ~7.6 us of fixed cost against the read
/// kernel's ~4.4; the split tail is the part a read kernel does not have. After the last block
/// has streamed its keys it pays, in series: the partial stores' release and the ticket atomic,
/// then v10's combine reads (m, l) (one L2 round trip), a barrier, then the accumulators (one
/// more, two at 32 splits: `#pragma unroll 16`), then the output stores. One of those round
/// trips is not needed: the accumulators can be loaded beside their (m, l) and rescaled as they
/// come (the online-softmax rule, applied to splits instead of keys).
///
/// **Prediction (written before measuring).** 0.3-0.8 us less than v10 at the split shapes
/// ((8, 4096): 4 splits, (1, 32768): 32, (1, 131072), (8, 32768)), about one L2 round trip under
/// load; the same as v10 where there is one split ((32, 4096)). Not enough alone for the 88%
/// target (35.5 us at 128 MiB): that would need ~1.7 us.
///
/// **MEASURED** (run 20261202T081040Z-029f at f1dcfb8, and 20261202T081636Z-bc6d at 48de50d,
/// bf16, cold): right at 4 splits, wrong at 32. (8, 4096) 36.82 us vs v10 37.49 (85.8% of copy),
/// (1, 512) 8.75 vs 9.30, (8, 512) 11.01 vs 11.55; but (1, 32768) 39.09 vs 37.87 and (1, 4096)
/// 13.39 vs 12.21: 1.1-1.4 us *slower* at 32 splits (runs 029f, fb3c, bc6d; fp16 in fdda), and
/// 0.75-1.24 us slower at 33 ((1, 131072)). The chunk loop is not
/// unrolled, so 32 splits are 4 dependent L2 round trips, and each split's rescale waits for the
/// previous max: a chain of 32 x (max, 2 exp2f). v13 is the fix. Kept: best at 4 splits.
///
/// **Numerics.** The merge order is the split order, as in v10, but each split is rescaled to
/// the running max instead of the final one, so v12 and v10 may differ in the last bits; both
/// are checked against the same oracle, and v12 gives the same bits on every run (the GPU test).
///
/// **Run.** `build/cuda/topics/02-decode-attention/lab-02-decode-attention --variant v10,v12 --layout contiguous --dtype bf16`
#include "kernels/mma_stream.cuh"

#if LABS_GPU
namespace decode02 {
namespace {

Runner prepare_v12(const DeviceProblem& p) { return mma_stream::prepare<true, false, mma_stream::kCombineOneTrip>(p, "v12"); }

DecodeVersion make_v12() {
  DecodeVersion v;
  v.info.id = "v12";
  v.info.idea = "v10 with the split combine's (m, l) and accumulator loads issued together: one L2 round trip";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.layouts = {Layout::contiguous};
  v.kernel_regex = "mma_stream_kernel";
  v.prepare = &prepare_v12;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(DecodeVersion, (make_v12()))

}  // namespace decode02
#endif
