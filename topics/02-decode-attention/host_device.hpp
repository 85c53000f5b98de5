/// @file host_device.hpp
/// DECODE02_HD marks a function that the host (plans, tests) and the kernels both call.
#pragma once

#if defined(__CUDACC__) || defined(__HIPCC__)
#define DECODE02_HD __host__ __device__
#else
#define DECODE02_HD
#endif
