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
#include "labs/gpu_sync.cuh"
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

#if defined(LABS_BACKEND_CUDA)
/// The acq_rel ticket (common/labs/gpu_sync.cuh, shared with topic 02): replaces
/// `__threadfence(); atomicAdd(); __threadfence()` (two MEMBAR.SC.GPU).
using lab::ticket_add_acq_rel;

/// v20's arrive: the same contract as splitk_arrive (every thread calls it after storing its
/// partials; true in the last block), with one barrier and one acq_rel atomic instead of two
/// sequentially consistent fences around a relaxed one. The barrier orders every thread's
/// partial stores before thread 0's release (the pattern of CUTLASS's semaphore).
__device__ __forceinline__ bool splitk_arrive_acq_rel(unsigned* ticket, unsigned splits) {
  __shared__ unsigned last;
  __syncthreads();
  if (threadIdx.x == 0) last = ticket_add_acq_rel(ticket) == splits - 1u ? 1u : 0u;
  __syncthreads();  // and every thread's loads below come after thread 0's acquire
  return last != 0;
}

/// v20's finish: splitk_finish's sum in the same order (split 0, 1, ...: the same bits), but
/// four columns per thread as one 16-byte load per split, and up to kInFlight splits' loads
/// issued before the first addition. splitk_finish does one scalar load per split and waits
/// for it (the volatile read), so its tail is `splits` L2 round trips per output in a row.
/// Needs width % 4 == 0 and 16-byte aligned partials.
template <class T>
__device__ __forceinline__ void splitk_finish_in_flight(const float* partials, unsigned* ticket, T* y, int M, int N,
                                                        int col0, int width, int splits, unsigned block) {
  constexpr int kInFlight = 8;
  const float4* base = reinterpret_cast<const float4*>(partials + static_cast<std::size_t>(block) * splits * M * width);
  const int quads = M * width / 4, split_stride = M * width / 4;
  for (int i = threadIdx.x; i < quads; i += blockDim.x) {
    float sum[4] = {0.f, 0.f, 0.f, 0.f};
    for (int s0 = 0; s0 < splits; s0 += kInFlight) {
      float4 v[kInFlight];
#pragma unroll
      for (int b = 0; b < kInFlight; ++b)
        v[b] = s0 + b < splits ? __ldcg(base + static_cast<std::size_t>(s0 + b) * split_stride + i)
                               : make_float4(0.f, 0.f, 0.f, 0.f);
#pragma unroll
      for (int b = 0; b < kInFlight; ++b)
        if (s0 + b < splits) {
          sum[0] += v[b].x;
          sum[1] += v[b].y;
          sum[2] += v[b].z;
          sum[3] += v[b].w;
        }
    }
    const int m = 4 * i / width, c = 4 * i % width;
#pragma unroll
    for (int e = 0; e < 4; ++e)
      if (col0 + c + e < N) y[static_cast<std::size_t>(m) * N + col0 + c + e] = from_f32<T>(sum[e]);
  }
  if (threadIdx.x == 0) *ticket = 0u;
}
#endif

/// The workspace of one planned split: fp32 partials for `blocks` column blocks x `splits` x
/// M x `width` columns (the layout above), and `counters` zeroed counters per column block
/// (the ticket; v44 adds its published count at tickets + blocks). The partials start as NaN.
/// Empty (null pointers) when splits == 1. Built by a version's prepare step, never in the timed region; copies share the
/// buffers, so the step lambda can own it.
struct SplitKWorkspace {
  std::shared_ptr<lab::DeviceBytes> partials_buf, tickets_buf;
  SplitKWorkspace(int blocks, int splits, int M, int width, int counters = 1) {
    if (splits <= 1) return;
    partials_buf = std::make_shared<lab::DeviceBytes>(sizeof(float) * static_cast<std::size_t>(blocks) * splits *
                                                      M * width);
    // NaN until written: a sum that reads a partial before its block stored it (a missing
    // barrier, ticket or, in v48, grid dependency) writes NaN on the first launch, and the
    // tests' check fails instead of passing on whatever the allocation happened to hold.
    LABS_CHECK(cudaMemset(partials_buf->get(), 0xFF, partials_buf->bytes()));
    tickets_buf = std::make_shared<lab::DeviceBytes>(sizeof(unsigned) * static_cast<std::size_t>(blocks) * counters);
    LABS_CHECK(cudaMemset(tickets_buf->get(), 0, tickets_buf->bytes()));
  }
  float* partials() const { return partials_buf ? partials_buf->as<float>() : nullptr; }
  unsigned* tickets() const { return tickets_buf ? tickets_buf->as<unsigned>() : nullptr; }
};

}  // namespace w4a16
#endif
