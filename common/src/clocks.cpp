#include "labs/clocks.hpp"

#include <dlfcn.h>

#include <cmath>

namespace lab {
namespace {

// The few NVML entry points used, declared here so no nvml.h is needed at build time.
using nvmlDevice_t = void*;
using FnInit = int (*)();
using FnByIndex = int (*)(unsigned, nvmlDevice_t*);
using FnClock = int (*)(nvmlDevice_t, int, unsigned*);
using FnReasons = int (*)(nvmlDevice_t, unsigned long long*);
using FnTemp = int (*)(nvmlDevice_t, int, unsigned*);
using FnPower = int (*)(nvmlDevice_t, unsigned*);
constexpr int kClockSM = 1, kClockMem = 2, kTempGpu = 0;

struct Nvml {
  bool ok = false;
  FnByIndex by_index = nullptr;
  FnClock clock = nullptr;
  FnReasons reasons = nullptr;
  FnTemp temp = nullptr;
  FnPower power = nullptr;
  Nvml() {
    void* h = dlopen("libnvidia-ml.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (!h) return;
    auto init = reinterpret_cast<FnInit>(dlsym(h, "nvmlInit_v2"));
    by_index = reinterpret_cast<FnByIndex>(dlsym(h, "nvmlDeviceGetHandleByIndex_v2"));
    clock = reinterpret_cast<FnClock>(dlsym(h, "nvmlDeviceGetClockInfo"));
    reasons = reinterpret_cast<FnReasons>(dlsym(h, "nvmlDeviceGetCurrentClocksEventReasons"));
    if (!reasons) reasons = reinterpret_cast<FnReasons>(dlsym(h, "nvmlDeviceGetCurrentClocksThrottleReasons"));
    temp = reinterpret_cast<FnTemp>(dlsym(h, "nvmlDeviceGetTemperature"));
    power = reinterpret_cast<FnPower>(dlsym(h, "nvmlDeviceGetPowerUsage"));
    ok = init && by_index && clock && init() == 0;
  }
};

Nvml& nvml() {
  static Nvml n;
  return n;
}

// nvmlClocksEventReasons bits.
constexpr unsigned long long kIdle = 0x1, kAppSetting = 0x2, kSwPowerCap = 0x4, kHwSlowdown = 0x8,
                             kSyncBoost = 0x10, kSwThermal = 0x20, kHwThermal = 0x40, kHwPowerBrake = 0x80,
                             kDisplayClock = 0x100;

}  // namespace

ClockSample read_clocks(int device) {
  ClockSample s;
  Nvml& n = nvml();
  if (!n.ok) return s;
  nvmlDevice_t d = nullptr;
  if (n.by_index(static_cast<unsigned>(device), &d) != 0) return s;
  unsigned v = 0;
  if (n.clock(d, kClockSM, &v) == 0) s.sm_mhz = static_cast<int>(v);
  if (n.clock(d, kClockMem, &v) == 0) s.mem_mhz = static_cast<int>(v);
  unsigned long long r = 0;
  if (n.reasons && n.reasons(d, &r) == 0) s.reasons = r;
  if (n.temp && n.temp(d, kTempGpu, &v) == 0) s.temp_c = static_cast<int>(v);
  if (n.power && n.power(d, &v) == 0) s.power_w = v / 1000.0;
  s.valid = s.sm_mhz > 0;
  return s;
}

bool throttled(const ClockSample& start, const ClockSample& end) {
  if (!start.valid || !end.valid) return false;
  if (end.sm_mhz < 0.95 * start.sm_mhz) return true;
  return (end.reasons & (kSwThermal | kHwThermal | kHwPowerBrake | kHwSlowdown)) != 0;
}

std::string reasons_text(std::uint64_t r) {
  std::string s;
  auto add = [&](unsigned long long bit, const char* name) {
    if (r & bit) s += (s.empty() ? "" : ",") + std::string(name);
  };
  add(kIdle, "idle");
  add(kAppSetting, "app_clocks");
  add(kSwPowerCap, "sw_power_cap");
  add(kHwSlowdown, "hw_slowdown");
  add(kSyncBoost, "sync_boost");
  add(kSwThermal, "sw_thermal");
  add(kHwThermal, "hw_thermal");
  add(kHwPowerBrake, "hw_power_brake");
  add(kDisplayClock, "display_clock");
  return s.empty() ? "none" : s;
}

nlohmann::json clocks_json(const ClockSample& a, const ClockSample& b) {
  if (!a.valid) return nullptr;
  return {{"sm_mhz_start", a.sm_mhz}, {"sm_mhz_end", b.sm_mhz},        {"mem_mhz", b.mem_mhz},
          {"temp_c_end", b.temp_c},   {"power_w_end", std::round(b.power_w)}, {"reasons_end", reasons_text(b.reasons)}};
}

}  // namespace lab
