/// @file sweep_sizes.hpp
/// The buffer sizes of topic 00's copy sweeps (d2d-copy-sweep, d2d-copy-kernel-sweep), on the
/// host only: the lab counts its progress lines with them, the CPU tests check them.
/// Powers of two, because "twice the bytes, how much more time?" is the question the sweep
/// answers; from 256 KiB, where a copy is almost all fixed cost, up to a cap (1 GiB by
/// default), where it is almost all bandwidth.
#pragma once

#include <cstddef>
#include <vector>

namespace machine {

inline constexpr std::size_t kSweepMinBytes = std::size_t{256} << 10;  ///< the smallest buffer: 256 KiB

/// 256 KiB, 512 KiB, 1 MiB, ... doubling while the size is <= max_bytes (a cap that is not a
/// power of two is not itself a size). Empty when max_bytes < 256 KiB.
inline std::vector<std::size_t> sweep_sizes(std::size_t max_bytes) {
  std::vector<std::size_t> sizes;
  for (std::size_t b = kSweepMinBytes; b <= max_bytes; b *= 2) {
    sizes.push_back(b);
    if (b > max_bytes / 2) break;  // the next doubling would pass the cap (or overflow)
  }
  return sizes;
}

}  // namespace machine
