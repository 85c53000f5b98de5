// main() for GPU doctest binaries: exits 77 (ctest's skip code) when no GPU answers, so a
// machine without one reports these tests as skipped, never as passed.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "labs/gpuinfo.hpp"

int main(int argc, char** argv) {
  std::string why;
  if (!lab::gpu_available(&why)) {
    std::printf("SKIP: GPU tests need a GPU: %s\n", why.c_str());
    return 77;
  }
  doctest::Context ctx(argc, argv);
  return ctx.run();
}
