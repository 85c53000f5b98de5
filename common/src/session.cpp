#include "labs/session.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>

#include <fmt/format.h>

#include "labs/launches.hpp"

namespace lab {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void on_sigint(int) {
  g_interrupted = 1;
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the program at once
}

double now_s() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_of(" \t\n'\"\\$`*?[]{}()<>|&;!#~") == std::string::npos) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string relative_to_source(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path abs = fs::weakly_canonical(fs::absolute(path, ec), ec);
  const fs::path src = fs::weakly_canonical(fs::path(LABS_SOURCE_DIR), ec);
  const fs::path rel = abs.lexically_relative(src);
  if (!rel.empty() && rel.native().rfind("..", 0) != 0) return rel.string();
  return abs.string();
}

std::string workload_text(const Json& w) {
  std::string s;
  for (auto it = w.begin(); it != w.end(); ++it) {
    if (!s.empty()) s += " ";
    s += it.key() + "=" + (it.value().is_string() ? it.value().get<std::string>() : it.value().dump());
  }
  return s;
}

std::string mmss(double s) {
  const int t = static_cast<int>(s + 0.5);
  return fmt::format("{}:{:02d}", t / 60, t % 60);
}

Json null_if_nonpositive(double v) { return v > 0 ? Json(v) : Json(nullptr); }

// Published rows carry check.pass = null (not checked by this project).
std::string check_text(const Json& r) {
  const Json& p = r["check"]["pass"];
  if (p.is_boolean()) return p.get<bool>() ? "check ok" : "CHECK FAILED";
  return r.value("kind", "") == "published" ? "published (not checked here)" : "unchecked";
}

}  // namespace

LabSession::LabSession(std::string lab, const CommonOptions& opt, int argc, char** argv)
    : lab_(std::move(lab)), opt_(opt) {
  exe_ = relative_to_source(argc > 0 ? argv[0] : "lab-" + lab_);
  invocation_ = exe_;
  for (int i = 1; i < argc; ++i) invocation_ += " " + shell_quote(argv[i]);
  if (opt_.journal == "-" || opt_.check_only || opt_.profile) journal_.clear();
  else journal_ = opt_.journal.empty() ? default_journal_path() : opt_.journal;
  if (!journal_.empty()) {
    try {
      ensure_writable(journal_);
    } catch (const std::exception& e) {
      print_error(lab_, e.what());
      std::exit(2);
    }
  }
  run_id_ = new_run_id();
  build_ = build_info();
  start_s_ = now_s();
  std::signal(SIGINT, on_sigint);
  has_gpu_ = gpu_available(&why_no_gpu_);
  if (!has_gpu_) return;
#if LABS_GPU
  gpu_ = query_gpu(0);
  LABS_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  if (auto c = load_ceilings(gpu_)) {
    ceilings_ = *c;
  } else if (!opt_.check_only && !opt_.profile && lab_ != "00-machine") {
    std::cerr << "No cached ceilings for " << gpu_.name << ": probing copy bandwidth (run lab-00-machine for all)\n";
    ceilings_ = ceilings_or_probe(gpu_);
  }
  std::cerr << fmt::format("{} | {} (cc {}, {} SMs, L2 {} MiB) | measured copy {:.0f} GB/s | run {} | commit {}{}\n",
                           "lab-" + lab_, gpu_.name, gpu_.cc, gpu_.sms, gpu_.l2_bytes >> 20, ceilings_.copy_gbps,
                           run_id_, build_["commit"].get<std::string>().substr(0, 10),
                           build_["dirty"].get<bool>() ? " (dirty)" : "");
#endif
}

LabSession::~LabSession() {
#if LABS_GPU
  if (stream_) (void)cudaStreamDestroy(stream_);
#endif
}

bool LabSession::interrupted() const { return g_interrupted != 0; }

void LabSession::record_cpu_check(const std::string& name, bool pass, const std::string& detail) {
  if (pass) ++passes_;
  else ++failures_;
  std::cerr << fmt::format("  cpu check {:<40} {}{}\n", name, pass ? "ok" : "FAIL", detail.empty() ? "" : ": " + detail);
}

