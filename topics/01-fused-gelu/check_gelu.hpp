/// @file check_gelu.hpp
/// Inputs and the two checkers of topic 01, shared by the lab, the tests and the benchmark.
///  - Small shapes: the output is copied back and compared on the CPU with the fp64 oracle
///    (reference.hpp) through lab::check_close.
///  - HBM-sized shapes: a GPU checker evaluates the same fp64 formula for every element
///    and applies the same policy (reference rounded to the output dtype, |out-ref| <=
///    atol + rtol|ref|, non-finite fails), so nothing has to cross PCIe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "gelu.hpp"
#include "labs/check.hpp"
#include "labs/gpu.hpp"

namespace gelu {

/// Up to this many elements the CPU oracle checks the output; above it, the GPU checker.
inline constexpr std::size_t kHostCheckLimit = std::size_t{1} << 22;

/// fp64 reference for every element: gelu(x[i] (+ bias[i % hidden])). bias may be empty.
std::vector<double> reference_on_host(const std::vector<float>& x, const std::vector<float>& bias,
                                      std::size_t hidden);

/// Known values of the tanh-approximation GELU, computed independently: the CPU self-test
/// the lab and the CPU test run. Returns false and says why on the first mismatch.
bool reference_self_test(std::string* why);

#if LABS_GPU
/// Fills n elements of dtype t with a reproducible uniform sample of [-6, 6] (a hash of the
/// index and seed, rounded to t). Device-side so HBM-sized inputs cost milliseconds.
void fill_uniform(lab::DType t, void* dst, std::size_t n, std::uint32_t seed, float lo, float hi, cudaStream_t s);

/// Syncs s, copies ref.size() elements of y back and compares them with ref on the CPU.
lab::CheckResult check_on_host(const void* y, lab::DType t, const std::vector<double>& ref, lab::Tolerance tol,
                               cudaStream_t s);

/// Compares every element of p.y with the fp64 oracle on the GPU (bias used when
/// `with_bias`), with tol; syncs s. Same fields as check_close fills.
lab::CheckResult check_on_device(const Problem& p, bool with_bias, lab::Tolerance tol, cudaStream_t s);
#endif

}  // namespace gelu
