/// @file v52_polled_sum_kernel.cu
/// v52 — v49 whose sum kernel waits per column block, not for the whole grid: each main block,
/// after its partial's stores and a barrier, adds 1 to its column block's counter with one
/// `red.release` (nothing comes back, so nothing to wait for: v44's publish); block b of the sum
/// kernel, launched behind with programmatic dependent launch, polls counter b with acquire
/// loads, adds the column block's partials as soon as all its splits are in, and resets the
/// counter (MmaLeanFeatures of version 52: kPolledSum; splitk_sum_kernel's kPolled path). No
/// `griddepcontrol.wait`: the counters are the only synchronisation. Same partials, same sums in
/// the same order: bitwise v49's and v46's output (GPU test).
///
/// Why: v48 and v49 measured both halves of moving the sum out of the kernel. The main kernel
/// without its tail is 2.2-3.8 us shorter (ncu, 8b-gate), but the sum only starts after the whole
/// grid has ended and griddepcontrol.wait has released, and above M = 8 that gives it all back
/// (v49 level with v46 on the 8b layers, README section 4). With PDL the sum kernel's blocks are
/// already resident before the grid ends (scheduled once every main block has started), so they
/// can watch their own column block instead of the grid: the column blocks that finish early
/// are summed while the last wave still streams, and the last one is summed one poll after its
/// last split publishes, with no grid drain and no launch release in between. It cannot
/// deadlock: the sum blocks are scheduled only after every main block has started (or, without
/// PDL, after the main grid has ended), so a main block never waits for a slot a poller holds.
///
/// PREDICTION (before measuring; bf16, int4-sym, cold): above M = 8 ~1 us under v46 on 8b-gate
/// and 8b-down (M = 16 ~20.0 / ~20.5 us against ~21.0 / ~21.4), the first version since v37 to
/// shorten the tail there; 1-2 us under v49 where v49 lost most (70b-gateup, 70b-qkv); at M <= 8
/// 0-0.5 us under v49. The risk: 112-448 threads spinning on acquire loads compete with the last
/// wave's weight loads for L2 bandwidth.
///
/// MEASURED (H200, cold; GPU call at 5821298, run 20261203T180601Z-7f5c, v46 and v49 in the same
/// run; README section 4, "v52"): level with v46 above M = 8, not under it. It was faster at 6 of 27
/// points and slower at 20, from -1.42 to +1.34 us (bands apart at 2). On 8b-gate / 8b-down M = 16:
/// 20.96 / 22.53 against 20.96 / 22.26. Against v49 it wins back 70b-gateup (M = 16 111.52 against
/// 115.30; v46 111.41). At M = 1 and 8 it was faster than v46 at 12 of 18 points. The prediction
/// for the targets was wrong. Topic 02's v25, the same design, also lost to its in-kernel ticket.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v46,v49,v52 --dtype bf16 --wfmt int4-sym --m 1,8,9,12,16
#include <stdexcept>

#include "kernels/mma_lean.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

Step prepare_v52(const Problem& p) { return mma_lean::prepare_mma_lean<52>(p, "v52"); }

#else

Step prepare_v52(const Problem&) { throw std::invalid_argument("v52 uses mma.sync, ldmatrix, PTX release/acquire and programmatic dependent launch (NVIDIA only)"); }

#endif

Version make_version() {
  Version v;
  v.info.id = "v52";
  v.info.idea = "v49 with a sum kernel that polls each column block's release counter instead of waiting for the grid's end";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym, WFormat::int4_asym};
  v.kernel_regex = "w4_mma_lean|splitk_sum_kernel";
  v.takes_splits = true;
  v.prepare = prepare_v52;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
