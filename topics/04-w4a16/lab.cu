/// @file lab.cu
/// lab-04-w4a16: W4A16 weight-only GEMV/GEMM for decode (M = 1..16), every version of
/// kernels/ against the fp64 oracle, cuBLAS/cuBLASLt bf16/fp16 and the byte floor.
///
/// Full run (the default plan of lab_plan.hpp, cold L2 only, ~340 cases):
///   build/cuda/topics/04-w4a16/lab-04-w4a16
/// One case:
///   build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v5 --m 16 --n 14336 --k 4096 --dtype bf16 --wfmt int4-sym
/// Cold L2: the harness flushes L2 before each sample AND the lab rotates through enough
/// identical weight sets (>= 3x L2 of distinct bytes) that no call finds its weights in L2.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

#include "lab_plan.hpp"
#include "lab_self_checks.hpp"
#include "labs/check.hpp"
#include "labs/cli.hpp"
#include "labs/session.hpp"
#include "reference/check_output.hpp"
#include "kernels/probes.hpp"
#include "reference/cpu_gemv.hpp"
#include "support/dense_gemm.hpp"
#include "support/device_data.hpp"
#include "w4a16.hpp"

namespace {

using namespace w4a16;
constexpr const char* kLab = "04-w4a16";
constexpr int kMaxSets = 64;

/// Small enough for the CPU fp64 oracle (download + O(M N K) doubles in well under a second).
bool cpu_oracle_ok(int N, int K) { return static_cast<double>(N) * K <= 8.0 * 1024 * 1024; }

std::string workload_flags(const PlanCase& pc) {
  return fmt::format("--m {} --n {} --k {} --dtype {} --wfmt {}", pc.M, pc.shape.N, pc.shape.K,
                     lab::dtype_name(pc.dtype), wfmt_name(pc.wfmt));
}

lab::Json workload_json(const PlanCase& pc) {
  return lab::Json{{"M", pc.M},
                   {"N", pc.shape.N},
                   {"K", pc.shape.K},
                   {"group", workload_group(pc.wfmt)},
                   {"dtype", std::string(lab::dtype_name(pc.dtype))},
                   {"wfmt", std::string(wfmt_name(pc.wfmt))}};
}

void print_list() {
  std::cout << "lab-04-w4a16 versions (y[M,N] = x[M,K] W^T, INT4 weights, groups of 128):\n";
  for (const Version& v : Registry::instance().all()) {
    std::string f;
    for (WFormat w : v.formats) f += (f.empty() ? "" : ",") + std::string(wfmt_name(w));
    std::cout << fmt::format("  {:<4} {}  [{}]{}\n", v.info.id, v.info.idea, f, v.info.cuda_only ? " (CUDA only)" : "");
  }
  std::cout << "  cublas    cuBLAS cublasGemmEx on dense bf16/fp16 weights (vendor row)\n"
               "  cublaslt  cuBLASLt matmul, first heuristic algorithm (vendor row)\n"
               "  probe-v26-loads, probe-v26-staged (and the same for v31, v32)\n"
               "            the version's kernel with parts cut out (M = 1, int4-sym, only when named;\n"
               "            checked by a checksum of the bytes read: kernels/probe_lean_skeleton.cu)\n"
               "  probe-v37-loads, probe-v37-staged\n"
               "            v37's M > 8 kernel with the decode, mma and split-K tail cut out (M = 9..16)\n"
               "  probe-v37-notail\n"
               "            v37 without its split-K tail (M = 9..16); its partials, summed apart, must be v37's output\n"
               "Shapes (--shape):";
  for (const Shape& s : llama_shapes()) std::cout << fmt::format(" {} ({}->{})", s.name, s.K, s.N);
  std::cout << "\n";
}

#if LABS_GPU
/// The oracle rows for this data and format: CPU fp64 on small shapes, GPU fp64 otherwise.
class Oracles {
 public:
  const std::vector<double>& get(DeviceData& d, WFormat f, Stream s) {
    const WFormat src = f == WFormat::dense ? WFormat::int4_sym : f;
    if (!cpu_oracle_ok(d.N(), d.K())) return d.gpu_reference(src, s);
    auto it = cpu_.find(src);
    if (it != cpu_.end()) return it->second;
    const auto x = d.host_x(16);
    std::vector<double> y = src == WFormat::int8 ? gemv_oracle(d.host_int8(), x, 16)
                                                 : gemv_oracle(d.host_int4(src == WFormat::int4_asym), x, 16);
    return cpu_.emplace(src, std::move(y)).first->second;
  }

