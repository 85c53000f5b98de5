/// @file v53_x_copied_first.cu
/// v53 — v35 with *all* of x sent to shared memory with `cp.async` before the weight copies
/// (kernels/owned_lean.cuh, kXCopy: x_copy_issue before the ring fill, x_copy_relayout after
/// it). Each thread copies its chunks of x[M][K] unpermuted into the staged layout's group
/// segments as one commit group, fills its warp's ring as before, waits for that one group, reads
/// back only the chunks it copied itself, and puts them in the staged (fragment) order with a
/// 4 x 4 word transpose across its quad (four xor shuffles) instead of scattered stores. The
/// chunk per thread, the group sums' additions and shuffles, the loop and the reduction are
/// v35's: the output is bitwise v35's (GPU test, M = 1, 2, 5, 8, both dtypes, six shapes).
///
/// Why: v35 issues at most kXBatch = 4 chunks per thread before the weights. That is all of x
/// only at M = 1 on the K = 4096 layers (512 chunks on 128 threads); elsewhere the rest of x is
/// loaded after the ring fill, behind ~4 KB of weight copies per warp, and the block's barrier
/// waits for it. The M = 1 -> 2 jump on 8b-gate (v35 13.46 -> 17.98 us, run
/// 20261202T155401Z-9049) is the case where half of x waits: v31, which sends none of x first,
/// jumps less (15.31 -> 18.64) because it already paid at M = 1. On 8b-down (K = 14336, 8 warps)
/// 4 of each thread's 7 chunks go first at M = 1. cp.async needs no registers for the data, so
/// every chunk can go first at any M without v35's register batch (which 64 registers cap at 4).
///
/// PREDICTION (before measuring; bf16, int4-sym, cold; v35 / v47 rows of the journal):
///   - M = 1, 8b-gate: level with v35 (13.2-13.5 us, +-0.3): v35 already sends all of x first.
///   - M = 1, 8b-down: 14.40 -> ~13.8 us (3 of 7 chunks per thread no longer queue); 70b-qkv,
///     70b-o (K = 8192, 8 chunks per thread, 4 first) ~0.5-1 us faster than v35; 70b-down
///     (K = 28672, 14 per thread) 1-2 us faster.
///   - M = 2: 8b-gate 17.98 -> ~15.5-16 us, 8b-down 16.54 -> ~15.5: most of the jump from M = 1.
///   - M = 3-8: x grows to 8-64 KB per block and shared memory cuts the blocks per SM, so v53
///     stays behind v49 / v5 there; no gain expected above M = 2.
///   - Risk: the relayout adds ~20 instructions per chunk per thread (M = 1, K = 4096: 4 chunks),
///     against ~699 instructions per warp outside v31's loop.
///
/// MEASURED (H200, bf16, int4-sym, cold; GPU call at 78bba2a, run 20261203T203316Z-75a7, v35, v51
/// and cuBLAS in the same run; README section 4, "v53, v54"): **slower than v35 at all 35 points
/// where both ran (M = 1-4; a regression, kept).** M = 1: +0.2 to +7.1 us (8b-gate 14.48 against
/// 13.36, 8b-down 14.56 against 14.34, 70b-gateup 82.42 against 75.34); M = 2: +1.6 to +14.9 us
/// (8b-gate 20.22 against 18.05, 8b-down 18.05 against 16.42); worse as M grows. The next GPU call
/// (run 20261203T211027Z-a4e4, at a264736) had it slower at all 35 again (+0.1 to +44.2 us).
/// Bitwise v35's output (GPU test); compute-sanitizer memcheck and racecheck clean (M = 1-3). ncu on 8b-gate (same call, L2 flushed): M = 1 12.99 us against v35's 12.38,
/// 6.63 M instructions against 5.83 M (+14%); M = 2 18.78 against 16.96, 8.24 M against 6.87 M;
/// L2 traffic (lts__t_bytes) 55.9 MB against 47.3 MB at M = 2. Two costs, by our reading: the
/// copy and the re-layout take more instructions than v35's loads and scattered stores, and
/// cp.async's 16-byte `.cg` form does not allocate in L1, so each of the 8 blocks of an SM
/// fetches x from L2, where v35's ordinary loads hit L1 after the first block (v35's L2 traffic
/// grows by only 0.45 MB from M = 1 to 2 while x grows by 7.3 MB over 896 blocks). v54 tests the
/// second reading alone. The premise is in doubt too: v35's own M = 1 -> 2 jump under ncu (12.38
/// -> 16.96 us) comes with 18% more instructions and the same DRAM bytes; no version removed the
/// wait for x alone (v53 adds instructions while removing it), so that is a reading.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v35,v53,v51,cublas --dtype bf16 --wfmt int4-sym --m 1,2,3,4
#include <stdexcept>

#include "kernels/owned_lean.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

Step prepare_v53(const Problem& p) { return owned::prepare_owned<false, owned::XCopy::l2_only>(p, "v53"); }

#else

Step prepare_v53(const Problem&) { throw std::invalid_argument("v53 uses mma.sync and cp.async (NVIDIA only)"); }

#endif

Version make_version() {
  Version v;
  v.info.id = "v53";
  v.info.idea = "v35 with all of x copied to shared memory (cp.async) before the weight copies, re-laid by a quad transpose";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym};
  v.max_m = 8;
  v.kernel_regex = "w4_owned";
  v.prepare = prepare_v53;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
