#include "labs/registry.hpp"

#include <cctype>

namespace lab {

bool runnable_on(const VersionInfo& v, const GpuInfo& gpu, std::string* why) {
  if (v.cuda_only && gpu.backend != "cuda") {
    if (why) *why = "needs an NVIDIA GPU (CUDA-only feature)";
    return false;
  }
  const int cc = gpu.cc_major * 10 + gpu.cc_minor;
  if (v.min_cc > 0 && gpu.backend == "cuda" && cc < v.min_cc) {
    if (why) *why = "needs compute capability " + std::to_string(v.min_cc / 10) + "." + std::to_string(v.min_cc % 10) +
                    " (this GPU has " + gpu.cc + ")";
    return false;
  }
  return true;
}

bool version_less(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
      std::size_t i2 = i, j2 = j;
      unsigned long long x = 0, y = 0;
      while (i2 < a.size() && std::isdigit(static_cast<unsigned char>(a[i2]))) x = x * 10 + (a[i2++] - '0');
      while (j2 < b.size() && std::isdigit(static_cast<unsigned char>(b[j2]))) y = y * 10 + (b[j2++] - '0');
      if (x != y) return x < y;
      i = i2, j = j2;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i, ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

}  // namespace lab
