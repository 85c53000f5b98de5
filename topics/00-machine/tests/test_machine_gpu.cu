/// @file test_machine_gpu.cu
/// GPU tests of topic 00's checks: each must pass on a correct result and fail on a broken
/// one (a corrupted word, a short copy, a missing launch, a wrong GEMM element, NaN), including
/// the checks of the timing-floor rows, of the copy sweeps' sub-range copies and of the read
/// sweep's sums.
#include <doctest/doctest.h>

#include <cstring>
#include <memory>
#include <stdexcept>
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

TEST_CASE("the copy sweeps run 256 KiB to 1 GiB per buffer in doublings by default") {
  constexpr std::size_t KiB = 1024, MiB = KiB * 1024;
  const std::vector<std::size_t> said = {256 * KiB, 512 * KiB, 1 * MiB,   2 * MiB,   4 * MiB,   8 * MiB,  16 * MiB,
                                         32 * MiB,  64 * MiB,  128 * MiB, 256 * MiB, 512 * MiB, 1024 * MiB};
  CHECK(machine::Sizes{}.sweep_bytes == said);
  CHECK(machine::sweep_sizes(64 * MiB) == std::vector<std::size_t>(said.begin(), said.begin() + 9));  // --quick
}

TEST_CASE("a timing-floor row's check passes on one tick and fails on none or two") {
  const cudaStream_t s = test_stream();
  for (lab::L2Mode mode : {lab::L2Mode::cold, lab::L2Mode::warm}) {
    const lab::Case c = machine::floor_empty_case(mode, s);
    CAPTURE(c.variant);
    CHECK(c.variant == (mode == lab::L2Mode::cold ? "floor-empty-cold" : "floor-empty-warm"));
    c.poison(s);
    c.run(s);
    const lab::CheckResult one = c.check();
    CHECK_MESSAGE(one.pass, one.summary());
    c.poison(s);  // the reset: the counter reads 0, as if the kernel never ran
    CHECK_FALSE(c.check().pass);
    c.poison(s);
    c.run(s);
    c.run(s);  // two kernels where the row times one
    const lab::CheckResult two = c.check();
    CHECK_FALSE(two.pass);
    CHECK(two.max_abs == 1.0);
  }
  lab::DeviceBytes counter(sizeof(unsigned));
  LABS_CHECK(cudaMemsetAsync(counter.get(), 0, sizeof(unsigned), s));
  machine::launch_ticks(counter.as<unsigned>(), 3, s);
  CHECK(machine::counter_check(counter.as<unsigned>(), 3, s).pass);
  CHECK_FALSE(machine::counter_check(counter.as<unsigned>(), 1, s).pass);
}

TEST_CASE("a copy sweep size copies and checks exactly its bytes of buffers allocated larger") {
  const cudaStream_t s = test_stream();
  const std::size_t full = std::size_t{1} << 20, bytes = std::size_t{256} << 10;
  auto buf = std::make_shared<const machine::CopyBuffers>(full, 21, s);
  const unsigned blocks = machine::copy_kernel_blocks(lab::query_gpu(0).sms);
  for (machine::CopyBy by : {machine::CopyBy::memcpy, machine::CopyBy::kernel}) {
    const lab::Case c = machine::copy_sweep_case(buf, bytes, by, blocks, s);
    CAPTURE(c.variant);
    CHECK(c.workload_flags == "--sweep-kib 256");
    CHECK(c.bytes == 2.0 * bytes);
    LABS_CHECK(cudaMemsetAsync(buf->dst.get(), 0, full, s));  // past the range: not the pattern
    c.poison(s);
    c.run(s);
    const lab::CheckResult ok = c.check();  // the rest of dst is zeros: it must not be read
    CHECK_MESSAGE(ok.pass, ok.summary());
    CHECK(ok.n == bytes / 4);
    c.poison(s);  // no copy after the poison: every checked word is wrong
    CHECK(c.check().n_bad == bytes / 4);
    c.poison(s);
    machine::copy_kernel(buf->dst.get(), buf->src.get(), bytes - 16, blocks, s);  // one vector short
    const lab::CheckResult short_copy = c.check();
    CHECK_FALSE(short_copy.pass);
    CHECK(short_copy.n_bad == 4);
  }
  CHECK_THROWS_AS(machine::copy_sweep_case(buf, 2 * full, machine::CopyBy::memcpy, blocks, s), std::invalid_argument);
  CHECK_THROWS_AS(machine::copy_sweep_case(buf, 1000, machine::CopyBy::memcpy, blocks, s), std::invalid_argument);
}

TEST_CASE("a read sweep size sums exactly its bytes, and its check catches a short read, no read and other data") {
  const cudaStream_t s = test_stream();
  const std::size_t full = std::size_t{1} << 20, bytes = std::size_t{256} << 10;
  const unsigned blocks = machine::read_kernel_blocks(lab::query_gpu(0).sms);
  auto buf = std::make_shared<const machine::ReadBuffer>(full, 23, blocks, s);
  const lab::Case c = machine::read_sweep_case(buf, bytes, s);
  CHECK(c.variant == "read-kernel-sweep");
  CHECK(c.workload_flags == "--sweep-kib 256");
  CHECK(c.bytes == 1.0 * bytes);  // read once: no write in the byte model
  c.poison(s);
  c.run(s);
  const lab::CheckResult ok = c.check();
  CHECK_MESSAGE(ok.pass, ok.summary());
  CHECK(ok.n == bytes / 4);
  c.poison(s);  // the per-block sums are 0xFF.. bytes: as if the kernel never ran
  CHECK_FALSE(c.check().pass);
  c.poison(s);
  machine::read_kernel(*buf, bytes - 16, s);  // one vector short
  CHECK_FALSE(c.check().pass);
  c.poison(s);
  machine::read_kernel(*buf, bytes + 16, s);  // one vector past the range
  CHECK_FALSE(c.check().pass);
  // The same bytes with another pattern: the oracle is the formula, not the buffer it reads.
  machine::fill_pattern(buf->src.get(), bytes, 24, s);
  c.poison(s);
  c.run(s);
  CHECK_FALSE(c.check().pass);
  CHECK_THROWS_AS(machine::read_sweep_case(buf, 2 * full, s), std::invalid_argument);
  CHECK_THROWS_AS(machine::read_sweep_case(buf, 1000, s), std::invalid_argument);
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
