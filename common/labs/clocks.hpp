/// @file clocks.hpp
/// SM and memory clocks through NVML, loaded at run time (dlopen) so that builds and CI
/// need no NVML library. Read at the start and end of each timed case: a drop in SM clock
/// or a thermal/power/hardware slowdown reason marks the row `throttled`.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace lab {

struct ClockSample {
  bool valid = false;       ///< false when NVML is absent (HIP, CI, containers without it)
  int sm_mhz = 0;
  int mem_mhz = 0;
  std::uint64_t reasons = 0;  ///< nvmlClocksEventReasons bitmask
  int temp_c = 0;
  double power_w = 0;
};

ClockSample read_clocks(int device = 0);

/// Throttled if the SM clock fell by more than 5% between the samples, or if the end
/// sample reports a thermal, power-brake or hardware slowdown (a plain power cap alone
/// is reported in `reasons` but is how a memory-bound H100/H200 normally runs).
bool throttled(const ClockSample& start, const ClockSample& end);

/// Names of the set bits in an NVML reasons mask, e.g. "sw_power_cap,hw_slowdown".
std::string reasons_text(std::uint64_t reasons);

nlohmann::json clocks_json(const ClockSample& start, const ClockSample& end);

}  // namespace lab