void LabSession::note_skip(const std::string& variant, const std::string& why) {
  std::cerr << fmt::format("  skip {}: {}\n", variant, why);
}

std::string LabSession::row_command(const Case& c, L2Mode mode) const {
  std::string cmd = exe_ + " --variant " + c.variant;
  if (!c.workload_flags.empty()) cmd += " " + c.workload_flags;
  return cmd + " --l2 " + to_string(mode);
}

Json LabSession::profile_commands(const Case& c, L2Mode) const {
  std::string one = exe_ + " --variant " + c.variant;
  if (!c.workload_flags.empty()) one += " " + c.workload_flags;
  one += " --profile --journal -";
  const std::string k = c.kernel_regex.empty() ? "" : " -k regex:" + shell_quote(c.kernel_regex);
  const std::string name = "prof-" + lab_ + "-" + c.variant;
  return {{"ncu", "ncu --clock-control none --set full" + k + " -o " + name + " " + one},
          {"nsys", "nsys profile --stats=true -o " + name + " " + one},
          {"rocprof", "rocprofv3 --kernel-trace --stats -- " + one}};
}

Json LabSession::base_row(const Case& c, L2Mode mode) const {
  Json gpu = gpu_.to_json();
  gpu["copy_gbps"] = null_if_nonpositive(ceilings_.copy_gbps);
  gpu["bf16_tflops"] = null_if_nonpositive(ceilings_.bf16_tflops);
  gpu["ceilings_source"] = ceilings_.source;
  Json row = {{"schema", kJournalSchema},
              {"run", run_id_},
              {"time", now_utc_iso()},
              {"lab", lab_},
              {"variant", c.variant},
              {"kind", c.kind},
              {"workload", c.workload},
              {"l2", to_string(mode)},
              {"gpu", gpu},
              {"build", build_},
              {"cmd", row_command(c, mode)},
              {"invocation", invocation_},
              {"profile", profile_commands(c, mode)},
              {"bytes", c.bytes},
              {"flops", c.flops}};
  if (!c.producer.empty()) row["producer"] = c.producer;
  for (auto it = c.extra.begin(); it != c.extra.end(); ++it) row[it.key()] = it.value();
  return row;
}

Json LabSession::make_row(const Case& c, L2Mode mode, const TimingResult& t, const CheckResult& chk,
                          long launches) const {
  Json row = base_row(c, mode);
  row["time_ms"] = {{"median", t.ms.median}, {"p10", t.ms.p10}, {"p90", t.ms.p90}, {"min", t.ms.min},
                    {"max", t.ms.max},       {"mean", t.ms.mean}, {"stddev", t.ms.stddev}, {"n", t.ms.n}};
  row["event_overhead_ms"] = t.event_overhead_ms;
  row["check"] = chk.to_json();
  row["launches"] = launches >= 0 ? Json(launches) : Json(nullptr);
  row["clocks"] = clocks_json(t.clock_start, t.clock_end);
  row["throttled"] = t.throttled;
  row["launch_gated"] = t.launch_gated;
  return row;
}

