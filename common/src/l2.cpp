#include "labs/l2.hpp"

namespace lab {

#if LABS_GPU
L2Flusher::L2Flusher(std::size_t l2_bytes) : bytes_(2 * (l2_bytes > 0 ? l2_bytes : (64u << 20))) {
  LABS_CHECK(cudaMalloc(&buf_, bytes_));
}

L2Flusher::~L2Flusher() {
  if (buf_) (void)cudaFree(buf_);
}

void L2Flusher::flush(cudaStream_t stream) {
  LABS_CHECK(cudaCtxResetPersistingL2Cache());
  // A different value each time so no write can be elided as redundant.
  value_ = static_cast<unsigned char>(value_ + 1);
  LABS_CHECK(cudaMemsetAsync(buf_, value_, bytes_, stream));
  l2_read_pass(buf_, bytes_, stream);
}
#endif

}  // namespace lab
