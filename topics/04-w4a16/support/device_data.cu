/// @file device_data.cu
#include "support/device_data.hpp"

#include <stdexcept>

#include "quant/pack.hpp"
#include "quant/tiled_layout.hpp"
#include "support/gpu_support.hpp"

#if LABS_GPU
namespace w4a16 {
namespace {

constexpr int kXRows = 16;

void copy_d2d(lab::DeviceBytes& dst, const lab::DeviceBytes& src, Stream s) {
  LABS_CHECK(cudaMemcpyAsync(dst.get(), src.get(), src.bytes(), cudaMemcpyDeviceToDevice, s));
}

lab::DeviceBytes clone(const lab::DeviceBytes& src, Stream s) {
  lab::DeviceBytes d(src.bytes());
  copy_d2d(d, src, s);
  return d;
}

std::size_t groups_n(int N, int K) { return static_cast<std::size_t>(K / kGroup) * N; }

}  // namespace

void DeviceData::alloc_xy() {
  const std::size_t e = lab::dtype_bytes(dtype_);
  x_ = lab::DeviceBytes(static_cast<std::size_t>(kXRows) * K_ * e);
  y_ = lab::DeviceBytes(static_cast<std::size_t>(kXRows) * N_ * e);
}

DeviceData::DeviceData(int N, int K, lab::DType dtype, Sets sets, std::uint64_t seed, Stream s)
    : N_(N), K_(K), dtype_(dtype) {
  Problem probe;
  probe.N = N;
  probe.K = K;
  probe.dtype = dtype;
  require_supported(probe);
  alloc_xy();
  const std::size_t e = lab::dtype_bytes(dtype_);
  fill_random_values(dtype_, x_.get(), static_cast<std::size_t>(kXRows) * K_, -1.0f, 1.0f, seed + 1, s);
  if (sets.int4 > 0 || sets.dense > 0) {
    Int4Set w;
    w.plain = lab::DeviceBytes(static_cast<std::size_t>(N) * K / 2);
    w.tiled = lab::DeviceBytes(tiled_bytes(N, K));
    w.scales = lab::DeviceBytes(groups_n(N, K) * e);
    w.zeros = lab::DeviceBytes(groups_n(N, K));
    fill_random_bytes(w.plain.get(), w.plain.bytes(), seed + 2, s);
    fill_random_values(dtype_, w.scales.get(), groups_n(N, K), 0.004f, 0.012f, seed + 3, s);
    fill_random_nibbles(w.zeros.as<std::uint8_t>(), groups_n(N, K), seed + 4, s);
    repack_plain_to_tiled_gpu(w.plain.as<std::uint8_t>(), w.tiled.as<std::uint8_t>(), N, K, s);
    int4_.push_back(std::move(w));
  }
  if (sets.int8 > 0) {
    Int8Set w;
    w.q = lab::DeviceBytes(static_cast<std::size_t>(N) * K);
    w.scales = lab::DeviceBytes(static_cast<std::size_t>(N) * e);
    fill_random_bytes(w.q.get(), w.q.bytes(), seed + 5, s);
    fill_random_values(dtype_, w.scales.get(), N, 0.0005f, 0.0015f, seed + 6, s);
    int8_.push_back(std::move(w));
  }
  if (sets.dense > 0) {
    dense_.emplace_back(static_cast<std::size_t>(N) * K * e);
    Problem p = probe;
    p.wfmt = WFormat::int4_sym;
    dequantize_to_dense(p, weights(WFormat::int4_sym, 0), dense_[0].get(), s);
  }
  replicate(sets, s);
  LABS_CHECK(cudaStreamSynchronize(s));
}

DeviceData::DeviceData(const Int4Matrix* w4, const Int8Matrix* w8, const std::vector<float>& x, lab::DType dtype,
                       Stream s)
    : dtype_(dtype) {
  if (!w4 && !w8) throw std::invalid_argument("DeviceData: no weights given");
  N_ = w4 ? w4->rows : w8->rows;
  K_ = w4 ? w4->cols : w8->cols;
  if (x.size() != static_cast<std::size_t>(kXRows) * K_) throw std::invalid_argument("DeviceData: x must be [16][K]");
  Problem probe;
  probe.N = N_;
  probe.K = K_;
  probe.dtype = dtype;
  require_supported(probe);
  alloc_xy();
  const auto xb = lab::encode(dtype_, x);
  x_.upload(xb.data(), xb.size());
  if (w4) {
    if (w4->group != kGroup || w4->cols % kGroup != 0) throw std::invalid_argument("DeviceData: int4 group must be 128");
    Int4Set w;
    const auto plain = pack_plain(w4->codes, N_, K_);
    const auto tiled = pack_tiled(w4->codes, N_, K_);
    const auto scales = lab::encode(dtype_, w4->scales);
    std::vector<std::uint8_t> zeros = w4->asym ? w4->zeros : std::vector<std::uint8_t>(groups_n(N_, K_), 8);
    w.plain = lab::DeviceBytes(plain.size());
    w.plain.upload(plain.data(), plain.size());
    w.tiled = lab::DeviceBytes(tiled.size());
    w.tiled.upload(tiled.data(), tiled.size());
    w.scales = lab::DeviceBytes(scales.size());
    w.scales.upload(scales.data(), scales.size());
    w.zeros = lab::DeviceBytes(zeros.size());
    w.zeros.upload(zeros.data(), zeros.size());
    int4_.push_back(std::move(w));
    dense_.emplace_back(static_cast<std::size_t>(N_) * K_ * lab::dtype_bytes(dtype_));
    Problem p = probe;
    p.wfmt = WFormat::int4_sym;
    dequantize_to_dense(p, weights(WFormat::int4_sym, 0), dense_[0].get(), s);
  }
  if (w8) {
    if (w8->rows != N_ || w8->cols != K_) throw std::invalid_argument("DeviceData: int8 shape differs");
    Int8Set w;
    const auto q = pack_int8(*w8);
    const auto scales = lab::encode(dtype_, w8->scales);
    w.q = lab::DeviceBytes(q.size());
    w.q.upload(q.data(), q.size());
    w.scales = lab::DeviceBytes(scales.size());
    w.scales.upload(scales.data(), scales.size());
    int8_.push_back(std::move(w));
  }
  LABS_CHECK(cudaStreamSynchronize(s));
}

void DeviceData::replicate(Sets sets, Stream s) {
  if (!int4_.empty())
    while (static_cast<int>(int4_.size()) < sets.int4) {
      Int4Set w;
      w.plain = clone(int4_[0].plain, s);
      w.tiled = clone(int4_[0].tiled, s);
      w.scales = clone(int4_[0].scales, s);
      w.zeros = clone(int4_[0].zeros, s);
      int4_.push_back(std::move(w));
    }
  if (!int8_.empty())
    while (static_cast<int>(int8_.size()) < sets.int8) {
      Int8Set w;
      w.q = clone(int8_[0].q, s);
      w.scales = clone(int8_[0].scales, s);
      int8_.push_back(std::move(w));
    }
  if (!dense_.empty())
    while (static_cast<int>(dense_.size()) < sets.dense) dense_.push_back(clone(dense_[0], s));
}

int DeviceData::sets(WFormat f) const {
  switch (f) {
    case WFormat::int4_sym:
    case WFormat::int4_asym: return static_cast<int>(int4_.size());
    case WFormat::int8: return static_cast<int>(int8_.size());
    case WFormat::dense: return static_cast<int>(dense_.size());
  }
  return 0;
}

DeviceWeights DeviceData::weights(WFormat f, int set) const {
  if (set < 0 || set >= sets(f)) throw std::out_of_range("DeviceData: no weight set " + std::to_string(set));
  DeviceWeights w;
  switch (f) {
    case WFormat::int4_sym:
    case WFormat::int4_asym: {
      const Int4Set& v = int4_[set];
      w.plain = v.plain.as<std::uint8_t>();
      w.tiled = v.tiled.as<std::uint8_t>();
      w.scales = v.scales.get();
      w.zeros = f == WFormat::int4_asym ? v.zeros.as<std::uint8_t>() : nullptr;
      break;
    }
    case WFormat::int8:
      w.plain = int8_[set].q.as<std::uint8_t>();
      w.scales = int8_[set].scales.get();
      break;
    case WFormat::dense: w.dense = dense_[set].get(); break;
  }
  return w;
}

double DeviceData::touched_bytes(WFormat f) const {
  return bytes_model(f, dtype_, 0, N_, K_);  // M = 0: the weights alone
}

std::vector<float> DeviceData::download_y(int M) const {
  return lab::download_as_float(y_.get(), static_cast<std::size_t>(M) * N_, dtype_);
}

Int4Matrix DeviceData::host_int4(bool asym) const {
  if (int4_.empty()) throw std::logic_error("DeviceData: no int4 weights");
  Int4Matrix m;
  m.rows = N_;
  m.cols = K_;
  m.group = kGroup;
  m.asym = asym;
  std::vector<std::uint8_t> plain(int4_[0].plain.bytes());
  int4_[0].plain.download(plain.data(), plain.size());
  m.codes = unpack_plain(plain, N_, K_);
  m.scales = lab::download_as_float(int4_[0].scales.get(), groups_n(N_, K_), dtype_);
  if (asym) {
    m.zeros.resize(groups_n(N_, K_));
    int4_[0].zeros.download(m.zeros.data(), m.zeros.size());
  }
  return m;
}

Int8Matrix DeviceData::host_int8() const {
  if (int8_.empty()) throw std::logic_error("DeviceData: no int8 weights");
  Int8Matrix m;
  m.rows = N_;
  m.cols = K_;
  m.q.resize(static_cast<std::size_t>(N_) * K_);
  int8_[0].q.download(m.q.data(), m.q.size());
  m.scales = lab::download_as_float(int8_[0].scales.get(), N_, dtype_);
  return m;
}

std::vector<float> DeviceData::host_x(int M) const {
  return lab::download_as_float(x_.get(), static_cast<std::size_t>(M) * K_, dtype_);
}

const std::vector<double>& DeviceData::gpu_reference(WFormat f, Stream s) {
  const WFormat src = f == WFormat::dense ? WFormat::int4_sym : f;
  auto it = refs_.find(src);
  if (it != refs_.end()) return it->second;
  lab::DeviceBytes out(sizeof(double) * static_cast<std::size_t>(kXRows) * N_);
  reference_gemv_gpu(src, dtype_, kXRows, N_, K_, x_.get(), weights(src, 0), out.as<double>(), s);
  LABS_CHECK(cudaStreamSynchronize(s));
  std::vector<double> host(static_cast<std::size_t>(kXRows) * N_);
  out.download(host.data(), host.size() * sizeof(double));
  return refs_.emplace(src, std::move(host)).first->second;
}

}  // namespace w4a16
#endif
