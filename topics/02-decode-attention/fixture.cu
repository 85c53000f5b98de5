#include "fixture.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <numeric>
#include <random>

#include "data_hash.hpp"
#include "reference_cpu.hpp"

#if LABS_GPU
#include "kernels/common.cuh"
#include "labs/device_buffer.hpp"
#endif

namespace decode02 {

lab::CheckResult check_attention(const std::vector<float>& out, const std::vector<double>& ref, lab::DType dtype) {
  double scale = 0;
  for (double r : ref)
    if (std::isfinite(r)) scale = std::max(scale, std::fabs(r));
  if (scale == 0) scale = 1;
  return lab::check_close(out, ref, dtype, lab::tolerance_for(dtype, kCheckUlps, scale));
}

#if LABS_GPU
namespace {

template <class T>
__device__ __forceinline__ T nan_value() {
  const unsigned short bits = 0xFFFFu;  // NaN in fp16 and bf16 alike (the poison pattern)
  T x;
  memcpy(&x, &bits, sizeof(x));
  return x;
}

/// x[i] = uniform(seed, i) * scale rounded to T; with a cache shape, keys t >= S are NaN.
template <class T>
__global__ void fill_kernel(T* x, size_t n, unsigned long long seed, float scale, int S, int S_alloc) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const bool pad = S_alloc > 0 && static_cast<int>((i / kHeadDim) % S_alloc) >= S;
    x[i] = pad ? nan_value<T>() : Elem<T>::from_float(hashed_uniform(seed, i, scale));
  }
}

/// Pool page table[b][i] gets logical keys i*P .. i*P+P-1 of sequence b for every KV head;
/// keys at or past S_alloc (the tail of the last page) are NaN like the unwritten slots.
template <class T>
__global__ void build_pages_kernel(const T* __restrict__ src, T* __restrict__ pool, const int* __restrict__ table,
                                   int B, int Hkv, int S_alloc, int P, int max_pages) {
  const size_t chunks = static_cast<size_t>(B) * max_pages * Hkv * P * (kHeadDim / 8);
  for (size_t c = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; c < chunks;
       c += static_cast<size_t>(gridDim.x) * blockDim.x) {
    size_t rest = c;
    const int col = static_cast<int>(rest % (kHeadDim / 8)) * 8;
    rest /= kHeadDim / 8;
    const int r = static_cast<int>(rest % P);
    rest /= P;
    const int kvh = static_cast<int>(rest % Hkv);
    rest /= Hkv;
    const int page = static_cast<int>(rest % max_pages);
    const int b = static_cast<int>(rest / max_pages);
    const int t = page * P + r;
    const int phys = table[static_cast<size_t>(b) * max_pages + page];
    T* dst = pool + ((static_cast<size_t>(phys) * Hkv + kvh) * P + r) * kHeadDim + col;
    if (t < S_alloc) {
      const T* s = src + ((static_cast<size_t>(b) * Hkv + kvh) * S_alloc + t) * kHeadDim + col;
      *reinterpret_cast<uint4*>(dst) = *reinterpret_cast<const uint4*>(s);
    } else {
      for (int e = 0; e < 8; ++e) dst[e] = nan_value<T>();
    }
  }
}

