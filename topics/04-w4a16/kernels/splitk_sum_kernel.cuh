/// @file splitk_sum_kernel.cuh
/// v48's, v49's and v52's split-K sum as its own kernel: the main kernel's blocks store their fp32 partials and
/// leave (no ticket, no last block), and this kernel, launched right behind it in the same
/// stream with programmatic dependent launch (common/labs/pdl.cuh), adds them. One block per
/// column block; the sum is splitk_finish_in_flight's (split 0, 1, ... in order, four columns
/// per thread, up to 8 splits' loads in flight), so the output is bitwise that of the kernels
/// that sum in their last block (v37, v46). v52 waits per column block on a counter instead of
/// for the whole grid. NVIDIA only (the overlap needs sm_90; below it the
/// two kernels run one after the other).
#pragma once

#include "kernels/splitk.cuh"
#include "labs/gpu_sync.cuh"
#include "labs/pdl.cuh"

#if LABS_GPU && defined(LABS_BACKEND_CUDA)
namespace w4a16 {

/// Grid: one block per column block of `width` columns, at most kMaxThreads threads (v48: 256,
/// v49, v52: 512). partials: the SplitKWorkspace layout.
/// kPolled false (v48, v49): every block waits for the main grid's end (griddepcontrol.wait).
/// kPolled true (v52): block b waits only for its own column block: thread 0 polls
/// published[b] with acquire loads until all `splits` blocks of it have released their
/// partial (the main kernel's red.release add after a barrier), then the block adds, and thread
/// 0 sets the count back to 0 for the next launch. Its blocks are scheduled, by PDL, once every
/// main block has started, so none of them can hold a slot a main block still needs.
template <class T, int kMaxThreads, bool kPolled = false>
__global__ void __launch_bounds__(kMaxThreads)
    splitk_sum_kernel(const float* __restrict__ partials, unsigned* published, T* __restrict__ y, int M, int N,
                      int width, int splits) {
  if constexpr (kPolled) {
    if (threadIdx.x == 0)
      while (lab::load_acquire_gpu(&published[blockIdx.x]) < static_cast<unsigned>(splits)) {
      }
    __syncthreads();  // thread 0's acquire, for every thread's loads of the partials
    splitk_finish_in_flight(partials, &published[blockIdx.x], y, M, N, static_cast<int>(blockIdx.x) * width, width,
                            splits, blockIdx.x);  // its last act: published[b] = 0
  } else {
    // splitk_finish_in_flight resets the ticket it is handed (its callers are the last block of a
    // ticketed split); this path takes no ticket, so it hands it a word of its own shared memory.
    // Reusing the function unchanged keeps the measured kernels' code (and cubins) as they were.
    __shared__ unsigned no_ticket;
    lab::pdl_wait_for_primary();  // the main grid has ended and its partials are visible
    splitk_finish_in_flight(partials, &no_ticket, y, M, N, static_cast<int>(blockIdx.x) * width, width, splits,
                            blockIdx.x);
  }
}

/// Launches splitk_sum_kernel behind the main kernel already in `stream`, allowed to start
/// before that kernel ends (its blocks wait inside for the end). Each thread adds four columns
/// of one row (a quad) per pass, so a block of `threads` threads makes ceil(M * width / 4 /
/// threads) dependent passes, each one L2 round trip: v48's 256 threads make two above M = 8
/// (width 128), v49's 512 make one.
/// `published`: v52's counters (kPolled), unused otherwise.
template <class T, int kMaxThreads, bool kPolled = false>
void launch_splitk_sum_kernel(const float* partials, unsigned* published, T* y, int M, int N, int width, int splits,
                              int col_blocks, int threads, cudaStream_t stream) {
  LABS_CHECK(lab::launch_with_pdl(splitk_sum_kernel<T, kMaxThreads, kPolled>, dim3(static_cast<unsigned>(col_blocks)),
                                  dim3(static_cast<unsigned>(threads)), 0, stream, /*pdl=*/true, partials, published, y,
                                  M, N, width, splits));
  LABS_CHECK_LAUNCH();
}

}  // namespace w4a16
#endif
