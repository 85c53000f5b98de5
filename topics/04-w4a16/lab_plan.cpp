/// @file lab_plan.cpp
#include "lab_plan.hpp"

#include <algorithm>
#include <stdexcept>

namespace w4a16 {

const std::vector<Shape>& llama_shapes() {
  static const std::vector<Shape> s = {
      {"8b-qkv", 6144, 4096, false},      {"8b-o", 4096, 4096, false},       {"8b-gateup", 28672, 4096, false},
      {"8b-gate", 14336, 4096, true},     {"8b-down", 4096, 14336, true},    {"70b-qkv", 10240, 8192, false},
      {"70b-o", 8192, 8192, false},       {"70b-gateup", 57344, 8192, false}, {"70b-down", 8192, 28672, false},
  };
  return s;
}

namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool is_dense_baseline(const std::string& variant) { return variant == "cublas" || variant == "cublaslt"; }

/// The variants the default plan also runs outside the two target shapes: the best versions of
/// each line (split-K v4, tensor-core v5/v7/v20-v22/v24/v25/v28/v29/v37, stream-K v9-v16, block-owned v17-v19/v26/v31/v33/v35), the
/// dispatching v23, v27, v30, v34, v36, v38, v43, v47, v51 and v55, v40 (persistent, M > 8) and the dense baselines.
const std::vector<std::string> kEverywhere = {"v4",  "v5",  "v7",  "v9",  "v10", "v11", "v12", "v13",    "v14",    "v15",
                                              "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24",    "v25",
                                              "v26", "v27", "v28", "v29", "v30", "v31", "v33", "v34", "v35", "v36", "v37", "v38", "v40", "v43", "v47", "v51", "v55", "cublas", "cublaslt"};

/// The formats a variant runs in, before the --wfmt filter.
std::vector<WFormat> default_formats(const std::string& variant, const std::vector<WFormat>& implemented,
                                     const Shape& shape, lab::DType dtype, bool quick, bool all) {
  if (is_dense_baseline(variant)) return {WFormat::dense};
  if (quick || all) return implemented;
  std::vector<WFormat> out;
  for (WFormat f : implemented) {
    if (f == WFormat::int4_sym || f == WFormat::int8) out.push_back(f);
    if (f == WFormat::int4_asym && shape.target && dtype == lab::DType::bf16 &&
        (variant == "v4" || variant == "v5" || variant == "v7" || variant == "v20" || variant == "v21" || variant == "v22" ||
         variant == "v23" || variant == "v24" || variant == "v25" || variant == "v27" || variant == "v28" || variant == "v29" ||
         variant == "v30" || variant == "v34" || variant == "v36" || variant == "v37" || variant == "v38"))
      out.push_back(f);
  }
  return out;
}

}  // namespace

std::vector<PlanCase> make_plan(const PlanRequest& r) {
  std::vector<Shape> shapes;
  if (r.n > 0 || r.k > 0) {
    shapes.push_back({"custom", r.n, r.k, true});
  } else if (r.quick) {
    shapes = {{"odd-small", 257, 384, true}, {"odd-k", 1000, 4224, true}};
  } else {
    for (const Shape& s : llama_shapes())
      if (r.shapes.empty() || contains(r.shapes, s.name)) shapes.push_back(s);
    for (const std::string& name : r.shapes) {
      bool known = false;
      for (const Shape& s : llama_shapes()) known = known || s.name == name;
      if (!known) {
        std::string valid;
        for (const Shape& s : llama_shapes()) valid += (valid.empty() ? "" : ", ") + s.name;
        throw std::invalid_argument("--shape: unknown '" + name + "' (valid: " + valid + ")");
      }
    }
  }
  std::vector<int> ms = r.ms;
  if (ms.empty()) ms = r.quick ? std::vector<int>{1, 3, 16} : std::vector<int>{1, 2, 4, 8, 16};

  std::vector<std::string> variants = r.versions;
  for (const std::string& v : vendor_variants()) variants.push_back(v);
  const std::size_t n_probes_from = variants.size();
  for (const std::string& v : probe_variants()) variants.push_back(v);

  std::vector<PlanCase> plan;
  for (const Shape& shape : shapes) {
    std::vector<std::string> dtypes = r.dtypes;
    if (dtypes.empty())
      dtypes = (shape.target || r.all) ? std::vector<std::string>{"bf16", "fp16"} : std::vector<std::string>{"bf16"};
    for (const std::string& dn : dtypes) {
      const lab::DType dtype = lab::parse_dtype(dn);
      for (std::size_t vi = 0; vi < variants.size(); ++vi) {
        const std::string& v = variants[vi];
        if (!r.wanted.empty() && !contains(r.wanted, v)) continue;
        if (vi >= n_probes_from) {  // a probe: only when named, in the one format its versions implement
          if (!contains(r.wanted, v)) continue;
          if (r.wfmts.empty() || contains(r.wfmts, std::string(wfmt_name(WFormat::int4_sym))))
            for (int M : ms) plan.push_back({shape, dtype, v, WFormat::int4_sym, M});
          continue;
        }
        // Outside the two target shapes the default plan runs the best versions and the baselines only.
        const bool runs_here =
            shape.target || r.all || r.quick || !r.wanted.empty() || contains(kEverywhere, v);
        if (!runs_here) continue;
        const std::vector<WFormat> implemented =
            vi < r.versions.size() ? r.formats[vi] : std::vector<WFormat>{WFormat::dense};
        std::vector<WFormat> fmts;
        if (r.wfmts.empty() || is_dense_baseline(v)) {
          // --wfmt filters the quantised versions; the dense baselines are what they are compared
          // with, so `--variant v5,cublas --wfmt int4-sym` still runs cuBLAS (in its own format).
          fmts = default_formats(v, implemented, shape, dtype, r.quick, r.all);
        } else {
          for (WFormat f : implemented)
            if (contains(r.wfmts, std::string(wfmt_name(f)))) fmts.push_back(f);
        }
        for (WFormat f : fmts)
          for (int M : ms) plan.push_back({shape, dtype, v, f, M});
      }
    }
  }
  return plan;
}

}  // namespace w4a16
