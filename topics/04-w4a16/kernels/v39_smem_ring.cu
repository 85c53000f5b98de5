/// @file v39_smem_ring.cu
/// v39 — v37 with each warp's weights through a 4-deep `cp.async` ring in shared memory instead
/// of two register stages (kernels/mma_lean.cuh, MmaLeanFeatures of version 39: kSmemRing,
/// kDepth = 4). The ring sits behind the staged x: 8 warps x 4 slots x 2 tiles x 512 bytes =
/// 32 KB per block. Lane l copies, and later reads with one LDS.128 per tile, bytes [16 l, 16 l
/// + 16) of each of its warp's two tiles, so no lane reads another's copy and a slot needs no
/// barrier, only the lane's own `cp.async.wait_group 3`. A slot is refilled with group g + 4 right
/// after group g's words have been decoded. The scales (and zero points) keep v37's register
/// ring, made 4 deep. x's first batch still leaves first (v37), then the 4 groups' copies, then
/// the scales. Same words, decode, mma and additions in the same order: the output is bitwise
/// v37's (a GPU test checks it at M = 1, 5, 8, 9, 12, 16, both formats, plan and forced splits).
///
/// Why (README section 4, "Where v37's time goes at M = 16"): v37's time hardly moves from M = 9
/// to M = 16 (8b-gate 20.54 / 20.48 / 20.74 us, 8b-down 21.60 / 21.76 / 22.03, run
/// 20261202T190007Z-9c8e) while x's bytes grow 1.8x, and at M = 8 the same family is as slow (v24
/// 8b-gate 21.02, v25 8b-down 19.90), against 13.30 / 14.46 at M = 1. So most of the ~7 us is not
/// x and not the mma (a fixed 16-row mma above M = 8), but the weight stream: ncu had v24 at 33%
/// of DRAM peak on 8b-gate. What each warp keeps in flight says why:
///   - 8b-down (G = 112, 8 splits x 32 column blocks = 256 blocks, <= 2 per SM): 16 warps per SM x
///     2 groups x 1 KB = 32 KB in flight per SM. The M = 1 kernels that reach 12.0 us on the same
///     30.3 MB (probe-v26-loads) keep 4 units per warp in flight. By Little's law at ~1.5 us loaded
///     DRAM latency, 32 KB per SM is ~21 GB/s per SM, ~2.8 TB/s: 30.3 MB in ~10.8 us of stream
///     after a 4-batch x prologue (~2 us) during which each warp's 2 groups land and it stalls.
///   - 8b-gate (G = 32, 4 groups per block, 896 blocks, 4 per SM, 1.70 waves): a block's 4 groups
///     arrive in two weight latencies (2 issued at the start, 2 more once the first has landed);
///     with 4 slots all 4 are issued at the block's start, 128 KB per SM in flight, one latency.
/// Shared memory: 8b-gate 16.6 KB of x + 32 KB = 48.6 KB per block, 4 blocks per SM still fit
/// (194 KB); 8b-down 57.6 + 32 = 89.6 KB, 2 per SM, what its one-wave grid used. Registers: the
/// 16 weight registers of v37's ring go; 4 scale stages (8 registers) come.
///
/// PREDICTION (before measuring; bf16, int4-sym, cold; v37 / v38 rows of runs 20261202T190007Z-9c8e
/// and ...191647Z-0e95): bitwise v37's output. 8b-down M = 9 / 12 / 16 21.6 / 21.8 / 22.0 -> ~18.5 /
/// ~18.7 / ~19.0 us (~1.7x cuBLAS bf16 at M = 16, from 1.51x): twice the bytes in flight per SM on a
/// one-wave grid, the x prologue unchanged. 8b-gate M = 9 / 12 / 16 20.5 / 20.5 / 20.7 -> ~18.5 /
/// ~18.5 / ~18.8 (~1.8x): the block's weights in one latency instead of two, the 1.7 waves and
/// the split-K tail unchanged. M <= 8 (v29's kernels plus the ring): within +-3% of v29. If
/// probe-v37-loads (below) lands near the read kernel (~12 us) the premise is wrong and v39 gains
/// little; then the time is in the staging, the tail or the instructions (9.1 M on 8b-gate,
/// issue slots 51% busy), and the probes say which. The 2.5x target (~13.4 us) stays out of reach.
///
/// MEASURED (H200, bf16, int4-sym, cold; GPU call at bf8792e, runs 20261203T072541Z-4780 and
/// ...072543Z-7065; README section 4): **slower everywhere, a regression (kept).** 8b-gate M = 9 / 12 /
/// 16 23.87 / 23.98 / 24.37 us against v37's 20.42 / 20.70 / 20.99 (+16-17%); 8b-down 22.62 / 22.56
/// / 22.94 against 21.81 / 21.95 / 22.29 (+3-4%); M <= 8 +12-22% (8b-gate) and +3-6% (8b-down)
/// against v29. The premise failed as the prediction's own test foresaw: probe-v37-loads took 12.2
/// us on 8b-gate and 13.8 on 8b-down against the read kernel's 11.34, so v37's stream was not
/// short of bytes in flight. Bitwise v37's output; compute-sanitizer memcheck and racecheck clean.
///
/// Profiler: ncu on 8b-down M = 16: DRAM throughput (v24-era kernels ~33% of peak) should rise;
/// in the source view the long-scoreboard stalls on the first decode SHF of each group (the
/// register ring's wait) move to the LDS.128 after `cp.async.wait_group` and should shrink.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v37,v39,probe-v37-loads,probe-v37-staged,cublas --dtype bf16 --wfmt int4-sym --m 9,12,16 --shape 8b-gate,8b-down
#include <stdexcept>

#include "kernels/mma_lean.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

Step prepare_v39(const Problem& p) { return mma_lean::prepare_mma_lean<39>(p, "v39"); }

#else

Step prepare_v39(const Problem&) { throw std::invalid_argument("v39 uses mma.sync, ldmatrix and cp.async (NVIDIA only)"); }

#endif

Version make_version() {
  Version v;
  v.info.id = "v39";
  v.info.idea = "v37 with each warp's weights through a 4-deep cp.async ring in shared memory (4 groups in flight, not 2)";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym, WFormat::int4_asym};
  v.kernel_regex = "w4_mma_lean";
  v.takes_splits = true;
  v.prepare = prepare_v39;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
