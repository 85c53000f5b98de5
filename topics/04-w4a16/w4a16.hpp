/// @file w4a16.hpp
/// Topic 04's version table: what a W4A16 version is, the problem it solves, and the byte
/// and FLOP models every row of this lab is judged by.
///
/// The problem: y[M, N] = x[M, K] * W^T for decode (M = 1..16 tokens), x and y in bf16 or
/// fp16, W stored as INT4 (groups of 128 along K, one 16-bit scale per group, optionally a
/// 4-bit zero point), INT8 per channel (the W8A16 comparison) or dense 16-bit (cuBLAS).
/// Every kernel accumulates in fp32.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "labs/dtype.hpp"
#include "labs/gpu.hpp"
#include "labs/registry.hpp"
#include "quant/format.hpp"

namespace w4a16 {

#if LABS_GPU
using Stream = cudaStream_t;
#else
using Stream = void*;  // cpu preset: the table exists but holds no versions
#endif

inline constexpr int kMaxM = 16;  ///< the largest batch any version handles

/// One GEMV/GEMM problem. x and y are device pointers; x is [M][K], y is [M][N].
struct Problem {
  int M = 1, N = 0, K = 0;
  lab::DType dtype = lab::DType::bf16;
  WFormat wfmt = WFormat::int4_sym;
  const void* x = nullptr;
  void* y = nullptr;
  int sms = 0;  ///< streaming multiprocessors: split-K plans are sized from it
  int splits = 0;  ///< K splits forced by the lab's --splits (0: the version's own plan; only takes_splits versions)
};

/// One set of device weights. The lab keeps several identical sets and rotates through
/// them so that every timed call reads its weights from HBM (cold L2). Pointers a format
/// does not use are null.
struct DeviceWeights {
  const std::uint8_t* plain = nullptr;  ///< int4: [N][K/2] (pack.hpp); int8: [N][K] bytes
  const std::uint8_t* tiled = nullptr;  ///< int4 tiled packing (tiled_layout.hpp)
  const void* scales = nullptr;         ///< int4: [K/128][N]; int8: [N]; in the activation dtype
  const std::uint8_t* zeros = nullptr;  ///< int4-asym: [K/128][N], one zero point per byte
  const void* dense = nullptr;          ///< [N][K] in the activation dtype (cuBLAS baselines)
};

/// One iteration of a version: every launch of one linear layer, enqueued on the stream.
using Step = std::function<void(const DeviceWeights&, Stream)>;
/// Allocates what the version needs (split-K workspace, a dequantised scratch matrix, a
/// cuBLAS handle) OUTSIDE the timed region and returns the step that owns it. Throws
/// std::invalid_argument for a problem it does not handle.
using Prepare = std::function<Step(const Problem&)>;

struct Version {
  lab::VersionInfo info;
  std::vector<WFormat> formats;  ///< weight formats it implements
  int min_m = 1;                 ///< the smallest M it handles (prepare throws below it; v40: 9)
  int max_m = kMaxM;             ///< the largest M it handles (prepare throws above it)
  std::string kernel_regex;      ///< for ncu -k regex:...
  bool takes_splits = false;     ///< honours Problem::splits (the lab's --splits sweep)
  /// Dispatching versions (v23): the id of the version it runs for a problem (the lab records it).
  std::function<std::string(const Problem&)> picks;
  Prepare prepare;
};

using Registry = lab::Registry<Version>;

/// Byte model: the fewest bytes one call must move: the weights in their stored form
/// (INT4: K/2 bytes per row + one 16-bit scale per 128 weights, + one zero byte per group
/// when asymmetric; INT8: K bytes + one scale per row; dense: 2K bytes per row), the
/// activations read once and the output written once.
inline double bytes_model(WFormat f, lab::DType t, int M, int N, int K) {
  const double e = static_cast<double>(lab::dtype_bytes(t));
  const double n = N, k = K, groups = k / kGroup;
  double w = 0;
  switch (f) {
    case WFormat::int4_sym: w = n * k / 2 + e * n * groups; break;
    case WFormat::int4_asym: w = n * k / 2 + (e + 1) * n * groups; break;
    case WFormat::int8: w = n * k + e * n; break;
    case WFormat::dense: w = e * n * k; break;
  }
  return w + e * M * k + e * M * n;
}

/// FLOP model: one multiply-add per weight per row of x (dequantisation not counted).
inline double flops_model(int M, int N, int K) { return 2.0 * M * static_cast<double>(N) * K; }

/// Problems every version must accept: K a multiple of 128, 1 <= M <= 16, N >= 1.
/// Throws std::invalid_argument naming what is wrong.
void require_supported(const Problem& p);

}  // namespace w4a16
