/// @file reference.hpp
/// The oracle: tanh-approximation GELU in double precision, written straight from the
/// formula so it shares nothing with the kernels (which use the equivalent, cheaper form
/// x / (1 + exp(-2u)) in fp32). Host and device: the CPU checks small shapes with it, and
/// the device checker (check.hpp) evaluates the same double formula for HBM-sized shapes.
#pragma once

#include <cmath>

#include "labs/check.hpp"
#include "labs/dtype.hpp"

#if defined(__CUDACC__) || defined(__HIPCC__)
#define GELU_HOST_DEVICE __host__ __device__
#else
#define GELU_HOST_DEVICE
#endif

namespace gelu {

/// gelu_tanh(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))  (Hendrycks & Gimpel 2016)
GELU_HOST_DEVICE inline double gelu_tanh_ref(double x) {
  const double sqrt_2_over_pi = 0.79788456080286535588;  // sqrt(2/pi)
  const double u = sqrt_2_over_pi * (x + 0.044715 * x * x * x);
  return 0.5 * x * (1.0 + tanh(u));
}

/// The tolerance every GELU row is checked with (lab, tests and the vendor script).
/// bf16/fp16: 2 units of the output's last place (the kernel's rounding and the
/// reference's). fp32: 8 units, because the kernels use the hardware's approximate exp and
/// reciprocal (a few ulp each) and PyTorch's tanh form loses ~|x|/2^24 absolute where
/// 1 + tanh(u) cancels for negative x. atol = rtol (atol_scale 1): outputs are O(1).
inline lab::Tolerance tolerance(lab::DType t) {
  return lab::tolerance_for(t, t == lab::DType::f32 ? 8.0 : 2.0, 1.0);
}

/// Inputs are uniform in [-kInputRange, kInputRange]: the linear region, the bend near 0
/// and the cancelling tail where gelu(x) -> 0 from below are all well sampled.
inline constexpr float kInputRange = 6.0f;

}  // namespace gelu
