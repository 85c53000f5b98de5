#include "labs/device_buffer.hpp"

namespace lab {

#if LABS_GPU
DeviceBytes::DeviceBytes(std::size_t bytes) : n_(bytes) {
  if (bytes) LABS_CHECK(cudaMalloc(&p_, bytes));
}

DeviceBytes::~DeviceBytes() {
  if (p_) (void)cudaFree(p_);
}

DeviceBytes& DeviceBytes::operator=(DeviceBytes&& o) noexcept {
  if (this != &o) {
    if (p_) (void)cudaFree(p_);
    p_ = std::exchange(o.p_, nullptr);
    n_ = std::exchange(o.n_, 0);
  }
  return *this;
}

void DeviceBytes::upload(const void* host, std::size_t bytes) {
  if (bytes > n_) throw GpuError("DeviceBytes::upload: more bytes than allocated");
  LABS_CHECK(cudaMemcpy(p_, host, bytes, cudaMemcpyHostToDevice));
}

void DeviceBytes::download(void* host, std::size_t bytes) const {
  if (bytes > n_) throw GpuError("DeviceBytes::download: more bytes than allocated");
  LABS_CHECK(cudaMemcpy(host, p_, bytes, cudaMemcpyDeviceToHost));
}

void DeviceBytes::poison(cudaStream_t stream) const {
  if (n_) LABS_CHECK(cudaMemsetAsync(p_, 0xFF, n_, stream));
}

DeviceBytes upload_as(DType t, const std::vector<float>& host) {
  const std::vector<std::byte> bytes = encode(t, host);
  DeviceBytes d(bytes.size());
  d.upload(bytes.data(), bytes.size());
  return d;
}

std::vector<float> download_as_float(const void* ptr, std::size_t n, DType t) {
  std::vector<std::byte> bytes(n * dtype_bytes(t));
  LABS_CHECK(cudaMemcpy(bytes.data(), ptr, bytes.size(), cudaMemcpyDeviceToHost));
  return decode(t, bytes);
}
#endif

}  // namespace lab
