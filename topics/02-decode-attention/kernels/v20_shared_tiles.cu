/// @file v20_shared_tiles.cu v13 with the 16-key tiles of each (sequence, KV head) handed out by a counter to whichever of its warps is free, instead of fixed per split.
///
/// **What changed from v13.** One thing, who reads which tile (kernels/mma_stream.cuh,
/// `stream_keys_shared`): every warp of the pair's splits starts on one fixed tile (the first
/// 4 x splits tiles), then claims the next unclaimed tile from a per-pair counter with one atomic
/// per tile, asked one tile ahead so the answer is back before the loads that need it. A split's
/// key range is no longer fixed: blocks that stream faster take more tiles. One tile in flight
/// per warp, the merge, the ticket and the combine are v13's; the last block of a pair resets
/// the counter (after the tickets in the split workspace). The order of each warp's online-softmax
/// updates depends on which tiles it got, so the last bits of the output can differ between runs:
/// v20 is checked against the oracle, not bitwise against v13 or itself.
///
/// **Why: the clock's measured lesson** (probe-v13-clock, GPU calls of 2026-12-02 18:48 and 18:59 UTC,
/// H200, bf16; README section 2, "Where v13's time goes"). At (8, 4096) v13's blocks end their
/// stream between 30.34 us (median) and 32.0 us (the last one) after the first block starts,
/// and the kernel ends ~2.1 us after the last one (merge, ticket, combine): the slowest block of
/// the slowest pair sets the end. Within a pair the splits are independent, so one slow split
/// holds up its whole pair while its siblings are done. v19 (two tiles per warp) was 1.1 us
/// slower: the stream is already at the bandwidth, only its ragged end is left to shorten.
///
/// **Prediction (written before measuring).** The blocks of a pair end their loops together,
/// so the last loop end moves from v13's 32.0 us toward its 90th percentile (31.1): 0.3-0.8 us
/// faster at (8, 4096) (4 splits share the tiles), 0.6-1.2 us at (1, 32768) (32 splits), about
/// v13 at one split ((32, 4096): 4 warps of one block share). The atomics (one per 16-key tile
/// per warp, 16 K per 128 MiB) cost nothing if they come back within one tile's loads; if they
/// do not, slower everywhere.
///
/// **MEASURED** (run 20261202T191037Z-98e4 at ff23151, bf16, v13 in the same run; README section 2):
/// slower at every shape, far outside the prediction: (8, 4096) 44.22 vs 37.70 us (+17%), (1, 32768)
/// 44.85 vs 38.21, (32, 4096) 152.16 vs 125.84 (+21%), (1, 131072) 168.94 vs 131.25 (+29%). Its
/// clock shows the whole stream slower, not only its end (loop ends at (8, 4096): median 35.81 vs
/// 30.27 us, last 39.01 vs 32.80), and at one split per pair a far more ragged end (last 144.4 vs
/// 122.1 us at (32, 4096)). Our reading, not measured: the next load's address waits for the
/// atomic's answer, which under a full memory system comes back no sooner than a load
/// (README exercise 13).
///
/// **Run.** `build/cuda/topics/02-decode-attention/lab-02-decode-attention --variant v13,v20,probe-v20-clock --layout contiguous --dtype bf16`
#include "kernels/mma_stream.cuh"

#if LABS_GPU
namespace decode02 {
namespace {

Runner prepare_v20(const DeviceProblem& p) {
#if defined(LABS_BACKEND_CUDA)
  return mma_stream::prepare_stream_kind<mma_stream::kStreamSharedTiles>(p, "v20");
#else
  (void)p;
  throw std::runtime_error("v20 uses mma.sync (NVIDIA sm_80+); it has no HIP build");
#endif
}

DecodeVersion make_v20() {
  DecodeVersion v;
  v.info.id = "v20";
  v.info.idea = "v13 with each pair's 16-key tiles handed out by a counter to whichever of its warps is free";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.layouts = {Layout::contiguous};
  v.kernel_regex = "mma_stream_kernel";
  v.prepare = &prepare_v20;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(DecodeVersion, (make_v20()))

}  // namespace decode02
#endif
