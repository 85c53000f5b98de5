/// @file probe_check.hpp
/// The check of a probe: a version's kernel with its arithmetic cut out (topic 04's
/// probe-v26-loads, topic 02's probe-v13-loads), which computes no output an oracle could
/// judge. Such a probe adds every 32-bit word it read (wrapping) into per-block or per-warp
/// slots; its check compares the slots' total with a sum of the bytes it should have read,
/// made by a separate, plain grid-stride kernel here. A skipped, doubled or stale 16-byte load
/// changes the total; a slot the probe never wrote keeps the poison (0xFF bytes).
#pragma once

#include <cstddef>
#include <cstdint>

#include "labs/check.hpp"
#include "labs/device_buffer.hpp"
#include "labs/gpu.hpp"

namespace lab {

#if LABS_GPU
/// Sum (mod 2^32) of the 32-bit words of `runs` byte ranges [base + i * stride_bytes,
/// + run_bytes), i < runs: e.g. the live keys of every (sequence, head) of a cache whose
/// allocated length is longer. run_bytes must be a multiple of 4. Synchronises `stream`.
std::uint32_t device_word_sum(const void* base, std::size_t runs, std::size_t run_bytes, std::size_t stride_bytes,
                              cudaStream_t stream);

/// One contiguous range: device_word_sum(p, 1, bytes, bytes, stream).
inline std::uint32_t device_word_sum(const void* p, std::size_t bytes, cudaStream_t stream) {
  return device_word_sum(p, 1, bytes, bytes, stream);
}

/// The probe's slots (`slots`, 32-bit words) summed on the host against `expected`: passes on
/// exact equality. Synchronises `stream`.
CheckResult compare_word_sums(const DeviceBytes& slots, std::uint32_t expected, cudaStream_t stream);
#endif

}  // namespace lab
