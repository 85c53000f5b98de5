/// @file pattern.hpp
/// Data that makes topic 00's measurements checkable, computable on host and device alike:
///  - pattern_word(i): a 32-bit hash of the word index, so a copy that is short, shifted,
///    stale or partial is caught by recomputing the expected value (no second buffer).
///  - gemm_value(i): a GEMM operand that bf16 holds exactly (odd k / 128, never zero), so an
///    fp64 dot product on the CPU is the exact answer and the only rounding left to judge is
///    cuBLAS's fp32 accumulation and its bf16 output.
#pragma once

#include <cstdint>

#if defined(__CUDACC__) || defined(__HIPCC__)
#define MACHINE_HOST_DEVICE __host__ __device__
#else
#define MACHINE_HOST_DEVICE
#endif

namespace machine {

/// splitmix64's finaliser over (index, seed); the upper 32 bits. Neighbouring words differ.
MACHINE_HOST_DEVICE inline std::uint32_t pattern_word(std::uint64_t i, std::uint32_t seed) {
  std::uint64_t z = i + 0x9E3779B97F4A7C15ull * (static_cast<std::uint64_t>(seed) + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return static_cast<std::uint32_t>((z ^ (z >> 31)) >> 32);
}

/// An odd integer in [-127, 127] divided by 128: 7 significant bits fit bf16's 8, so the
/// value is exact in bf16; never zero (a GEMM on zeros draws less power and runs faster
/// than on real data, which would inflate the "ceiling").
MACHINE_HOST_DEVICE inline float gemm_value(std::uint64_t i, std::uint32_t seed) {
  const int odd = 2 * static_cast<int>(pattern_word(i, seed) & 127u) - 127;
  return static_cast<float>(odd) * (1.0f / 128.0f);
}

}  // namespace machine
