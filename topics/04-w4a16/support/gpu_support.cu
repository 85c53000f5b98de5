/// @file gpu_support.cu
#include "support/gpu_support.hpp"

#include <stdexcept>

#include "kernels/device_common.cuh"
#include "quant/tiled_layout.hpp"

#if LABS_GPU
namespace w4a16 {
namespace {

constexpr int kThreads = 256;

__host__ __device__ inline std::uint64_t mix64(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

__device__ inline std::uint64_t hash2(std::uint64_t seed, std::uint64_t i) { return mix64(mix64(seed) ^ i); }

unsigned blocks_for(std::size_t n) {
  const std::size_t b = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(b < 65535u * 16u ? (b == 0 ? 1 : b) : 65535u * 16u);
}

__global__ void random_bytes_kernel(std::uint8_t* dst, std::size_t bytes, std::uint64_t seed) {
  const std::size_t words = bytes / 8;
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < words; i += stride)
    reinterpret_cast<std::uint64_t*>(dst)[i] = hash2(seed, i);
  if (blockIdx.x == 0 && threadIdx.x < bytes % 8)
    dst[words * 8 + threadIdx.x] = static_cast<std::uint8_t>(hash2(seed, words + threadIdx.x));
}

template <class T>
__global__ void random_values_kernel(T* dst, std::size_t n, float lo, float hi, std::uint64_t seed) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const float u = static_cast<float>(hash2(seed, i) >> 40) * (1.0f / 16777216.0f);
    dst[i] = from_f32<T>(lo + (hi - lo) * u);
  }
}

__global__ void random_nibbles_kernel(std::uint8_t* dst, std::size_t n, std::uint64_t seed) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    dst[i] = static_cast<std::uint8_t>(hash2(seed, i) & 0xF);
}

__global__ void repack_kernel(const std::uint8_t* plain, std::uint8_t* tiled, int N, int K, std::size_t bytes) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  const std::size_t row_bytes = static_cast<std::size_t>(K) / 2;
  for (std::size_t b = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; b < bytes; b += stride) {
    std::uint8_t out = 0;
    for (int h = 0; h < 2; ++h) {
      const TiledPosition p = tiled_position(b, h, K);
      std::uint8_t code = 8;  // padding rows
      if (p.n < N) {
        const std::uint8_t pb = plain[static_cast<std::size_t>(p.n) * row_bytes + p.k / 2];
        code = (p.k & 1) ? (pb >> 4) : (pb & 0xF);
      }
      out |= static_cast<std::uint8_t>(code << (4 * h));
    }
    tiled[b] = out;
  }
}

template <class T, bool kInt8>
__global__ void dense_kernel(const std::uint8_t* w, const T* scales, const std::uint8_t* zeros, T* dense, int N, int K) {
  constexpr int kPerWord = kInt8 ? 4 : 8;
  const std::size_t words = static_cast<std::size_t>(N) * K / kPerWord;
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < words; i += stride) {
    const std::size_t first = i * kPerWord;  // K % 128 == 0: a word never straddles rows or groups
    const int n = static_cast<int>(first / K), k = static_cast<int>(first % K);
    const std::uint32_t word = reinterpret_cast<const std::uint32_t*>(w)[i];
    if (kInt8) {
      const float s = to_f32(scales[n]);
      for (int e = 0; e < 4; ++e)
        dense[first + e] = from_f32<T>(s * static_cast<float>(static_cast<std::int8_t>((word >> (8 * e)) & 0xFF)));
    } else {
      const std::size_t gi = static_cast<std::size_t>(k / kGroup) * N + n;
      const float s = to_f32(scales[gi]);
      const int z = zeros ? zeros[gi] : 8;
      for (int e = 0; e < 8; ++e)
        dense[first + e] = from_f32<T>(s * static_cast<float>(static_cast<int>((word >> (4 * e)) & 0xF) - z));
    }
  }
}

