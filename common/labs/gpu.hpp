/// @file gpu.hpp
/// Single-source CUDA/HIP. Kernels are written once in CUDA spelling; on HIP builds
/// `hip_vendor.hpp` maps the runtime API, warp intrinsics and types (the llama.cpp
/// `vendors/hip.h` pattern). Every runtime call goes through LABS_CHECK, and every launch
/// is followed by LABS_CHECK_LAUNCH(), so a failure names its file, line and call.
///
/// LABS_GPU is 1 when a GPU backend is compiled in (cuda or hip preset) and 0 in the cpu
/// preset, where only references, the harness and the CPU tests are built.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#if defined(LABS_BACKEND_HIP)
#include "labs/hip_vendor.hpp"
#define LABS_GPU 1
#elif defined(LABS_BACKEND_CUDA)
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#define LABS_GPU 1
#else
#define LABS_GPU 0
#endif

namespace lab {

/// Thrown by LABS_CHECK: the message names the call, the file and the line.
struct GpuError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void gpu_fail(const char* call, const char* file, int line, const char* what);

#if LABS_GPU
/// The physical warp (wavefront) width. Never write a bare 32 where a wavefront could be 64.
#if defined(LABS_BACKEND_HIP)
#if defined(__AMDGCN_WAVEFRONT_SIZE)
inline constexpr int kWarpSize = __AMDGCN_WAVEFRONT_SIZE;
#else
inline constexpr int kWarpSize = 64;  // host pass: gfx9 (CDNA) wavefronts are 64 wide
#endif
#else
inline constexpr int kWarpSize = 32;
#endif

using bf16 = __nv_bfloat16;
using f16 = __half;
#endif

}  // namespace lab

#if LABS_GPU
#define LABS_CHECK(call)                                                      \
  do {                                                                        \
    const cudaError_t labs_err_ = (call);                                     \
    if (labs_err_ != cudaSuccess)                                             \
      ::lab::gpu_fail(#call, __FILE__, __LINE__, cudaGetErrorString(labs_err_)); \
  } while (0)

/// After every kernel launch: catches bad launch configurations at the launch site.
#define LABS_CHECK_LAUNCH() LABS_CHECK(cudaGetLastError())
#endif
