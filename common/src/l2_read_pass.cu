// One of the harness's two kernels (probe_check.cu has the other): a read-only sweep over the L2 flush buffer (see l2.hpp).
#include "labs/gpu.hpp"
#include "labs/l2.hpp"

#if LABS_GPU
namespace lab {
namespace {

// Reads every 16-byte word; the store is never taken (the buffer holds one byte value
// repeated, never 0xA5A5A5A5 in all four lanes), but it keeps the loads from being removed.
__global__ void read_sweep(const uint4* __restrict__ buf, std::size_t words, unsigned* sink) {
  unsigned acc = 0;
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < words;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const uint4 v = buf[i];
    acc ^= v.x ^ v.y ^ v.z ^ v.w;
  }
  if (acc == 0xA5A5A5A5u && sink) *sink = acc;
}

}  // namespace

void l2_read_pass(const void* buf, std::size_t bytes, cudaStream_t stream) {
  int dev = 0, sms = 0;
  LABS_CHECK(cudaGetDevice(&dev));
  LABS_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
  read_sweep<<<sms * 4, 256, 0, stream>>>(static_cast<const uint4*>(buf), bytes / sizeof(uint4), nullptr);
  LABS_CHECK_LAUNCH();
}

}  // namespace lab
#endif