 private:
  std::map<WFormat, std::vector<double>> cpu_;
};

lab::CheckResult check_rows(const DeviceData& d, const std::vector<double>& ref16, int M, lab::DType t) {
  return check_output(d.download_y(M), ref16, M, d.N(), t);
}

int run_gpu_plan(lab::LabSession& session, const std::vector<PlanCase>& plan, int sets_override, bool rotate,
                 int forced_splits) {
  const Stream stream = session.stream();
  session.expect_cases(static_cast<int>(plan.size()));
  std::size_t i = 0;
  while (i < plan.size() && !session.interrupted()) {
    // One shape and dtype at a time: its data is built once and freed before the next.
    std::size_t j = i;
    bool need_int4 = false, need_int8 = false, need_dense = false;
    while (j < plan.size() && plan[j].shape.N == plan[i].shape.N && plan[j].shape.K == plan[i].shape.K &&
           plan[j].dtype == plan[i].dtype) {
      need_int4 = need_int4 || is_int4(plan[j].wfmt);
      need_int8 = need_int8 || plan[j].wfmt == WFormat::int8;
      need_dense = need_dense || plan[j].wfmt == WFormat::dense;
      ++j;
    }
    const PlanCase& first = plan[i];
    const long long l2 = session.gpu().l2_bytes;
    auto count = [&](bool need, WFormat f) {
      if (!need) return 0;
      if (!rotate) return 1;
      if (sets_override > 0) return sets_override;
      // Tiny layers would need thousands of copies; past 64 the harness's L2 flush before
      // every sample is what keeps them cold (rotation_bytes in the row says how much).
      return std::min(kMaxSets, sets_for_rotation(bytes_model(f, first.dtype, 0, first.shape.N, first.shape.K), l2));
    };
    DeviceData::Sets sets;
    sets.int4 = count(need_int4, WFormat::int4_asym);
    sets.int8 = count(need_int8, WFormat::int8);
    sets.dense = count(need_dense, WFormat::dense);
    DeviceData data(first.shape.N, first.shape.K, first.dtype, sets, 0x04A16ull + static_cast<unsigned>(first.shape.N),
                    stream);
    Oracles oracles;

    for (; i < j && !session.interrupted(); ++i) {
      const PlanCase& pc = plan[i];
      Problem p;
      p.M = pc.M;
      p.N = pc.shape.N;
      p.K = pc.shape.K;
      p.dtype = pc.dtype;
      p.wfmt = pc.wfmt;
      p.x = data.x();
      p.y = data.y();
      p.sms = session.gpu().sms;
      p.splits = forced_splits;

      lab::Case c;
      c.variant = pc.variant;
      c.workload = workload_json(pc);
      c.workload_flags = workload_flags(pc) + (forced_splits > 0 ? fmt::format(" --splits {}", forced_splits) : "");
      c.bytes = bytes_model(pc.wfmt, pc.dtype, pc.M, pc.shape.N, pc.shape.K);
      c.flops = flops_model(pc.M, pc.shape.N, pc.shape.K);
      Step step;
      std::shared_ptr<ProbeCase> probe;
      try {
        if (is_probe(pc.variant)) {
          if (forced_splits > 0) {
            session.note_skip(pc.variant, "a probe runs its version's own plan; --splits does not apply");
            continue;
          }
          probe = std::make_shared<ProbeCase>(prepare_probe(pc.variant, p));
          step = probe->step;
          c.kernel_regex = pc.variant.rfind("probe-v37", 0) == 0 ? "w4_mma_lean" : "w4_lean";
        } else if (forced_splits > 0 && (pc.variant == "cublas" || pc.variant == "cublaslt" ||
                                  !Registry::instance().find(pc.variant)->takes_splits)) {
          session.note_skip(pc.variant, "plans its own split; --splits is for the versions that take it (v20-v22, v24, v25, v28, v29, v37, v39-v42, v44-v46, v48, v49, v52)");
          continue;
        } else if (pc.variant == "cublas" || pc.variant == "cublaslt") {
          const auto lib = pc.variant == "cublas" ? DenseGemm::Library::cublas : DenseGemm::Library::cublaslt;
          auto gemm = std::make_shared<DenseGemm>(lib, p);
          step = [gemm](const DeviceWeights& w, Stream s) { gemm->run(w.dense, s); };
          c.kind = "vendor";
          c.producer = DenseGemm::producer(lib);
        } else {
          const Version* v = Registry::instance().find(pc.variant);
          std::string why;
          if (!lab::runnable_on(v->info, session.gpu(), &why)) {
            session.note_skip(pc.variant, why);
            continue;
          }
          step = v->prepare(p);
          c.kernel_regex = v->kernel_regex;
        }
      } catch (const std::invalid_argument& e) {
        session.note_skip(pc.variant, e.what());
        continue;
      }
      const int nsets = data.sets(pc.wfmt);
      auto current = std::make_shared<int>(0);
      const WFormat f = pc.wfmt;
      DeviceData* dp = &data;
      c.run = [step, current, f, dp](Stream s) { step(dp->weights(f, *current), s); };
      if (nsets > 1) c.before_sample = [current, nsets](Stream) { *current = (*current + 1) % nsets; };
      if (probe) {  // a probe computes no GEMV: its own check (a checksum, or notail's sum against v37)
        c.poison = [probe](Stream s) { probe->poison(s); };
        c.check = [probe, dp, current, f, stream]() { return probe->check(dp->weights(f, *current), stream); };
      } else {
        c.poison = [dp](Stream s) { dp->poison_y(s); };
        const std::vector<double>& ref = oracles.get(data, pc.wfmt, stream);
        c.check = [dp, &ref, pc]() { return check_rows(*dp, ref, pc.M, pc.dtype); };
      }
      c.extra = lab::Json{{"shape", pc.shape.name},
                          {"weight_sets", nsets},
                          {"rotation_bytes", nsets * data.touched_bytes(pc.wfmt)},
                          {"oracle", pc.variant == "probe-v37-notail" ? "v37's output, bitwise (its partials summed apart)"
                                     : probe ? "checksum of the bytes read"
                                             : cpu_oracle_ok(p.N, p.K) ? "cpu-fp64" : "gpu-fp64"}};
      if (forced_splits > 0) c.extra["forced_splits"] = forced_splits;
      if (const Version* v = Registry::instance().find(pc.variant); v && v->picks) c.extra["dispatch"] = v->picks(p);
      session.run(c);
    }
  }
  return 0;
}
#endif

}  // namespace

