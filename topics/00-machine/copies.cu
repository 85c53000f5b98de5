/// @file copies.cu
/// Copy bandwidths: device to device (HBM-sized and L2-resident, through cudaMemcpyAsync
/// as PyTorch's tensor copy does, and through a hand-written 16-byte vector kernel), and
/// host <-> device for pinned and pageable host memory. Every copy moves pattern_word data
/// and is checked by recomputing the pattern over the whole destination.
///
/// Byte models: a device copy counts bytes read + bytes written (2 x buffer), the convention
/// of nvbandwidth and of the "% of copy bandwidth" every later lab reports; a host copy
/// counts the bytes crossing PCIe/NVLink-C2C once.
#include <algorithm>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "labs/device_buffer.hpp"
#include "machine.hpp"
#include "pattern.hpp"

#if LABS_GPU
namespace machine {
namespace {

constexpr int kThreads = 256;

unsigned grid_for_words(std::size_t words) {
  return static_cast<unsigned>(std::clamp<std::size_t>((words + kThreads - 1) / kThreads, 1, 65536));
}

__global__ void fill_pattern_kernel(std::uint32_t* p, std::size_t words, std::uint32_t seed) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < words; i += stride)
    p[i] = pattern_word(i, seed);
}

/// One atomic per thread that saw a mismatch: cheap when all is well, bounded when all is wrong.
__global__ void count_mismatches_kernel(const std::uint32_t* p, std::size_t words, std::uint32_t seed,
                                        unsigned long long* count, unsigned long long* first) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  unsigned long long bad = 0, first_bad = ~0ull;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < words; i += stride) {
    if (p[i] != pattern_word(i, seed)) {
      ++bad;
      if (i < first_bad) first_bad = i;
    }
  }
  if (bad) {
    atomicAdd(count, bad);
    atomicMin(first, first_bad);
  }
}

constexpr int kCopyUnroll = 2;

/// 16-byte vectors, both loads issued before either store (32 bytes in flight per thread).
__global__ void __launch_bounds__(kThreads)
    copy_vec16_kernel(uint4* __restrict__ dst, const uint4* __restrict__ src, std::size_t nvec,
                      std::uint32_t* __restrict__ dst_tail, const std::uint32_t* __restrict__ src_tail,
                      std::size_t tail_words) {
  const std::size_t tid = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const std::size_t nthreads = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  if (tid < tail_words) dst_tail[tid] = src_tail[tid];
  for (std::size_t v = tid; v < nvec; v += kCopyUnroll * nthreads) {
    uint4 r[kCopyUnroll];
#pragma unroll
    for (int u = 0; u < kCopyUnroll; ++u)
      if (v + u * nthreads < nvec) r[u] = src[v + u * nthreads];
#pragma unroll
    for (int u = 0; u < kCopyUnroll; ++u)
      if (v + u * nthreads < nvec) dst[v + u * nthreads] = r[u];
  }
}

}  // namespace

lab::Json copy_workload(std::size_t bytes, int repeats) {
  lab::Json w = {{"op", "d2d-copy"}, {"bytes_per_buffer", bytes}, {"dtype", "fp32"}};
  if (repeats > 1) w["repeats"] = repeats;
  return w;
}

void fill_pattern(void* dst, std::size_t bytes, std::uint32_t seed, cudaStream_t s) {
  const std::size_t words = bytes / 4;
  fill_pattern_kernel<<<grid_for_words(words), kThreads, 0, s>>>(static_cast<std::uint32_t*>(dst), words, seed);
  LABS_CHECK_LAUNCH();
}

Mismatches count_mismatches(const void* p, std::size_t bytes, std::uint32_t seed, cudaStream_t s) {
  lab::DeviceBytes counters(2 * sizeof(unsigned long long));
  const unsigned long long init[2] = {0, ~0ull};
  LABS_CHECK(cudaMemcpyAsync(counters.get(), init, sizeof init, cudaMemcpyHostToDevice, s));
  const std::size_t words = bytes / 4;
  auto* c = counters.as<unsigned long long>();
  count_mismatches_kernel<<<grid_for_words(words), kThreads, 0, s>>>(static_cast<const std::uint32_t*>(p), words,
                                                                     seed, c, c + 1);
  LABS_CHECK_LAUNCH();
  unsigned long long got[2] = {0, 0};
  LABS_CHECK(cudaMemcpyAsync(got, counters.get(), sizeof got, cudaMemcpyDeviceToHost, s));
  LABS_CHECK(cudaStreamSynchronize(s));
  return {got[0], got[0] ? got[1] : 0};
}

void fill_pattern_host(void* dst, std::size_t bytes, std::uint32_t seed) {
  auto* p = static_cast<std::uint32_t*>(dst);
  for (std::size_t i = 0, words = bytes / 4; i < words; ++i) p[i] = pattern_word(i, seed);
}

