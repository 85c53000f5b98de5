/// @file v10_no_l2_hint.cu v9 with the evict_first L2 hint taken off the K/V loads: plain `ld.global.nc`, the L2 left to its own policy.
///
/// **What changed from v9.** One thing, the `kEvictFirst = false` instantiation of the shared
/// body (kernels/mma_stream.cuh): the K and V loads lose their `L2::cache_hint` operand and
/// the `createpolicy.fractional.L2::evict_first` that made it. The ticket stays v9's
/// acq_rel atomic.
///
/// **Why.** v7 added the hint on the argument that K and V are read once, so they should not
/// push anything else out of L2. Under the cold-L2 timing nothing else is *in* L2, so the hint
/// could only be neutral or cost something, and the A/B that v7's file asked for
/// (`DECODE02_V7_L2_HINT=normal`, same binary) finally ran in run 20261201T232939Z-5c5f
/// (commit 2fea861, beside the evict_first rows of 20261201T232830Z-a131): without the hint
/// every contiguous shape got faster, by 1-2% at 2-32 MiB and by 8-9% from 512 MiB up
/// (bf16 (32, 4096) 135.3 -> 123.0 us, 93% -> 103% of copy; (1, 131072) 139.1 -> 127.5 us).
/// Why the hint costs is not established here; a plausible reading is that evict_first lines
/// are the first victims while a sector is still being filled by the neighbouring requests of
/// the same warp tile, so some 64-byte pieces are fetched from HBM twice; ncu's
/// `lts__t_sectors_srcunit_tex_lookup_miss` against `dram__bytes_read` would show that.
///
/// **Prediction (before this file was measured; the knob's rows above are the evidence).**
/// Within the run-to-run spread of v9-with-the-knob at every shape: bf16 (8, 4096) ~37.7 us
/// (84% of copy), (1, 32768) ~38.1 us (83%), (32, 4096) ~123 us (103%). So still short of
/// the 88% target at the two 128 MiB shapes: their ~7 us of fixed cost (launch, first DRAM
/// round trip, the split combine) is untouched.
///
/// **Profiler.** `ncu --section MemoryWorkloadAnalysis -k regex:mma_stream_kernel`: DRAM bytes
/// read per launch against v9's at (32, 4096); they should fall toward the 512 MiB of K + V.
///
/// **Run.** `build/cuda/topics/02-decode-attention/lab-02-decode-attention --variant v9,v10 --layout contiguous --dtype bf16`
#include "kernels/mma_stream.cuh"

#if LABS_GPU
namespace decode02 {
namespace {

Runner prepare_v10(const DeviceProblem& p) { return mma_stream::prepare<true, false>(p, "v10"); }

DecodeVersion make_v10() {
  DecodeVersion v;
  v.info.id = "v10";
  v.info.idea = "v9 without the evict_first L2 hint on the K/V loads (the A/B showed the hint costs 1-9%)";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.layouts = {Layout::contiguous};
  v.kernel_regex = "mma_stream_kernel";
  v.prepare = &prepare_v10;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(DecodeVersion, (make_v10()))

}  // namespace decode02
#endif
