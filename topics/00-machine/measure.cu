/// @file measure.cu
/// measure_fixed(): the harness's check -> count -> time -> re-check loop for a measurement
/// whose L2 state is part of its definition (LabSession::run times every mode the command
/// line asks for; an HBM-sized copy timed warm or an L2-resident copy timed cold would
/// measure something else), plus the per-unit fields of latency rows.
#include "machine.hpp"

#include <iostream>

#include <fmt/format.h>

#include "labs/clocks.hpp"
#include "labs/launches.hpp"

#if LABS_GPU
namespace machine {

std::optional<lab::Json> measure_fixed(Context& ctx, const lab::Case& c, const RowOptions& ro) {
  lab::LabSession& s = ctx.session;
  const lab::CommonOptions& opt = s.options();
  const cudaStream_t st = s.stream();
  // The workload flags tell apart the rows of one variant (the sizes of a sweep).
  std::cerr << fmt::format("[{}/{}] {}{} ({})\n", ++ctx.index, ctx.total, c.variant,
                           c.workload_flags.empty() ? "" : " " + c.workload_flags, lab::to_string(ro.mode));

  auto reset_run_check = [&] {
    c.poison(st);
    c.run(st);
    LABS_CHECK(cudaStreamSynchronize(st));
    return c.check();
  };
  const lab::CheckResult first = reset_run_check();
  if (!first.pass || opt.check_only || opt.profile) {
    // LabSession tallies checks outside run() only through record_cpu_check.
    s.record_cpu_check("gpu check " + c.variant, first.pass, first.summary());
    return std::nullopt;
  }

  const lab::LaunchCount launches = lab::count_launches(c.run, st);
  lab::TimingOptions topt = opt.quick ? lab::TimingOptions::quick(ro.mode) : lab::TimingOptions{};
  topt.l2 = ro.mode;
  if (c.max_total_ms > 0 && !opt.quick) topt.max_total_ms = c.max_total_ms;
  c.poison(st);
  const lab::TimingResult t = lab::time_gpu(c.run, topt, st, c.before_sample);
  LABS_CHECK(cudaStreamSynchronize(st));
  const lab::CheckResult after = reset_run_check();  // counters need a reset, so run once more

  lab::Json row = s.base_row(c, ro.mode);
  const lab::Stats& m = t.ms;
  row["time_ms"] = {{"median", m.median}, {"p10", m.p10}, {"p90", m.p90}, {"min", m.min},
                    {"max", m.max},       {"mean", m.mean}, {"stddev", m.stddev}, {"n", m.n}};
  row["event_overhead_ms"] = t.event_overhead_ms;
  row["check"] = lab::merge(first, after).to_json();
  row["launches"] = launches.counted() ? lab::Json(launches.launches) : lab::Json(nullptr);
  if (launches.graph_launches >= 0) row["graph_launches"] = launches.graph_launches;
  row["clocks"] = lab::clocks_json(t.clock_start, t.clock_end);
  row["throttled"] = t.throttled;
  if (c.bytes > 0 && m.median > 0) row["gbps"] = c.bytes / (m.median * 1e-3) / 1e9;
  if (ro.defines_copy_bw && row["gbps"].is_number() && after.pass) ctx.copy_gbps = row["gbps"].get<double>();
  if (ctx.copy_gbps > 0) row["gpu"]["copy_gbps"] = ctx.copy_gbps;
  if (!ro.vs_copy_bw) {
    // Host copies, launches and the GEMM are not HBM streams: % of copy bandwidth would mislead.
    row["pct_copy_bw"] = nullptr;
    row["pct_datasheet_bw"] = nullptr;
  } else if (row["gbps"].is_number() && ctx.copy_gbps > 0) {
    row["pct_copy_bw"] = 100.0 * row["gbps"].get<double>() / ctx.copy_gbps;
  }
  if (ro.units_per_sample > 0) {
    const double u = ro.units_per_sample;
    row["units_per_sample"] = u;
    row["time_ms_per_unit"] = {{"median", m.median / u}, {"p10", m.p10 / u}, {"p90", m.p90 / u},
                               {"min", m.min / u},       {"n", m.n}};
    row["latency_us"] = m.median / u * 1e3;
  }
  const int failures_before = s.failures();
  s.write_row(row);
  if (s.failures() > failures_before) return std::nullopt;
  return row;
}

std::optional<double> row_number(const std::optional<lab::Json>& row, const char* field) {
  if (!row || !row->contains(field) || !(*row)[field].is_number()) return std::nullopt;
  return (*row)[field].get<double>();
}

}  // namespace machine
#endif