Mismatches count_mismatches_host(const void* p, std::size_t bytes, std::uint32_t seed) {
  const auto* w = static_cast<const std::uint32_t*>(p);
  Mismatches m;
  for (std::size_t i = 0, words = bytes / 4; i < words; ++i)
    if (w[i] != pattern_word(i, seed)) {
      if (m.count++ == 0) m.first = i;
    }
  return m;
}

lab::CheckResult pattern_check(const Mismatches& m, std::size_t bytes, const std::string& what) {
  lab::CheckResult r;
  r.n = bytes / 4;
  r.n_bad = static_cast<std::size_t>(m.count);
  r.first_bad = static_cast<std::size_t>(m.first);
  r.pass = m.count == 0 && r.n > 0;
  r.tol_used = r.pass ? 0.0 : 1e9;  // exact compare: any difference is infinitely over
  r.note = r.pass ? what + ": every word matches the pattern"
                  : fmt::format("{}: {} of {} words differ from the pattern, first at word {}", what, m.count, r.n,
                                m.first);
  return r;
}

unsigned copy_kernel_blocks(int sms) {
  int per_sm = 0;
  LABS_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, copy_vec16_kernel, kThreads, 0));
  return static_cast<unsigned>(std::max(1, sms) * std::max(1, per_sm));
}

void copy_kernel(void* dst, const void* src, std::size_t bytes, unsigned blocks, cudaStream_t s) {
  const std::size_t nvec = bytes / 16, tail_words = (bytes % 16) / 4;
  auto* d = static_cast<uint4*>(dst);
  const auto* sr = static_cast<const uint4*>(src);
  copy_vec16_kernel<<<blocks, kThreads, 0, s>>>(d, sr, nvec, reinterpret_cast<std::uint32_t*>(d + nvec),
                                                reinterpret_cast<const std::uint32_t*>(sr + nvec), tail_words);
  LABS_CHECK_LAUNCH();
}

namespace {

/// Both device-to-device HBM copies: 2 x hbm_bytes, the source filled with the pattern once.
std::shared_ptr<CopyBuffers> hbm_buffers(Context& ctx) {
  constexpr std::uint32_t kHbmSeed = 1;
  return std::make_shared<CopyBuffers>(ctx.sizes.hbm_bytes, kHbmSeed, ctx.session.stream());
}

}  // namespace

CopyBuffers::CopyBuffers(std::size_t bytes, std::uint32_t pattern_seed, cudaStream_t s)
    : src(bytes), dst(bytes), seed(pattern_seed) {
  fill_pattern(src.get(), bytes, seed, s);
  LABS_CHECK(cudaStreamSynchronize(s));
}

std::optional<double> d2d_copy_hbm(Context& ctx) {
  const std::size_t bytes = ctx.sizes.hbm_bytes;
  auto buf = hbm_buffers(ctx);
  const cudaStream_t st = ctx.session.stream();
  lab::Case c;
  c.variant = "d2d-copy-hbm";
  c.workload = copy_workload(bytes, 1);
  c.workload_flags = fmt::format("--hbm-mib {}", bytes >> 20);
  c.bytes = 2.0 * static_cast<double>(bytes);
  c.run = [buf, bytes](cudaStream_t s) {
    LABS_CHECK(cudaMemcpyAsync(buf->dst.get(), buf->src.get(), bytes, cudaMemcpyDeviceToDevice, s));
  };
  c.poison = [buf](cudaStream_t s) { buf->dst.poison(s); };
  c.check = [buf, bytes, st] {
    return pattern_check(count_mismatches(buf->dst.get(), bytes, buf->seed, st), bytes, "destination");
  };
  c.extra = {{"method", "cudaMemcpyAsync device-to-device (what torch's copy_ calls for contiguous tensors)"}};
  return row_number(measure_fixed(ctx, c, {lab::L2Mode::cold, 0, true, true}), "gbps");
}

std::optional<double> d2d_copy_kernel_hbm(Context& ctx) {
  const std::size_t bytes = ctx.sizes.hbm_bytes;
  auto buf = hbm_buffers(ctx);
  const cudaStream_t st = ctx.session.stream();
  const unsigned blocks = copy_kernel_blocks(ctx.session.gpu().sms);
  lab::Case c;
  c.variant = "d2d-copy-kernel-hbm";
  c.workload = copy_workload(bytes, 1);
  c.workload_flags = fmt::format("--hbm-mib {}", bytes >> 20);
  c.bytes = 2.0 * static_cast<double>(bytes);
  c.kernel_regex = "copy_vec16";
  c.run = [buf, bytes, blocks](cudaStream_t s) { copy_kernel(buf->dst.get(), buf->src.get(), bytes, blocks, s); };
  c.poison = [buf](cudaStream_t s) { buf->dst.poison(s); };
  c.check = [buf, bytes, st] {
    return pattern_check(count_mismatches(buf->dst.get(), bytes, buf->seed, st), bytes, "destination");
  };
  c.extra = {{"method", fmt::format("copy kernel: 16-byte vectors, 2 per thread in flight, {} blocks x {} threads",
                                    blocks, kThreads)}};
  return row_number(measure_fixed(ctx, c, {lab::L2Mode::cold, 0, true}), "gbps");
}

