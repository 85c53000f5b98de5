/// @file lab.cu
/// lab-02-decode-attention: every version of the decode-attention kernel on every workload,
/// checked against an independent oracle, timed with a cold L2, one journal row per case.
///
/// Default run (the one the README's table comes from), cold L2 only:
///   bf16: v0..v5, v7, v9, v10, v12-v14, v16-v20 on the contiguous cache and v6, v8, v11, v15 on paged16 and
///         paged64, at B in {1, 8, 32} x S in {512, 4096, 32768} plus B = 1, S = 131072;
///   fp16: the same shapes for v0 (the baseline), v4, v5, v7, v9, v10, v12-v14, v16-v20 (the candidates for
///         fastest) and v6, v8, v11, v15 (paged), to keep the full run within a few minutes of GPU time.
/// --quick: B = 3, S in {1, 7, 4097} with 61 allocated-but-unwritten keys after each
/// sequence, every version, both dtypes (what ctest runs with --check-only).
/// Probes (probe-v13-loads, probe-v13-clock, probe-v19-clock, probe-v20-clock: kernels/probes.cu) run only when --variant
/// names them; their rows say what they checked ("oracle") and, for the clock, carry "clock".
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "data_hash.hpp"
#include "decode.hpp"
#include "fixture.hpp"
#include "labs/cli.hpp"
#include "labs/session.hpp"
#include "reference_cpu.hpp"
#include "split_plan.hpp"

using namespace decode02;

namespace {

const std::vector<int> kDefaultBatches = {1, 8, 32};
const std::vector<int> kDefaultKvLens = {512, 4096, 32768};
constexpr int kLongKvLen = 131072;  // run at B = 1 only (4 GiB of KV at B = 32 adds little)
const std::vector<int> kQuickKvLens = {1, 7, 4097};
constexpr int kQuickBatch = 3;
constexpr int kQuickPadding = 61;  // allocated-but-unwritten keys after each sequence in --quick
const std::set<std::string> kFp16DefaultVersions = {"v0", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20"};

struct Plan {
  std::vector<Shape> shapes;  // layout unset: one fixture per shape and dtype
  std::vector<lab::DType> dtypes;
};

/// Small CPU oracle self-checks that run with or without a GPU.
void cpu_self_checks(lab::LabSession& session) {
  Shape s;
  s.B = 1, s.Hq = 4, s.Hkv = 1, s.S = 5, s.S_alloc = 7;
  const size_t nkv = static_cast<size_t>(s.Hkv) * s.S_alloc * s.D;
  std::vector<float> q(static_cast<size_t>(s.Hq) * s.D), k(nkv), v(nkv);
  for (size_t i = 0; i < q.size(); ++i) q[i] = hashed_uniform(kSeedQ, i, kScaleQ);
  for (size_t i = 0; i < nkv; ++i) k[i] = hashed_uniform(kSeedK, i, 1.f), v[i] = hashed_uniform(kSeedV, i, 1.f);
  // Unwritten slots are NaN on the GPU; the oracle must never look at them.
  for (int t = s.S; t < s.S_alloc; ++t)
    for (int d = 0; d < s.D; ++d) k[t * s.D + d] = v[t * s.D + d] = NAN;
  {
    std::vector<float> zq(q.size(), 0.f);
    const auto out = attention_cpu(s, zq, k, v);
    double err = 0;
    for (int d = 0; d < s.D; ++d) {
      double mean = 0;
      for (int t = 0; t < s.S; ++t) mean += v[t * s.D + d];
      err = std::max(err, std::fabs(out[d] - mean / s.S));
    }
    session.record_cpu_check("oracle: q = 0 gives the mean of live V", err < 1e-12, fmt::format("max err {:.2g}", err));
  }
  {
    Shape one = s;
    one.S = 1;
    const auto out = attention_cpu(one, q, k, v);
    double err = 0;
    for (int h = 0; h < s.Hq; ++h)
      for (int d = 0; d < s.D; ++d) err = std::max(err, std::fabs(out[h * s.D + d] - v[d]));
    session.record_cpu_check("oracle: S = 1 returns V[0]", err == 0, fmt::format("max err {:.2g}", err));
  }
  {
    // The check must accept a correct float online softmax and reject the classic bug
    // (no rescale of the accumulator when the running max grows) on the lab's data.
    Shape r;
    r.B = 1, r.Hq = 4, r.Hkv = 1, r.S = 4097, r.S_alloc = 4097;
    const size_t n = static_cast<size_t>(r.S_alloc) * r.D;
    std::vector<float> rq(static_cast<size_t>(r.Hq) * r.D), rk(n), rv(n);
    for (size_t i = 0; i < rq.size(); ++i) rq[i] = lab::round_to(lab::DType::bf16, hashed_uniform(kSeedQ, i, kScaleQ));
    for (size_t i = 0; i < n; ++i) {
      rk[i] = lab::round_to(lab::DType::bf16, hashed_uniform(kSeedK, i, kScaleK));
      rv[i] = lab::round_to(lab::DType::bf16, hashed_uniform(kSeedV, i, kScaleV));
    }
    const auto ref = attention_cpu(r, rq, rk, rv);
    const auto good = check_attention(attention_online_float(r, rq, rk, rv, false), ref, lab::DType::bf16);
    const auto bad = check_attention(attention_online_float(r, rq, rk, rv, true), ref, lab::DType::bf16);
    session.record_cpu_check("check accepts a float online softmax", good.pass, good.summary());
    session.record_cpu_check("check rejects a missing rescale", !bad.pass,
                             fmt::format("{:.0f}% of tolerance", bad.tol_used * 100));
  }
  {
    bool ok = true;
    for (int sms : {132, 108, 78})
      for (int B : {1, 3, 8, 32})
        for (int S : {1, 7, 512, 4097, 32768, 131072}) {
          const SplitPlan p = plan_splits(B, 8, S, sms, 4, 32);
          ok = ok && p.splits >= 1 && p.splits <= kMaxSplits && p.keys_per_split % 32 == 0 &&
               static_cast<long long>(p.splits) * p.keys_per_split >= S &&
               static_cast<long long>(p.splits - 1) * p.keys_per_split < S;
        }
    session.record_cpu_check("split plan: every split non-empty, all keys covered", ok);
  }
}

std::vector<std::string> versions_for(lab::DType dt, const lab::CommonOptions& opt, bool dtype_given) {
  std::vector<std::string> ids;
  for (const auto* v : DecodeRegistry::instance().select(opt.variants)) {
    if (v->probe && opt.variants.empty()) continue;  // probes run only when named
    const bool subset = dt == lab::DType::f16 && opt.variants.empty() && !dtype_given && !opt.quick;
    if (subset && !kFp16DefaultVersions.count(v->info.id)) continue;
    ids.push_back(v->info.id);
  }
  return ids;
}

void print_list(bool json) {
  const auto& all = DecodeRegistry::instance().all();
  if (json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& v : all) {
      nlohmann::json layouts = nlohmann::json::array();
      for (Layout l : v.layouts) layouts.push_back(std::string(layout_name(l)));
      arr.push_back({{"id", v.info.id}, {"idea", v.info.idea}, {"min_cc", v.info.min_cc},
                     {"cuda_only", v.info.cuda_only}, {"layouts", layouts}});
    }
    std::cout << arr.dump() << "\n";
    return;
  }
  if (all.empty()) std::cout << "(no versions compiled in: this is a cpu build)\n";
  for (const auto& v : all) std::cout << fmt::format("  {:<4} {}\n", v.info.id, v.info.idea);
}

}  // namespace

