/// @file v9_acq_rel_ticket.cu v7 with the split combine's ticket published by one release/acquire atomic instead of two sequentially consistent fences.
///
/// **What changed from v7.** One thing, in the split-K tail (kernels/mma_stream.cuh, the
/// `kAcqRelTicket` instantiation): v7 has every thread of every block execute
/// `__threadfence()` before counting the block as done, and every thread of the last block
/// again before it reads the partials. In SASS a `__threadfence()` is `MEMBAR.SC.GPU`, a
/// sequentially consistent fence at GPU scope: each warp waits until its outstanding memory
/// operations are globally visible and the fence has been ordered against every other SC
/// fence of the GPU. v9 keeps the block barrier, which already orders the block's partial
/// stores before thread 0's count (CTA-scope synchronisation), and has thread 0 count with
/// `atom.add.acq_rel.gpu`: a release that is cumulative over everything the barrier made
/// visible to it, and an acquire that the second barrier hands on to the block's reads.
/// Same pattern as topic 04's v14, where it was one of three changes that together took
/// ~3.6 us of fixed cost off a stream-K GEMV.
///
/// **Why it could matter here.** Each split block fences once at its end, while the block's
/// partial stores (2 KiB of fp32 accumulators) are in flight; the last block of every
/// (sequence, KV head) pays a second fence before its reads. Both sit on the step's critical
/// path: the step ends when the last block of the last (b, kvh) has combined. The ~10.7 us
/// fixed cost of v7 and cuDNN (README section 2) is what separates 80% from the 88% target at
/// 128 MiB (35.6 us).
///
/// **Prediction (before measuring; bf16 and fp16, cold L2, H200).** 0.3-1 us less than v7 at
/// every split shape (S >= 4096), the same time at splits = 1: (1, 32768) and (8, 4096)
/// from ~39.5 / ~38.9 us to ~38.5-39 / ~38-38.6 us — still 80-82% of copy, short of the 88%
/// target. The large shapes (>= 512 MiB) move by less than their run-to-run spread.
///
/// **MEASURED** (run 20261201T235410Z-2bb4, commit 4f311a6, bf16, cold; the first run, at
/// 2fea861, is within 1.2 us of these, with v9 only 0.15-0.21 us ahead of v7 there): (8, 4096)
/// 38.58 us vs v7 39.39, (1, 32768) 39.46 vs 39.81, (32, 4096) 134.10 vs 134.32 (one split: no ticket work to save); ncu at (1, 32768): 38.18 vs 38.72 us,
/// DRAM 74.4% vs 73.2%. Inside the prediction and inside the run-to-run spread at most shapes.
///
/// **Profiler.** `ncu --section WarpStateStats -k regex:mma_stream_kernel`: v7's
/// `smsp__pcsamp_warps_issue_stalled_membar` share should vanish in v9.
///
/// **Run.** `build/cuda/topics/02-decode-attention/lab-02-decode-attention --variant v7,v9 --layout contiguous --dtype bf16`
#include "kernels/mma_stream.cuh"

#if LABS_GPU
namespace decode02 {
namespace {

Runner prepare_v9(const DeviceProblem& p) { return mma_stream::prepare<true, true>(p, "v9"); }

DecodeVersion make_v9() {
  DecodeVersion v;
  v.info.id = "v9";
  v.info.idea = "v7 with the split combine's ticket as one acq_rel atomic instead of two __threadfence";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.layouts = {Layout::contiguous};
  v.kernel_regex = "mma_stream_kernel";
  v.prepare = &prepare_v9;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(DecodeVersion, (make_v9()))

}  // namespace decode02
#endif
