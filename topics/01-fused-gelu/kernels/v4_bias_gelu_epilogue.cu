/// @file v4_bias_gelu_epilogue.cu
/// v4 — bias + GELU as one fused epilogue: y = gelu(x + bias[col]) in one pass.
///
/// What changed from v3: a different problem, the one a transformer MLP actually has: the
/// up-projection's output x gets a per-column bias and then GELU. v4 reads x and the bias,
/// and writes y, in one kernel with v3's 16-byte vectors, persistent grid and 2 vectors in
/// flight per thread (bias vectors come from L1/L2: the row is only hidden x sizeof(T)
/// bytes). The column of each vector is carried incrementally, no division per element.
///
/// What it is compared against (same workload, op = "bias+gelu", same byte model): the
/// variant "v4-unfused" in this file: a bias-add kernel that writes x + bias to a temporary
/// in the storage dtype (as an unfused framework does), then v3's GELU kernel on it: 2
/// launches and 2 extra passes (write + read the temporary). Vendor rows: PyTorch's
/// gelu(x + bias) (2 kernels). v3's row on the plain-GELU workload shows what the bias read costs.
///
/// Why it should be faster: fusion again. The unfused pair moves 4 n sizeof(T) bytes
/// (read x, write t, read t, write y) and v4 moves 2 n sizeof(T) + hidden sizeof(T).
///
/// PREDICTION (before measuring): at 16384x14336 cold, v4 ~ v3's time (the bias row is 28-57
/// KB and stays in cache) and ~2x faster than v4-unfused; at the seed shape (fits in L2),
/// ~1.5x (the temporary stays in L2, one launch gap is saved).
///
/// Profiler: `ncu --metrics dram__bytes_read.sum,dram__bytes_write.sum -k regex:bias_epilogue`
/// for v4 (reads ~ n sizeof(T), not 2x) and for v4-unfused (the temporary's round trip).
///
/// Run: build/cuda/topics/01-fused-gelu/lab-01-fused-gelu --variant v4,v4-unfused --dtype bf16 --tokens 16384 --hidden 14336
#include <algorithm>
#include <memory>

#include "gelu.hpp"
#include "kernels/gelu_math.cuh"
#include "labs/device_buffer.hpp"

