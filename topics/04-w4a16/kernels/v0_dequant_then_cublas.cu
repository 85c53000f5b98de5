/// @file v0_dequant_then_cublas.cu
/// v0 — the naive path people write first: dequantise the whole INT4 matrix to a dense
/// bf16/fp16 matrix in memory, then call cuBLAS on it. Two launches per layer.
///
/// What it does: support/gpu_support.cu `dequantize_to_dense` (one thread per 8 weights:
/// read 4 bytes, write 16) into a scratch [N][K] buffer, then `cublasGemmEx` (TN, fp32
/// accumulate) on that buffer.
///
/// Why it is the baseline to beat: it keeps the 4-bit weights in memory, but every call
/// still moves 0.5 (read INT4) + 2 (write dense) + 2 (cuBLAS reads dense) = 4.5 bytes per
/// weight instead of cuBLAS's 2: quantisation saved memory capacity and cost bandwidth.
///
/// PREDICTION (before measuring): ~2.3x SLOWER than cuBLAS bf16 alone at every M (4.5 vs
/// 2 bytes per weight; ~62 us on 4096->14336 at ~4.3 TB/s), and ~9x slower than the
/// INT4 byte floor.
///
/// Profiler: `nsys profile --stats=true` shows the two kernels; `ncu --section
/// MemoryWorkloadAnalysis -k regex:dense_kernel` shows 2 bytes written per weight.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v0 --m 1 --n 14336 --k 4096 --dtype bf16 --wfmt int4-sym
#include <memory>
#include <stdexcept>

#include "labs/device_buffer.hpp"
#include "support/dense_gemm.hpp"
#include "support/gpu_support.hpp"
#include "w4a16.hpp"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)
Step prepare_v0(const Problem& p) {
  require_supported(p);
  if (!is_int4(p.wfmt)) throw std::invalid_argument("v0 implements int4-sym and int4-asym only");
  auto scratch = std::make_shared<lab::DeviceBytes>(static_cast<std::size_t>(p.N) * p.K * lab::dtype_bytes(p.dtype));
  auto gemm = std::make_shared<DenseGemm>(DenseGemm::Library::cublas, p);
  const Problem q = p;
  return [=](const DeviceWeights& w, Stream s) {
    dequantize_to_dense(q, w, scratch->get(), s);
    gemm->run(scratch->get(), s);
  };
}
#else
Step prepare_v0(const Problem&) { throw std::invalid_argument("v0 calls cuBLAS (NVIDIA only)"); }
#endif

/// The table entry (built in a function: brace-initialising it in the registration line
/// trips GCC's -Wmaybe-uninitialized on nvcc's host stub).
Version make_version() {
  Version v;
  v.info.id = "v0";
  v.info.idea = "dequantise the whole matrix to bf16/fp16, then cuBLAS (two passes over memory)";
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym, WFormat::int4_asym};
  v.kernel_regex = "dense_kernel|gemm|sm90";
  v.prepare = prepare_v0;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
