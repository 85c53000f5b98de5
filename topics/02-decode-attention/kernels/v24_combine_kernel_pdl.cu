/// @file v24_combine_kernel_pdl.cu
/// v24 — v13 with the split combine moved out of the kernel: every block stores its partial and
/// leaves; a second kernel, launched behind it with programmatic dependent launch (PDL, sm_90),
/// merges the partials with v13's combine. This is exercise 4 of the README, built.
///
/// **What changed from v13.** v13's tail in every split block is: merge the warps, store the
/// partial, barrier, one acq_rel ticket (an L2 round trip), barrier; the last block of a (sequence,
/// KV head) then combines. In v24 (kCombine = kCombineSecondKernel, kernels/mma_stream.cuh) the
/// block stops after the partial's stores: no barrier after them, no atomic. Every block first
/// executes `griddepcontrol.launch_dependents`, so once the whole grid has started, the combine
/// kernel (kernels/combine_kernel.cuh: one block of 4 warps per pair, warp h for head h) is
/// scheduled onto free slots and its threads sit in `griddepcontrol.wait` until the streaming
/// grid has ended and its writes are visible. One split: no second kernel (v13's direct store).
/// The combine is v13's function on the same partials: the output is bitwise v13's.
///
/// **Why try it.** The probes of §2 ("Where v13's time goes") put the tail after the last block's
/// last tile at 2.1 us at 4 splits: the merge (~0.6), the publish and ticket (0.74-0.83, v22's
/// clock record), the combine (~0.7). v22 and v23 tried to take the ticket off that path inside
/// the kernel and lost, because the barrier after the ticket waits for the atomic and a
/// designated block must still poll. A grid's end is a barrier the hardware keeps for free: if
/// the wait releases sooner after the last block's exit than a ticket's round trip, v24 wins.
/// FlashInfer and the original flash-decoding merge partial states in a separate kernel too.
///
/// **Prediction (written before measuring).** The last block saves its barrier and ticket
/// (~0.8 us) and pays the grid's drain plus the release of `griddepcontrol.wait`, which I have
/// no number for; the combine's loads are the same one L2 round trip as v13's. Guess: level
/// with v13 within +-0.5 us at the 4-split shapes ((8, 4096): ~37 us) and at 32 splits
/// ((1, 32768)); identical at one split (no second kernel). The 88% target needs ~1 us: I do not
/// expect v24 to reach it.
///
/// **MEASURED** (H200, cold, bf16 unless said; runs 20261203T173808Z-5543 at 8fe702e and
/// 20261203T175023Z-7ae9 / …175026Z-30b4 at e9673af, v13 in the same runs; README section 2,
/// "v13 -> v24"): level with v13 to 1.6 us slower, never faster beyond the noise. At (8, 4096)
/// +0.01 and +0.93 us in the two calls (37.18 vs 37.17, 38.02 vs 37.09); (1, 32768) +1.28 and 0.00;
/// (8, 512) +1.09 and +0.99; one split level. probe-v24-no-pdl (the same combine kernel, launched
/// plainly) is 0.3-2.9 us slower than v24: that much of a second launch PDL hides. Nsight Compute
/// (each kernel alone, L2 flushed, at 84afd7b): the streaming kernel without its tail is 1.9-4.5 us
/// shorter than v13 ((8, 4096) 34.85 vs 39.30), and the combine kernel takes 3.3-4.8 us on its own.
/// The prediction's range was right at some shapes and too hopeful at others. By our reading (not
/// timed directly) the release after the grid's end costs about what the ticket did; v25 tries
/// a combine that watches its own pair instead.
///
/// **Run.** `build/cuda/topics/02-decode-attention/lab-02-decode-attention --variant v13,v24 --layout contiguous --dtype bf16`
#include "kernels/mma_stream.cuh"

#if LABS_GPU
namespace decode02 {
namespace {

Runner prepare_v24(const DeviceProblem& p) {
#if defined(LABS_BACKEND_CUDA)
  return mma_stream::prepare_stream_kind<mma_stream::kStreamOwnTiles, false, mma_stream::kCombineSecondKernel>(p, "v24");
#else
  (void)p;
  throw std::runtime_error("v24 uses mma.sync and programmatic dependent launch (NVIDIA); it has no HIP build");
#endif
}

DecodeVersion make_v24() {
  DecodeVersion v;
  v.info.id = "v24";
  v.info.idea = "v13 with the split combine in a second kernel launched with programmatic dependent launch: no ticket";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.layouts = {Layout::contiguous};
  v.kernel_regex = "mma_stream_kernel|combine_kernel";
  v.prepare = &prepare_v24;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(DecodeVersion, (make_v24()))

}  // namespace decode02
#endif
