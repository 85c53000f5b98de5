/// @file lab_plan.hpp
/// Which cases the lab runs: the shapes of the issue, the default measurement plan and
/// the --quick / --all / explicit-shape alternatives. Host-only, so the cpu preset and
/// the tests can check the plan without a GPU.
///
/// Default plan (the full run, cold L2 only):
///   - the two target shapes, 8b-gate (4096 -> 14336) and 8b-down (14336 -> 4096): every
///     version and both cuBLAS baselines, bf16 and fp16, M in 1, 2, 4, 8, 16; INT4 versions
///     in int4-sym, v4, v5 and v7 also in int4-asym (bf16), v6 in int8;
///   - every other shape: v4, v5, v7 (int4-sym) and cuBLAS / cuBLASLt, bf16, every M.
/// --all: every version on every shape in every format it implements.
/// --quick: small odd shapes (N = 257, K = 384 and N = 1000, K = 4224), M in 1, 3, 16.
#pragma once

#include <string>
#include <vector>

#include "labs/dtype.hpp"
#include "quant/format.hpp"

namespace w4a16 {

struct Shape {
  std::string name;  ///< "8b-gate"; "custom" for --n/--k
  int N = 0, K = 0;  ///< out_features, in_features
  bool target = false;
};

/// Llama-3-8B and Llama-3-70B linear layers (in_features -> out_features).
const std::vector<Shape>& llama_shapes();

struct PlanCase {
  Shape shape;
  lab::DType dtype = lab::DType::bf16;
  std::string variant;  ///< "v0".."v7", "cublas", "cublaslt"
  WFormat wfmt = WFormat::int4_sym;
  int M = 1;
};

struct PlanRequest {
  std::vector<std::string> versions;        ///< registered version ids (all of them)
  std::vector<std::vector<WFormat>> formats;  ///< per version, the formats it implements
  std::vector<std::string> wanted;          ///< --variant (empty: all, cublas and cublaslt included)
  std::vector<int> ms;                      ///< --m (empty: 1,2,4,8,16; quick: 1,3,16)
  std::vector<std::string> shapes;          ///< --shape names (empty: all)
  int n = 0, k = 0;                         ///< --n/--k (0: not given)
  std::vector<std::string> dtypes;          ///< --dtype (empty: the plan's)
  std::vector<std::string> wfmts;           ///< --wfmt (empty: the plan's)
  bool quick = false, all = false;
};

/// The cases in run order (grouped by shape and dtype, so each shape's data is built once).
/// Throws std::invalid_argument for an unknown shape name.
std::vector<PlanCase> make_plan(const PlanRequest& r);

/// Names accepted by --variant besides the versions.
inline std::vector<std::string> vendor_variants() { return {"cublas", "cublaslt"}; }

/// Probes (kernels/probes.hpp) of the M = 1 kernels v26, v31, v32: M = 1, int4-sym.
inline std::vector<std::string> m1_probe_variants() {
  return {"probe-v26-loads", "probe-v26-staged", "probe-v31-loads",
          "probe-v31-staged", "probe-v32-loads", "probe-v32-staged"};
}
/// Probes of v37's M > 8 kernel that sum the words they read: M = 9..16, int4-sym, even N.
inline std::vector<std::string> mma_probe_variants() { return {"probe-v37-loads", "probe-v37-staged"}; }
/// v37 without its split-K tail (checked against v37's output): M = 9..16, int4-sym, even N.
inline std::vector<std::string> tail_probe_variants() { return {"probe-v37-notail"}; }
/// Probes (kernels/probes.hpp): versions' kernels with parts cut out, int4-sym. They run only
/// when --variant names them.
inline std::vector<std::string> probe_variants() {
  std::vector<std::string> all = m1_probe_variants();
  for (const std::string& v : mma_probe_variants()) all.push_back(v);
  for (const std::string& v : tail_probe_variants()) all.push_back(v);
  return all;
}
inline bool is_probe(const std::string& variant) { return variant.rfind("probe-", 0) == 0; }

}  // namespace w4a16
