#include "labs/check.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace lab {

Tolerance tolerance_for(DType t, double ulps, double atol_scale) {
  const double rtol = ulps * unit_roundoff(t);
  return Tolerance{rtol * atol_scale, rtol};
}

CheckResult check_close(const std::vector<float>& out, const std::vector<double>& ref, DType out_dtype,
                        Tolerance tol) {
  CheckResult r;
  r.tol = tol;
  r.n = out.size();
  if (out.size() != ref.size()) {
    r.pass = false;
    r.n_bad = std::max(out.size(), ref.size());
    r.note = fmt::format("size mismatch: output has {} elements, reference {}", out.size(), ref.size());
    return r;
  }
  bool first = true;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const double o = out[i];
    if (!std::isfinite(ref[i])) {
      r.note = fmt::format("reference is non-finite at {}: the oracle is broken", i);
      ++r.n_bad;
      if (first) r.first_bad = i, first = false;
      continue;
    }
    const double rr = round_to(out_dtype, static_cast<float>(ref[i]));
    if (!std::isfinite(o)) {
      ++r.n_nonfinite;
      ++r.n_bad;
      if (first) r.first_bad = i, first = false;
      continue;
    }
    const double d = std::fabs(o - rr);
    const double allowed = tol.atol + tol.rtol * std::fabs(rr);
    r.max_abs = std::max(r.max_abs, d);
    if (rr != 0) r.max_rel = std::max(r.max_rel, d / std::fabs(rr));
    const double used = allowed > 0 ? d / allowed : (d == 0 ? 0.0 : INFINITY);
    r.tol_used = std::max(r.tol_used, used);
    if (!(d <= allowed)) {
      ++r.n_bad;
      if (first) r.first_bad = i, first = false;
    }
  }
  r.pass = r.n_bad == 0 && r.n > 0;
  if (r.n == 0) r.note = "nothing compared";
  if (!r.pass && r.note.empty()) {
    const std::size_t i = r.first_bad;
    r.note = fmt::format("first bad element {}: got {} expected {}", i, out[i],
                         round_to(out_dtype, static_cast<float>(ref[i])));
  }
  return r;
}

CheckResult merge(const CheckResult& a, const CheckResult& b) {
  CheckResult r = a;
  r.pass = a.pass && b.pass;
  r.max_abs = std::max(a.max_abs, b.max_abs);
  r.max_rel = std::max(a.max_rel, b.max_rel);
  r.tol_used = std::max(a.tol_used, b.tol_used);
  r.n = a.n + b.n;
  r.n_bad = a.n_bad + b.n_bad;
  r.n_nonfinite = a.n_nonfinite + b.n_nonfinite;
  if (!a.pass) r.note = a.note;
  else if (!b.pass) r.note = b.note, r.first_bad = b.first_bad;
  return r;
}

std::string CheckResult::summary() const {
  if (pass) return fmt::format("ok ({:.0f}% of tolerance)", tol_used * 100);
  return fmt::format("FAIL: {} of {} elements bad ({} non-finite), max |err| {:.3g}, {:.0f}% of tolerance; {}",
                     n_bad, n, n_nonfinite, max_abs, std::isfinite(tol_used) ? tol_used * 100 : 1e9, note);
}

nlohmann::json CheckResult::to_json() const {
  auto finite_or_null = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  return {{"pass", pass},           {"max_abs", finite_or_null(max_abs)}, {"max_rel", finite_or_null(max_rel)},
          {"tol_used", finite_or_null(tol_used)}, {"n", n}, {"n_bad", n_bad}, {"n_nonfinite", n_nonfinite},
          {"atol", tol.atol},       {"rtol", tol.rtol}};
}

}  // namespace lab
