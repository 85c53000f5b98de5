/// @file v16_cluster_combine.cu v13 with the split combine in a thread-block cluster where the splits fit one (<= 8): the partials are merged through distributed shared memory, with no global partials, ticket or L2 round trip.
///
/// **What changed from v13.** The tail, where the plan makes 2-8 splits (the batch shapes: 4 at
/// B = 8, and at (1, 512)): the splits of one (sequence, KV head) run as one cluster of
/// (splits, 1, 1) (`cudaLaunchKernelEx`), each block leaves its warp-merged (m, l, acc) in its
/// own shared memory, and after one cluster barrier rank 0 reads all of them through distributed
/// shared memory and writes the output (`cluster_combine`, kernels/split_tail.cuh); a second
/// barrier keeps the others' shared memory alive until it has. Where the plan makes more splits
/// than a portable cluster holds (B = 1 from S = 4096: 32-33), v16 runs v13's kernel, and the
/// row's details say so ("combine"). The streaming loop and the plan are v13's.
///
/// **Why.** After v13, (8, 4096) is 0.9 us short of 88% of copy (36.82 against ~35.9 us), and
/// what separates it from a pure read of the same 128 MiB (33.2-33.7 us) is fixed cost, much of
/// it the tail: the partial stores, the release that waits for them to reach L2, the ticket
/// atomic's round trip, then the combine's L2 round trip. In a cluster the partials never leave
/// the SMs' shared memory, and the barrier is the only wait.
///
/// **Prediction (written before measuring).** 0.3-1.0 us less than v13 at (8, 4096), (8, 512),
/// (8, 32768) and (1, 512) (4 splits): the ticket's two round trips become one cluster barrier
/// and the combine's L2 trip a DSMEM read. At (8, 4096) that is 35.8-36.5 us, 86.5-88.2% of copy:
/// the 88% target at the edge. The same as v13 elsewhere (v13's kernel runs there). Against it:
/// topic 04's v28 put a GEMV's split-K tail in a cluster and *lost* 1-23%, to the cluster
/// barriers (17% of stall samples) and to fewer resident clusters; here a cluster is 4 blocks of
/// 128 threads and 256 blocks fill under 2 per SM, so residency should not bind, but the first
/// barrier does make every block of a cluster wait for its slowest sibling, which the ticket
/// did not (only the last one waited).
///
/// **MEASURED** (runs 20261202T090532Z-58ef and …090534Z-bbe2 bf16, …090535Z-56b9 fp16, commit
/// fdfcfac, v13 in the same runs): a regression at every 4-split shape, kept. (8, 4096) 38.91 vs
/// 37.47 us and 39.15 vs 37.54 (+1.44, +1.62); (8, 512) +1.30 to +1.39; (1, 512) +0.64 to +0.80;
/// (8, 32768) 251.10 vs 245.68 (+2.2%; fp16 +6.18 us). Where it runs v13's kernel or one split,
/// the same as v13 (B = 32: a "cluster" of one block, no combine). The loss in microseconds grows
/// with the length, so the streaming phase is slower under the cluster launch, not only the tail
/// (README section 2 and exercise 10).
///
/// **Run.** `build/cuda/topics/02-decode-attention/lab-02-decode-attention --variant v13,v16 --layout contiguous --dtype bf16`
#include "kernels/mma_stream.cuh"

#if LABS_GPU
namespace decode02 {
namespace {

/// v16: the cluster tail where the plan's splits fit one cluster (<= kMaxClusterSplits),
/// otherwise v13's kernel (ticket and warp-per-head combine); the row's details say which
/// ("combine"). Needs sm_90; no cache hint on the loads.
Runner prepare_cluster(const DeviceProblem& p, const char* name) {
  const Shape s = p.shape;
#if defined(LABS_BACKEND_CUDA)
  mma_stream::validate_unhinted(s, name);
  Runner r;
  dispatch_dtype(s.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    int sms = 0, per_sm = 0;
    occupancy_of(mma_stream::mma_stream_kernel<T, kHintNone, true, mma_stream::kCombineCluster>, 0, &sms, &per_sm);
    const SplitPlan plan = plan_splits(s.B, s.Hkv, s.S, sms, per_sm, mma_stream::kV7BlockKeys, s.splits);
    if (plan.splits <= kMaxClusterSplits) {
      mma_stream::prepare_typed<T, kHintNone, true, mma_stream::kCombineCluster>(p, r);
    } else {
      mma_stream::prepare_typed<T, kHintNone, true, mma_stream::kCombineWarpPerHead>(p, r);
      r.details["combine"] = "warp_per_head (more splits than a cluster)";
    }
  });
  return r;
#else
  (void)s;
  throw std::runtime_error(std::string(name) + " uses thread-block clusters and mma.sync (NVIDIA sm_90); it has no HIP build");
#endif
}

Runner prepare_v16(const DeviceProblem& p) { return prepare_cluster(p, "v16"); }

DecodeVersion make_v16() {
  DecodeVersion v;
  v.info.id = "v16";
  v.info.idea = "v13 with the split combine in a thread-block cluster (<= 8 splits): DSMEM instead of partials and ticket";
  v.info.min_cc = 90;
  v.info.cuda_only = true;
  v.layouts = {Layout::contiguous};
  v.kernel_regex = "mma_stream_kernel";
  v.prepare = &prepare_v16;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(DecodeVersion, (make_v16()))

}  // namespace decode02
#endif
