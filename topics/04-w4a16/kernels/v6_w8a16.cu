/// @file v6_w8a16.cu
/// v6 — W8A16 comparison point: per-channel INT8 weights through the same split-K GEMV
/// as v4, decoded with byte_perm into the fp32 magic 2^23 (dequant.cuh, Int8Magic).
///
/// What changed from v4: the weight format (8 bits, one scale per row, no groups); the
/// kernel structure is v4's. This is not a step towards faster INT4: it shows what half
/// the compression buys. INT8 per channel is nearly lossless for most LLM layers, INT4
/// needs groups (and GPTQ/AWQ) to stay accurate.
///
/// Why it should be faster than dense: 1 + 2/K bytes per weight instead of 2.
///
/// PREDICTION (before measuring): ~85% of copy bandwidth at M = 1 (~1.9x cuBLAS bf16 on
/// 4096->14336, ~14 us), i.e. ~2x slower than v4 on the same shape.
///
/// Profiler: `ncu --section MemoryWorkloadAnalysis -k regex:gemv_core` (dram bytes ~ N x K).
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v6 --m 1 --n 14336 --k 4096 --dtype bf16 --wfmt int8
#include "kernels/gemv_cuda_core.cuh"

namespace w4a16 {
namespace {

#if LABS_GPU
Step prepare_v6(const Problem& p) { return prepare_gemv_core<Int8Magic>(p, /*split_k=*/true); }
#else
Step prepare_v6(const Problem&) { return {}; }
#endif

/// The table entry (built in a function: brace-initialising it in the registration line
/// trips GCC's -Wmaybe-uninitialized on nvcc's host stub).
Version make_version() {
  Version v;
  v.info.id = "v6";
  v.info.idea = "W8A16 comparison: per-channel INT8, byte_perm + fp32 magic decode, split-K";
  v.formats = {WFormat::int8};
  v.kernel_regex = "gemv_core";
  v.prepare = prepare_v6;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
