/// @file v24_wide_block.cu
/// v24 — v21 with 8 warps per block instead of 4: 128 output columns per block, so the x a
/// block stages once feeds twice the weights. Same kernel otherwise (kernels/mma_lean.cuh,
/// MmaLeanFeatures of version 24: kWarps = 8), same split rule (v21's above M = 8, v22's below),
/// same 32 warps per SM (4 blocks of 8 at <= 64 registers, where v21 runs 8 blocks of 4).
///
/// Why: at M = 16 a v21 block (64 columns, 4 groups of K on the K = 4096 layers) reads 16 KB of
/// weights from DRAM and 16 KB of x from L2: as many bytes of x as of weights, whatever the
/// split, because the ratio is (16 rows x 2 bytes) / (64 columns / 2 bytes) per k. Its 128
/// threads move the 16 KB four loads at a time, i.e. in two L2 round trips before the first mma,
/// and ncu's stall samples on 8b-gate M = 16 put ~15% of the warps' waiting there, ~12% at the
/// split-K tail's barrier and ~7% on the tail's L2 round trip (README section 4, v21). A block
/// twice as wide halves x per weight byte (L2 reads of x: 29 MB -> 15 MB on 8b-gate), moves its
/// 16 KB in one round trip (256 threads x 4 loads), and pays one tail per 128 columns instead
/// of per 64. The grid keeps its waves: half the column blocks, half the blocks per SM.
///
/// What could go against it: a block now waits at its two barriers for the slowest of 8 warps
/// (v18 doubled the warps of v17's block and lost 5-37%, but by doubling each warp's fixed work,
/// which v24 does not: its warps have v21's work each).
///
/// PREDICTION (before measuring; bf16, int4-sym, cold): M = 16 ~8% faster than v21 on every layer,
/// half of the staging's share: 8b-gate 23.2 -> ~21.5 us (~1.54x cuBLAS bf16), 8b-down 25.2 -> ~23.5,
/// 8b-o 12.2 -> ~11.3. M <= 8 (x of M rows, one round trip already): within +-5% of v22.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v21,v22,v24,v25 --dtype bf16 --wfmt int4-sym --m 8,16
#include <stdexcept>

#include "kernels/mma_lean.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

Step prepare_v24(const Problem& p) { return mma_lean::prepare_mma_lean<24>(p, "v24"); }

#else

Step prepare_v24(const Problem&) { throw std::invalid_argument("v24 uses mma.sync and ldmatrix (NVIDIA only)"); }

#endif

Version make_version() {
  Version v;
  v.info.id = "v24";
  v.info.idea = "v21/v22 with 8 warps (128 columns) per block: x staged once for twice the weights";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym, WFormat::int4_asym};
  v.kernel_regex = "w4_mma_lean";
  v.takes_splits = true;
  v.prepare = prepare_v24;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
