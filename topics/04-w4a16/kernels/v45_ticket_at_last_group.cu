/// @file v45_ticket_at_last_group.cu
/// v45 — v44 with the finisher's ticket taken as thread 0 starts its block's last group of K
/// instead of after the group loop (kernels/mma_lean.cuh, MmaLeanFeatures of version 45:
/// kTicketAtLastGroup). Everything after the loop is v44's (`designated_finish`); the output is
/// bitwise v37's (GPU test).
///
/// Why: v44 lost (README section 4, "v44, v45: a designated finisher"): +0.1-0.3 us on 8b-down,
/// level on 8b-gate, +0.4-0.5 us on the small 8b layers, where it was to win 0.3-1.0 us. Its
/// ticket was an atomic issued after the loop and answered, it was assumed, under the partial's
/// stores; but the barrier after those stores waits until the atomic has been performed (PTX:
/// memory accesses requested before `bar.sync` are performed relative to the CTA's threads), so
/// every block still waited for one L2 round trip there, and the block holding the last ticket
/// then waited for a poll on top: the same number of round trips as v37's fence and ticket, plus
/// one. Topic 02's clock saw the same barrier grow by 0.28 us (its v22). Taken a group earlier, the
/// atomic has that group's loads, decode and 16 mma per warp to come back under.
///
/// PREDICTION (before measuring; bf16, int4-sym, cold): non-finishers leave after their stores'
/// release only (one round trip fewer than v37's fence and ticket answer), the finisher after one
/// poll; 8b-gate M = 16 ~0.3-0.6 us under v37 (1.7 waves: the first wave leaves sooner), 8b-down
/// level to ~0.3 under, small layers level with v37 instead of v44's +0.4. Where a block owns one
/// group (G = splits), the ticket is taken at the loop's start: its order is the order of the
/// blocks' starts, a worse guess at who ends last. The targets stay far.
///
/// MEASURED (H200, cold; GPU call at 3cf9a41, runs 20261203T150018Z-3b39, …150020Z-90c0 (bf16) and
/// …150027Z-fea3 (fp16), v37 and v44 in the same runs; README section 4, "v45"): **a large
/// regression (kept).** Above M = 8 0.5-1.8 us slower than v37 on the 8b layers (8b-gate M = 16
/// 21.82 against 21.10, 8b-down 23.78 against 22.21) and 1.5-7.7 us on the 70b layers (70b-gateup M = 9
/// 114.77 against 107.07); at M = 1 and 4 -0.1 to +1.7 us. ptxas spills 8 bytes in the M > 8 int4-sym kernel
/// (v37, v44: 4) and 16 in fp16's M <= 8 (v37: 0): the ticket's branch inside the group loop is
/// one candidate, not confirmed (SASS not read, no profile); the loss is measured, not explained.
/// The ticket is taken only inside the loop: the host never plans a block with no group (splits =
/// ceil(G / gps)); a block with none would leave its column block without a finisher.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v37,v44,v45 --dtype bf16 --wfmt int4-sym --m 1,4,9,12,16
#include <stdexcept>

#include "kernels/mma_lean.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

Step prepare_v45(const Problem& p) { return mma_lean::prepare_mma_lean<45>(p, "v45"); }

#else

Step prepare_v45(const Problem&) {
  throw std::invalid_argument("v45 uses mma.sync, ldmatrix and PTX release/acquire (NVIDIA only)");
}

#endif

Version make_version() {
  Version v;
  v.info.id = "v45";
  v.info.idea = "v44 with the ticket taken as the block starts its last group, so its round trip hides under that group";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym, WFormat::int4_asym};
  v.kernel_regex = "w4_mma_lean";
  v.takes_splits = true;
  v.prepare = prepare_v45;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
