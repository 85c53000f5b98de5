/// @file ceilings.hpp
/// The machine's measured ceilings, cached per GPU model so every lab can report
/// "% of measured copy bandwidth" beside each time. Topic 00 measures them all; any other
/// lab that finds no cache measures the one it needs (device-to-device copy) on the spot
/// and caches it. Cache: $LABS_CACHE_DIR, else $XDG_CACHE_HOME/llm-inference-labs, else
/// ~/.cache/llm-inference-labs; one file ceilings-<gpu-name-slug>.json ("nvidia-h200": GPUs
/// of one model share ceilings; the file records the UUID it was measured on).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "labs/gpu.hpp"
#include "labs/gpuinfo.hpp"

namespace lab {

struct Ceilings {
  double copy_gbps = 0;          ///< D2D copy, HBM-sized, cold: bytes read + written / time
  double copy_l2_gbps = 0;       ///< D2D copy small enough to stay in L2
  double h2d_pinned_gbps = 0, d2h_pinned_gbps = 0;
  double h2d_pageable_gbps = 0, d2h_pageable_gbps = 0;
  double launch_eager_us = 0;    ///< empty kernel, back-to-back launches, per launch
  double launch_graph_node_us = 0;  ///< per node of a graph of empty kernels
  double event_overhead_us = 0;
  double bf16_tflops = 0;        ///< cuBLAS dense bf16 GEMM, 8192^3, random data
  std::string source;            ///< "lab-00" or "quick copy probe"
  std::string measured_at;
  nlohmann::json to_json() const;
  static Ceilings from_json(const nlohmann::json& j);
};

/// Vendor datasheet figures (leads, not ceilings); 0 where the GPU is unknown.
struct Datasheet {
  double hbm_gbps = 0;
  double bf16_dense_tflops = 0;
  std::string note;
};
Datasheet datasheet_for(const GpuInfo& gpu);

std::string ceilings_cache_path(const GpuInfo& gpu);
std::optional<Ceilings> load_ceilings(const GpuInfo& gpu);
void save_ceilings(const GpuInfo& gpu, const Ceilings& c);

#if LABS_GPU
/// Median device-to-device copy bandwidth (read + write bytes / time) for `bytes` per
/// buffer, in the given L2 state.
double measure_copy_gbps(std::size_t bytes, bool cold, bool quick);

/// The cached ceilings, or a quick copy-bandwidth probe (cached) when there are none.
Ceilings ceilings_or_probe(const GpuInfo& gpu);
#endif

}  // namespace lab
