/// @file v25_wider_block.cu
/// v25 — v24 taken one step further: 16 warps per block, 256 output columns, 2 blocks of 512
/// threads per SM (<= 64 registers). x staged once per block feeds 4x v21's weights (L2 reads of
/// x on 8b-gate M = 16: 29 MB for v21, 15 MB for v24, 7 MB here), two 16-byte loads per thread.
/// Kernel: kernels/mma_lean.cuh, MmaLeanFeatures of version 25 (kWarps = 16); v21/v22's split
/// rules.
///
/// Why measure it: it separates the two things v24 changes. If v24's gain is the x traffic, v25
/// gains again; if it is the one-round-trip staging, v25 gains nothing more (v24 already stages
/// in one). Against it: each barrier now waits for the slowest of 16 warps, and a block that
/// finishes idles half of its SM's warps until the next one starts (v18's 512-thread blocks
/// lost 5-37% to v17's 256, with twice the per-warp work as well).
///
/// PREDICTION (before measuring; bf16, int4-sym, cold): M = 16 no faster than v24, within +-4%
/// of it (8b-gate ~21-22.5 us); slower than v24 on the layers with few column blocks (8b-o,
/// 8b-down: 16 column blocks of 256), where 2 blocks per SM leave the SMs half idle in the tail.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v21,v24,v25 --dtype bf16 --wfmt int4-sym --m 16
#include <stdexcept>

#include "kernels/mma_lean.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

Step prepare_v25(const Problem& p) { return mma_lean::prepare_mma_lean<25>(p, "v25"); }

#else

Step prepare_v25(const Problem&) { throw std::invalid_argument("v25 uses mma.sync and ldmatrix (NVIDIA only)"); }

#endif

Version make_version() {
  Version v;
  v.info.id = "v25";
  v.info.idea = "v24 with 16 warps (256 columns) per block: x staged once for 4x v21's weights";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym, WFormat::int4_asym};
  v.kernel_regex = "w4_mma_lean";
  v.takes_splits = true;
  v.prepare = prepare_v25;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