__device__ double warp_sum_f64(double v) {
  for (int o = lab::kWarpSize / 2; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

template <bool kMax>
__device__ double block_reduce_f64(double v, double* red) {
  for (int o = lab::kWarpSize / 2; o > 0; o >>= 1) {
    const double other = __shfl_xor_sync(0xffffffffu, v, o);
    v = kMax ? fmax(v, other) : v + other;
  }
  const int warp = threadIdx.x / lab::kWarpSize, lane = threadIdx.x % lab::kWarpSize;
  const int warps = blockDim.x / lab::kWarpSize;
  __syncthreads();
  if (lane == 0) red[warp] = v;
  __syncthreads();
  double r = red[0];
  for (int i = 1; i < warps; ++i) r = kMax ? fmax(r, red[i]) : r + red[i];
  return r;
}

/// The large-shape oracle, written plainly and independently of the versions: block per
/// (b, h), 256 threads; scores (a warp per key) into an fp64 buffer, max, exp and sum in
/// fp64, then out[d] = sum_t p_t V[t][d] / sum in fp64, two halves of the keys per dim.
constexpr int kRefThreads = 256;
template <class T>
__global__ void __launch_bounds__(kRefThreads)
    reference_kernel(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v, double* __restrict__ out,
                     double* __restrict__ scores, int Hq, int Hkv, int S, int S_alloc) {
  __shared__ double red[kRefThreads / 16];
  __shared__ double part[kRefThreads / kHeadDim][kHeadDim];
  const int h = blockIdx.x, b = blockIdx.y, kvh = h / (Hq / Hkv);
  const int warp = threadIdx.x / lab::kWarpSize, lane = threadIdx.x % lab::kWarpSize;
  const int warps = blockDim.x / lab::kWarpSize;
  const T* qh = q + (static_cast<size_t>(b) * Hq + h) * kHeadDim;
  const size_t kv0 = (static_cast<size_t>(b) * Hkv + kvh) * S_alloc * kHeadDim;
  double* sc = scores + (static_cast<size_t>(b) * Hq + h) * S;
  const double scale = 1.0 / sqrt(static_cast<double>(kHeadDim));

  double local_max = -INFINITY;
  for (int t = warp; t < S; t += warps) {
    double dot = 0;
    for (int d = lane; d < kHeadDim; d += lab::kWarpSize)
      dot += static_cast<double>(Elem<T>::to_float(qh[d])) * Elem<T>::to_float(k[kv0 + static_cast<size_t>(t) * kHeadDim + d]);
    dot = warp_sum_f64(dot) * scale;
    if (lane == 0) sc[t] = dot;
    local_max = fmax(local_max, dot);
  }
  const double m = block_reduce_f64<true>(local_max, red);
  double local_sum = 0;
  for (int t = threadIdx.x; t < S; t += blockDim.x) {
    const double p = exp(sc[t] - m);
    sc[t] = p;
    local_sum += p;
  }
  const double l = block_reduce_f64<false>(local_sum, red);  // its barriers publish sc[] to the block
  const int d = threadIdx.x % kHeadDim, half = threadIdx.x / kHeadDim, halves = blockDim.x / kHeadDim;
  double acc = 0;
  for (int t = half; t < S; t += halves) acc += sc[t] * Elem<T>::to_float(v[kv0 + static_cast<size_t>(t) * kHeadDim + d]);
  part[half][d] = acc;
  __syncthreads();
  if (half == 0) {
    double sum = 0;
    for (int i = 0; i < halves; ++i) sum += part[i][d];
    out[(static_cast<size_t>(b) * Hq + h) * kHeadDim + d] = sum / l;
  }
}

constexpr int kFillBlocks = 4096, kFillThreads = 256;

}  // namespace

struct DecodeFixture::Impl {
  lab::DeviceBytes q, k, v, out;
  struct Paged {
    lab::DeviceBytes k, v, table;
  };
  std::map<Layout, Paged> paged;
  std::optional<std::vector<double>> ref;
  cudaStream_t stream = nullptr;
};

DecodeFixture::DecodeFixture(const Shape& shape, cudaStream_t stream) : impl_(new Impl), shape_(shape) {
  validate(shape_);
  impl_->stream = stream;
  const Shape& s = shape_;
  const size_t e = lab::dtype_bytes(s.dtype);
  const size_t nq = static_cast<size_t>(s.B) * s.Hq * s.D;
  const size_t nkv = static_cast<size_t>(s.B) * s.Hkv * s.S_alloc * s.D;
  impl_->q = lab::DeviceBytes(nq * e);
  impl_->k = lab::DeviceBytes(nkv * e);
  impl_->v = lab::DeviceBytes(nkv * e);
  impl_->out = lab::DeviceBytes(nq * e);
  dispatch_dtype(s.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    fill_kernel<T><<<kFillBlocks, kFillThreads, 0, stream>>>(impl_->q.as<T>(), nq, kSeedQ, kScaleQ, 0, 0);
    LABS_CHECK_LAUNCH();
    fill_kernel<T><<<kFillBlocks, kFillThreads, 0, stream>>>(impl_->k.as<T>(), nkv, kSeedK, kScaleK, s.S, s.S_alloc);
    LABS_CHECK_LAUNCH();
    fill_kernel<T><<<kFillBlocks, kFillThreads, 0, stream>>>(impl_->v.as<T>(), nkv, kSeedV, kScaleV, s.S, s.S_alloc);
    LABS_CHECK_LAUNCH();
  });
  impl_->out.poison(stream);
  LABS_CHECK(cudaStreamSynchronize(stream));
}

DecodeFixture::~DecodeFixture() { delete impl_; }

