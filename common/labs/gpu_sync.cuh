/// @file gpu_sync.cuh
/// GPU-scope signalling between blocks of one grid, for the split reductions of topics 02 and 04.
/// The acq_rel ticket elects a last block (topic 02's split tail from v9, kernels/split_tail.cuh;
/// topic 04's split-K and stream-K tails from v20, kernels/splitk.cuh). For the "designated
/// finisher" tails (topic 02's v22, topic 04's v44) a block that finishes its share either
/// leaves after one fire-and-forget release add, or waits for that count with acquire loads and
/// then reduces. NVIDIA only (inline PTX, sm_70+); the HIP build has no caller.
///
/// Why these two and not `__threadfence(); atomicAdd(); __threadfence()`: a release *reduction*
/// (`red`) returns nothing, so the block that issues it does not wait for an answer from L2; an
/// acquire *load* polls without writing. The PTX memory model makes the release cumulative over
/// what a preceding `__syncthreads()` made visible to the issuing thread (the pattern of
/// CUTLASS's semaphore), so one thread publishes its whole block's stores.
#pragma once

#if defined(LABS_BACKEND_CUDA)
namespace lab {

/// One atomic increment with release and acquire semantics at GPU scope; returns the old count.
/// The writes ordered before it (by program order, or by a barrier the caller passed) are
/// visible to whoever reads the incremented value, and the caller's later reads see what the
/// earlier arrivals released. Replaces `__threadfence(); atomicAdd(); __threadfence()` (two
/// MEMBAR.SC.GPU). Both topics had their own copy of this PTX until it moved here.
__device__ __forceinline__ unsigned ticket_add_acq_rel(unsigned* counter) {
  unsigned old;
  asm volatile("atom.add.acq_rel.gpu.global.u32 %0, [%1], 1;\n" : "=r"(old) : "l"(counter) : "memory");
  return old;
}

/// Adds 1 with release semantics at GPU scope; no return value, no wait for L2's answer.
__device__ __forceinline__ void red_add_release_gpu(unsigned* counter) {
  asm volatile("red.release.gpu.global.add.u32 [%0], 1;\n" ::"l"(counter) : "memory");
}

/// Reads the counter with acquire semantics at GPU scope: what the adders released before
/// their add is visible to this thread's later reads (and, after a barrier, to its block's).
__device__ __forceinline__ unsigned load_acquire_gpu(const unsigned* counter) {
  unsigned v;
  asm volatile("ld.acquire.gpu.global.u32 %0, [%1];\n" : "=r"(v) : "l"(counter) : "memory");
  return v;
}

}  // namespace lab
#endif