int main(int argc, char** argv) {
  lab::LabCli cli(kLabName, "Decode attention (one query token per sequence, Llama-3-8B heads): v0 naive -> split-K, paged");
  auto& app = cli.app();
  std::vector<int> batches, kv_lens;
  int kv_alloc = 0;
  std::vector<int> forced_splits;
  std::vector<std::string> dtypes, layouts;
  app.add_option("--batch", batches, "sequences B, comma separated (default 1,8,32; --quick 3)")
      ->delimiter(',')
      ->check(CLI::Range(1, 4096));
  app.add_option("--kv-len", kv_lens, "live KV length S, comma separated (default 512,4096,32768, plus 131072 at B=1)")
      ->delimiter(',')
      ->check(CLI::Range(1, 1 << 22));
  app.add_option("--kv-alloc", kv_alloc, "allocated KV length S_alloc >= S (default S; --quick S+61)")
      ->check(CLI::Range(0, 1 << 22));
  cli.add_dtypes(&dtypes, {"fp16", "bf16"}, {"bf16", "fp16"});
  app.add_option("--layout", layouts, "KV cache layouts, comma separated: contiguous,paged16,paged64 (default all)")
      ->delimiter(',')
      ->check(CLI::IsMember({"contiguous", "paged16", "paged64"}));
  app.add_option("--splits", forced_splits,
                 "force the split-K count of v4-v8, comma separated, instead of the plan (a sweep: rows carry "
                 "workload.splits)")
      ->delimiter(',')
      ->check(CLI::Range(1, kMaxSplits));
  if (auto rc = cli.parse(argc, argv)) return *rc;
  lab::CommonOptions& opt = cli.common();
  try {
    cli.require_known_variants(DecodeRegistry::instance().ids());
  } catch (const lab::UsageError& e) {
    return cli.usage_error(e.what());
  }
  if (opt.list) {
    print_list(opt.json);
    return 0;
  }
  // The targets are cold-L2 numbers; warm runs are opt-in (--l2 warm|both).
  if (app.count("--l2") == 0) opt.l2 = "cold";
  const bool dtype_given = app.count("--dtype") > 0;
  const bool shape_given = !batches.empty() || !kv_lens.empty();

  Plan plan;
  for (const auto& d : dtypes) plan.dtypes.push_back(lab::parse_dtype(d));
  std::sort(plan.dtypes.begin(), plan.dtypes.end(), [](lab::DType a, lab::DType b) {
    return a == lab::DType::bf16 && b != lab::DType::bf16;  // bf16 first: its rows matter most
  });
  plan.dtypes.erase(std::unique(plan.dtypes.begin(), plan.dtypes.end()), plan.dtypes.end());
  std::set<Layout> layout_set;
  for (const auto& l : layouts) layout_set.insert(parse_layout(l));
  if (layout_set.empty()) layout_set = {Layout::contiguous, Layout::paged16, Layout::paged64};
  {
    const std::vector<int> bs = !batches.empty() ? batches : opt.quick ? std::vector<int>{kQuickBatch} : kDefaultBatches;
    const std::vector<int> ss = !kv_lens.empty() ? kv_lens : opt.quick ? kQuickKvLens : kDefaultKvLens;
    const std::vector<int> splits = forced_splits.empty() ? std::vector<int>{0} : forced_splits;  // 0: planned
    for (int B : bs)
      for (int S : ss)
        for (int sp : splits) {
          Shape s;
          s.B = B, s.S = S, s.splits = sp;
          s.S_alloc = kv_alloc > 0 ? kv_alloc : opt.quick ? S + kQuickPadding : S;
          if (s.S_alloc < S) return cli.usage_error(fmt::format("--kv-alloc {} is below --kv-len {}", kv_alloc, S));
          plan.shapes.push_back(s);
        }
    if (!shape_given && !opt.quick)
      for (int sp : splits) {
        Shape s;
        s.B = 1, s.S = kLongKvLen, s.splits = sp, s.S_alloc = kv_alloc > kLongKvLen ? kv_alloc : kLongKvLen;
        plan.shapes.push_back(s);
      }
  }

  lab::LabSession session(kLabName, opt, argc, argv);
  cpu_self_checks(session);
  if (!session.has_gpu()) return session.finish_without_gpu();

  int prepare_failures = 0;
#if LABS_GPU
  try {
    int total = 0;
    for (lab::DType dt : plan.dtypes)
      for (const auto& id : versions_for(dt, opt, dtype_given)) {
        const DecodeVersion* v = DecodeRegistry::instance().find(id);
        for (Layout l : v->layouts) total += layout_set.count(l) ? static_cast<int>(plan.shapes.size()) : 0;
      }
    session.expect_cases(total);

    for (lab::DType dt : plan.dtypes) {
      const auto ids = versions_for(dt, opt, dtype_given);
      for (Shape shape : plan.shapes) {
        if (session.interrupted()) break;
        shape.dtype = dt;
        DecodeFixture fx(shape, session.stream());
        for (const auto& id : ids) {
          const DecodeVersion* v = DecodeRegistry::instance().find(id);
          std::string why;
          if (!lab::runnable_on(v->info, session.gpu(), &why)) {
            session.note_skip(id, why);
            continue;
          }
          for (Layout layout : v->layouts) {
            if (!layout_set.count(layout) || session.interrupted()) continue;
            const DeviceProblem problem = fx.problem(layout);
            Runner runner;
            try {
              runner = v->prepare(problem);
            } catch (const std::exception& e) {
              ++prepare_failures;
              std::cerr << fmt::format("  FAIL {} {}: prepare: {}\n", id, workload_json(problem.shape).dump(), e.what());
              continue;
            }
            if (problem.shape.splits > 0) {
              const auto got = runner.details.find("splits");
              if (got == runner.details.end() || got->get<int>() != problem.shape.splits) {
                session.note_skip(id, fmt::format("--splits {}: this version {} at this shape", problem.shape.splits,
                                                  got == runner.details.end()
                                                      ? std::string("does not split K")
                                                      : fmt::format("clamps it to {}", got->get<int>())));
                continue;
              }
            }
            lab::Case c;
            c.variant = id;
            c.workload = row_workload_json(problem.shape);
            c.workload_flags = workload_flags(problem.shape);
            c.bytes = model_bytes(problem.shape);
            c.flops = model_flops(problem.shape);
            c.kernel_regex = v->kernel_regex;
            c.run = runner.launch;
            c.poison = runner.poison ? runner.poison : [&fx](cudaStream_t st) { fx.poison_output(st); };
            if (runner.check) {
              c.check = [check = runner.check, st = session.stream()]() { return check(st); };
            } else {
              c.check = [&fx]() { return fx.check_output(); };
            }
            c.annotate = runner.annotate;
            c.extra = {{"details", runner.details},
                       {"oracle", runner.check ? runner.oracle : fx.reference_kind()},
                       {"tolerance", {{"ulps", kCheckUlps}, {"atol_scale", "max|ref|"}}}};
            session.run(c);
          }
        }
      }
    }
  } catch (const std::exception& e) {
    lab::print_error(kLabName, e.what());
    session.finish();
    return 1;
  }
#endif
  const int rc = session.finish();
  if (prepare_failures > 0) {
    std::cerr << fmt::format("lab-{}: {} case(s) could not be prepared\n", kLabName, prepare_failures);
    return rc == 0 ? 1 : rc;
  }
  return rc;
}
