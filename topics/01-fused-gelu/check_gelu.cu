/// @file check_gelu.cu
/// Input generation and the CPU / GPU checkers of topic 01 (see check_gelu.hpp).
#include "check_gelu.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "labs/device_buffer.hpp"
#include "reference.hpp"

#if LABS_GPU
#include "kernels/gelu_math.cuh"
#endif

namespace gelu {

std::vector<double> reference_on_host(const std::vector<float>& x, const std::vector<float>& bias,
                                      std::size_t hidden) {
  std::vector<double> ref(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double b = bias.empty() ? 0.0 : static_cast<double>(bias[i % hidden]);
    ref[i] = gelu_tanh_ref(static_cast<double>(x[i]) + b);
  }
  return ref;
}

bool reference_self_test(std::string* why) {
  // 0.5 x (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3))) evaluated with Python's decimal module at
  // 60 significant digits when this test was written, rounded to 20.
  struct Known {
    double x, y;
  };
  static const Known known[] = {
      {0.0, 0.0},
      {1.0, 0.84119199060827670478},
      {-1.0, -0.15880800939172329522},
      {0.5, 0.34571400982514392204},
      {2.0, 1.9545976940877750188},
      {-3.0, -0.0036373920817730188378},
      {6.0, 5.9999999999156035330},
      {-5.0, -2.2917961966295060456e-07},  // 1 + tanh(u) cancels here: judged on atol
  };
  for (const auto& k : known) {
    const double got = gelu_tanh_ref(k.x);
    if (!(std::fabs(got - k.y) <= 1e-14 * std::fabs(k.y) + 1e-15)) {
      if (why) *why = "gelu(" + std::to_string(k.x) + ") = " + std::to_string(got) + ", expected " + std::to_string(k.y);
      return false;
    }
  }
  // gelu(x) - gelu(-x) = x: 0.5(1 + tanh(u)) + 0.5(1 + tanh(-u)) = 1.
  for (double x = -8; x <= 8; x += 0.37) {
    const double d = gelu_tanh_ref(x) - gelu_tanh_ref(-x) - x;
    if (!(std::fabs(d) <= 1e-14 * (1 + std::fabs(x)))) {
      if (why) *why = "gelu(x) - gelu(-x) != x at x = " + std::to_string(x);
      return false;
    }
  }
  return true;
}

#if LABS_GPU
namespace {

__host__ __device__ inline std::uint32_t mix32(std::uint64_t i, std::uint32_t seed) {
  std::uint64_t z = i + 0x9E3779B97F4A7C15ull * (static_cast<std::uint64_t>(seed) + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return static_cast<std::uint32_t>((z ^ (z >> 31)) >> 32);
}

template <class T>
__global__ void fill_uniform_kernel(T* dst, std::size_t n, std::uint32_t seed, float lo, float hi) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const float unit = static_cast<float>(mix32(i, seed) >> 8) * (1.0f / 16777216.0f);  // [0, 1)
    dst[i] = from_f32<T>(lo + (hi - lo) * unit);
  }
}

__device__ __forceinline__ double round_to_dtype(double v, float) { return static_cast<double>(static_cast<float>(v)); }
__device__ __forceinline__ double round_to_dtype(double v, lab::bf16) {
  return static_cast<double>(__bfloat162float(__float2bfloat16(static_cast<float>(v))));
}
__device__ __forceinline__ double round_to_dtype(double v, lab::f16) {
  return static_cast<double>(__half2float(__float2half_rn(static_cast<float>(v))));
}

struct DeviceCheckStats {
  unsigned long long max_abs_bits;    // non-negative doubles order like their bit patterns
  unsigned long long max_used_bits;
  unsigned long long max_rel_bits;
  unsigned long long n_bad;
  unsigned long long n_nonfinite;
  unsigned long long first_bad;
};

constexpr int kCheckThreads = 256;

template <class T>
__global__ void __launch_bounds__(kCheckThreads)
    check_kernel(const T* x, const T* bias, const T* y, std::size_t n, std::size_t hidden, double atol,
                 double rtol, DeviceCheckStats* out) {
  double max_abs = 0, max_used = 0, max_rel = 0;
  unsigned long long bad = 0, nonfinite = 0, first = ~0ull;
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    double s = static_cast<double>(to_f32(x[i]));
    if (bias) s += static_cast<double>(to_f32(bias[i % hidden]));
    const double ref = round_to_dtype(gelu::gelu_tanh_ref(s), T{});
    const double o = static_cast<double>(to_f32(y[i]));
    if (!isfinite(ref) || !isfinite(o)) {
      if (!isfinite(o)) ++nonfinite;
      ++bad;
      first = i < first ? i : first;
      continue;
    }
    const double d = fabs(o - ref);
    const double allowed = atol + rtol * fabs(ref);
    max_abs = fmax(max_abs, d);
    if (ref != 0) max_rel = fmax(max_rel, d / fabs(ref));
    max_used = fmax(max_used, allowed > 0 ? d / allowed : (d == 0 ? 0.0 : 1e300));
    if (!(d <= allowed)) {
      ++bad;
      first = i < first ? i : first;
    }
  }
  __shared__ double s_abs[kCheckThreads], s_used[kCheckThreads], s_rel[kCheckThreads];
  __shared__ unsigned long long s_bad[kCheckThreads], s_nf[kCheckThreads], s_first[kCheckThreads];
  const int t = threadIdx.x;
  s_abs[t] = max_abs, s_used[t] = max_used, s_rel[t] = max_rel;
  s_bad[t] = bad, s_nf[t] = nonfinite, s_first[t] = first;
  __syncthreads();
  for (int half = kCheckThreads / 2; half > 0; half /= 2) {
    if (t < half) {
      s_abs[t] = fmax(s_abs[t], s_abs[t + half]);
      s_used[t] = fmax(s_used[t], s_used[t + half]);
      s_rel[t] = fmax(s_rel[t], s_rel[t + half]);
      s_bad[t] += s_bad[t + half];
      s_nf[t] += s_nf[t + half];
      s_first[t] = s_first[t] < s_first[t + half] ? s_first[t] : s_first[t + half];
    }
    __syncthreads();
  }
  if (t == 0) {
    atomicMax(&out->max_abs_bits, static_cast<unsigned long long>(__double_as_longlong(s_abs[0])));
    atomicMax(&out->max_used_bits, static_cast<unsigned long long>(__double_as_longlong(s_used[0])));
    atomicMax(&out->max_rel_bits, static_cast<unsigned long long>(__double_as_longlong(s_rel[0])));
    if (s_bad[0]) atomicAdd(&out->n_bad, s_bad[0]);
    if (s_nf[0]) atomicAdd(&out->n_nonfinite, s_nf[0]);
    if (s_first[0] != ~0ull) atomicMin(&out->first_bad, s_first[0]);
  }
}