void LabSession::write_row(Json row) {
  const double sec = row["time_ms"]["median"].get<double>() * 1e-3;
  const double bytes = row.value("bytes", 0.0), flops = row.value("flops", 0.0);
  if (!row.contains("gbps")) row["gbps"] = bytes > 0 && sec > 0 ? Json(bytes / sec / 1e9) : Json(nullptr);
  if (!row.contains("tflops")) row["tflops"] = flops > 0 && sec > 0 ? Json(flops / sec / 1e12) : Json(nullptr);
  const double gbps = row["gbps"].is_number() ? row["gbps"].get<double>() : 0.0;
  const Datasheet ds = datasheet_for(gpu_);
  if (!row.contains("pct_copy_bw"))
    row["pct_copy_bw"] = gbps > 0 && ceilings_.copy_gbps > 0 ? Json(100 * gbps / ceilings_.copy_gbps) : Json(nullptr);
  if (!row.contains("pct_datasheet_bw"))
    row["pct_datasheet_bw"] = gbps > 0 && ds.hbm_gbps > 0 ? Json(100 * gbps / ds.hbm_gbps) : Json(nullptr);
  if (row["tflops"].is_number() && ceilings_.bf16_tflops > 0 && !row.contains("pct_matrix_rate"))
    row["pct_matrix_rate"] = 100 * row["tflops"].get<double>() / ceilings_.bf16_tflops;
  if (!row.contains("launches")) row["launches"] = nullptr;
  if (!row["check"].value("pass", false)) {
    ++failures_;
    std::cerr << fmt::format("  FAIL {} {}: check failed; row not written\n", row.value("variant", ""),
                             workload_text(row["workload"]));
    return;
  }
  ++passes_;
  if (!journal_.empty()) {
    append_row(journal_, row);
    ++rows_written_;
  }
  Case shown;
  shown.variant = row["variant"];
  shown.workload = row["workload"];
  print_row(shown, row);
}

void LabSession::print_row(const Case& c, const Json& row) const {
  if (opt_.json) {
    std::cout << row.dump() << std::endl;
    return;
  }
  const auto& t = row["time_ms"];
  std::string bw = row["gbps"].is_number() ? fmt::format("{:8.1f} GB/s", row["gbps"].get<double>()) : "";
  if (row["pct_copy_bw"].is_number()) bw += fmt::format(" {:5.1f}% copy", row["pct_copy_bw"].get<double>());
  std::string fl = row["tflops"].is_number() && row["flops"].get<double>() > 0
                       ? fmt::format(" {:7.2f} TFLOP/s", row["tflops"].get<double>())
                       : "";
  const std::string launches = row["launches"].is_number() ? std::to_string(row["launches"].get<long>()) : "-";
  std::cout << fmt::format("  {:<14} {:<44} {:4} {:10.4f} ms [{:.4f}-{:.4f}] n={:<4} {}{} launches {} check {:.0f}%{}\n",
                           c.variant, workload_text(c.workload), row["l2"].get<std::string>(),
                           t["median"].get<double>(), t["p10"].get<double>(), t["p90"].get<double>(),
                           t["n"].get<int>(), bw, fl, launches,
                           row["check"]["tol_used"].is_number() ? 100 * row["check"]["tol_used"].get<double>() : 0.0,
                           row.value("throttled", false) ? " THROTTLED" : "");
  std::cout.flush();
}

void LabSession::progress(const Case& c, L2Mode) const {
  ++done_;
  const double el = now_s() - start_s_;
  std::string eta;
  if (total_ > 0 && done_ > 1) eta = fmt::format(", ~{} left", mmss(el / (done_ - 1) * (total_ - done_ + 1)));
  std::cerr << fmt::format("[{}/{} {} elapsed{}] {} {}\n", done_, total_ > 0 ? std::to_string(total_) : "?",
                           mmss(el), eta, c.variant, workload_text(c.workload));
}

