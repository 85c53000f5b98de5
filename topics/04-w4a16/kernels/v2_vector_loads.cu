/// @file v2_vector_loads.cu
/// v2 — K split across warps, 16-byte weight loads, activations staged once per block in
/// shared memory (the shared CUDA-core GEMV of gemv_cuda_core.cuh with the plain decoder).
///
/// What changed from v1: v1 gave each row one warp that read 4 bytes per lane and fetched
/// every activation from global memory again for every row. v2 loads 16 bytes (32 weights)
/// per lane, keeps four rows' loads in flight per lane, reads each activation once per
/// block from shared memory and reuses it for 4 rows in registers, and splits each row's K
/// across 4 warps (M <= 4) so a block of 8 rows still has 8 warps of loads in flight.
///
/// Why it should be faster: memory parallelism. HBM needs ~ bandwidth x latency = 4.8 TB/s
/// x ~0.7 us ~ 3.4 MB in flight (~26 KB per SM); v1 has 4 bytes per lane in flight, v2 64.
///
/// PREDICTION (before measuring): the decode is still shift + mask + I2F per weight, and
/// I2F issues at 16 lanes/clock/SM on sm_90: 132 x 16 x ~1.98 GHz ~ 4.2 G weights/ms,
/// half of the ~8.6 G weights/ms that 4.3 TB/s of INT4 delivers. So v2 is conversion-bound
/// at ~50% of copy bandwidth at M = 1 (~14 us on 4096->14336, ~2x faster than cuBLAS bf16's
/// ~27 us), and falls further behind as M grows (M FMAs per weight on CUDA cores).
///
/// Profiler: `ncu --section ComputeWorkloadAnalysis --section MemoryWorkloadAnalysis
/// --section InstructionStats -k regex:gemv_core` — look for I2F in the instruction mix
/// and the "pipe utilization" of the XU/FP64-lite conversion pipe near 100% while DRAM
/// throughput sits near half.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v2 --m 1 --n 14336 --k 4096 --dtype bf16 --wfmt int4-sym
#include "kernels/gemv_cuda_core.cuh"

namespace w4a16 {
namespace {

#if LABS_GPU
Step prepare_v2(const Problem& p) { return prepare_gemv_core<Int4Convert>(p, /*split_k=*/false); }
#else
Step prepare_v2(const Problem&) { return {}; }
#endif

/// The table entry (built in a function: brace-initialising it in the registration line
/// trips GCC's -Wmaybe-uninitialized on nvcc's host stub).
Version make_version() {
  Version v;
  v.info.id = "v2";
  v.info.idea = "16-byte loads, K split across warps, activations staged in shared memory (I2F decode)";
  v.formats = {WFormat::int4_sym, WFormat::int4_asym};
  v.kernel_regex = "gemv_core";
  v.prepare = prepare_v2;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
