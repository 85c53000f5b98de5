/// @file l2.hpp
/// Makes the L2 cold: resets persisting lines (cudaCtxResetPersistingL2Cache), writes a
/// buffer of 2x the L2 size, so no line of the previous sample's data survives, then reads
/// that buffer back, so the L2 is left holding clean lines. Without the read pass the timed
/// kernel starts by writing back up to one L2 of dirty flush data (tens of MB: ~10 us on an
/// H200), which would be charged to a 20 us GEMV. "Cold" here means: the inputs are not in
/// L2 and the L2 owes nothing to memory.
#pragma once

#include <cstddef>

#include "labs/gpu.hpp"

namespace lab {

#if LABS_GPU
/// A read-only sweep over `bytes` of device memory (one kernel launch).
void l2_read_pass(const void* buf, std::size_t bytes, cudaStream_t stream);

class L2Flusher {
 public:
  explicit L2Flusher(std::size_t l2_bytes);
  ~L2Flusher();
  L2Flusher(const L2Flusher&) = delete;
  L2Flusher& operator=(const L2Flusher&) = delete;
  void flush(cudaStream_t stream);
  std::size_t bytes() const { return bytes_; }

 private:
  void* buf_ = nullptr;
  std::size_t bytes_ = 0;
  unsigned char value_ = 0;
};
#endif

}  // namespace lab
