/// @file dispatch.hpp
/// What a dispatching version (v23, v27, v30, v34, v36, v38, v43, v47, v50, v51) shares: given the versions to try for a problem, the
/// measured grid's winner first, hand the problem to the first one that accepts it. A version
/// refuses a problem by throwing std::invalid_argument from prepare (v15, v19 and v26 keep
/// x[M][K] in shared memory, so a long K at M = 8 does not fit); the next in line takes it.
/// Host code only: the kernels are the picked versions'.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "w4a16.hpp"

namespace w4a16 {

/// Runs `use(id, step)` with the first version in `order` whose prepare accepts p; `who` names the
/// dispatcher in the message when none does.
template <class Use>
auto first_that_takes(const char* who, const std::vector<std::string>& order, const Problem& p, Use use) {
  std::string why;
  for (const std::string& id : order) {
    const Version* v = Registry::instance().find(id);
    if (!v) continue;
    try {
      return use(id, v->prepare(p));
    } catch (const std::invalid_argument& e) {
      why += " " + id + ": " + e.what() + ";";
    }
  }
  throw std::invalid_argument(std::string(who) + ": no version it dispatches to takes this problem:" + why);
}

/// A dispatching Version: prepare returns the first accepting version's step, picks names it.
template <class Order>
Version dispatching_version(const char* id, const char* idea, Order order) {
  Version v;
  v.info.id = id;
  v.info.idea = idea;
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym, WFormat::int4_asym};
  v.kernel_regex = "w4_lean|w4_mma|w4_owned|splitk_sum_kernel";  // w4_owned: v35 (v36 on); the sum: v49 (v50 on)
  const std::string name = id;
  v.prepare = [name, order](const Problem& p) {
    if (p.splits > 0) throw std::invalid_argument(name + " plans nothing itself: run --splits on the versions that take it");
    return first_that_takes(name.c_str(), order(p), p, [](const std::string&, Step step) { return step; });
  };
  v.picks = [name, order](const Problem& p) {
    return first_that_takes(name.c_str(), order(p), p, [](const std::string& id, const Step&) { return id; });
  };
  return v;
}

/// v27's table (its file has the rule and where it was read off): the versions to try for p,
/// the grid's winner first. v30 starts from it.
inline std::vector<std::string> v27_dispatch_order(const Problem& p) {
  std::vector<std::string> order;
  const bool wide_n = p.N >= 28672, long_k = p.K >= 28672;
  if (p.wfmt == WFormat::int4_sym) {
    if (p.M == 1) order.push_back(wide_n || long_k ? "v15" : "v26");
    else if (p.M == 2) order.push_back(long_k ? "v5" : p.N >= 10240 ? "v15" : "v26");
    else if (p.M <= 4) order.push_back(wide_n ? "v15" : long_k ? "v25" : "v5");
    else if (p.M <= 8) order.push_back(wide_n ? "v15" : p.K >= 14336 ? "v25" : "v24");
  }
  if (p.M > 8) order.push_back(wide_n && p.K >= 8192 ? "v25" : "v24");
  order.push_back(p.M <= 4 ? "v5" : "v24");
  order.push_back("v24");
  return order;
}

/// v30's table (its file has the rule): v27's, with v29 first above M = 8 on 14336 <= K < 28672.
/// v34 starts from it.
inline std::vector<std::string> v30_dispatch_order(const Problem& p) {
  std::vector<std::string> order = v27_dispatch_order(p);
  if (p.M > 8 && p.K >= 14336 && p.K < 28672 && order.front() == "v24") order.insert(order.begin(), "v29");
  return order;
}

/// v34's table (its file has the rule): v30's, with v31 first at M = 1 on K <= 8192 where v30
/// runs v26. v36 starts from it.
inline std::vector<std::string> v34_dispatch_order(const Problem& p) {
  std::vector<std::string> order = v30_dispatch_order(p);
  if (p.M == 1 && p.K <= 8192 && order.front() == "v26") order.insert(order.begin(), "v31");
  return order;
}

