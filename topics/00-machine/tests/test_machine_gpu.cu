/// @file test_machine_gpu.cu
/// GPU tests of topic 00's checks: each must pass on a correct result and fail on a broken
/// one (a corrupted word, a short copy, a missing launch, a wrong GEMM element, NaN).
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "labs/device_buffer.hpp"
#include "labs/launches.hpp"
#include "machine.hpp"
#include "pattern.hpp"

namespace {
cudaStream_t test_stream() {
  static cudaStream_t s = [] {
    cudaStream_t st = nullptr;
    LABS_CHECK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
    return st;
  }();
  return s;
}
}  // namespace

TEST_CASE("the device pattern check passes on the pattern and finds one corrupted word") {
  const cudaStream_t s = test_stream();
  const std::size_t bytes = (std::size_t{1} << 20) + 12;
  lab::DeviceBytes buf(bytes);
  machine::fill_pattern(buf.get(), bytes, 5, s);
  const machine::Mismatches ok = machine::count_mismatches(buf.get(), bytes, 5, s);
  CHECK(ok.count == 0);
  CHECK(machine::pattern_check(ok, bytes, "buffer").pass);
  LABS_CHECK(cudaMemsetAsync(static_cast<char*>(buf.get()) + 777 * 4, 0, 4, s));
  const machine::Mismatches bad = machine::count_mismatches(buf.get(), bytes, 5, s);
  CHECK(bad.count == 1);
  CHECK(bad.first == 777);
  CHECK_FALSE(machine::pattern_check(bad, bytes, "buffer").pass);
  CHECK(machine::count_mismatches(buf.get(), bytes, 6, s).count > 1000);  // another seed: wrong data
}

TEST_CASE("the host pattern check finds a corrupted word") {
  std::vector<std::uint32_t> h(4099);
  machine::fill_pattern_host(h.data(), h.size() * 4, 9);
  CHECK(machine::count_mismatches_host(h.data(), h.size() * 4, 9).count == 0);
  h[4098] ^= 1u;
  const machine::Mismatches m = machine::count_mismatches_host(h.data(), h.size() * 4, 9);
  CHECK(m.count == 1);
  CHECK(m.first == 4098);
}

TEST_CASE("the vector copy kernel copies every size exactly and writes nothing past the end") {
  const cudaStream_t s = test_stream();
  const unsigned blocks = machine::copy_kernel_blocks(lab::query_gpu(0).sms);
  for (std::size_t bytes : {std::size_t{4}, std::size_t{20}, std::size_t{4096 * 3 + 8}, std::size_t{1} << 20,
                            (std::size_t{1} << 20) + 12}) {
    CAPTURE(bytes);
    lab::DeviceBytes src(bytes), dst(bytes + 64);
    machine::fill_pattern(src.get(), bytes, 3, s);
    dst.poison(s);
    machine::copy_kernel(dst.get(), src.get(), bytes, blocks, s);
    CHECK(machine::count_mismatches(dst.get(), bytes, 3, s).count == 0);
    unsigned char guard[64];
    LABS_CHECK(cudaMemcpy(guard, static_cast<char*>(dst.get()) + bytes, sizeof guard, cudaMemcpyDeviceToHost));
    for (unsigned char g : guard) REQUIRE(g == 0xFF);
  }
  // A copy one vector short must be caught.
  const std::size_t bytes = 1 << 16;
  lab::DeviceBytes src(bytes), dst(bytes);
  machine::fill_pattern(src.get(), bytes, 3, s);
  dst.poison(s);
  machine::copy_kernel(dst.get(), src.get(), bytes - 16, blocks, s);
  const machine::Mismatches m = machine::count_mismatches(dst.get(), bytes, 3, s);
  CHECK(m.count == 4);
  CHECK(m.first == bytes / 4 - 4);
}

TEST_CASE("N empty-kernel launches add N to the counter, and CUPTI counts N launches") {
  const cudaStream_t s = test_stream();
  lab::DeviceBytes counter(sizeof(unsigned));
  LABS_CHECK(cudaMemsetAsync(counter.get(), 0, sizeof(unsigned), s));
  const lab::LaunchCount c =
      lab::count_launches([&](cudaStream_t st) { machine::launch_ticks(counter.as<unsigned>(), 37, st); }, s);
  unsigned got = 0;
  LABS_CHECK(cudaMemcpy(&got, counter.get(), sizeof got, cudaMemcpyDeviceToHost));
  CHECK(got == 37);
  if (c.counted()) CHECK(c.launches == 37);
}

#if defined(LABS_BACKEND_CUDA)
TEST_CASE("events around a 100 us GPU spin read about 100 us") {
  const double ms = machine::timed_spin_ms(100, test_stream());
  CHECK(ms >= 0.099);
  CHECK(ms < 2.0);
}

TEST_CASE("the cuBLAS GEMM check passes on cuBLAS's answer and fails on a wrong element or NaN") {
  const cudaStream_t s = test_stream();
  machine::Bf16Gemm gemm(320, s);
  gemm.poison(s);
  CHECK_FALSE(gemm.check(s).pass);  // poisoned: NaN everywhere
  gemm.run(s);
  const lab::CheckResult ok = gemm.check(s);
  CHECK_MESSAGE(ok.pass, ok.summary());
  gemm.corrupt_one(319, 0, s);  // a corner: always sampled
  CHECK_FALSE(gemm.check(s).pass);
  CHECK(machine::Bf16Gemm::producer().rfind("cuBLAS ", 0) == 0);
}
#endif
