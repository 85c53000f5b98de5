/// @file decode.hpp
/// Topic 02's vocabulary: the decode-attention problem (one new query token per sequence
/// attending to its whole KV cache), its cache layouts, the byte and FLOP models, and the
/// version table every kernel file registers itself in.
///
/// Shapes follow Llama-3-8B: 32 query heads share 8 KV heads (GQA group of 4), head_dim 128.
///   q    [B, Hq, D]                 one token per sequence
///   K, V [B, Hkv, S_alloc, D]       contiguous cache; keys t < S are live, the rest is
///                                   allocated but not yet written (the lab fills it with NaN)
///   out  [B, Hq, D]
/// Paged layouts keep K and V in pools of pages [num_pages, Hkv, P, D] (P = 16 or 64 keys)
/// and a block table int32 [B, max_pages] mapping logical page i of sequence b to a pool page.
/// out[b, h] = softmax(q[b, h] . K[b, h / G]^T / sqrt(D)) . V[b, h / G], G = Hq / Hkv.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "labs/check.hpp"
#include "labs/dtype.hpp"
#include "labs/gpu.hpp"
#include "labs/registry.hpp"
#include "labs/timing.hpp"

namespace decode02 {

inline constexpr const char* kLabName = "02-decode-attention";
inline constexpr int kHeadDim = 128;  ///< every kernel here is written for D = 128
inline constexpr int kGqaGroup = 4;   ///< query heads per KV head (Llama-3-8B: 32 / 8)

enum class Layout { contiguous, paged16, paged64 };

inline std::string_view layout_name(Layout l) {
  switch (l) {
    case Layout::contiguous: return "contiguous";
    case Layout::paged16: return "paged16";
    case Layout::paged64: return "paged64";
  }
  return "?";
}

inline Layout parse_layout(std::string_view s) {
  if (s == "contiguous") return Layout::contiguous;
  if (s == "paged16") return Layout::paged16;
  if (s == "paged64") return Layout::paged64;
  throw std::invalid_argument("--layout: unknown '" + std::string(s) + "' (valid: contiguous, paged16, paged64)");
}

/// Keys per page; 0 for the contiguous layout.
inline int page_size(Layout l) { return l == Layout::paged16 ? 16 : l == Layout::paged64 ? 64 : 0; }

struct Shape {
  int B = 1;
  int Hq = 32;
  int Hkv = 8;
  int D = kHeadDim;
  int S = 512;        ///< live keys per sequence
  int S_alloc = 512;  ///< allocated keys per sequence (>= S)
  lab::DType dtype = lab::DType::bf16;
  Layout layout = Layout::contiguous;
  int splits = 0;     ///< 0: the split-K versions plan their split count; > 0: forced (--splits, exploration)

