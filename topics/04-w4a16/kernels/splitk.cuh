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

#include "kernels/device_common.cuh"

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

}  // namespace w4a16
#endif
