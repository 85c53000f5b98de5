/// @file v32_deep_ring.cu
/// v32 — v26 with an 8-deep cp.async ring per warp instead of 4: 8 KB of weights in flight per
/// warp. Same block (8 warps, one 16-column super-tile), same staging, same reduction order, so
/// the output is bitwise v26's. The rings take 2 x 33 KB more shared memory per block, so 2
/// blocks fit per SM (4 for v26); ptxas may use up to 128 registers.
///
/// Why: at 8b-down (14336 -> 4096, M = 1) v26 launches 256 blocks, at most 2 per SM: 16 warps
/// per SM with 4 KB in flight each, 64 KB per SM, while every warp streams 14 units in order.
/// Little's law at ~4.3 TB/s over 132 SMs (~33 KB per us per SM) covers ~2 us of latency with
/// 64 KB, fine when unloaded, short when every SM asks at once. v31 measured the other side of
/// it: 4-warp blocks there (32 KB per SM in flight) made 8b-down slower at M = 2 (20.54 us
/// against v26's 17.58, run 20261202T145631Z). v32 doubles the bytes in flight per SM without
/// more warps (v18 showed that more warps cost instructions).
///
/// PREDICTION (before measuring; bf16, cold, M = 1): 8b-down 15.7 -> ~14 us if it is bound by
/// bytes in flight; 8b-o (256 blocks, 4 units per warp: the ring is never full) unchanged;
/// 8b-gate slower (896 blocks at 2 per SM: 3.4 waves), ~20 us. probe-v32-loads against
/// probe-v26-loads says whether the loads alone moved.
///
/// MEASURED (run 20261202T150444Z-788c, commit 8b843ca, bf16, cold, M = 1): a regression. 8b-down
/// 17.25 us against v26's 15.79; 8b-o 9.15 against 9.10 (unchanged, as predicted); 8b-gate 21.28.
/// The premise was wrong: probe-v32-loads on 8b-down is 11.94 us against probe-v26-loads' 12.00 (the
/// loads were not short of bytes in flight), while the part after staging grew from 1.55 to 3.17 us
/// (ncu: 16.32 us, 61 registers, no eligible warp on 51% of cycles). Kept as that measurement.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v26,v32 --dtype bf16 --wfmt int4-sym --m 1,2
#include <stdexcept>

#include "kernels/lean_stream_k.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

Step prepare_v32(const Problem& p) { return lean::prepare_lean<32>(p, "v32"); }

#else

Step prepare_v32(const Problem&) { throw std::invalid_argument("v32 uses mma.sync and cp.async (NVIDIA only)"); }

#endif

Version make_version() {
  Version v;
  v.info.id = "v32";
  v.info.idea = "v26 with an 8-deep cp.async ring per warp: 8 KB in flight per warp, 2 blocks per SM";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym};
  v.max_m = 8;
  v.kernel_regex = "w4_lean";
  v.prepare = prepare_v32;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
