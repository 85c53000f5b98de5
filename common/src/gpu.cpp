#include "labs/gpu.hpp"

#include <string>

namespace lab {

void gpu_fail(const char* call, const char* file, int line, const char* what) {
  throw GpuError(std::string(file) + ":" + std::to_string(line) + ": " + call + " failed: " + what);
}

}  // namespace lab
