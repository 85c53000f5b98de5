/// @file data_hash.hpp
/// Deterministic test data, the same function on host and device: uniform in
/// [-scale, scale) from a hash of (seed, index). Generated on the GPU (a 4 GiB cache takes
/// milliseconds there and minutes on one CPU core), regenerated on the host in the tests.
#pragma once

#include <cstdint>

#include "host_device.hpp"

namespace decode02 {

DECODE02_HD inline float hashed_uniform(std::uint64_t seed, std::uint64_t index, float scale) {
  // splitmix64 of (seed, index); the top 24 bits give u in [0, 1) exactly as a float, and
  // 2u - 1 is exact, so host and device agree bit for bit before rounding to the dtype.
  std::uint64_t z = seed * 0x9E3779B97F4A7C15ull + index + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  const float u = static_cast<float>(z >> 40) * (1.0f / 16777216.0f);
  return (2.0f * u - 1.0f) * scale;
}

/// Seeds and scales of the lab's data. q is 4x wider than K so that scores have a standard
/// deviation of about 4/3 (q.k over 128 dims / sqrt(128)): the running max keeps growing
/// over the first few thousand keys, which is what exposes a missing online-softmax rescale.
inline constexpr std::uint64_t kSeedQ = 11, kSeedK = 22, kSeedV = 33;
inline constexpr float kScaleQ = 4.0f, kScaleK = 1.0f, kScaleV = 1.0f;

}  // namespace decode02
