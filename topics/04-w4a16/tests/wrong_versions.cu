/// @file wrong_versions.cu
#include "tests/wrong_versions.hpp"

#include "kernels/device_common.cuh"

#if LABS_GPU
namespace w4a16::wrong {
namespace {

enum class Bug { swapped_nibbles, no_zero_point, skips_last_chunk };

template <class T, Bug kBug>
__global__ void wrong_gemv(const T* x, T* y, const std::uint8_t* w, const T* scales, const std::uint8_t* zeros, int M,
                           int N, int K) {
  const int n = blockIdx.x * 4 + threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  if (n >= N) return;
  float acc[kMaxM] = {};
  const int k_end = kBug == Bug::skips_last_chunk ? K - 32 : K;
  for (int k = lane; k < k_end; k += kWarp) {
    const std::uint8_t b = w[static_cast<std::size_t>(n) * (K / 2) + k / 2];
    const bool high = kBug == Bug::swapped_nibbles ? (k & 1) == 0 : (k & 1) == 1;
    const int code = high ? (b >> 4) : (b & 0xF);
    const std::size_t gi = static_cast<std::size_t>(k / kGroup) * N + n;
    const int z = (kBug == Bug::no_zero_point || !zeros) ? 8 : zeros[gi];
    const float wv = to_f32(scales[gi]) * static_cast<float>(code - z);
    for (int m = 0; m < kMaxM; ++m)
      if (m < M) acc[m] += wv * to_f32(x[static_cast<std::size_t>(m) * K + k]);
  }
  for (int m = 0; m < kMaxM; ++m) {
    if (m >= M) break;
    const float v = warp_sum(acc[m]);
    if (lane == 0) y[static_cast<std::size_t>(m) * N + n] = from_f32<T>(v);
  }
}

template <Bug kBug>
Step prepare(const Problem& p) {
  require_supported(p);
  const Problem q = p;
  return [q](const DeviceWeights& w, Stream s) {
    const unsigned blocks = static_cast<unsigned>((q.N + 3) / 4);
    if (q.dtype == lab::DType::bf16)
      wrong_gemv<lab::bf16, kBug><<<blocks, 128, 0, s>>>(static_cast<const lab::bf16*>(q.x), static_cast<lab::bf16*>(q.y),
                                                         w.plain, static_cast<const lab::bf16*>(w.scales), w.zeros,
                                                         q.M, q.N, q.K);
    else
      wrong_gemv<lab::f16, kBug><<<blocks, 128, 0, s>>>(static_cast<const lab::f16*>(q.x), static_cast<lab::f16*>(q.y),
                                                        w.plain, static_cast<const lab::f16*>(w.scales), w.zeros, q.M,
                                                        q.N, q.K);
    LABS_CHECK_LAUNCH();
  };
}

}  // namespace

Step prepare_swapped_nibbles(const Problem& p) { return prepare<Bug::swapped_nibbles>(p); }
Step prepare_no_zero_point(const Problem& p) { return prepare<Bug::no_zero_point>(p); }
Step prepare_skips_last_chunk(const Problem& p) { return prepare<Bug::skips_last_chunk>(p); }

}  // namespace w4a16::wrong
#endif
