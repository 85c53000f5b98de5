/// @file v16_three_blocks.cu
/// v16 — v14's kernel (the best stream-K version) held to three resident blocks per SM:
/// `__launch_bounds__(256, 3)`, i.e. at most 85 registers, 24 warps per SM instead of 16.
///
/// What changed from v14, and why (read off ncu on the H200, 8b-gate and 70b-gateup at M = 1,
/// `ncu --section Occupancy --section LaunchStats`): the H200 build of v14 uses 86 registers
/// per thread, one over what three 256-thread blocks may have, so "Block Limit Registers" is 2:
/// 16 warps per SM, theoretical occupancy 25%, achieved 21.5%, 3.6 active and 1.1 eligible warps
/// per scheduler on 8b-gate (v5: 7.5 and 2.0), DRAM at 37%. Shared memory allows 3 blocks on
/// every shape that fits (2 on 70b-gateup's K = 8192 at M = 8 and up). One more block per SM is
/// 1.5x the warps and 1.5x the bytes in flight (24 x 4 KB per SM), for the same instructions.
/// v15's lean tail is NOT included (it measured slower than v14).
///
/// PREDICTION (before measuring; bf16, cold): 8b-gate / 8b-down M = 1 18.7 / 20.7 -> ~16.5 /
/// ~18.5 us (the first version under 18 us on both 8B targets), 70b-gateup 73.9 -> ~70 us;
/// if ptxas has to spill to stay under 85 registers (its report says), slower than v14 instead.
///
/// MEASURED (run 20261201T062159Z-3616, commit fcb9eb4): a regression. 8b-gate / 8b-down
/// 20.99 / 23.84 us vs v14's 18.21 / 20.29 in the same run, 70b-gateup 75.74 vs 71.89. ptxas
/// fits it in 80 registers with an 8-byte stack frame in two instantiations; more, shorter
/// ranges also mean more shared tiles. Not profiled further.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v5,v14,v16 --dtype bf16 --wfmt int4-sym --m 1,8
#include <stdexcept>

#include "kernels/lean_stream_k.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

/// v14's features (no lean tail) with the three-block register cap.
Step prepare_v16(const Problem& p) { return lean::prepare_lean<16>(p, "v16"); }

#else

Step prepare_v16(const Problem&) { throw std::invalid_argument("v16 uses mma.sync and cp.async (NVIDIA only)"); }

#endif

Version make_version() {
  Version v;
  v.info.id = "v16";
  v.info.idea = "v14 held to 3 resident blocks per SM (launch bounds: <= 85 registers, 24 warps instead of 16)";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym};
  v.max_m = 8;
  v.kernel_regex = "w4_lean";
  v.prepare = prepare_v16;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
