/// @file gemm_cublas.cu
/// The dense bf16 matrix rate: cuBLAS cublasGemmEx, C = A B with m = n = k = 8192, bf16
/// inputs and output, fp32 accumulation (CUBLAS_COMPUTE_32F), tensor cores allowed. This is
/// the "peak" that compute-bound rows are compared with: a vendor library's best on a large
/// square problem, measured, not the datasheet's 989 TFLOP/s (which assumes boost clocks that
/// a 700 W part does not hold under a full GEMM).
///
/// Inputs are gemm_value(): random odd multiples of 1/128, exact in bf16 and never zero. The
/// check samples 256 outputs (the four corners included) and compares them with fp64 dot
/// products on the CPU of the same bf16 values, which are exact; only cuBLAS's fp32
/// accumulation and bf16 rounding remain, judged at 2 bf16 ulps.
#include "machine.hpp"

#if LABS_GPU && defined(LABS_BACKEND_CUDA)
#include <cublas_v2.h>

#include <fmt/format.h>

#include "labs/device_buffer.hpp"
#include "pattern.hpp"

namespace machine {
namespace {

void check_cublas(cublasStatus_t st, const char* call, const char* file, int line) {
  if (st != CUBLAS_STATUS_SUCCESS) lab::gpu_fail(call, file, line, cublasGetStatusString(st));
}
#define CUBLAS_CHECK(call) check_cublas((call), #call, __FILE__, __LINE__)

__global__ void fill_gemm_operand(lab::bf16* p, std::size_t n, std::uint32_t seed) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    p[i] = __float2bfloat16(gemm_value(i, seed));  // exact: no rounding happens here
}

cublasHandle_t as_handle(void* h) { return static_cast<cublasHandle_t>(h); }

}  // namespace

Bf16Gemm::Bf16Gemm(int n, cudaStream_t s) : n_(n) {
  cublasHandle_t h = nullptr;
  CUBLAS_CHECK(cublasCreate(&h));
  handle_ = h;
  const std::size_t elems = static_cast<std::size_t>(n) * n, bytes = elems * sizeof(lab::bf16);
  LABS_CHECK(cudaMalloc(&a_, bytes));
  LABS_CHECK(cudaMalloc(&b_, bytes));
  LABS_CHECK(cudaMalloc(&c_, bytes));
  fill_gemm_operand<<<1024, 256, 0, s>>>(static_cast<lab::bf16*>(a_), elems, kSeedA);
  LABS_CHECK_LAUNCH();
  fill_gemm_operand<<<1024, 256, 0, s>>>(static_cast<lab::bf16*>(b_), elems, kSeedB);
  LABS_CHECK_LAUNCH();
  LABS_CHECK(cudaStreamSynchronize(s));
}

Bf16Gemm::~Bf16Gemm() {
  if (handle_) (void)cublasDestroy(as_handle(handle_));
  (void)cudaFree(a_);
  (void)cudaFree(b_);
  (void)cudaFree(c_);
}

void Bf16Gemm::run(cudaStream_t s) {
  const float alpha = 1.0f, beta = 0.0f;
  CUBLAS_CHECK(cublasSetStream(as_handle(handle_), s));
  CUBLAS_CHECK(cublasGemmEx(as_handle(handle_), CUBLAS_OP_N, CUBLAS_OP_N, n_, n_, n_, &alpha, a_, CUDA_R_16BF, n_,
                            b_, CUDA_R_16BF, n_, &beta, c_, CUDA_R_16BF, n_, CUBLAS_COMPUTE_32F,
                            CUBLAS_GEMM_DEFAULT));
}

void Bf16Gemm::poison(cudaStream_t s) {
  LABS_CHECK(cudaMemsetAsync(c_, 0xFF, static_cast<std::size_t>(n_) * n_ * sizeof(lab::bf16), s));
}

