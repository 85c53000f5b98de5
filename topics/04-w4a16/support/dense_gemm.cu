/// @file dense_gemm.cu
#include "support/dense_gemm.hpp"

#include <stdexcept>
#include <string>

#include "labs/device_buffer.hpp"

#if defined(LABS_BACKEND_CUDA)
#include <cublasLt.h>
#include <cublas_v2.h>
#endif

namespace w4a16 {

#if defined(LABS_BACKEND_CUDA)
namespace {

void blas_check(cublasStatus_t st, const char* what) {
  if (st != CUBLAS_STATUS_SUCCESS)
    throw std::runtime_error(std::string(what) + " failed: " + cublasGetStatusString(st));
}

cudaDataType_t cuda_type(lab::DType t) { return t == lab::DType::bf16 ? CUDA_R_16BF : CUDA_R_16F; }

}  // namespace

struct DenseGemm::Impl {
  Library lib;
  Problem p;
  cublasHandle_t blas = nullptr;
  cublasLtHandle_t lt = nullptr;
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulAlgo_t algo{};
  lab::DeviceBytes workspace;

  ~Impl() {
    if (c) cublasLtMatrixLayoutDestroy(c);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (op) cublasLtMatmulDescDestroy(op);
    if (lt) cublasLtDestroy(lt);
    if (blas) cublasDestroy(blas);
  }
};

// Column-major view: W [N][K] row-major is a K x N column-major matrix (ld K); op T makes
// it N x K. x [M][K] is K x M (ld K); y [M][N] is N x M (ld N). So y^T = W x^T is a "TN"
// GEMM with m = N, n = M, k = K.
DenseGemm::DenseGemm(Library lib, const Problem& p) : impl_(std::make_unique<Impl>()) {
  require_supported(p);
  impl_->lib = lib;
  impl_->p = p;
  const cudaDataType_t t = cuda_type(p.dtype);
  if (lib == Library::cublas) {
    blas_check(cublasCreate(&impl_->blas), "cublasCreate");
    return;
  }
  blas_check(cublasLtCreate(&impl_->lt), "cublasLtCreate");
  blas_check(cublasLtMatmulDescCreate(&impl_->op, CUBLAS_COMPUTE_32F, CUDA_R_32F), "cublasLtMatmulDescCreate");
  const cublasOperation_t trans = CUBLAS_OP_T;
  blas_check(cublasLtMatmulDescSetAttribute(impl_->op, CUBLASLT_MATMUL_DESC_TRANSA, &trans, sizeof trans),
             "cublasLtMatmulDescSetAttribute");
  blas_check(cublasLtMatrixLayoutCreate(&impl_->a, t, p.K, p.N, p.K), "cublasLtMatrixLayoutCreate(A)");
  blas_check(cublasLtMatrixLayoutCreate(&impl_->b, t, p.K, p.M, p.K), "cublasLtMatrixLayoutCreate(B)");
  blas_check(cublasLtMatrixLayoutCreate(&impl_->c, t, p.N, p.M, p.N), "cublasLtMatrixLayoutCreate(C)");
  const std::size_t ws_bytes = 32u << 20;
  impl_->workspace = lab::DeviceBytes(ws_bytes);
  cublasLtMatmulPreference_t pref = nullptr;
  blas_check(cublasLtMatmulPreferenceCreate(&pref), "cublasLtMatmulPreferenceCreate");
  blas_check(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws_bytes,
                                                  sizeof ws_bytes),
             "cublasLtMatmulPreferenceSetAttribute");
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  const cublasStatus_t st = cublasLtMatmulAlgoGetHeuristic(impl_->lt, impl_->op, impl_->a, impl_->b, impl_->c,
                                                           impl_->c, pref, 1, &result, &found);
  cublasLtMatmulPreferenceDestroy(pref);
  blas_check(st, "cublasLtMatmulAlgoGetHeuristic");
  if (found < 1) throw std::runtime_error("cuBLASLt found no algorithm for this GEMM");
  impl_->algo = result.algo;
}

DenseGemm::~DenseGemm() = default;

void DenseGemm::run(const void* dense, Stream s) const {
  const Problem& p = impl_->p;
  const float alpha = 1.0f, beta = 0.0f;
  const cudaDataType_t t = cuda_type(p.dtype);
  if (impl_->lib == Library::cublas) {
    blas_check(cublasSetStream(impl_->blas, s), "cublasSetStream");
    blas_check(cublasGemmEx(impl_->blas, CUBLAS_OP_T, CUBLAS_OP_N, p.N, p.M, p.K, &alpha, dense, t, p.K, p.x, t, p.K,
                            &beta, p.y, t, p.N, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
               "cublasGemmEx");
  } else {
    blas_check(cublasLtMatmul(impl_->lt, impl_->op, &alpha, dense, impl_->a, p.x, impl_->b, &beta, p.y, impl_->c,
                              p.y, impl_->c, &impl_->algo, impl_->workspace.get(), impl_->workspace.bytes(), s),
               "cublasLtMatmul");
  }
  LABS_CHECK_LAUNCH();
}

std::string DenseGemm::producer(Library lib) {
  int major = 0, minor = 0, patch = 0;
  cublasGetProperty(MAJOR_VERSION, &major);
  cublasGetProperty(MINOR_VERSION, &minor);
  cublasGetProperty(PATCH_LEVEL, &patch);
  return std::string(lib == Library::cublas ? "cuBLAS " : "cuBLASLt ") + std::to_string(major) + "." +
         std::to_string(minor) + "." + std::to_string(patch);
}

#else

struct DenseGemm::Impl {};
DenseGemm::DenseGemm(Library, const Problem&) { throw std::runtime_error("cuBLAS baselines need the CUDA backend"); }
DenseGemm::~DenseGemm() = default;
void DenseGemm::run(const void*, Stream) const {}
std::string DenseGemm::producer(Library) { return "cuBLAS (not built)"; }

#endif

}  // namespace w4a16
