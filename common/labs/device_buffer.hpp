/// @file device_buffer.hpp
/// Owning device allocations. Allocate outside timed regions only: nothing in a timed
/// iteration may call cudaMalloc.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "labs/dtype.hpp"
#include "labs/gpu.hpp"

namespace lab {

#if LABS_GPU
class DeviceBytes {
 public:
  DeviceBytes() = default;
  explicit DeviceBytes(std::size_t bytes);
  ~DeviceBytes();
  DeviceBytes(DeviceBytes&& o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  DeviceBytes& operator=(DeviceBytes&& o) noexcept;
  DeviceBytes(const DeviceBytes&) = delete;
  DeviceBytes& operator=(const DeviceBytes&) = delete;

  void* get() const { return p_; }
  std::size_t bytes() const { return n_; }
  template <class T> T* as() const { return static_cast<T*>(p_); }

  void upload(const void* host, std::size_t bytes);
  void download(void* host, std::size_t bytes) const;
  /// Fills every byte with 0xFF: NaN in fp32, fp16 and bf16, so an element the kernel
  /// forgot to write fails the check.
  void poison(cudaStream_t stream) const;

 private:
  void* p_ = nullptr;
  std::size_t n_ = 0;
};

/// Uploads host floats as dtype t (rounded to nearest even).
DeviceBytes upload_as(DType t, const std::vector<float>& host);
/// Downloads n elements of dtype t starting at `ptr`, widened to float.
std::vector<float> download_as_float(const void* ptr, std::size_t n, DType t);
#endif

}  // namespace lab
