/// @file splitk.cuh
/// Deterministic split-K: every block of a column block writes its fp32 partial sums to a
/// workspace, and the LAST block to finish (found with one atomic ticket per column block)
/// adds the S partials in split order 0, 1, ..., S-1 and writes the output. Which block is
/// last changes from run to run; the order of the additions never does, so the result is
/// bitwise identical across runs (unlike atomicAdd of floats into the output). No second
/// kernel launch, and the ticket is reset by the block that used it, ready for the next call.
///
/// Workspace layout: partials[((column_block * S + split) * M + m) * width + column].
#pragma once

#include <memory>

#include "kernels/device_common.cuh"
#include "labs/device_buffer.hpp"

#if LABS_GPU
namespace w4a16 {

/// Call after this block stored its partials (every thread). True in the last block.
__device__ __forceinline__ bool splitk_arrive(unsigned* ticket, unsigned splits) {
  __shared__ unsigned last;
  __threadfence();  // this block's partials are visible device-wide before the ticket moves
  __syncthreads();
  if (threadIdx.x == 0) last = (atomicAdd(ticket, 1u) == splits - 1u) ? 1u : 0u;
  __syncthreads();
  if (last) __threadfence();  // and the others' partials are seen after it
  return last != 0;
}

/// In the last block: y[m][col0 + c] = sum over splits, in order, for c < width, m < M.
template <class T>
__device__ __forceinline__ void splitk_finish(const float* partials, unsigned* ticket, T* y, int M, int N, int col0,
                                              int width, int splits, unsigned block) {
  const float* base = partials + static_cast<std::size_t>(block) * splits * M * width;
  for (int i = threadIdx.x; i < M * width; i += blockDim.x) {
    const int m = i / width, c = i % width;
    if (col0 + c >= N) continue;
    float sum = 0.0f;
    for (int s = 0; s < splits; ++s) sum += load_coherent(base + static_cast<std::size_t>(s) * M * width + i);
    y[static_cast<std::size_t>(m) * N + col0 + c] = from_f32<T>(sum);
  }
  if (threadIdx.x == 0) *ticket = 0u;
}

/// The workspace of one planned split: fp32 partials for `blocks` column blocks x `splits` x
/// M x `width` columns (the layout above), and one zeroed ticket per column block. Empty (null
/// pointers) when splits == 1. Built by a version's prepare step, never in the timed region;
/// copies share the buffers, so the step lambda can own it.
struct SplitKWorkspace {
  std::shared_ptr<lab::DeviceBytes> partials_buf, tickets_buf;
  SplitKWorkspace(int blocks, int splits, int M, int width) {
    if (splits <= 1) return;
    partials_buf = std::make_shared<lab::DeviceBytes>(sizeof(float) * static_cast<std::size_t>(blocks) * splits *
                                                      M * width);
    tickets_buf = std::make_shared<lab::DeviceBytes>(sizeof(unsigned) * static_cast<std::size_t>(blocks));
    LABS_CHECK(cudaMemset(tickets_buf->get(), 0, tickets_buf->bytes()));
  }
  float* partials() const { return partials_buf ? partials_buf->as<float>() : nullptr; }
  unsigned* tickets() const { return tickets_buf ? tickets_buf->as<unsigned>() : nullptr; }
};

}  // namespace w4a16
#endif
