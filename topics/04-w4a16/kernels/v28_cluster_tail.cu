/// @file v28_cluster_tail.cu
/// v28 — v24 with its split-K tail moved into a thread-block cluster (sm_90). The S blocks that
/// split one column block's K run as one cluster of (1, S, 1); each leaves its fp32 partial tile
/// in its own shared memory, and after a cluster barrier block r adds slice r of the tile over
/// the S blocks in split order, reading the others' tiles through distributed shared memory
/// (`cluster.map_shared_rank`), and stores y. No global partials, no ticket, no fence; the
/// order of the additions is splitk_finish_in_flight's, so the output is bitwise v24's at the
/// same split (a GPU test checks it). Kernel: kernels/mma_lean.cuh, MmaLeanFeatures of version 28
/// (cluster_reduce); the split rule is v24's, capped at 16 splits (the largest cluster, allowed
/// above the portable 8 by cudaFuncAttributeNonPortableClusterSizeAllowed).
///
/// Why: the source view of v24 at 8b-gate, M = 16 (GPU call of 2026-12-02 04:52, commit ca60c8a)
/// puts 11.4% of its warps' stall samples on the barrier behind the split-K ticket, where 255
/// threads wait for thread 0's acq_rel atomic, which compiles to MEMBAR.ALL.GPU, ERRBAR, ATOMG,
/// CCTL.IVALL: the block's partial stores drain to L2 before the ticket moves. Another ~6% sit on
/// the last block's partial loads from L2 (three FADD lines), and the partials themselves are
/// 8 KB written and read back per block (7 MB on 8b-gate, beside 30 MB of weights). A cluster's
/// blocks are resident together on one GPC, so their partials can stay on chip: the wait becomes
/// one hardware cluster barrier and S DSMEM reads per output quad.
///
/// What could go against it: a cluster waits for its slowest block, where v24's blocks leave as
/// soon as they have published (only the last one waits); S blocks must fit on one GPC at once,
/// which can cost occupancy; and the tile in shared memory adds M x 128 x 4 bytes per block (8 KB
/// at M = 16).
///
/// PREDICTION (before measuring; bf16, int4-sym, cold): at M = 16 the ticket wait and the partial
/// traffic mostly go, ~12% of v24's time: 8b-gate 21.9 -> ~19.5 us (~1.7x cuBLAS bf16), 8b-down
/// 25.0 -> ~22.5 (its 11 splits fit one cluster), 8b-o 11.6 -> ~10.5; 70b-down (v24's 21 splits
/// capped at 16) about v24's 65.8. At M <= 8 the partials are smaller and the gain less, ~3-5%.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v24,v28 --dtype bf16 --wfmt int4-sym --m 8,16
#include <stdexcept>

#include "kernels/mma_lean.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

Step prepare_v28(const Problem& p) { return mma_lean::prepare_mma_lean<28>(p, "v28"); }

#else

Step prepare_v28(const Problem&) { throw std::invalid_argument("v28 uses thread-block clusters and mma.sync (NVIDIA sm_90 only)"); }

#endif

Version make_version() {
  Version v;
  v.info.id = "v28";
  v.info.idea = "v24 with the split-K tail in a thread-block cluster: partials added through distributed shared memory";
  v.info.min_cc = 90;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym, WFormat::int4_asym};
  v.kernel_regex = "w4_mma_lean";
  v.takes_splits = true;
  v.prepare = prepare_v28;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
