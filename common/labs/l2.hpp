/// @file l2.hpp
/// Makes the L2 cold: resets persisting lines (cudaCtxResetPersistingL2Cache) and then
/// writes a buffer of 2x the L2 size, so no line of the previous sample's data survives.
#pragma once

#include <cstddef>

#include "labs/gpu.hpp"

namespace lab {

#if LABS_GPU
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