template <class T, bool kInt8>
__global__ void reference_kernel(const T* x, const std::uint8_t* w, const T* scales, const std::uint8_t* zeros,
                                 double* out, int rows, int N, int K) {
  constexpr int kPerWord = kInt8 ? 4 : 8;
  const int n = blockIdx.x * (blockDim.x / kWarp) + threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (n >= N) return;
  double acc[16];
  for (int m = 0; m < 16; ++m) acc[m] = 0.0;
  const std::size_t row_bytes = kInt8 ? static_cast<std::size_t>(K) : static_cast<std::size_t>(K) / 2;
  const std::uint32_t* row = reinterpret_cast<const std::uint32_t*>(w + static_cast<std::size_t>(n) * row_bytes);
  for (int i = lane; i < K / kPerWord; i += kWarp) {
    const std::uint32_t word = row[i];
    const int k0 = i * kPerWord;
    for (int e = 0; e < kPerWord; ++e) {
      double wv;
      if (kInt8) {
        wv = static_cast<double>(to_f32(scales[n])) * static_cast<std::int8_t>((word >> (8 * e)) & 0xFF);
      } else {
        const std::size_t gi = static_cast<std::size_t>((k0 + e) / kGroup) * N + n;
        const int z = zeros ? zeros[gi] : 8;
        wv = static_cast<double>(to_f32(scales[gi])) * (static_cast<int>((word >> (4 * e)) & 0xF) - z);
      }
      for (int m = 0; m < 16; ++m)
        if (m < rows) acc[m] += wv * static_cast<double>(to_f32(x[static_cast<std::size_t>(m) * K + k0 + e]));
    }
  }
  for (int m = 0; m < 16; ++m) {
    if (m >= rows) break;
    double v = acc[m];
    for (int o = kWarp / 2; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    if (lane == 0) out[static_cast<std::size_t>(m) * N + n] = v;
  }
}

template <class F>
void with_type(lab::DType t, F&& f) {
  if (t == lab::DType::bf16) f(lab::bf16{});
  else if (t == lab::DType::f16) f(lab::f16{});
  else throw std::invalid_argument("w4a16: dtype must be bf16 or fp16");
}

}  // namespace

void fill_random_bytes(void* dst, std::size_t bytes, std::uint64_t seed, Stream s) {
  random_bytes_kernel<<<blocks_for(bytes / 8 + 1), kThreads, 0, s>>>(static_cast<std::uint8_t*>(dst), bytes, seed);
  LABS_CHECK_LAUNCH();
}

void fill_random_values(lab::DType t, void* dst, std::size_t n, float lo, float hi, std::uint64_t seed, Stream s) {
  with_type(t, [&](auto tag) {
    using T = decltype(tag);
    random_values_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(static_cast<T*>(dst), n, lo, hi, seed);
    LABS_CHECK_LAUNCH();
  });
}

void fill_random_nibbles(std::uint8_t* dst, std::size_t n, std::uint64_t seed, Stream s) {
  random_nibbles_kernel<<<blocks_for(n), kThreads, 0, s>>>(dst, n, seed);
  LABS_CHECK_LAUNCH();
}

void repack_plain_to_tiled_gpu(const std::uint8_t* plain, std::uint8_t* tiled, int N, int K, Stream s) {
  if (K % kTileK != 0) throw std::invalid_argument("repack_plain_to_tiled_gpu: K must be a multiple of 128");
  const std::size_t bytes = tiled_bytes(N, K);
  repack_kernel<<<blocks_for(bytes), kThreads, 0, s>>>(plain, tiled, N, K, bytes);
  LABS_CHECK_LAUNCH();
}

void dequantize_to_dense(const Problem& p, const DeviceWeights& w, void* dense, Stream s) {
  const bool int8 = p.wfmt == WFormat::int8;
  if (!int8 && !is_int4(p.wfmt)) throw std::invalid_argument("dequantize_to_dense: needs a quantised format");
  const std::uint8_t* zeros = p.wfmt == WFormat::int4_asym ? w.zeros : nullptr;
  const std::size_t words = static_cast<std::size_t>(p.N) * p.K / (int8 ? 4 : 8);
  with_type(p.dtype, [&](auto tag) {
    using T = decltype(tag);
    if (int8)
      dense_kernel<T, true><<<blocks_for(words), kThreads, 0, s>>>(w.plain, static_cast<const T*>(w.scales), nullptr,
                                                                   static_cast<T*>(dense), p.N, p.K);
    else
      dense_kernel<T, false><<<blocks_for(words), kThreads, 0, s>>>(w.plain, static_cast<const T*>(w.scales), zeros,
                                                                    static_cast<T*>(dense), p.N, p.K);
    LABS_CHECK_LAUNCH();
  });
}

void reference_gemv_gpu(WFormat f, lab::DType t, int rows, int N, int K, const void* x, const DeviceWeights& w,
                        double* out, Stream s) {
  if (rows < 1 || rows > 16) throw std::invalid_argument("reference_gemv_gpu: rows must be 1..16");
  if (f == WFormat::dense) throw std::invalid_argument("reference_gemv_gpu: the reference reads quantised weights");
  const int warps_per_block = kThreads / kWarp;
  const unsigned blocks = static_cast<unsigned>((N + warps_per_block - 1) / warps_per_block);
  const std::uint8_t* zeros = f == WFormat::int4_asym ? w.zeros : nullptr;
  with_type(t, [&](auto tag) {
    using T = decltype(tag);
    if (f == WFormat::int8)
      reference_kernel<T, true><<<blocks, kThreads, 0, s>>>(static_cast<const T*>(x), w.plain,
                                                            static_cast<const T*>(w.scales), nullptr, out, rows, N, K);
    else
      reference_kernel<T, false><<<blocks, kThreads, 0, s>>>(static_cast<const T*>(x), w.plain,
                                                             static_cast<const T*>(w.scales), zeros, out, rows, N, K);
    LABS_CHECK_LAUNCH();
  });
}

}  // namespace w4a16
#endif