/// v36's table (its file has the rule): v34's, with v35 first at M = 1 but on 70b-gateup (N >=
/// 57344), and at M = 2 where v34 runs v26; int4-sym only (v35's one format). v38 starts from it.
inline std::vector<std::string> v36_dispatch_order(const Problem& p) {
  std::vector<std::string> order = v34_dispatch_order(p);
  if (p.wfmt != WFormat::int4_sym) return order;
  if ((p.M == 1 && p.N < 57344) || (p.M == 2 && order.front() == "v26")) order.insert(order.begin(), "v35");
  return order;
}

/// v38's table (its file has the rule): v36's, with v37 first above M = 8 where v36 runs v24 or
/// v29 on K < 28672 (there v37's split is the one v36 runs), int4-sym only.
inline std::vector<std::string> v38_dispatch_order(const Problem& p) {
  std::vector<std::string> order = v36_dispatch_order(p);
  if (p.wfmt == WFormat::int4_sym && p.M > 8 && p.K < 28672 && (order.front() == "v24" || order.front() == "v29"))
    order.insert(order.begin(), "v37");
  return order;
}

/// v43's table (its file has the rule): v38's, with v40 (persistent blocks) first above M = 8,
/// int4-sym, on the long-K layers (K >= 14336: 8b-down, 70b-down), where a unit's staged x is
/// 57 KB and v40 stages it once per block.
inline std::vector<std::string> v43_dispatch_order(const Problem& p) {
  std::vector<std::string> order = v38_dispatch_order(p);
  if (p.wfmt == WFormat::int4_sym && p.M > 8 && p.K >= 14336) order.insert(order.begin(), "v40");
  return order;
}

/// v47's table (its file has the rule): v43's, with v46 (v37's kernel, the split halved where the
/// grid still fills a wave) wherever v43 runs v37. v46's plan differs from v37's only on
/// 8b-gateup of the nine layers (M = 9-16), so elsewhere the two run the same kernel at the same split.
inline std::vector<std::string> v47_dispatch_order(const Problem& p) {
  std::vector<std::string> order = v43_dispatch_order(p);
  for (std::string& id : order)
    if (id == "v37") id = "v46";
  return order;
}

/// v50's table (its file has the rule and the call it was read from): v47's, with v49 (v46's
/// kernel, its split-K sum in a second kernel launched with PDL) first at M = 3-8, int4-sym, but
/// where v47 runs v15 (the gate+up layers, N >= 28672) and on the long-K layer (K >= 28672) at
/// M <= 4.
inline std::vector<std::string> v50_dispatch_order(const Problem& p) {
  std::vector<std::string> order = v47_dispatch_order(p);
  const bool small_m = p.M >= 3 && p.M <= 8;
  if (p.wfmt == WFormat::int4_sym && small_m && order.front() != "v15" && !(p.K >= 28672 && p.M <= 4))
    order.insert(order.begin(), "v49");
  return order;
}

/// v51's table (its file has the rule and the two calls behind it): v50's, but at M = 4 v47's
/// pick again (v27's table was read from measurements at M = 4; it was not at M = 3, 5-7).
inline std::vector<std::string> v51_dispatch_order(const Problem& p) {
  if (p.M == 4) return v47_dispatch_order(p);
  return v50_dispatch_order(p);
}

/// v55's table (its file has the rule and the call it was read from): v51's, with v35 first at
/// M = 3 and 4 on the small K = 4096 layers (N <= 6144: 8b-qkv, 8b-o), int4-sym.
inline std::vector<std::string> v55_dispatch_order(const Problem& p) {
  std::vector<std::string> order = v51_dispatch_order(p);
  if (p.wfmt == WFormat::int4_sym && (p.M == 3 || p.M == 4) && p.K <= 4096 && p.N <= 6144)
    order.insert(order.begin(), "v35");
  return order;
}

}  // namespace w4a16
