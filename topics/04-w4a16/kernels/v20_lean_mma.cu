/// @file v20_lean_mma.cu
/// v20 — v5's tensor-core GEMM (x is the mma's A, INT4 weights decoded into B, 64-column
/// blocks, split-K across blocks) with the costs its M = 16 profile shows taken out: the
/// weights of the first two groups are in flight before x is staged and two groups ahead after, x is
/// staged with eight loads in flight per thread, A comes from one `ldmatrix` per k-step, and
/// the split-K tail uses one acq_rel ticket and keeps every split's partial loads in flight.
///
/// Why (ncu --set full, source view, 8b-gate M = 16, bf16, on 2026-12-02; v5 was the best
/// version at M = 16 on five of the nine layers and is only 1.10x cuBLAS bf16 on the targets):
/// of v5's warp-stall samples
///   ~28% are its split-K tail: `__threadfence` (ERRBAR/MEMBAR, 7%), the two `__syncthreads`
///        around the ticket (9%), and the last block's additions, each waiting for a volatile
///        partial load issued one at a time (FADD on long scoreboard, 12%);
///   ~16% wait for the current group's weights at their first use: one group ahead is ~1 KB
///        per warp in flight;
///   ~7%  wait in the x staging (one 16-byte load and its store per iteration, 16 of them in
///        a row per thread at M = 16).
/// M = 16 costs 28.3 us there against 17.9 at M = 1 and 20.2 at M = 8 (ncu durations), with
/// the same mma count: what grows with M is exactly the staging (M x the block's K range)
/// and the tail (M x 64 partials per block), plus 2x the A loads above M = 8 (32 four-byte
/// LDS per group and warp; one ldmatrix.x4 replaces four of them).
///
/// What changed from v5, nothing else (same packing, decoders, block shape, plan rule):
///  1. Stage ring in registers: groups g + 1 and g + 2 are in flight (weights, both scales as
///     one 32-bit load per tile, zero points) while group g is multiplied; the first two are
///     issued before x is staged, so their latency hides behind the staging.
///  2. x staged with four 16-byte loads in flight per thread before the stores (eight took
///     96 registers); above M = 8 in 16 rows, rows M..15 zero-filled so ldmatrix can read them.
///  3. Above M = 8, A fragments by `ldmatrix.sync.aligned.m8n8.x4`: the padded row stride (K
///     range + 8 halves) puts the 8 rows of each 8x8 matrix in 8 different 16-byte bank groups,
///     so it is conflict-free like v5's LDS. At M <= 8 v5's predicated four-byte LDS stay (the
///     first build staged 8 rows there and read them with ldmatrix.x2: 8x the shared memory at
///     M = 1, fewer blocks per SM: slower than v5 at 30 of 36 points at M <= 8 in the first
///     measured run, by up to 39%, and up to 6% faster at six, most inside the noise).
///  4. Split-K tail: splitk_arrive_acq_rel + splitk_finish_in_flight (kernels/splitk.cuh),
///     partials written as float2. The order of additions is v5's, so the output is bitwise
///     deterministic across runs (tests/test_gpu.cu).
///
/// PREDICTION (before measuring; bf16, int4-sym, cold L2): the tail and the two waits are
/// ~50% of v5's stall samples at M = 16; if v20 removes two thirds of them and the rest of the
/// time stays, 8b-gate M = 16 29.7 -> ~21 us (~1.55x cuBLAS bf16), 8b-down 35.2 -> ~24 us,
/// 8b-o 17.3 -> ~12 us (ahead of cuBLAS's 14.5; v5 and v7 lose to it there today). M = 1-8
/// gain less (their staging and tail are smaller): 8b-gate M = 8 21.4 -> ~18 us, M = 1 ~18 us
/// (tied with v15). The 2.5x target at M = 16 (13 us) stays out of reach.
///
/// MEASURED, first build (run 20261202T021500Z-cd27, commit 59d6eb1; v5, v7, cuBLAS in the same run):
/// M = 16 faster than v5 on all nine layers by 7-20%, a third of the prediction: 8b-gate 26.78 us
/// (v5 30.13), 8b-down 28.59 (35.52; v7 28.21), 8b-o 14.90 (17.60; cuBLAS 15.39, bands overlap).
/// ncu 8b-gate M = 16: 25.5 us (v5 28.3): the membar and the serial FADD chain are gone; 10% of the
/// samples now wait at the tail's barrier, 12% in the staging, and the grid is still 1.13 waves.
/// At M <= 8 that build staged 8 rows for ldmatrix.x2 and lost to v5 at 30 of 36 points (up to 39%).
/// Second build (run 20261202T022534Z-5086, e96831e; this file): M rows and v5's predicated LDS at
/// M <= 8, 64 registers: M = 16 unchanged, M <= 8 worse (8b-gate M = 1 25.76 us; 13.2 M
/// instructions against v5's 8.7 M: ptxas rebuilds the A address and branches at every k-step).
/// The split sweep (`--splits`, run 20261202T022855Z-21ed ff.) found 10-17% more at M = 16 on the
/// K = 4096 layers: v21.
///
/// Profiler: `ncu --set full --import-source yes -k regex:w4_mma_lean`, then
/// `ncu -i v20.ncu-rep --page source --csv --print-source sass`: the ERRBAR and the FADD chain should
/// be gone, the wait at the first decode shorter.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v5,v20 --shape 8b-gate,8b-down,8b-o --m 1,8,16 --dtype bf16
#include <stdexcept>

#include "kernels/mma_lean.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

Step prepare_v20(const Problem& p) { return mma_lean::prepare_mma_lean<20>(p, "v20"); }

#else

Step prepare_v20(const Problem&) { throw std::invalid_argument("v20 uses mma.sync and ldmatrix (NVIDIA only)"); }

#endif

Version make_version() {
  Version v;
  v.info.id = "v20";
  v.info.idea = "v5 with two groups in flight, x staged four loads at a time, ldmatrix A above M = 8, an acq_rel split-K tail";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym, WFormat::int4_asym};
  v.kernel_regex = "w4_mma_lean";
  v.takes_splits = true;
  v.prepare = prepare_v20;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
