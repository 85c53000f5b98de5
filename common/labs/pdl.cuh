/// @file pdl.cuh
/// Programmatic dependent launch (sm_90): a second kernel in the same stream may start before
/// the first one ends, and waits inside itself for the first one's results. Topic 02 (v24) and
/// topic 04 (v48) use it to move a split-K reduction out of the main kernel's last blocks into
/// a small second kernel without paying a full launch gap.
///
/// The contract (CUDA programming guide, "Programmatic Dependent Launch"):
///   - the *secondary* kernel is launched with the attribute `pdl_launch_attribute()`
///     (`launch_with_pdl()` builds that launch);
///   - each *primary* block may call `pdl_allow_dependents()`; once every primary block has
///     called it or exited, the secondary grid may be scheduled onto the free slots;
///   - a secondary thread that calls `pdl_wait_for_primary()` resumes only after the whole
///     primary grid has completed and its memory operations are visible: no fence, no counter.
/// On a GPU below sm_90, or without the attribute, both instructions are no-ops and the launch
/// is an ordinary stream-ordered one (still correct, just without the overlap).
/// NVIDIA only (inline PTX); the HIP build has no caller.
#pragma once

#if defined(LABS_BACKEND_CUDA)
#include <cuda_runtime.h>

#include <cstddef>
#include <utility>

namespace lab {

/// Primary side: this block no longer holds back the dependent grid's launch.
__device__ __forceinline__ void pdl_allow_dependents() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory");
#endif
}

/// Secondary side: waits until the primary grid has completed and flushed its memory.
__device__ __forceinline__ void pdl_wait_for_primary() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;\n" ::: "memory");
#endif
}

/// The launch attribute that lets a kernel start before the previous one in its stream ends.
inline cudaLaunchAttribute pdl_launch_attribute() {
  cudaLaunchAttribute a{};
  a.id = cudaLaunchAttributeProgrammaticStreamSerialization;
  a.val.programmaticStreamSerializationAllowed = 1;
  return a;
}

/// Launches `kernel` in `stream`, with pdl_launch_attribute() when `pdl` is true and as an
/// ordinary stream-ordered launch when it is false. Why: every secondary kernel (topic 02's
/// combine_kernel, topic 04's splitk_sum_kernel) needs the same cudaLaunchConfig_t around
/// cudaLaunchKernelEx, since the `<<<>>>` syntax cannot carry the attribute; the flag lets a
/// no-PDL probe (probe-v24-no-pdl) take the same path, so the attribute is all that differs.
/// Returns cudaLaunchKernelEx's status for the caller's LABS_CHECK.
template <class... Params, class... Args>
cudaError_t launch_with_pdl(void (*kernel)(Params...), dim3 grid, dim3 block, std::size_t smem, cudaStream_t stream,
                            bool pdl, Args&&... args) {
  cudaLaunchConfig_t cfg{};
  cfg.gridDim = grid;
  cfg.blockDim = block;
  cfg.dynamicSmemBytes = smem;
  cfg.stream = stream;
  cudaLaunchAttribute attr = pdl_launch_attribute();
  cfg.attrs = pdl ? &attr : nullptr;
  cfg.numAttrs = pdl ? 1 : 0;
  return cudaLaunchKernelEx(&cfg, kernel, std::forward<Args>(args)...);
}

}  // namespace lab
#endif
