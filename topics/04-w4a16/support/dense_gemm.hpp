/// @file dense_gemm.hpp
/// The vendor baselines inside the lab: y = x * W^T with dense 16-bit W through cuBLAS
/// (cublasGemmEx, default algorithm) or cuBLASLt (first algorithm of its heuristic),
/// fp32 accumulation, in the activation dtype. Also v0's second step. CUDA only: on other
/// backends construction throws.
#pragma once

#include <memory>
#include <string>

#include "w4a16.hpp"

namespace w4a16 {

class DenseGemm {
 public:
  enum class Library { cublas, cublaslt };
  /// Creates the handle and (Lt) picks the algorithm: outside any timed region.
  DenseGemm(Library lib, const Problem& p);
  ~DenseGemm();
  DenseGemm(const DenseGemm&) = delete;
  DenseGemm& operator=(const DenseGemm&) = delete;

  /// y[M][N] = x[M][K] * dense[N][K]^T, enqueued on s.
  void run(const void* dense, Stream s) const;

  /// "cuBLAS 13.0.2" / "cuBLASLt 13.0.2" (the library's own version numbers).
  static std::string producer(Library lib);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace w4a16
