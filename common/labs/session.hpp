/// @file session.hpp
/// The loop every lab runs, written once: for each case (version x workload x dtype) and
/// each L2 mode:
///   poison outputs -> run once -> check against the oracle (fail: no timing, no row)
///   -> count launches (CUPTI) -> time (timing.hpp) -> poison -> run -> check again
///   -> one journal row with stats, bytes/FLOP model, % of measured and datasheet
///      ceilings, check, launches, GPU, build, the row's own command and profiler commands.
/// It also prints progress (case i of n, elapsed, remaining), one table line per row, and
/// stops cleanly on Ctrl-C between cases (an append is one write, so no half lines).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "labs/ceilings.hpp"
#include "labs/check.hpp"
#include "labs/cli.hpp"
#include "labs/gpu.hpp"
#include "labs/gpuinfo.hpp"
#include "labs/journal.hpp"
#include "labs/timing.hpp"

namespace lab {

/// One measurable thing: a version on one workload in one dtype.
struct Case {
  std::string variant;           ///< version id, or a vendor name such as "cublas-bf16"
  std::string kind = "lab";      ///< "lab" | "vendor" (a C++-callable vendor library)
  std::string producer;          ///< vendor rows: library and version ("cuBLAS 13.0.0")
  Json workload;                 ///< named sizes and "dtype"
  std::string workload_flags;    ///< the lab flags that select this workload: "--rows 1000 ..."
  double bytes = 0;              ///< explicit byte model: fewest bytes this step must move
  double flops = 0;              ///< explicit FLOP model
  std::string kernel_regex;      ///< for `ncu -k regex:...`; empty = all kernels
  double max_total_ms = 0;       ///< per-case cap on summed sample time (0 = TimingOptions' default)
#if LABS_GPU
  std::function<void(cudaStream_t)> run;            ///< one iteration: every launch of one step
  std::function<void(cudaStream_t)> poison;         ///< poison every output buffer
  std::function<void(cudaStream_t)> before_sample;  ///< optional, outside the timed events
#endif
  std::function<CheckResult()> check;               ///< sync, copy back, compare with the oracle
  Json extra;                    ///< merged into the row (e.g. acceptance gates)
  /// Optional: called with the L2 mode after that mode's timed samples and check, outside the timing; its
  /// fields are merged into that mode's row. For measurements a kernel makes of itself (a
  /// probe's clock stamps), which only exist once it has run.
  std::function<Json(L2Mode)> annotate;
};

class LabSession {
 public:
  LabSession(std::string lab, const CommonOptions& opt, int argc, char** argv);
  ~LabSession();

  bool has_gpu() const { return has_gpu_; }
  const std::string& why_no_gpu() const { return why_no_gpu_; }
  const GpuInfo& gpu() const { return gpu_; }
  const Ceilings& ceilings() const { return ceilings_; }
  const CommonOptions& options() const { return opt_; }
#if LABS_GPU
  cudaStream_t stream() const { return stream_; }
#endif

  /// Sets the number of cases about to run, for the progress line.
  void expect_cases(int n) { total_ = n; }
  /// True once Ctrl-C was pressed: the lab should stop queuing cases.
  bool interrupted() const;

  /// Runs one case in every requested L2 mode (check only in --check-only / --profile).
  /// Returns the rows it appended (empty in check-only mode or when the check failed).
  std::vector<Json> run(const Case& c);

  /// For measurements that do not fit run() (launch latency, host<->device copies): the
  /// common fields of a row (schema, run, time, lab, variant, kind, producer, workload, l2,
  /// gpu, build, cmd, profile); the lab adds time_ms, bytes, flops, check, launches and
  /// calls write_row(), which derives gbps/tflops/% of ceilings when absent.
  Json base_row(const Case& c, L2Mode mode) const;
  /// Validates, appends (unless --journal -), prints the table line. Counts a failed
  /// check as a failure.
  void write_row(Json row);

  /// Records a CPU-side check (reference self-tests) in the pass/fail tally.
  void record_cpu_check(const std::string& name, bool pass, const std::string& detail = "");

  /// Rows of earlier runs of this lab in the journal (for the no-GPU path and summaries).
  std::vector<Json> recorded_rows() const;

  /// No GPU: says timing needs one, prints this lab's recorded rows, returns 77 when all
  /// CPU checks passed (ctest's skip code), 1 otherwise.
  int finish_without_gpu();

  /// Prints the summary; returns 0 if every check passed, 1 if any failed, 130 if
  /// interrupted.
  int finish();

  /// Skips a version that cannot run on this GPU (prints why; not a failure).
  void note_skip(const std::string& variant, const std::string& why);

  int failures() const { return failures_; }
  const std::string& journal_path() const { return journal_; }
  const std::string& run_id() const { return run_id_; }

 private:
  Json make_row(const Case& c, L2Mode mode, const TimingResult& t, const CheckResult& chk,
                long launches) const;
  std::string row_command(const Case& c, L2Mode mode) const;
  Json profile_commands(const Case& c, L2Mode mode) const;
  void print_row(const Case& c, const Json& row) const;
  void progress(const Case& c, L2Mode mode) const;

  std::string lab_;
  CommonOptions opt_;
  std::string exe_;         ///< argv[0] as a path relative to the source tree when inside it
  std::string invocation_;  ///< the whole command line that started this run
  std::string journal_;     ///< "" = do not write
  std::string run_id_;
  bool has_gpu_ = false;
  std::string why_no_gpu_;
  GpuInfo gpu_;
  Ceilings ceilings_;
  Json build_;
  int total_ = 0;
  mutable int done_ = 0;
  int failures_ = 0;
  int passes_ = 0;
  int rows_written_ = 0;
  double start_s_ = 0;
#if LABS_GPU
  cudaStream_t stream_ = nullptr;
#endif
};

}  // namespace lab