lab::CheckResult Bf16Gemm::check(cudaStream_t s, int samples) const {
  LABS_CHECK(cudaStreamSynchronize(s));
  const std::size_t n = static_cast<std::size_t>(n_);
  std::vector<float> got;
  std::vector<double> ref;
  for (int q = 0; q < samples; ++q) {
    std::size_t row, col;  // the corners first, then hashed positions
    if (q < 4) {
      row = (q & 1) ? n - 1 : 0;
      col = (q & 2) ? n - 1 : 0;
    } else {
      row = pattern_word(static_cast<std::uint64_t>(q), 101) % n;
      col = pattern_word(static_cast<std::uint64_t>(q), 102) % n;
    }
    // Column-major: C(row, col) = sum_k A(row, k) B(k, col), A(row, k) at row + k n.
    double dot = 0;
    for (std::size_t k = 0; k < n; ++k)
      dot += static_cast<double>(gemm_value(row + k * n, kSeedA)) * static_cast<double>(gemm_value(k + col * n, kSeedB));
    ref.push_back(dot);
    lab::bf16 out;
    LABS_CHECK(cudaMemcpy(&out, static_cast<const lab::bf16*>(c_) + row + col * n, sizeof out, cudaMemcpyDeviceToHost));
    got.push_back(__bfloat162float(out));
  }
  lab::CheckResult r = lab::check_close(got, ref, lab::DType::bf16, lab::tolerance_for(lab::DType::bf16, 2.0, 1.0));
  r.note = (r.pass ? "" : r.note + "; ") + fmt::format("{} sampled outputs vs fp64 dot products on the CPU", samples);
  return r;
}

void Bf16Gemm::corrupt_one(int row, int col, cudaStream_t s) {
  LABS_CHECK(cudaStreamSynchronize(s));
  lab::bf16* p = static_cast<lab::bf16*>(c_) + static_cast<std::size_t>(row) + static_cast<std::size_t>(col) * n_;
  lab::bf16 v;
  LABS_CHECK(cudaMemcpy(&v, p, sizeof v, cudaMemcpyDeviceToHost));
  v = __float2bfloat16(__bfloat162float(v) + 8.0f);
  LABS_CHECK(cudaMemcpy(p, &v, sizeof v, cudaMemcpyHostToDevice));
}

std::string Bf16Gemm::producer() {
  int major = 0, minor = 0, patch = 0;
  CUBLAS_CHECK(cublasGetProperty(MAJOR_VERSION, &major));
  CUBLAS_CHECK(cublasGetProperty(MINOR_VERSION, &minor));
  CUBLAS_CHECK(cublasGetProperty(PATCH_LEVEL, &patch));
  return fmt::format("cuBLAS {}.{}.{}", major, minor, patch);
}

std::optional<double> cublas_bf16_gemm(Context& ctx) {
  const int n = ctx.sizes.gemm_n;
  const cudaStream_t st = ctx.session.stream();
  auto gemm = std::make_shared<Bf16Gemm>(n, st);
  const double dn = static_cast<double>(n);
  lab::Case c;
  c.variant = "cublas-bf16-gemm";
  c.kind = "vendor";
  c.producer = Bf16Gemm::producer();
  c.workload = {{"op", "gemm"}, {"m", n}, {"n", n}, {"k", n}, {"dtype", "bf16"}};
  c.workload_flags = fmt::format("--gemm-n {}", n);
  c.bytes = 3.0 * dn * dn * sizeof(lab::bf16);  // read A, B; write C (each once, at best)
  c.flops = 2.0 * dn * dn * dn;
  c.run = [gemm](cudaStream_t s) { gemm->run(s); };
  c.poison = [gemm](cudaStream_t s) { gemm->poison(s); };
  c.check = [gemm, st] { return gemm->check(st); };
  c.extra = {{"method", "cublasGemmEx bf16 x bf16 -> bf16, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT, column-major NN"}};
  const auto row = measure_fixed(ctx, c, {lab::L2Mode::cold, 0});
  if (!row) return std::nullopt;
  return c.flops / ((*row)["time_ms"]["median"].get<double>() * 1e-3) / 1e12;
}

}  // namespace machine
#endif