int main(int argc, char** argv) {
  lab::LabCli cli(kLab, "W4A16 weight-only GEMV/GEMM for decode (M = 1..16) vs cuBLAS and the byte floor");
  PlanRequest req;
  std::vector<std::string> dtypes;
  int sets_override = 0;
  int forced_splits = 0;
  auto& app = cli.app();
  app.add_option("--m", req.ms, "rows of x (tokens), comma separated, each 1..16 (default 1,2,4,8,16)")
      ->delimiter(',')
      ->check(CLI::Range(1, kMaxM));
  app.add_option("--n", req.n, "output features (with --k: one custom shape instead of the Llama-3 shapes)")
      ->check(CLI::PositiveNumber);
  app.add_option("--k", req.k, "input features, a multiple of 128")->check(CLI::PositiveNumber);
  app.add_option("--shape", req.shapes, "Llama-3 shapes by name, comma separated (see --list)")->delimiter(',');
  app.add_option("--wfmt", req.wfmts, "weight formats: int4-sym,int4-asym,int8,fp16 (default: the plan's)")
      ->delimiter(',')
      ->check(CLI::IsMember(all_wfmt_names()));
  app.add_flag("--all", req.all, "every version on every shape in every format (long)");
  app.add_option("--splits", forced_splits,
                 "K splits for the versions that take it (v20-v22, v24, v25, v28, v29, v37, v39-v42, v44-v46, v48, v49, v52), instead of their plan: a split sweep")
      ->check(CLI::Range(1, 4096));
  app.add_option("--sets", sets_override, "identical weight sets to rotate through (default: enough for 3x L2)")
      ->check(CLI::PositiveNumber);
  cli.add_dtypes(&dtypes, {"bf16", "fp16"}, {});
  if (auto rc = cli.parse(argc, argv)) return *rc;
  lab::CommonOptions& opt = cli.common();
  if (app.count("--l2") == 0) opt.l2 = "cold";  // this lab's numbers are cold-L2 numbers
  if (opt.list) {
    print_list();
    return 0;
  }
  if ((req.n > 0) != (req.k > 0)) return cli.usage_error("--n and --k go together");
  if (req.k > 0 && req.k % kGroup != 0) return cli.usage_error("--k: must be a multiple of 128 (the group size)");

  for (const Version& v : Registry::instance().all()) {
    req.versions.push_back(v.info.id);
    req.formats.push_back(v.formats);
  }
  std::vector<std::string> known = req.versions;
  for (const std::string& v : vendor_variants()) known.push_back(v);
  for (const std::string& v : probe_variants()) known.push_back(v);
  std::vector<PlanCase> plan;
  try {
    cli.require_known_variants(known);
    req.wanted = opt.variants;
    req.dtypes = dtypes;
    req.quick = opt.quick;
    plan = make_plan(req);
  } catch (const std::exception& e) {
    return cli.usage_error(e.what());
  }

  lab::LabSession session(kLab, opt, argc, argv);
  run_cpu_self_checks(
      [&](const std::string& name, bool pass, const std::string& detail) { session.record_cpu_check(name, pass, detail); });
  if (!session.has_gpu()) return session.finish_without_gpu();
#if LABS_GPU
  const auto modes = opt.l2_modes();
  const bool timed = !opt.check_only && !opt.profile;
  const bool rotate = timed && modes.size() == 1 && modes[0] == lab::L2Mode::cold;
  if (timed && !rotate)
    std::cerr << "lab-04-w4a16: warm L2 requested: one weight set, no rotation (warm rows re-read L2-resident "
                 "weights when they fit)\n";
  try {
    run_gpu_plan(session, plan, sets_override, rotate, forced_splits);
  } catch (const std::exception& e) {
    lab::print_error(kLab, e.what());
    session.finish();
    return 1;
  }
#endif
  return session.finish();
}