#if LABS_GPU
namespace gelu {
namespace {

constexpr int kUnroll = 2;

struct BiasGelu {
  __device__ float operator()(float x, float b) const { return gelu_fast(x + b); }
};
struct BiasOnly {  // the unfused baseline's first kernel
  __device__ float operator()(float x, float b) const { return x + b; }
};

/// x, bias, y 16-byte aligned and hidden a multiple of the vector width, so a vector never
/// crosses a row and its bias is one aligned vector at column c * kVec.
template <class T, class Op>
__global__ void __launch_bounds__(kBlockThreads)
    bias_epilogue_vec16(const T* __restrict__ x, const T* __restrict__ bias, T* __restrict__ y, std::size_t nvec,
                        std::size_t vecs_per_row, std::size_t step_mod_row, Op op) {
  constexpr int kVec = Pack16<T>::kCount;
  const std::size_t tid = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const std::size_t nthreads = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  // Column (in vectors) of each of this thread's two vectors; advanced by step_mod_row =
  // (kUnroll * nthreads) % vecs_per_row per iteration, with one conditional wrap.
  std::size_t col[kUnroll];
#pragma unroll
  for (int u = 0; u < kUnroll; ++u) col[u] = (tid + u * nthreads) % vecs_per_row;

  for (std::size_t v = tid; v < nvec; v += kUnroll * nthreads) {
    Pack16<T> in[kUnroll], b[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const std::size_t vi = v + u * nthreads;
      if (vi < nvec) {
        in[u] = load16(x + vi * kVec);
        b[u] = load16(bias + col[u] * kVec);
      }
    }
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const std::size_t vi = v + u * nthreads;
      if (vi < nvec) {
        Pack16<T> out;
#pragma unroll
        for (int j = 0; j < kVec; ++j) out.v[j] = from_f32<T>(op(to_f32(in[u].v[j]), to_f32(b[u].v[j])));
        store16(y + vi * kVec, out);
      }
      col[u] += step_mod_row;
      if (col[u] >= vecs_per_row) col[u] -= vecs_per_row;
    }
  }
}

/// Any pointers, any hidden: scalar grid-stride with the same incremental column.
template <class T, class Op>
__global__ void __launch_bounds__(kBlockThreads)
    bias_epilogue_scalar(const T* __restrict__ x, const T* __restrict__ bias, T* __restrict__ y, std::size_t n,
                         std::size_t hidden, std::size_t step_mod_row, Op op) {
  const std::size_t tid = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const std::size_t nthreads = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  std::size_t col = tid % hidden;
  for (std::size_t i = tid; i < n; i += nthreads) {
    y[i] = from_f32<T>(op(to_f32(x[i]), to_f32(bias[col])));
    col += step_mod_row;
    if (col >= hidden) col -= hidden;
  }
}

template <class T, class Op>
Step make_bias_epilogue_step(const T* x, const T* bias, T* y, std::size_t tokens, std::size_t hidden, int sms) {
  constexpr int kVec = Pack16<T>::kCount;
  const std::size_t n = tokens * hidden;
  const bool vector_path = misalignment16(x) == 0 && misalignment16(y) == 0 && misalignment16(bias) == 0 &&
                           hidden % kVec == 0;
  int per_sm = 0;
  if (vector_path)
    LABS_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, bias_epilogue_vec16<T, Op>, kBlockThreads, 0));
  else
    LABS_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, bias_epilogue_scalar<T, Op>, kBlockThreads, 0));
  const std::size_t resident = static_cast<std::size_t>(std::max(1, sms)) * std::max(1, per_sm);

  if (vector_path) {
    const std::size_t nvec = n / kVec, vecs_per_row = hidden / kVec;
    const std::size_t wanted = (nvec + kBlockThreads * kUnroll - 1) / (kBlockThreads * kUnroll);
    const unsigned blocks = static_cast<unsigned>(std::clamp<std::size_t>(wanted, 1, resident));
    const std::size_t step_mod_row = (static_cast<std::size_t>(kUnroll) * blocks * kBlockThreads) % vecs_per_row;
    return [=](cudaStream_t s) {
      bias_epilogue_vec16<T, Op><<<blocks, kBlockThreads, 0, s>>>(x, bias, y, nvec, vecs_per_row, step_mod_row, Op{});
      LABS_CHECK_LAUNCH();
    };
  }
  const unsigned blocks =
      static_cast<unsigned>(std::clamp<std::size_t>((n + kBlockThreads - 1) / kBlockThreads, 1, resident));
  const std::size_t step_mod_row = (static_cast<std::size_t>(blocks) * kBlockThreads) % hidden;
  return [=](cudaStream_t s) {
    bias_epilogue_scalar<T, Op><<<blocks, kBlockThreads, 0, s>>>(x, bias, y, n, hidden, step_mod_row, Op{});
    LABS_CHECK_LAUNCH();
  };
}

Step prepare_fused(const Problem& p) {
  Step step;
  dispatch_dtype(p.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    step = make_bias_epilogue_step<T, BiasGelu>(static_cast<const T*>(p.x), static_cast<const T*>(p.bias),
                                                static_cast<T*>(p.y), p.tokens, p.hidden, p.sms);
  });
  return step;
}

/// The comparison: x + bias -> temporary (storage dtype), then v3's GELU on the temporary.
Step prepare_unfused(const Problem& p) {
  auto temp = std::make_shared<lab::DeviceBytes>(p.elements() * lab::dtype_bytes(p.dtype));
  Step bias_add;
  dispatch_dtype(p.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    bias_add = make_bias_epilogue_step<T, BiasOnly>(static_cast<const T*>(p.x), static_cast<const T*>(p.bias),
                                                    temp->as<T>(), p.tokens, p.hidden, p.sms);
  });
  Problem second = p;
  second.x = temp->get();
  second.bias = nullptr;
  Step gelu = make_vec16_step(second);
  return [temp, bias_add, gelu](cudaStream_t s) {
    bias_add(s);
    gelu(s);
  };
}

Version make_v4() {
  Version v;
  v.info.id = "v4";
  v.info.idea = "bias + GELU fused epilogue: gelu(x + bias[col]) in one vectorized pass (vs v4-unfused)";
  v.bias = true;
  v.launches = 1;
  v.kernel_regex = "bias_epilogue";
  v.prepare = prepare_fused;
  Baseline b;
  b.id = "v4-unfused";
  b.idea = "what v4 is measured against: bias-add kernel to a temporary, then v3's GELU (2 launches)";
  b.launches = 2;
  b.kernel_regex = "bias_epilogue|gelu_vec16";
  b.prepare = prepare_unfused;
  v.baseline = b;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_v4()))

}  // namespace gelu
#endif
