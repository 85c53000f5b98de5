// The probes' oracle (see probe_check.hpp): a plain grid-stride word sum, no code shared with
// any probe.
#include "labs/probe_check.hpp"

#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#if LABS_GPU
namespace lab {
namespace {

__global__ void word_sum_kernel(const unsigned char* __restrict__ base, std::size_t runs, std::size_t run_words,
                                std::size_t stride_bytes, std::uint32_t* out) {
  std::uint32_t s = 0;
  const std::size_t words = runs * run_words;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < words;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const std::size_t run = i / run_words, w = i % run_words;
    s += reinterpret_cast<const std::uint32_t*>(base + run * stride_bytes)[w];
  }
  atomicAdd(out, s);
}

}  // namespace

std::uint32_t device_word_sum(const void* base, std::size_t runs, std::size_t run_bytes, std::size_t stride_bytes,
                              cudaStream_t stream) {
  if (run_bytes % 4 != 0 || stride_bytes % 4 != 0) throw std::logic_error("device_word_sum: not whole 32-bit words");
  DeviceBytes out(sizeof(std::uint32_t));
  LABS_CHECK(cudaMemsetAsync(out.get(), 0, sizeof(std::uint32_t), stream));
  word_sum_kernel<<<264, 256, 0, stream>>>(static_cast<const unsigned char*>(base), runs, run_bytes / 4, stride_bytes,
                                           out.as<std::uint32_t>());
  LABS_CHECK_LAUNCH();
  std::uint32_t got = 0;
  LABS_CHECK(cudaMemcpyAsync(&got, out.get(), sizeof got, cudaMemcpyDeviceToHost, stream));
  LABS_CHECK(cudaStreamSynchronize(stream));
  return got;
}

CheckResult compare_word_sums(const DeviceBytes& slots, std::uint32_t expected, cudaStream_t stream) {
  std::vector<std::uint32_t> host(slots.bytes() / sizeof(std::uint32_t));
  LABS_CHECK(cudaMemcpyAsync(host.data(), slots.get(), slots.bytes(), cudaMemcpyDeviceToHost, stream));
  LABS_CHECK(cudaStreamSynchronize(stream));
  std::uint32_t got = 0;
  for (std::uint32_t v : host) got += v;
  CheckResult r;
  r.n = host.size();
  r.pass = got == expected && r.n > 0;
  r.n_bad = r.pass ? 0 : 1;
  r.max_abs = got > expected ? static_cast<double>(got - expected) : static_cast<double>(expected - got);
  r.tol_used = r.pass ? 0.0 : 1e9;  // an exact compare: no tolerance to use up
  r.note = r.pass ? "probe: the words read sum (mod 2^32) to the bytes' own sum"
                  : fmt::format("probe: the words read sum to {}, the bytes to {} (a load skipped, doubled or stale)",
                                got, expected);
  return r;
}

}  // namespace lab
#endif