DeviceProblem DecodeFixture::problem(Layout layout) {
  DeviceProblem p;
  p.shape = shape_;
  p.shape.layout = layout;
  p.q = impl_->q.get();
  p.k = impl_->k.get();
  p.v = impl_->v.get();
  p.out = impl_->out.get();
  if (layout == Layout::contiguous) return p;

  auto it = impl_->paged.find(layout);
  if (it == impl_->paged.end()) {
    const Shape& s = p.shape;
    const int P = page_size(layout), max_pages = s.max_pages();
    const size_t pages = static_cast<size_t>(s.B) * max_pages;
    // A shuffled pool order (fixed seed): logically adjacent pages are never adjacent in the
    // pool, so an identity table, an off-by-one page or a wrong head stride fails the check.
    std::vector<int> perm(pages);
    std::iota(perm.begin(), perm.end(), 0);
    std::mt19937 rng(20261121u + static_cast<unsigned>(P));
    std::shuffle(perm.begin(), perm.end(), rng);
    Impl::Paged pg;
    pg.table = lab::DeviceBytes(pages * sizeof(int));
    pg.table.upload(perm.data(), pages * sizeof(int));
    const size_t pool_bytes = pages * s.Hkv * P * s.D * lab::dtype_bytes(s.dtype);
    pg.k = lab::DeviceBytes(pool_bytes);
    pg.v = lab::DeviceBytes(pool_bytes);
    dispatch_dtype(s.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      build_pages_kernel<T><<<kFillBlocks, kFillThreads, 0, impl_->stream>>>(
          impl_->k.as<T>(), pg.k.as<T>(), pg.table.as<int>(), s.B, s.Hkv, s.S_alloc, P, max_pages);
      LABS_CHECK_LAUNCH();
      build_pages_kernel<T><<<kFillBlocks, kFillThreads, 0, impl_->stream>>>(
          impl_->v.as<T>(), pg.v.as<T>(), pg.table.as<int>(), s.B, s.Hkv, s.S_alloc, P, max_pages);
      LABS_CHECK_LAUNCH();
    });
    LABS_CHECK(cudaStreamSynchronize(impl_->stream));
    it = impl_->paged.emplace(layout, std::move(pg)).first;
  }
  p.k_pages = it->second.k.get();
  p.v_pages = it->second.v.get();
  p.block_table = it->second.table.as<int>();
  return p;
}

void DecodeFixture::poison_output(cudaStream_t stream) const { impl_->out.poison(stream); }

std::string DecodeFixture::reference_kind() const { return use_cpu_oracle(shape_) ? "cpu-fp64" : "gpu-fp64-accumulate"; }

std::vector<float> DecodeFixture::host_q() const {
  return lab::download_as_float(impl_->q.get(), static_cast<size_t>(shape_.B) * shape_.Hq * shape_.D, shape_.dtype);
}
std::vector<float> DecodeFixture::host_k() const {
  return lab::download_as_float(impl_->k.get(), static_cast<size_t>(shape_.B) * shape_.Hkv * shape_.S_alloc * shape_.D,
                                shape_.dtype);
}
std::vector<float> DecodeFixture::host_v() const {
  return lab::download_as_float(impl_->v.get(), static_cast<size_t>(shape_.B) * shape_.Hkv * shape_.S_alloc * shape_.D,
                                shape_.dtype);
}
std::vector<float> DecodeFixture::download_output() const {
  LABS_CHECK(cudaStreamSynchronize(impl_->stream));
  return lab::download_as_float(impl_->out.get(), static_cast<size_t>(shape_.B) * shape_.Hq * shape_.D, shape_.dtype);
}

const std::vector<double>& DecodeFixture::reference() {
  if (impl_->ref) return *impl_->ref;
  const Shape& s = shape_;
  if (use_cpu_oracle(s)) {
    impl_->ref = attention_cpu(s, host_q(), host_k(), host_v());
    return *impl_->ref;
  }
  const size_t nout = static_cast<size_t>(s.B) * s.Hq * s.D;
  lab::DeviceBytes out(nout * sizeof(double));
  lab::DeviceBytes scores(static_cast<size_t>(s.B) * s.Hq * s.S * sizeof(double));
  dispatch_dtype(s.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    reference_kernel<T><<<dim3(s.Hq, s.B), kRefThreads, 0, impl_->stream>>>(
        impl_->q.as<T>(), impl_->k.as<T>(), impl_->v.as<T>(), out.as<double>(), scores.as<double>(), s.Hq, s.Hkv, s.S,
        s.S_alloc);
    LABS_CHECK_LAUNCH();
  });
  LABS_CHECK(cudaStreamSynchronize(impl_->stream));
  std::vector<double> ref(nout);
  out.download(ref.data(), nout * sizeof(double));
  impl_->ref = std::move(ref);
  return *impl_->ref;
}

lab::CheckResult DecodeFixture::check_output() { return check_attention(download_output(), reference(), shape_.dtype); }
#endif

}  // namespace decode02