double bits_to_double(unsigned long long b) {
  double d;
  static_assert(sizeof d == sizeof b);
  std::memcpy(&d, &b, sizeof d);
  return d;
}

}  // namespace

void fill_uniform(lab::DType t, void* dst, std::size_t n, std::uint32_t seed, float lo, float hi, cudaStream_t s) {
  dispatch_dtype(t, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const unsigned blocks = static_cast<unsigned>(std::min<std::size_t>((n + 255) / 256, 65536));
    fill_uniform_kernel<T><<<blocks == 0 ? 1 : blocks, 256, 0, s>>>(static_cast<T*>(dst), n, seed, lo, hi);
    LABS_CHECK_LAUNCH();
  });
}

lab::CheckResult check_on_host(const void* y, lab::DType t, const std::vector<double>& ref, lab::Tolerance tol,
                               cudaStream_t s) {
  LABS_CHECK(cudaStreamSynchronize(s));  // the lab's stream is non-blocking: cudaMemcpy alone would not wait
  const std::vector<float> out = lab::download_as_float(y, ref.size(), t);
  return lab::check_close(out, ref, t, tol);
}

lab::CheckResult check_on_device(const Problem& p, bool with_bias, lab::Tolerance tol, cudaStream_t s) {
  const std::size_t n = p.elements();
  lab::DeviceBytes stats(sizeof(DeviceCheckStats));
  DeviceCheckStats init{0, 0, 0, 0, 0, ~0ull};
  LABS_CHECK(cudaMemcpyAsync(stats.get(), &init, sizeof init, cudaMemcpyHostToDevice, s));
  dispatch_dtype(p.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const unsigned blocks = static_cast<unsigned>(std::max(1, p.sms) * 8);
    check_kernel<T><<<blocks, kCheckThreads, 0, s>>>(static_cast<const T*>(p.x),
                                                     with_bias ? static_cast<const T*>(p.bias) : nullptr,
                                                     static_cast<const T*>(p.y), n, p.hidden, tol.atol, tol.rtol,
                                                     stats.as<DeviceCheckStats>());
    LABS_CHECK_LAUNCH();
  });
  DeviceCheckStats got{};
  LABS_CHECK(cudaMemcpyAsync(&got, stats.get(), sizeof got, cudaMemcpyDeviceToHost, s));
  LABS_CHECK(cudaStreamSynchronize(s));

  lab::CheckResult r;
  r.tol = tol;
  r.n = n;
  r.max_abs = bits_to_double(got.max_abs_bits);
  r.tol_used = bits_to_double(got.max_used_bits);
  r.max_rel = bits_to_double(got.max_rel_bits);
  r.n_bad = static_cast<std::size_t>(got.n_bad);
  r.n_nonfinite = static_cast<std::size_t>(got.n_nonfinite);
  r.first_bad = got.n_bad ? static_cast<std::size_t>(got.first_bad) : 0;
  r.pass = r.n_bad == 0 && n > 0;
  r.note = r.pass ? "checked on the GPU against the fp64 formula, every element"
                  : "GPU check against the fp64 formula: " + std::to_string(r.n_bad) + " of " + std::to_string(n) +
                        " elements outside tolerance (" + std::to_string(r.n_nonfinite) +
                        " non-finite), first at " + std::to_string(r.first_bad);
  return r;
}
#endif

}  // namespace gelu
