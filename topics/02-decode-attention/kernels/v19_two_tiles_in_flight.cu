/// @file v19_two_tiles_in_flight.cu v13 with two 16-key tiles of K and V in flight per warp instead of one (2 blocks per SM).
///
/// **What changed from v13.** One thing, the stream (kernels/mma_stream.cuh, `stream_keys_two`):
/// each warp holds two tiles in two register sets and reloads a tile's registers with the tile
/// two ahead as soon as each half is used (K after q.K, V after P.V). v13 reloads with the next
/// tile, so while it computes a tile nothing else of its own is in flight. The 64 extra registers
/// per thread (224 in all, ptxas) leave room for 2 blocks per SM, not 3; the split plan asks for 2
/// anyway, so the grid is v13's at every shape here. The merge, the ticket and the combine are
/// v13's; the arithmetic is the same in the same order, so the output is bitwise v13's (test).
///
/// **Why: the probes' measured lesson** (GPU call of 2026-12-02 18:48 UTC, commit c8b7c3d, H200,
/// bf16; README section 2, "Where v13's time goes"). With global-timer stamps in every block,
/// v13's blocks end their stream 0.83 us later (median) and 1.41 us later (last block) than
/// probe-v13-loads, the same grid and loads with the math cut out, at (8, 4096); its first tile
/// takes 3.74 us against the probe's 3.10. The math of a tile sits between the arrival of that
/// tile and the request for the next one; a second tile in flight should hide it, as the probe
/// shows a stream without math can run. The other ~2 us (the merge, ticket and combine after
/// the last tile) is untouched here.
///
/// **Prediction (written before measuring).** Against v13 in the same run: the last loop end
/// moves 0.6-1.2 us earlier at (8, 4096) and (1, 32768) (toward the loads probe), so ~36.0-36.5 us
/// at (8, 4096): 87-88% of copy, at the 88% target's edge; (32, 4096), where v13's stream is
/// 2.7 us behind the probe, 1-2.5 us faster; S = 512 and (1, 4096), where a warp has 2 tiles, both
/// go out at once: 0.3-0.6 us faster. Slower if the extra registers spill or the 2-block limit
/// changes a plan.
///
/// **MEASURED** (run 20261202T185945Z-7865 at a9b9311, bf16, v13 in the same run; README section 2):
/// slower at 6 of 10 shapes, the prediction wrong in sign. (8, 4096) 38.66 vs 37.58 us, (1, 32768)
/// 39.44 vs 38.22, (1, 4096) 12.86 vs 12.00, (8, 512) 12.21 vs 11.28; level or slightly ahead on the
/// longest streams ((32, 32768) 955.73 vs 956.53, (1, 131072) 129.54 vs 130.98). probe-v19-clock
/// says why: every warp's first tile arrives 2.2 us later (5.95 vs 3.78 us at (8, 4096)), since
/// all warps ask for two tiles at once and HBM serves the second ones alongside the first; the
/// stream never catches up (last loop end 33.18 vs 32.00 us). At 128 MiB the stream is at HBM's
/// rate already: more bytes in flight only reorder who waits.
///
/// **Run.** `build/cuda/topics/02-decode-attention/lab-02-decode-attention --variant v13,v19,probe-v19-clock --layout contiguous --dtype bf16`
#include "kernels/mma_stream.cuh"

#if LABS_GPU
namespace decode02 {
namespace {

Runner prepare_v19(const DeviceProblem& p) {
#if defined(LABS_BACKEND_CUDA)
  return mma_stream::prepare_stream_kind<mma_stream::kStreamTwoTiles>(p, "v19");
#else
  (void)p;
  throw std::runtime_error("v19 uses mma.sync (NVIDIA sm_80+); it has no HIP build");
#endif
}

DecodeVersion make_v19() {
  DecodeVersion v;
  v.info.id = "v19";
  v.info.idea = "v13 with two 16-key tiles of K and V in flight per warp (2 blocks per SM)";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.layouts = {Layout::contiguous};
  v.kernel_regex = "mma_stream_kernel";
  v.prepare = &prepare_v19;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(DecodeVersion, (make_v19()))

}  // namespace decode02
#endif
