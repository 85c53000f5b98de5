/// @file v17_block_owned.cu
/// v17 — v14's loop with the cross-block tail taken out: block b owns super-tile b (32
/// output columns), its 8 warps split K between them, and the 8 partials meet in shared
/// memory. No global partials, no ticket, no second L2 round trip at the end.
///
/// What changed from v14, and why: v14 streams at ~3.8 TB/s but pays ~11.6 us per call
/// (fit over nine shapes, M = 1); tinygemm pays ~6.4 and wins the two smallest layers
/// (8b-o 9.54 vs our best 11.42 us). Part of v14's fixed cost is its tail: a warp that
/// shares a tile stores its fp32 partial to global memory, takes an acq_rel ticket, and the
/// last one reads every partial back — two to three dependent L2 round trips after the last
/// byte has arrived, on most warps (an 8B layer gives each warp ~2-14 units, so most tiles
/// are shared). v17 plans W = 8 x super-tiles instead of one full wave: the range
/// [U w / W, U (w + 1) / W) of warp w then lies inside super-tile w / 8, for any G, so a
/// block's warps finish together and reduce through their own rings with one __syncthreads.
/// The cost: the grid is the layer's super-tile count, not one full wave: 128 blocks on 8b-o
/// and 8b-down (fewer than 132 SMs x 2, so 8 warps per SM and 32 KB in flight per SM, half of
/// v14's), 448 on 8b-gate (1.7 waves of 2 blocks per SM), and a K-long range per warp
/// (8b-down: 14 units per warp through a 4-deep ring).
///
/// PREDICTION (before measuring; bf16, cold, M = 1): the small layers gain what the tail
/// cost, ~2 us: 8b-o 12.8 -> ~10-10.5 us (tinygemm 9.54: still a loss or a tie), 8b-qkv
/// ~15 -> ~12.5. The 14-unit ranges of 8b-down have half of v14's bytes in flight per SM:
/// Little's law at ~1.5 us loaded latency gives ~2.8 TB/s there, so 8b-down ~19 us (v14 20.7,
/// v5 18.6). 8b-gate's 1.7 waves cost a partial second wave: ~20 us, worse than v14's 18.7.
/// Large layers (many waves of short blocks): slower than v14, which streams one wave.
///
/// MEASURED (run 20261201T235329Z-f621, commit 4f311a6, bf16, cold, M = 1; README section 4):
/// 8b-o 9.41 us, 8b-qkv 11.62, 8b-down 16.54, 8b-gate 19.52, 70b-gateup 97.30 (v14 12.61,
/// 14.78, 20.24, 18.26, 71.90 in the same run; tinygemm 9.34 on 8b-o). Better than predicted
/// on the small layers, as predicted on the large ones. Correction to the text above: a
/// super-tile is 2 x 8 = 16 output columns, so 8b-o and 8b-down launch 256 blocks, not 128.
/// ncu on 8b-o: 8.03 us, DRAM 22.7%, 64 registers, 0.48 waves, issue slots busy 47%.
///
/// Profiler: `ncu --section LaunchStats --section Occupancy --section SpeedOfLight
/// -k regex:w4_lean` on 8b-o M = 1: one wave, 8 warps per SM, DRAM throughput against v14's.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v5,v14,v17 --dtype bf16 --wfmt int4-sym --m 1,8
#include <stdexcept>

#include "kernels/lean_stream_k.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

Step prepare_v17(const Problem& p) { return lean::prepare_lean<17>(p, "v17"); }

#else

Step prepare_v17(const Problem&) { throw std::invalid_argument("v17 uses mma.sync and cp.async (NVIDIA only)"); }

#endif

Version make_version() {
  Version v;
  v.info.id = "v17";
  v.info.idea = "v14's loop, one super-tile per block: warps split K and reduce in shared memory (no global tail)";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym};
  v.max_m = 8;
  v.kernel_regex = "w4_lean";
  v.prepare = prepare_v17;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
