/// @file gelu.hpp
/// Topic 01's version table: what a GELU version is, the problem it solves, and the byte
/// and FLOP models every row of this lab is judged by.
///
/// The problem: y = gelu(x) over a row-major [tokens, hidden] tensor (v0..v3), or
/// y = gelu(x + bias[col]) (v4 and the unfused pair it is measured against), in fp32, bf16
/// or fp16 storage with fp32 arithmetic inside every kernel.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "labs/dtype.hpp"
#include "labs/gpu.hpp"
#include "labs/registry.hpp"

namespace gelu {

#if LABS_GPU
using Stream = cudaStream_t;
#else
using Stream = void*;  // cpu preset: the table exists but holds no versions
#endif

/// One GELU problem. Pointers are device pointers; the tests offset them by one element to
/// check the misaligned-start paths, so a version must not assume 16-byte alignment.
struct Problem {
  lab::DType dtype = lab::DType::f32;
  const void* x = nullptr;
  const void* bias = nullptr;  ///< [hidden]; only read by bias versions
  void* y = nullptr;
  std::size_t tokens = 0;
  std::size_t hidden = 0;
  int sms = 0;  ///< streaming multiprocessors: the persistent grids are sized from it
  std::size_t elements() const { return tokens * hidden; }
};

/// One iteration of a version: every launch of one GELU step, enqueued on the stream.
using Step = std::function<void(Stream)>;
/// Allocates what the version needs (temporaries, a captured graph) OUTSIDE the timed
/// region and returns the step; the step owns those resources.
using Prepare = std::function<Step(const Problem&)>;

/// The unfused pair a fused version is measured against (v4: a bias-add kernel, then v3).
struct Baseline {
  std::string id;            ///< variant name in the journal, e.g. "v4-unfused"
  std::string idea;
  int launches = 0;          ///< per step, as CUPTI counts them
  std::string kernel_regex;  ///< for ncu -k regex:...
  Prepare prepare;
};

struct Version {
  lab::VersionInfo info;
  bool bias = false;         ///< computes gelu(x + bias[col])
  int launches = 0;          ///< per step, as CUPTI counts them (a graph launch is 1)
  std::string kernel_regex;  ///< for ncu -k regex:...
  Prepare prepare;
  std::optional<Baseline> baseline;
};

using Registry = lab::Registry<Version>;

/// Byte model: the fewest bytes a step must move: read x once, write y once, plus the bias
/// row once for bias versions. Temporaries are not counted: they are what fusion removes.
inline double bytes_moved(lab::DType t, std::size_t tokens, std::size_t hidden, bool bias) {
  const double e = static_cast<double>(lab::dtype_bytes(t));
  return e * (2.0 * static_cast<double>(tokens) * static_cast<double>(hidden) +
              (bias ? static_cast<double>(hidden) : 0.0));
}

/// FLOP model: 9 per element counting tanh as one (x^3 as 2 multiplies, *0.044715, +x,
/// *sqrt(2/pi), tanh, +1, *0.5, *x), +1 for the bias add. Elementwise GELU is nowhere near
/// the FLOP ceiling; the number exists so every row has one.
inline double flops_model(std::size_t tokens, std::size_t hidden, bool bias) {
  return (bias ? 10.0 : 9.0) * static_cast<double>(tokens) * static_cast<double>(hidden);
}

#if LABS_GPU
/// v0's eight elementwise kernels (shared with v1, which captures them in a graph).
/// t1 and t2 are fp32 temporaries of elements() floats each.
void launch_unfused_gelu(const Problem& p, float* t1, float* t2, cudaStream_t stream);

/// v3's step (16-byte vectors, persistent grid): used by v4's unfused baseline for its
/// GELU half. Ignores p.bias.
Step make_vec16_step(const Problem& p);
#endif

}  // namespace gelu