std::optional<double> d2d_copy_l2(Context& ctx) {
  const std::size_t bytes = ctx.sizes.l2_bytes;
  const int repeats = ctx.sizes.l2_repeats;
  const cudaStream_t st = ctx.session.stream();
  auto src = std::make_shared<lab::DeviceBytes>(bytes);
  auto dst = std::make_shared<lab::DeviceBytes>(bytes);
  constexpr std::uint32_t kSeed = 2;
  fill_pattern(src->get(), bytes, kSeed, st);
  lab::Case c;
  c.variant = "d2d-copy-l2";
  c.workload = copy_workload(bytes, repeats);
  c.workload_flags = fmt::format("--l2-mib {} --l2-repeats {}", bytes >> 20, repeats);
  c.bytes = 2.0 * static_cast<double>(bytes) * repeats;
  c.run = [src, dst, bytes, repeats](cudaStream_t s) {
    for (int r = 0; r < repeats; ++r)  // one copy is ~2 us: repeat so the sample is not all launch gap
      LABS_CHECK(cudaMemcpyAsync(dst->get(), src->get(), bytes, cudaMemcpyDeviceToDevice, s));
  };
  c.poison = [dst](cudaStream_t s) { dst->poison(s); };
  c.check = [dst, bytes, st] {
    return pattern_check(count_mismatches(dst->get(), bytes, kSeed, st), bytes, "destination");
  };
  c.extra = {{"method", "cudaMemcpyAsync device-to-device, source and destination resident in L2 (warm)"},
             {"l2_bytes", ctx.session.gpu().l2_bytes}};
  return row_number(measure_fixed(ctx, c, {lab::L2Mode::warm, 0, true}), "gbps");
}

namespace {

/// Pinned (cudaMallocHost) or pageable (new[]) host memory, freed the right way.
struct HostBuffer {
  void* p = nullptr;
  bool pinned = false;
  HostBuffer(std::size_t bytes, bool pin) : pinned(pin) {
    if (pin) LABS_CHECK(cudaMallocHost(&p, bytes));
    else p = new std::uint32_t[bytes / 4];
  }
  ~HostBuffer() {
    if (pinned) (void)cudaFreeHost(p);
    else delete[] static_cast<std::uint32_t*>(p);
  }
  HostBuffer(const HostBuffer&) = delete;
  HostBuffer& operator=(const HostBuffer&) = delete;
};

}  // namespace

std::optional<double> host_copy(Context& ctx, bool to_device, bool pinned) {
  const std::size_t bytes = ctx.sizes.host_bytes / 4 * 4;
  const cudaStream_t st = ctx.session.stream();
  auto host = std::make_shared<HostBuffer>(bytes, pinned);
  auto dev = std::make_shared<lab::DeviceBytes>(bytes);
  constexpr std::uint32_t kSeed = 3;
  const std::string where = pinned ? "pinned" : "pageable";
  lab::Case c;
  c.variant = fmt::format("{}-{}", to_device ? "h2d" : "d2h", where);
  c.workload = {{"op", to_device ? "h2d-copy" : "d2h-copy"}, {"host_memory", where}, {"bytes", bytes},
                {"dtype", "fp32"}};
  c.workload_flags = fmt::format("--host-mib {}", bytes >> 20);
  c.bytes = static_cast<double>(bytes);
  if (to_device) {
    fill_pattern_host(host->p, bytes, kSeed);  // also touches every pageable page before timing
    c.run = [host, dev, bytes](cudaStream_t s) {
      LABS_CHECK(cudaMemcpyAsync(dev->get(), host->p, bytes, cudaMemcpyHostToDevice, s));
    };
    c.poison = [dev](cudaStream_t s) { dev->poison(s); };
    c.check = [dev, bytes, st] {
      return pattern_check(count_mismatches(dev->get(), bytes, kSeed, st), bytes, "device destination");
    };
  } else {
    fill_pattern(dev->get(), bytes, kSeed, st);
    std::memset(host->p, 0xFF, bytes);  // touch every pageable page before timing
    c.run = [host, dev, bytes](cudaStream_t s) {
      LABS_CHECK(cudaMemcpyAsync(host->p, dev->get(), bytes, cudaMemcpyDeviceToHost, s));
    };
    c.poison = [host, bytes](cudaStream_t s) {
      LABS_CHECK(cudaStreamSynchronize(s));  // no copy may still be writing the buffer
      std::memset(host->p, 0xFF, bytes);
    };
    c.check = [host, bytes, st] {
      LABS_CHECK(cudaStreamSynchronize(st));
      return pattern_check(count_mismatches_host(host->p, bytes, kSeed), bytes, "host destination");
    };
  }
  c.extra = {{"method", fmt::format("cudaMemcpyAsync {} with {} host memory", to_device ? "host-to-device"
                                                                                         : "device-to-host",
                                    where)}};
  return row_number(measure_fixed(ctx, c, {lab::L2Mode::cold, 0}), "gbps");
}

}  // namespace machine
#endif