std::vector<Json> LabSession::run(const Case& c) {
  std::vector<Json> rows;
  (void)c;
  if (interrupted() || !has_gpu_) return rows;
#if LABS_GPU
  progress(c, L2Mode::cold);
  if (!c.run || !c.check || !c.poison) throw std::logic_error("Case " + c.variant + " lacks run, poison or check");
  CheckResult chk;
  try {
    c.poison(stream_);
    c.run(stream_);
    LABS_CHECK(cudaStreamSynchronize(stream_));
    chk = c.check();
  } catch (const GpuError& e) {
    ++failures_;
    std::cerr << "  FAIL " << c.variant << ": " << e.what() << "\n";
    throw;  // a sticky CUDA error poisons the context: stop the lab loudly
  }
  if (!chk.pass) {
    ++failures_;
    std::cerr << fmt::format("  FAIL {} {}: {}\n", c.variant, workload_text(c.workload), chk.summary());
    return rows;
  }
  if (opt_.check_only || opt_.profile) {
    ++passes_;
    std::cerr << fmt::format("  ok   {:<14} {}  {}\n", c.variant, workload_text(c.workload), chk.summary());
    return rows;
  }
  const LaunchCount lc = count_launches(c.run, stream_);
  for (L2Mode mode : opt_.l2_modes()) {
    if (interrupted()) break;
    TimingOptions topt = opt_.quick ? TimingOptions::quick(mode) : TimingOptions{};
    topt.l2 = mode;
    if (c.max_total_ms > 0 && !opt_.quick) topt.max_total_ms = c.max_total_ms;
    c.poison(stream_);  // the timed iterations must write every output element again
    const TimingResult t = time_gpu(c.run, topt, stream_, c.before_sample);
    LABS_CHECK(cudaStreamSynchronize(stream_));
    const CheckResult after = c.check();
    if (!after.pass) {
      ++failures_;
      std::cerr << fmt::format("  FAIL {} {} ({}): check after timing: {}\n", c.variant, workload_text(c.workload),
                               to_string(mode), after.summary());
      continue;
    }
    Json row = make_row(c, mode, t, merge(chk, after), lc.launches);
    if (lc.graph_launches >= 0) row["graph_launches"] = lc.graph_launches;
    if (c.annotate) {
      const Json notes = c.annotate(mode);  // a named object: items() of a temporary would dangle
      for (auto it = notes.begin(); it != notes.end(); ++it) row[it.key()] = it.value();
    }
    const int before = failures_;
    write_row(row);
    if (failures_ == before) rows.push_back(row);
  }
#endif
  return rows;
}

std::vector<Json> LabSession::recorded_rows() const {
  const std::string path = opt_.journal.empty() || opt_.journal == "-" ? default_journal_path() : opt_.journal;
  std::vector<Json> mine;
  for (auto& r : read_journal(path))
    if (r.value("lab", "") == lab_) mine.push_back(r);
  return mine;
}

int LabSession::finish_without_gpu() {
  std::cerr << fmt::format("lab-{}: timing needs a GPU ({}). CPU reference checks: {} passed, {} failed.\n", lab_,
                           why_no_gpu_, passes_, failures_);
  try {
    // Latest row per (variant, workload, l2, gpu): what a learner would see on the GPU.
    std::map<std::string, Json> latest;
    for (auto& r : recorded_rows())
      latest[r["variant"].get<std::string>() + "|" + r["workload"].dump() + "|" + r["l2"].get<std::string>() + "|" +
             r["gpu"].value("name", "")] = r;
    if (latest.empty()) {
      std::cout << "No recorded rows for " << lab_ << " in the journal yet.\n";
    } else {
      std::cout << fmt::format("Recorded rows for {} (latest per variant, workload, L2 mode):\n", lab_);
      for (auto& [k, r] : latest) {
        const double median = r["time_ms"]["median"].is_number() ? r["time_ms"]["median"].get<double>() : 0.0;
        std::string pct = r["pct_copy_bw"].is_number() ? fmt::format("{:5.1f}%", r["pct_copy_bw"].get<double>()) : "   - ";
        std::cout << fmt::format("  {:<18} {:<52} {:4} {:10.4f} ms  {} of copy bw  {}  {}  {}\n",
                                 r["variant"].get<std::string>(), workload_text(r["workload"]),
                                 r["l2"].get<std::string>(), median, pct,
                                 check_text(r),
                                 r["gpu"].value("name", "?"),
                                 r["build"].value("commit", "?").substr(0, 10));
      }
    }
  } catch (const JournalError& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return failures_ > 0 ? 1 : 77;
}

int LabSession::finish() {
  const double el = now_s() - start_s_;
  std::cerr << fmt::format("lab-{}: {} checks passed, {} failed; {} rows {}{}; {}\n", lab_, passes_, failures_,
                           rows_written_, journal_.empty() ? "(no journal)" : "appended to ", journal_, mmss(el));
  if (interrupted()) {
    std::cerr << "interrupted: every row written is complete; rerun to finish\n";
    return 130;
  }
  return failures_ > 0 ? 1 : 0;
}

}  // namespace lab
