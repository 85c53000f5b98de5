/// @file lab_self_checks.cpp
#include "lab_self_checks.hpp"

#include <cmath>

#include "quant/checkpoint_import.hpp"
#include "quant/error_stats.hpp"
#include "quant/pack.hpp"
#include "quant/rtn.hpp"
#include "reference/cpu_gemv.hpp"

namespace w4a16 {

void run_cpu_self_checks(const std::function<void(const std::string&, bool, const std::string&)>& record) {
  const int N = 24, K = 384;  // 3 whole groups: what the tiled packing accepts
  const auto w = gaussian_with_outliers(N, K, 0.02, 0.002, 12.0, 7);
  for (bool asym : {false, true}) {
    const std::string tag = asym ? "int4-asym" : "int4-sym";
    const Int4Matrix q = quantize_int4_rtn(w, N, K, kGroup, asym, lab::DType::bf16);
    const auto plain = pack_plain(q.codes, N, K);
    record("plain pack/unpack " + tag, unpack_plain(plain, N, K) == q.codes, "");
    const auto tiled = repack_plain_to_tiled(plain, N, K);
    record("repack plain->tiled == pack_tiled " + tag, tiled == pack_tiled(q.codes, N, K), "");
    record("repack tiled->plain " + tag, repack_tiled_to_plain(tiled, N, K) == plain, "");
    const Int4Matrix g = import_gptq(export_gptq(q, /*zeros_minus_one=*/asym ? false : true));
    record("GPTQ export/import " + tag, g.codes == q.codes && g.scales == q.scales && g.asym == q.asym, "");
    const Int4Matrix a = import_awq(export_awq(q));
    record("AWQ export/import " + tag, a.codes == q.codes && a.scales == q.scales && a.zeros == q.zeros, "");
    const QuantErrorStats st = error_stats(w, q);
    const double limit = asym ? 1.0 + 1e-6 : 0.5 + 1e-6;  // asymmetric can clip half a step at one end
    record("RTN error within " + std::string(asym ? "1" : "1/2") + " step " + tag, st.max_err_in_steps <= limit,
           format_stats(tag, st));
  }
  // Odd row count and a short last group: the plain packing and the oracle on their own.
  const int n2 = 5, k2 = 200;
  const auto w2 = gaussian_with_outliers(n2, k2, 1.0, 0.0, 0.0, 11);
  const Int4Matrix q2 = quantize_int4_rtn(w2, n2, k2, kGroup, true, lab::DType::f16);
  record("plain pack/unpack odd N, K=200 (short last group)", unpack_plain(pack_plain(q2.codes, n2, k2), n2, k2) == q2.codes,
         "");
  std::vector<float> x(static_cast<std::size_t>(2) * k2);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i)));
  const auto y = gemv_oracle(q2, x, 2);
  double worst = 0;
  for (int m = 0; m < 2; ++m)
    for (int n = 0; n < n2; ++n) {
      double ref = 0;
      for (int k = 0; k < k2; ++k) {
        const int g = k / kGroup;
        ref += static_cast<double>(x[static_cast<std::size_t>(m) * k2 + k]) *
               (static_cast<double>(q2.scale(g, n)) * (q2.code(n, k) - q2.zero_point(g, n)));
      }
      worst = std::max(worst, std::fabs(ref - y[static_cast<std::size_t>(m) * n2 + n]));
    }
  record("CPU oracle equals the textbook sum", worst < 1e-9, "");
}

}  // namespace w4a16
