#include "labs/gpuinfo.hpp"

#include <cstdio>

#include "labs/gpu.hpp"

namespace lab {

nlohmann::json GpuInfo::to_json() const {
  return {{"name", name},           {"uuid", uuid},       {"cc", cc},
          {"sms", sms},             {"l2_bytes", l2_bytes}, {"mem_bytes", mem_bytes},
          {"driver", driver},       {"runtime", runtime}, {"sm_clock_max_mhz", sm_clock_max_mhz},
          {"mem_clock_max_mhz", mem_clock_max_mhz}, {"mem_bus_bits", mem_bus_bits},
          {"warp_size", warp_size}, {"backend", backend}};
}

bool gpu_available(std::string* why) {
#if LABS_GPU
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess || n == 0) {
    (void)cudaGetLastError();  // clear the sticky "no device" error for later calls
    if (why) *why = std::string("no GPU answered (") + (e != cudaSuccess ? cudaGetErrorString(e) : "0 devices") + ")";
    return false;
  }
  return true;
#else
  if (why) *why = "this build has no GPU backend (cpu preset); build the cuda or hip preset to time kernels";
  return false;
#endif
}

GpuInfo query_gpu(int device) {
  GpuInfo g;
#if LABS_GPU
  cudaDeviceProp p{};
  LABS_CHECK(cudaGetDeviceProperties(&p, device));
  g.name = p.name;
  g.cc_major = p.major;
  g.cc_minor = p.minor;
  g.cc = std::to_string(p.major) + "." + std::to_string(p.minor);
  g.sms = p.multiProcessorCount;
  g.l2_bytes = p.l2CacheSize;
  g.mem_bytes = static_cast<long long>(p.totalGlobalMem);
  g.mem_bus_bits = p.memoryBusWidth;
  g.warp_size = p.warpSize;
  int clk = 0, mclk = 0;
  if (cudaDeviceGetAttribute(&clk, cudaDevAttrClockRate, device) == cudaSuccess) g.sm_clock_max_mhz = clk / 1000;
  if (cudaDeviceGetAttribute(&mclk, cudaDevAttrMemoryClockRate, device) == cudaSuccess) g.mem_clock_max_mhz = mclk / 1000;
  (void)cudaGetLastError();
  LABS_CHECK(cudaDriverGetVersion(&g.driver));
  LABS_CHECK(cudaRuntimeGetVersion(&g.runtime));
#if defined(LABS_BACKEND_CUDA)
  g.backend = "cuda";
  char buf[64];
  const unsigned char* u = reinterpret_cast<const unsigned char*>(p.uuid.bytes);
  std::snprintf(buf, sizeof buf, "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
                u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
  g.uuid = buf;
#else
  g.backend = "hip";
  g.uuid = std::string(p.name) + "-" + std::to_string(p.pciBusID);
#endif
#else
  (void)device;
#endif
  return g;
}

}  // namespace lab
