/// @file gpuinfo.hpp
/// What the journal records about the GPU, and whether there is one at all.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace lab {

struct GpuInfo {
  std::string name;         ///< "NVIDIA H200"
  std::string uuid;         ///< stable per physical GPU: the ceilings cache key
  std::string cc;           ///< "9.0"
  int cc_major = 0, cc_minor = 0;
  int sms = 0;
  long long l2_bytes = 0;
  long long mem_bytes = 0;
  int driver = 0, runtime = 0;   ///< CUDA versions as integers (13000 = 13.0)
  int sm_clock_max_mhz = 0;
  int mem_clock_max_mhz = 0;
  int mem_bus_bits = 0;
  int warp_size = 0;
  std::string backend;      ///< "cuda" | "hip"

  nlohmann::json to_json() const;
};

/// True when a GPU backend is compiled in and a device answers; otherwise false and
/// `why` says which of the two is missing, in words a learner can act on.
bool gpu_available(std::string* why = nullptr);

/// Properties of the current device. Requires gpu_available().
GpuInfo query_gpu(int device = 0);

}  // namespace lab
