/// @file v23_ticket_at_last_tile.cu v22 with the combiner's ticket taken as warp 0 starts its last tile instead of after it, so the ticket's round trip runs under that tile's loads and math instead of inside the merge's barrier.
///
/// **What changed from v22.** One line's position (kernels/mma_stream.cuh, stream_keys with
/// kLoopTicket = kTicketAtLastTile; the kernel's kCombine = kCombineDesignatedEarly): thread 0
/// takes the pair's ticket at the top of warp 0's last tile iteration (after its loop when the
/// split has no tile). Everything after the loop is v22's: every block stores its partial, one
/// barrier, the others publish with `red.release.gpu` and leave, the block holding the last ticket
/// polls with `ld.acquire.gpu` and runs v13's combine. Bitwise v13's output (GPU test).
///
/// **Why: v22's clock.** v22 lost 0.1-0.6 us to v13 at every split shape (README section 2,
/// v13 -> v22), and probe-v22-clock showed where: the merge grew from 0.58 to 0.86 us at
/// (8, 4096) while the publish of the median block fell from 0.77 to 0.54 and the combine stayed
/// at 0.96. The ticket's atomic was issued just before the merge's `__syncthreads()`, and the
/// barrier does not complete until the atomic has been performed (PTX: memory accesses requested
/// before `bar.sync` are performed relative to the CTA's threads), so its L2 round trip moved
/// into the merge instead of hiding under it. A tile earlier, it has a whole tile (~1.7 us of loads
/// and mma at the 128 MiB shapes, from the clock's loop length over 16 tiles per warp) to come back.
/// The order it gives is one tile older, so the block holding the last ticket is less often the
/// last to finish; when it is not, it waits for that block's release add.
///
/// **Prediction (written before measuring).** The merge back to v13's ~0.58 us; the combiner's
/// publish (its poll) ~0.35-0.55 us against v13's 0.77; the tail at (8, 4096) ~1.9 us against
/// v13's ~2.1-2.4, so 0.1-0.3 us faster than v13 at the 4- and 32-split shapes ((8, 4096) ~36.8
/// us, 86%: the 88% target, ~35.9 us, still missed), v13's time at one split.
///
/// **MEASURED** (H200, cold; GPU call at 3cf9a41, runs 20261203T150012Z-7859 (bf16, with v13, v22
/// and the clocks) and …150016Z-2276 (fp16); README section 2, "v22 -> v23"): **slower, a
/// regression (kept).** -0.1 to +0.5 us at the split shapes ((8, 4096) 38.05 against v13's 37.60,
/// (1, 32768) 38.32 against 38.22), level at one split. The clock: merge 0.70 (v22 0.86, v13 0.58),
/// publish 0.54 per block, but the tail after the last loop 2.50 us against v13's 2.08 (longer at
/// five of the seven split shapes). The clock's ticket record (run 20261203T161052Z-2a74, at
/// df46571): v23's holder of the last ticket merged last in 25-61% of pairs (v22's in 64-100%),
/// and even v22's finisher waited 0.7-1.0 us for its poll, about v13's own publish (0.74-0.83) or longer:
/// the second-to-last block's fence and add are on the path in both designs.
///
/// **Run.** `build/cuda/topics/02-decode-attention/lab-02-decode-attention --variant v13,v22,v23,probe-v13-clock,probe-v22-clock,probe-v23-clock --batch 8 --kv-len 4096 --layout contiguous --dtype bf16`
#include "kernels/mma_stream.cuh"

#if LABS_GPU
namespace decode02 {
namespace {

Runner prepare_v23(const DeviceProblem& p) {
#if defined(LABS_BACKEND_CUDA)
  return mma_stream::prepare_stream_kind<mma_stream::kStreamOwnTiles, false, mma_stream::kCombineDesignatedEarly>(p, "v23");
#else
  (void)p;
  throw std::runtime_error("v23 uses mma.sync and PTX release/acquire (NVIDIA sm_80+); it has no HIP build");
#endif
}

DecodeVersion make_v23() {
  DecodeVersion v;
  v.info.id = "v23";
  v.info.idea = "v22 with the ticket taken as warp 0 starts its last tile, so its round trip hides under that tile";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.layouts = {Layout::contiguous};
  v.kernel_regex = "mma_stream_kernel";
  v.prepare = &prepare_v23;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(DecodeVersion, (make_v23()))

}  // namespace decode02
#endif
