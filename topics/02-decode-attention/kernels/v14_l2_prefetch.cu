/// @file v14_l2_prefetch.cu v13 with an L2 bulk prefetch of each warp's K/V tiles two tiles ahead (`cp.async.bulk.prefetch.L2`): more bytes in flight to HBM without more registers.
///
/// **What changed from v13.** One thing, the `kPrefetchTiles = 2` instantiation of the shared body
/// (kernels/mma_stream.cuh, `prefetch_tile_l2`): lane 0 of every warp hands the copy engine its
/// 16-key K and V tiles (4 KiB each) 2 tiles ahead of the one its registers are loading, one
/// instruction per tile; the tiles of the first 2 iterations are prefetched at the start. The
/// register pipeline (one tile in flight per warp), the combine (v13's) and the plan are
/// unchanged. `DECODE02_L2_PREFETCH_TILES=1|2|4|8` sets the distance for a sweep on one binary.
///
/// **Why.** Topic 00's read sweep (run 20261202T080021Z-b8c6) reads 128 MiB cold in 33.28 us
/// and 512 MiB in 120.06; v10 takes 123.07 us at 512 MiB (B = 32, S = 4096; run
/// 20261202T081636Z-bc6d) and v13 ~37.0 at 128 MiB. So the mma body streams ~2.5% slower than a
/// read even where its fixed cost does not matter, and at 128 MiB it is ~3.7 us behind. The read
/// kernel keeps 64 B per thread in flight, ~128 KiB per SM; v10-v13 keep one 8 KiB tile per warp,
/// ~48-64 KiB per SM at 2 blocks per SM, and a deeper register pipeline does not fit in 168
/// registers. A bulk L2 prefetch puts the next tiles' DRAM reads in flight with no register
/// cost; the register loads then wait on L2 (~0.5 us) rather than HBM (~1 us and more under load).
///
/// **Prediction (written before measuring).** If the mma body's deficit is bytes in flight:
/// 1-2.5% faster than v13 from 512 MiB up ((32, 4096) ~120-122 us) and 0.5-1.5 us faster at
/// 128 MiB ((8, 4096) ~35.5-36.5 us: the 88% target would be at the edge). The risk, from the
/// L2::256B hint measured in section 2 (3-4% slower from 512 MiB up): the prefetch is extra L2
/// work (lookups of lines that are then read again); if that is what costs, v14 loses at the
/// large shapes. 2 tiles ahead keeps ~16 MiB of prefetched lines in L2 at 1024 warps (the L2
/// holds 60 MiB); 8 tiles (64 MiB) should lose to eviction before use.
///
/// **MEASURED** (run 20261202T082355Z-88f2 at c7547e3, bf16, against v13 in the same run): a
/// large regression, kept. (32, 4096) 166.00 vs 123.12 us, (8, 4096) 46.72 vs 36.82, (1, 131072)
/// 170.94 vs 127.55, (32, 32768) 1287.44 vs 935.90; only (1, 512) ties. Every distance loses at
/// (32, 4096): 1 tile 144.03, 4 tiles 203.92, 8 tiles 208.08. ncu at (32, 4096): 168.45 us at
/// 89.5% of DRAM peak (4.31 TB/s), i.e. ~726 MB from HBM for 537 MB of K and V (v13: ~540 MB),
/// L2 hit rate 20% (v13: 0.9%): prefetched lines are fetched again. Why, these counters do not
/// say (README exercise 9). The premise was weak too: the two-point fits of README section 2 put
/// v13's 2.5% behind the read kernel at 512 MiB in fixed cost, not in rate.
///
/// **Run.** `build/cuda/topics/02-decode-attention/lab-02-decode-attention --variant v13,v14 --layout contiguous --dtype bf16`
/// and the sweep: `DECODE02_L2_PREFETCH_TILES=4 build/cuda/.../lab-02-decode-attention --variant v14 ...`
#include "kernels/mma_stream.cuh"

#if LABS_GPU
namespace decode02 {
namespace {

Runner prepare_v14(const DeviceProblem& p) { return mma_stream::prepare_prefetch<2>(p, "v14"); }

DecodeVersion make_v14() {
  DecodeVersion v;
  v.info.id = "v14";
  v.info.idea = "v13 plus an L2 bulk prefetch (cp.async.bulk.prefetch.L2) of each warp's K/V tiles 2 tiles ahead";
  v.info.min_cc = 90;
  v.info.cuda_only = true;
  v.layouts = {Layout::contiguous};
  v.kernel_regex = "mma_stream_kernel";
  v.prepare = &prepare_v14;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(DecodeVersion, (make_v14()))

}  // namespace decode02
#endif