  int group() const { return Hq / Hkv; }
  /// Pages per sequence in the block table (covers S_alloc).
  int max_pages() const { return page_size(layout) ? (S_alloc + page_size(layout) - 1) / page_size(layout) : 0; }
};

/// Throws std::invalid_argument when the kernels here cannot run the shape.
inline void validate(const Shape& s) {
  if (s.B < 1 || s.S < 1 || s.S_alloc < s.S) throw std::invalid_argument("need B >= 1, S >= 1 and S_alloc >= S");
  if (s.D != kHeadDim) throw std::invalid_argument("the kernels are written for head_dim 128");
  if (s.Hkv < 1 || s.Hq % s.Hkv != 0) throw std::invalid_argument("Hq must be a multiple of Hkv");
  if (s.dtype == lab::DType::f32) throw std::invalid_argument("dtype must be fp16 or bf16");
}

/// The workload object every journal row of this topic carries; the vendor script builds
/// the identical object so `lab compare` can match rows.
inline nlohmann::json workload_json(const Shape& s) {
  return {{"B", s.B},         {"Hq", s.Hq},
          {"Hkv", s.Hkv},     {"D", s.D},
          {"S", s.S},         {"S_alloc", s.S_alloc},
          {"dtype", std::string(lab::dtype_name(s.dtype))},
          {"layout", std::string(layout_name(s.layout))}};
}

/// The workload of a row, with the forced split count when there is one (so a sweep's rows
/// never stand in for the planned kernel's).
inline nlohmann::json row_workload_json(const Shape& s) {
  nlohmann::json w = workload_json(s);
  if (s.splits > 0) w["splits"] = s.splits;
  return w;
}

/// The lab flags that select exactly this workload.
inline std::string workload_flags(const Shape& s) {
  return "--batch " + std::to_string(s.B) + " --kv-len " + std::to_string(s.S) + " --kv-alloc " +
         std::to_string(s.S_alloc) + " --dtype " + std::string(lab::dtype_name(s.dtype)) + " --layout " +
         std::string(layout_name(s.layout)) + (s.splits > 0 ? " --splits " + std::to_string(s.splits) : "");
}

/// Fewest bytes a decode step must move: every live K and V element once, q in, out back.
/// (The paged block table adds 4 bytes per page, under 0.01% here, and is left out.)
inline double model_bytes(const Shape& s) {
  const double e = static_cast<double>(lab::dtype_bytes(s.dtype));
  const double kv = 2.0 * s.B * s.Hkv * static_cast<double>(s.S) * s.D * e;
  const double q_out = 2.0 * s.B * s.Hq * static_cast<double>(s.D) * e;
  return kv + q_out;
}

/// q.K (2 FLOPs per multiply-add) and P.V (2 again): 4 * B * Hq * S * D.
inline double model_flops(const Shape& s) { return 4.0 * s.B * s.Hq * static_cast<double>(s.S) * s.D; }

#if LABS_GPU
/// Device pointers of one problem. Contiguous K/V are always present (the reference and
/// the paged builders read them); the paged pools only for a paged layout.
struct DeviceProblem {
  Shape shape;
  const void* q = nullptr;
  const void* k = nullptr;  ///< [B, Hkv, S_alloc, D]
  const void* v = nullptr;
  void* out = nullptr;      ///< [B, Hq, D]
  const void* k_pages = nullptr;  ///< [num_pages, Hkv, P, D]
  const void* v_pages = nullptr;
  const int* block_table = nullptr;  ///< [B, max_pages]
};

/// A version made ready for one problem: whatever it needs (split-K workspace, the v0 score
/// buffer) is allocated here, before any timing; `launch` only enqueues kernels.
struct Runner {
  std::function<void(cudaStream_t)> launch;
  std::shared_ptr<void> workspace;  ///< owns the buffers `launch` points into
  nlohmann::json details = nlohmann::json::object();  ///< e.g. {"splits": 64}, into the row

  // Set by probes only (kernels/probes.cu), empty for every version:
  std::function<void(cudaStream_t)> poison;              ///< the probe's own output, instead of the fixture's
  std::function<lab::CheckResult(cudaStream_t)> check;   ///< e.g. a checksum, instead of the oracle
  std::string oracle;                                    ///< what `check` compares with
  std::function<nlohmann::json(lab::L2Mode)> annotate;   ///< measured after timing, merged into the row
};
#endif

/// One version: what it is, which cache layouts it reads, and how to prepare it.
struct DecodeVersion {
  lab::VersionInfo info;
  std::vector<Layout> layouts{Layout::contiguous};
  std::string kernel_regex;  ///< for `ncu -k regex:...`
  /// A probe (a version's kernel with parts cut out or instrumented, kernels/probes.cu): the
  /// lab runs it only when --variant names it, never in the default table.
  bool probe = false;
#if LABS_GPU
  Runner (*prepare)(const DeviceProblem&) = nullptr;
#endif
};

using DecodeRegistry = lab::Registry<DecodeVersion>;

}  // namespace decode02
