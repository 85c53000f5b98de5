/// @file lab.cu
/// lab-00-machine: measures this GPU's ceilings — device copy bandwidth (HBM-sized cold,
/// L2-resident warm), host <-> device bandwidth (pinned, pageable), kernel launch latency
/// (eager, per graph node), event-pair overhead and the cuBLAS dense bf16 GEMM rate — writes
/// one checked journal row per measurement, caches them as lab::Ceilings (every later lab
/// reports "% of measured copy bandwidth" from that cache) and prints them with the machine
/// balance. Informational rows beside them: the timing floor (one empty kernel, cold and
/// warm) and device copies swept over sizes (one row per size).
///
/// Run: build/cuda/topics/00-machine/lab-00-machine            (everything, ~10 s on an H200)
///      build/cuda/topics/00-machine/lab-00-machine --quick    (smaller sizes; not cached)
#include <algorithm>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "labs/ceilings.hpp"
#include "labs/cli.hpp"
#include "labs/dtype.hpp"
#include "labs/journal.hpp"
#include "labs/session.hpp"
#include "machine.hpp"
#include "pattern.hpp"

namespace {

constexpr const char* kLab = "00-machine";

/// Where a measurement's number goes in the cache.
using CeilingField = double lab::Ceilings::*;

/// One measurement of the lab, in the order it runs (the HBM copy first: later rows report
/// % of it).
struct Measurement {
  const char* variant;
  const char* what;
  CeilingField field;            ///< where its number goes; nullptr = informational row
  lab::L2Mode mode;              ///< the L2 state that defines it
  bool cuda_only;
  bool per_sweep_size = false;   ///< one row per size of Sizes::sweep_bytes, not one row
};

const std::vector<Measurement>& measurements() {
  using C = lab::Ceilings;
  using lab::L2Mode;
  static const std::vector<Measurement> table = {
      {"d2d-copy-hbm", "device copy, 2 x HBM-sized buffers, cudaMemcpyAsync, cold L2 (GB/s, read + write)",
       &C::copy_gbps, L2Mode::cold, false},
      {"d2d-copy-kernel-hbm", "the same copy by a 16-byte vector kernel (GB/s): what a kernel can reach",
       nullptr, L2Mode::cold, false},
      {"d2d-copy-l2", "device copy of L2-resident buffers (~L2/6 each), warm (GB/s, read + write)",
       &C::copy_l2_gbps, L2Mode::warm, false},
      {"h2d-pinned", "host -> device, pinned host memory (GB/s)", &C::h2d_pinned_gbps, L2Mode::cold, false},
      {"d2h-pinned", "device -> host, pinned host memory (GB/s)", &C::d2h_pinned_gbps, L2Mode::cold, false},
      {"h2d-pageable", "host -> device, pageable host memory (GB/s)", &C::h2d_pageable_gbps, L2Mode::cold, false},
      {"d2h-pageable", "device -> host, pageable host memory (GB/s)", &C::d2h_pageable_gbps, L2Mode::cold, false},
      {"launch-eager", "back-to-back launches of an empty kernel (us per launch)", &C::launch_eager_us,
       L2Mode::warm, false},
      {"launch-graph-node", "a graph of empty-kernel nodes, replayed (us per node)", &C::launch_graph_node_us,
       L2Mode::warm, false},
      {"event-overhead", "an empty event pair (us)", &C::event_overhead_us, L2Mode::warm, false},
      {"floor-empty-cold", "ONE empty kernel per sample, L2 flushed before it: the timing floor of a cold row (us)",
       nullptr, L2Mode::cold, false},
      {"floor-empty-warm", "ONE empty kernel per sample, L2 not flushed: the timing floor of a warm row (us)",
       nullptr, L2Mode::warm, false},
      {"d2d-copy-sweep", "cudaMemcpyAsync device copy at 256 KiB .. --sweep-max-mib per buffer, one row per size (GB/s)",
       nullptr, L2Mode::cold, false, true},
      {"d2d-copy-kernel-sweep", "the same sizes by the 16-byte vector copy kernel, one row per size (GB/s)", nullptr,
       L2Mode::cold, false, true},
      {"read-kernel-sweep", "the same sizes only read, by a 16-byte vector sum kernel, one row per size (GB/s of bytes "
       "read): the ceiling of a read-bound kernel of that size", nullptr, L2Mode::cold, false, true},
      {"cublas-bf16-gemm", "cuBLAS dense bf16 GEMM, fp32 accumulate, 8192^3, random data (TFLOP/s)",
       &C::bf16_tflops, L2Mode::cold, true},
  };
  return table;
}

/// The CPU half of the checks: the generators the GPU checks rely on.
bool generators_self_test(std::string* why) {
  for (std::uint64_t i = 0; i < 100000; ++i) {
    const float v = machine::gemm_value(i, 7);
    if (v == 0.0f || !(v > -1.0f && v < 1.0f) || lab::round_to(lab::DType::bf16, v) != v) {
      *why = fmt::format("gemm_value({}) = {} is zero, out of (-1, 1) or not exact in bf16", i, v);
      return false;
    }
    if (machine::pattern_word(i, 1) == machine::pattern_word(i + 1, 1)) {
      *why = fmt::format("pattern_word({}) equals its neighbour", i);
      return false;
    }
  }
  return true;
}

int print_list(bool json) {
  if (json) {
    lab::Json arr = lab::Json::array();
    for (const auto& m : measurements()) arr.push_back({{"id", m.variant}, {"idea", m.what}});
    std::cout << arr.dump() << "\n";
    return 0;
  }
  for (const auto& m : measurements())
    std::cout << fmt::format("{:<22} {:4} {}\n", m.variant, lab::to_string(m.mode), m.what);
  return 0;
}

#if LABS_GPU
std::optional<double> dispatch(const std::string& v, machine::Context& ctx) {
  if (v == "d2d-copy-hbm") return machine::d2d_copy_hbm(ctx);
  if (v == "d2d-copy-kernel-hbm") return machine::d2d_copy_kernel_hbm(ctx);
  if (v == "d2d-copy-l2") return machine::d2d_copy_l2(ctx);
  if (v == "h2d-pinned") return machine::host_copy(ctx, true, true);
  if (v == "d2h-pinned") return machine::host_copy(ctx, false, true);
  if (v == "h2d-pageable") return machine::host_copy(ctx, true, false);
  if (v == "d2h-pageable") return machine::host_copy(ctx, false, false);
  if (v == "launch-eager") return machine::launch_eager(ctx);
  if (v == "launch-graph-node") return machine::launch_graph_node(ctx);
  if (v == "event-overhead") return machine::event_overhead(ctx);
  if (v == "floor-empty-cold") return machine::floor_empty(ctx, lab::L2Mode::cold);
  if (v == "floor-empty-warm") return machine::floor_empty(ctx, lab::L2Mode::warm);
  if (v == "d2d-copy-sweep") return machine::d2d_copy_sweep(ctx);
  if (v == "d2d-copy-kernel-sweep") return machine::d2d_copy_kernel_sweep(ctx);
  if (v == "read-kernel-sweep") return machine::read_kernel_sweep(ctx);
#if defined(LABS_BACKEND_CUDA)
  if (v == "cublas-bf16-gemm") return machine::cublas_bf16_gemm(ctx);
#endif
  return std::nullopt;
}

std::string gbps_vs_sheet(double gbps, double sheet) {
  if (gbps <= 0) return "not measured";
  return sheet > 0 ? fmt::format("{:8.0f} GB/s ({:.0f}% of the {:.0f} GB/s datasheet)", gbps, 100 * gbps / sheet, sheet)
                   : fmt::format("{:8.0f} GB/s", gbps);
}

void print_ceilings(std::ostream& os, const lab::Ceilings& c, const lab::GpuInfo& gpu) {
  const lab::Datasheet ds = lab::datasheet_for(gpu);
  auto num = [](double v, const char* unit, int prec) {
    return v > 0 ? fmt::format("{:8.{}f} {}", v, prec, unit) : std::string("not measured");
  };
  os << fmt::format("\nCeilings of {} (cc {}, {} SMs, L2 {:.1f} MiB), measured {}:\n", gpu.name, gpu.cc, gpu.sms,
                    static_cast<double>(gpu.l2_bytes) / (1 << 20), c.measured_at.empty() ? "now" : c.measured_at)
     << "  device copy, HBM-sized, cold     " << gbps_vs_sheet(c.copy_gbps, ds.hbm_gbps) << "\n"
     << "  device copy, L2-resident, warm   " << num(c.copy_l2_gbps, "GB/s", 0) << "\n"
     << "  host -> device  pinned/pageable  " << num(c.h2d_pinned_gbps, "GB/s", 1) << " / "
     << num(c.h2d_pageable_gbps, "GB/s", 1) << "\n"
     << "  device -> host  pinned/pageable  " << num(c.d2h_pinned_gbps, "GB/s", 1) << " / "
     << num(c.d2h_pageable_gbps, "GB/s", 1) << "\n"
     << "  launch, eager, per kernel        " << num(c.launch_eager_us, "us", 2) << "\n"
     << "  launch, per graph node           " << num(c.launch_graph_node_us, "us", 2) << "\n"
     << "  event pair overhead              " << num(c.event_overhead_us, "us", 2) << "\n"
     << "  dense bf16 GEMM (cuBLAS)         " << num(c.bf16_tflops, "TFLOP/s", 0)
     << (c.bf16_tflops > 0 && ds.bf16_dense_tflops > 0
             ? fmt::format(" ({:.0f}% of the {:.0f} TFLOP/s datasheet)", 100 * c.bf16_tflops / ds.bf16_dense_tflops,
                           ds.bf16_dense_tflops)
             : "")
     << "\n";
  if (c.copy_gbps > 0 && c.bf16_tflops > 0) {
    const double balance = c.bf16_tflops * 1e12 / (c.copy_gbps * 1e9);
    os << fmt::format(
        "  machine balance (bf16)           {:8.0f} FLOP/byte: a kernel doing fewer FLOPs per byte of HBM traffic\n"
        "                                   is memory-bound here (GELU: ~2; decode GEMV: ~1; 8192^3 GEMM: ~2700)\n",
        balance);
  }
  if (!ds.note.empty()) os << "  datasheet: " << ds.note << "\n";
}

int run_on_gpu(lab::LabSession& session, machine::Sizes sizes, bool l2_given) {
  const lab::CommonOptions& opt = session.options();
  const lab::GpuInfo& gpu = session.gpu();
  if (!l2_given) {  // about L2/6 per buffer: source + destination use a third of the L2
    const std::size_t mib = std::max<long long>(1, gpu.l2_bytes / 6 >> 20);
    sizes.l2_bytes = mib << 20;
  }
  const std::vector<lab::L2Mode> modes = opt.l2_modes();
  std::vector<const Measurement*> selected;
  for (const auto& m : measurements()) {
    const bool wanted = opt.variants.empty() ||
                        std::find(opt.variants.begin(), opt.variants.end(), m.variant) != opt.variants.end();
    if (!wanted) continue;
    if (std::find(modes.begin(), modes.end(), m.mode) == modes.end()) {
      session.note_skip(m.variant, "is defined by --l2 " + lab::to_string(m.mode));
      continue;
    }
    if (m.cuda_only && gpu.backend != "cuda") {
      session.note_skip(m.variant, "needs CUDA (cuBLAS)");
      continue;
    }
    selected.push_back(&m);
  }

  machine::Context ctx{session, sizes};
  for (const Measurement* m : selected)  // progress counts rows: a sweep writes one per size
    ctx.total += m->per_sweep_size ? static_cast<int>(sizes.sweep_bytes.size()) : 1;
  lab::Ceilings measured;
  std::vector<CeilingField> got;
  for (const Measurement* m : selected) {
    if (session.interrupted()) break;
    const std::optional<double> v = dispatch(m->variant, ctx);
    if (v && m->field) {
      measured.*(m->field) = *v;
      got.push_back(m->field);
    }
  }

  if (!opt.check_only && !opt.profile && !got.empty()) {
    lab::Ceilings c = lab::load_ceilings(gpu).value_or(lab::Ceilings{});
    for (auto field : got) c.*field = measured.*field;
    c.source = "lab-00-machine, run " + session.run_id();
    c.measured_at = lab::now_utc_iso();
    std::ostream& os = opt.json ? std::cerr : std::cout;
    print_ceilings(os, c, gpu);
    if (opt.quick) {
      os << "  not cached: --quick sizes are a smoke test, not ceilings\n";
    } else {
      lab::save_ceilings(gpu, c);
      os << "  cached in " << lab::ceilings_cache_path(gpu) << " (every later lab reads it)\n";
    }
  }
  return session.finish();
}
#endif

int run_lab(int argc, char** argv) {
  lab::LabCli cli(kLab,
                 "Machine ceilings: copy bandwidths, launch latency, event overhead, cuBLAS bf16 rate; "
                 "the timing floor and copy-size sweeps");
  machine::Sizes sizes;
  std::size_t hbm_mib = 0, l2_mib = 0, host_mib = 0, sweep_max_mib = 0, sweep_kib = 0;
  int launches = 0, gemm_n = 0, l2_repeats = 0;
  CLI::App& app = cli.app();
  app.add_option("--hbm-mib", hbm_mib, "MiB per buffer of the HBM-sized device copies (default 2048; --quick 256)")
      ->check(lab::positive());
  app.add_option("--l2-mib", l2_mib, "MiB per buffer of the L2-resident copy (default L2/6)")->check(lab::positive());
  app.add_option("--l2-repeats", l2_repeats, "copies per sample of the L2-resident copy (default 32)")
      ->check(lab::positive());
  app.add_option("--host-mib", host_mib, "MiB per host <-> device copy (default 256; --quick 32)")
      ->check(lab::positive());
  app.add_option("--launches", launches, "empty kernels per sample (default 1000; --quick 100)")
      ->check(lab::positive());
  app.add_option("--gemm-n", gemm_n, "m = n = k of the cuBLAS GEMM (default 8192; --quick 2048)")
      ->check(lab::positive());
  CLI::Option* max_opt =
      app.add_option("--sweep-max-mib", sweep_max_mib,
                     "largest buffer of the copy and read sweeps: 256 KiB, 512 KiB, ... doubling up to this many MiB "
                     "(default 1024; --quick 64)")
          ->check(lab::positive());
  // A sweep row's command must rerun that one row: --sweep-kib names its size (sizes start
  // below 1 MiB, hence KiB).
  app.add_option("--sweep-kib", sweep_kib, "run the copy and read sweeps at this one buffer size, in KiB, instead")
      ->check(lab::positive())
      ->excludes(max_opt);
  if (auto rc = cli.parse(argc, argv)) return *rc;
  const lab::CommonOptions& opt = cli.common();

  std::vector<std::string> known;
  for (const auto& m : measurements()) known.push_back(m.variant);
  try {
    cli.require_known_variants(known);
  } catch (const lab::UsageError& e) {
    return cli.usage_error(e.what());
  }
  if (gemm_n > 46340) return cli.usage_error("--gemm-n: at most 46340 (n^2 must fit an int)");
  if (opt.list) return print_list(opt.json);

  const bool quick = opt.quick;
  sizes.hbm_bytes = (hbm_mib ? hbm_mib : (quick ? 256 : 2048)) << 20;
  sizes.l2_bytes = l2_mib << 20;
  sizes.l2_repeats = l2_repeats ? l2_repeats : 32;
  sizes.host_bytes = (host_mib ? host_mib : (quick ? 32 : 256)) << 20;
  sizes.launches = launches ? launches : (quick ? 100 : 1000);
  sizes.gemm_n = gemm_n ? gemm_n : (quick ? 2048 : 8192);
  sizes.sweep_bytes = sweep_kib ? std::vector<std::size_t>{sweep_kib << 10}
                                : machine::sweep_sizes((sweep_max_mib ? sweep_max_mib : (quick ? 64 : 1024)) << 20);

  lab::LabSession session(kLab, opt, argc, argv);
  std::string why;
  const bool ok = generators_self_test(&why);
  session.record_cpu_check("pattern and GEMM operand generators", ok, why);
  if (!session.has_gpu()) return session.finish_without_gpu();
#if LABS_GPU
  return run_on_gpu(session, sizes, l2_mib > 0);
#else
  return session.finish_without_gpu();
#endif
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run_lab(argc, argv);
  } catch (const std::exception& e) {
    lab::print_error(kLab, e.what());
    return 1;
  }
}
