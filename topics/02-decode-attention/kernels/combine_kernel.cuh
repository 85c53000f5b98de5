/// @file combine_kernel.cuh
/// v24's (and v25's) split combine as its own kernel (exercise 4 of the README, built): the streaming kernel
/// only stores every split's partial, and this kernel, launched right behind it in the same
/// stream with programmatic dependent launch (common/labs/pdl.cuh), merges them with v13's
/// combine_warp_per_head. One block of 4 warps per (sequence, KV head), warp h for head h: the
/// same loads, the same order of additions and the same division as v13's last block, so the
/// output is v13's bit for bit. In v24 there is no ticket, no fence and no counter to reset: the
/// primary grid's end (griddepcontrol.wait) is the barrier. In v25 each block waits instead for
/// its own pair's count, released by the streaming blocks. NVIDIA only (sm_90 for the overlap;
/// below it the two kernels simply run one after the other).
#pragma once

#include "kernels/split_tail.cuh"
#include "labs/gpu_sync.cuh"
#include "labs/pdl.cuh"

#if LABS_GPU && defined(LABS_BACKEND_CUDA)
namespace decode02 {

/// Grid (Hkv, B), kThreads threads: block (kvh, b) writes out[b, kvh * G .. kvh * G + G - 1, :].
/// kPolled false (v24): waits for the streaming grid's end (griddepcontrol.wait). kPolled true
/// (v25): waits only for its own pair: thread 0 polls sp.counters[pair] with acquire loads until
/// every split block has released its partial, and sets it back to 0 after the combine. Its blocks
/// are scheduled once every streaming block has started (PDL), so a poller never holds a slot a
/// streaming block still needs.
template <class T, bool kPolled = false>
__global__ void __launch_bounds__(kThreads) combine_kernel(T* __restrict__ out, int Hq, SplitArgs sp) {
  static_assert(kThreads / 32 == kGqaGroup && kHeadDim == 32 * 4, "one warp per head, 4 dims per lane");
  const int kvh = blockIdx.x, b = blockIdx.y, warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const size_t bh = static_cast<size_t>(b) * gridDim.x + kvh;
  if constexpr (kPolled) {
    if (threadIdx.x == 0)
      while (lab::load_acquire_gpu(sp.counters + bh) < static_cast<unsigned>(sp.splits)) {
      }
    __syncthreads();  // thread 0's acquire, for every thread's loads of the partials
  } else {
    lab::pdl_wait_for_primary();  // the streaming grid has ended and its partials are visible
  }
  float l_all;
  float4 acc;
  combine_warp_per_head(sp, bh, warp, lane, l_all, acc);
  store_combined(out + (static_cast<size_t>(b) * Hq + kvh * kGqaGroup + warp) * kHeadDim + lane * 4, acc, l_all,
                 sp.counters + bh, kPolled && threadIdx.x == 0);  // v25: the count, ready for the next launch
}

/// Launches combine_kernel behind the streaming kernel already in `stream`; with `pdl` (v24) it
/// may start before that kernel ends (its blocks wait inside for the end), without it
/// (probe-v24-no-pdl) it is an ordinary launch that starts after the end: the gap PDL hides.
template <class T, bool kPolled = false>
void launch_combine_kernel(T* out, int B, int Hq, int Hkv, const SplitArgs& sp, bool pdl, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>(Hkv), static_cast<unsigned>(B));
  LABS_CHECK(lab::launch_with_pdl(combine_kernel<T, kPolled>, grid, dim3(kThreads), 0, stream, pdl, out, Hq, sp));
  LABS_CHECK_LAUNCH();
}

}  // namespace decode02
#endif
