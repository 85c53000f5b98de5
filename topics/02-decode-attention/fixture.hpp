/// @file fixture.hpp
/// One workload's data on the GPU, shared by every version that runs on it: q, the
/// contiguous K/V cache (live keys random, allocated-but-unwritten keys NaN, so a kernel
/// that reads past the live length fails the check), the paged pools built from the same
/// data with a shuffled page order, the output buffer, and the oracle's answer.
///
/// The oracle is independent of every version: the fp64 CPU definition (reference_cpu.hpp)
/// on small shapes, and on large ones a plain GPU kernel that reads the same bf16/fp16
/// inputs and accumulates every dot product, exponential sum and weighted sum in fp64.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "decode.hpp"
#include "labs/check.hpp"

namespace decode02 {

/// Tolerance: rtol = 4 units of roundoff of the output dtype (the output rounding, the
/// oracle's rounding, fp32 accumulation over up to 131072 keys and ex2.approx, with room),
/// atol = rtol * max|ref| so near-zero outputs are judged on the output's own scale. A
/// missing online-softmax rescale misweights early keys by e^2 or more on this data and
/// fails by a factor of tens (tests/).
inline constexpr double kCheckUlps = 4.0;

/// fp64 CPU oracle when the shape is small enough to run it in well under a second.
inline bool use_cpu_oracle(const Shape& s) { return static_cast<long long>(s.B) * s.S <= 16384; }

/// The check policy applied to any output against any oracle answer.
lab::CheckResult check_attention(const std::vector<float>& out, const std::vector<double>& ref, lab::DType dtype);

#if LABS_GPU
class DecodeFixture {
 public:
  /// Allocates and fills q, K, V and out for `shape` (its layout is ignored) on `stream`.
  DecodeFixture(const Shape& shape, cudaStream_t stream);
  ~DecodeFixture();
  DecodeFixture(const DecodeFixture&) = delete;
  DecodeFixture& operator=(const DecodeFixture&) = delete;

  /// The problem as a version sees it for `layout`; builds that paged pool on first use.
  DeviceProblem problem(Layout layout);
  void poison_output(cudaStream_t stream) const;
  /// Oracle output [B, Hq, D], computed on first use.
  const std::vector<double>& reference();
  /// "cpu-fp64" or "gpu-fp64-accumulate".
  std::string reference_kind() const;
  /// Synchronizes, downloads the output and checks it against the oracle.
  lab::CheckResult check_output();
  /// Host copies of the inputs as the GPU holds them (rounded to the dtype, NaN padding included).
  std::vector<float> host_q() const;
  std::vector<float> host_k() const;
  std::vector<float> host_v() const;
  std::vector<float> download_output() const;
  const Shape& shape() const { return shape_; }

 private:
  struct Impl;
  Impl* impl_;
  Shape shape_;
};
#endif

}  // namespace decode02
