#include "labs/ceilings.hpp"

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "labs/journal.hpp"
#include "labs/timing.hpp"

namespace lab {

nlohmann::json Ceilings::to_json() const {
  return {{"copy_gbps", copy_gbps},
          {"copy_l2_gbps", copy_l2_gbps},
          {"h2d_pinned_gbps", h2d_pinned_gbps},
          {"d2h_pinned_gbps", d2h_pinned_gbps},
          {"h2d_pageable_gbps", h2d_pageable_gbps},
          {"d2h_pageable_gbps", d2h_pageable_gbps},
          {"launch_eager_us", launch_eager_us},
          {"launch_graph_node_us", launch_graph_node_us},
          {"event_overhead_us", event_overhead_us},
          {"bf16_tflops", bf16_tflops},
          {"source", source},
          {"measured_at", measured_at}};
}

Ceilings Ceilings::from_json(const nlohmann::json& j) {
  Ceilings c;
  auto num = [&](const char* k) { return j.contains(k) && j[k].is_number() ? j[k].get<double>() : 0.0; };
  c.copy_gbps = num("copy_gbps");
  c.copy_l2_gbps = num("copy_l2_gbps");
  c.h2d_pinned_gbps = num("h2d_pinned_gbps");
  c.d2h_pinned_gbps = num("d2h_pinned_gbps");
  c.h2d_pageable_gbps = num("h2d_pageable_gbps");
  c.d2h_pageable_gbps = num("d2h_pageable_gbps");
  c.launch_eager_us = num("launch_eager_us");
  c.launch_graph_node_us = num("launch_graph_node_us");
  c.event_overhead_us = num("event_overhead_us");
  c.bf16_tflops = num("bf16_tflops");
  c.source = j.value("source", "");
  c.measured_at = j.value("measured_at", "");
  return c;
}

Datasheet datasheet_for(const GpuInfo& gpu) {
  const std::string& n = gpu.name;
  auto has = [&](const char* s) { return n.find(s) != std::string::npos; };
  if (has("H200")) return {4800, 989, "NVIDIA H200 SXM datasheet: 4.8 TB/s HBM3e, 989 TFLOP/s dense bf16"};
  if (has("H100") && (has("SXM") || has("HBM3"))) return {3350, 989, "NVIDIA H100 SXM datasheet"};
  if (has("H100")) return {2000, 756, "NVIDIA H100 PCIe datasheet"};
  if (has("A100") && has("80GB")) return {2039, 312, "NVIDIA A100 80GB SXM datasheet"};
  if (has("A100")) return {1555, 312, "NVIDIA A100 40GB datasheet"};
  if (has("4090")) return {1008, 165, "GeForce RTX 4090 spec (dense bf16 with fp32 accumulate)"};
  return {};
}

static std::string slug(const std::string& s) {
  std::string out;
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (std::isalnum(c)) out += static_cast<char>(std::tolower(c));
    else if (!out.empty() && out.back() != '-') out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "unknown-gpu" : out;
}

static std::filesystem::path cache_dir() {
  if (const char* d = std::getenv("LABS_CACHE_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::filesystem::path(x) / "llm-inference-labs";
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home && *home ? home : "/tmp") / ".cache" / "llm-inference-labs";
}

std::string ceilings_cache_path(const GpuInfo& gpu) {
  return (cache_dir() / ("ceilings-" + slug(gpu.name) + ".json")).string();
}

std::optional<Ceilings> load_ceilings(const GpuInfo& gpu) {
  std::ifstream f(ceilings_cache_path(gpu));
  if (!f) return std::nullopt;
  try {
    nlohmann::json j = nlohmann::json::parse(f);
    Ceilings c = Ceilings::from_json(j);
    if (c.copy_gbps <= 0) return std::nullopt;
    return c;
  } catch (const std::exception&) {
    return std::nullopt;  // a corrupt cache is re-measured, not trusted
  }
}

void save_ceilings(const GpuInfo& gpu, const Ceilings& c) {
  const std::filesystem::path p = ceilings_cache_path(gpu);
  std::filesystem::create_directories(p.parent_path());
  nlohmann::json j = c.to_json();
  j["gpu"] = gpu.to_json();
  const std::filesystem::path tmp = p.string() + ".tmp";
  {
    std::ofstream f(tmp);
    f << j.dump(2) << "\n";
    if (!f) throw std::runtime_error("cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, p);  // readers never see a half-written cache
}

#if LABS_GPU
double measure_copy_gbps(std::size_t bytes, bool cold, bool quick) {
  void* src = nullptr;
  void* dst = nullptr;
  LABS_CHECK(cudaMalloc(&src, bytes));
  LABS_CHECK(cudaMalloc(&dst, bytes));
  LABS_CHECK(cudaMemset(src, 0x3C, bytes));
  cudaStream_t s = nullptr;
  LABS_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  const L2Mode mode = cold ? L2Mode::cold : L2Mode::warm;
  TimingOptions opt = quick ? TimingOptions::quick(mode) : TimingOptions{};
  opt.l2 = mode;
  const TimingResult t = time_gpu(
      [&](cudaStream_t st) { LABS_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, st)); }, opt, s);
  LABS_CHECK(cudaStreamDestroy(s));
  LABS_CHECK(cudaFree(src));
  LABS_CHECK(cudaFree(dst));
  return 2.0 * static_cast<double>(bytes) / (t.ms.median * 1e-3) / 1e9;  // read + write
}

Ceilings ceilings_or_probe(const GpuInfo& gpu) {
  if (auto c = load_ceilings(gpu)) return *c;
  Ceilings c;
  c.copy_gbps = measure_copy_gbps(std::size_t{1} << 30, /*cold=*/true, /*quick=*/false);
  c.source = "quick copy probe (run lab-00-machine for all ceilings)";
  c.measured_at = now_utc_iso();
  save_ceilings(gpu, c);
  return c;
}
#endif

}  // namespace lab
