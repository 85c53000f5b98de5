/// @file v2_fused_scalar.cu
/// v2 — fused: the whole GELU in one kernel, one element per thread.
///
/// What changed from v1: the eight kernels become one. Each thread loads x[i], computes
/// gelu in registers (as x / (1 + exp(-2u)), the same function as 0.5 x (1 + tanh(u));
/// see gelu_math.cuh) and stores y[i]. No temporaries, one launch.
///
/// Why it should be faster: memory traffic drops from 72 (fp32) / 64 (bf16) bytes per
/// element to 8 / 4, and 8 launches become 1.
///
/// PREDICTION (before measuring): at 16384x14336 the step is bound by HBM: time ~ bytes /
/// copy bandwidth, e.g. fp32: 2 x 4 x 234.9M = 1.88 GB / ~4.3 TB/s ~ 0.44 ms, i.e. 8-9x
/// faster than v0 for fp32 and ~15x for bf16. Scalar 4-byte (fp32) accesses are coalesced
/// and should reach ~85-90% of copy bandwidth; 2-byte (bf16/fp16) accesses move half as
/// many bytes per load instruction and should fall further short (~70-85%) — v3's reason.
///
/// Profiler: `ncu --section MemoryWorkloadAnalysis --section SpeedOfLight -k regex:gelu_scalar`
/// (DRAM throughput % of peak; dram__bytes_read.sum should be ~n x sizeof(T)).
///
/// Run: build/cuda/topics/01-fused-gelu/lab-01-fused-gelu --variant v2 --dtype bf16 --tokens 16384 --hidden 14336
#include "gelu.hpp"
#include "kernels/gelu_math.cuh"

#if LABS_GPU
namespace gelu {
namespace {

template <class T>
__global__ void gelu_scalar(const T* __restrict__ x, T* __restrict__ y, std::size_t n) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) y[i] = from_f32<T>(gelu_fast(to_f32(x[i])));
}

Step prepare_fused_scalar(const Problem& p) {
  return [p](cudaStream_t s) {
    const std::size_t n = p.elements();
    dispatch_dtype(p.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      gelu_scalar<T><<<grid_for(n, kBlockThreads), kBlockThreads, 0, s>>>(static_cast<const T*>(p.x),
                                                                          static_cast<T*>(p.y), n);
      LABS_CHECK_LAUNCH();
    });
  };
}

Version make_v2() {
  Version v;
  v.info.id = "v2";
  v.info.idea = "fused scalar: one kernel, one element per thread, no temporaries";
  v.launches = 1;
  v.kernel_regex = "gelu_scalar";
  v.prepare = prepare_fused_scalar;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_v2()))

}  // namespace gelu
#endif
