/// @file read_sweep.cu
/// How fast a kernel that only *reads* can go, cold, at every size (read-kernel-sweep): a
/// persistent grid of 16-byte vector loads that sums every 32-bit word of the first `bytes` of
/// a pattern buffer, one sum per block, checked against the pattern's sum computed from its
/// formula (pattern_word), not from memory.
///
/// Why: decode attention (topic 02) and W4A16 GEMV (topic 04) read their bytes and write
/// almost nothing. The copy sweeps say what a copy of a given size costs, but a copy reads
/// half its bytes and writes the other half, and HBM turns between reads and writes cost it
/// time a read-only kernel does not pay (topic 02's v10 streams 4 GiB at 105% of the copy
/// rate). This sweep is the ceiling those kernels should be judged against at their own
/// size: "our 128 MiB step takes X us, a pure read of 128 MiB takes Y".
///
/// Byte model: the bytes read, once (1 x buffer), the convention of every read-bound lab.
/// % of copy BW is then "useful bytes per second over the copy rate", as in topics 02 and 04.
#include <algorithm>
#include <memory>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "labs/device_buffer.hpp"
#include "machine.hpp"
#include "pattern.hpp"

#if LABS_GPU
namespace machine {
namespace {

constexpr int kReadThreads = 256;
/// 16-byte vectors in flight per thread: 64 B x 256 threads x (blocks per SM) is well over what
/// Little's law asks of an SM (~35 KB at ~4.5 TB/s and ~1 us latency over 132 SMs).
constexpr int kReadUnroll = 4;
constexpr std::uint32_t kReadSeed = 5;  // not the copy sweeps' seed: their stale data cannot pass

/// Sums kReadThreads values through shared memory (no shuffles: the same code on 32- and
/// 64-lane hardware); thread 0 gets the total.
__device__ unsigned long long block_sum(unsigned long long v) {
  __shared__ unsigned long long s[kReadThreads];
  s[threadIdx.x] = v;
  __syncthreads();
  for (int half = kReadThreads / 2; half > 0; half /= 2) {
    if (static_cast<int>(threadIdx.x) < half) s[threadIdx.x] += s[threadIdx.x + half];
    __syncthreads();
  }
  return s[0];
}

/// Grid-stride over 16-byte vectors, kReadUnroll loads issued before any is added. Integer
/// sums: the result does not depend on the order, so one number checks every byte was read
/// exactly once (a skipped or doubled vector changes it).
__global__ void __launch_bounds__(kReadThreads)
    read_sum_kernel(const uint4* __restrict__ src, std::size_t nvec, unsigned long long* __restrict__ block_sums) {
  const std::size_t tid = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const std::size_t nthreads = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  unsigned long long sum = 0;
  for (std::size_t v = tid; v < nvec; v += kReadUnroll * nthreads) {
    uint4 r[kReadUnroll];
#pragma unroll
    for (int u = 0; u < kReadUnroll; ++u)
      r[u] = v + u * nthreads < nvec ? __ldg(src + v + u * nthreads) : make_uint4(0u, 0u, 0u, 0u);
#pragma unroll
    for (int u = 0; u < kReadUnroll; ++u)
      sum += static_cast<unsigned long long>(r[u].x) + r[u].y + r[u].z + r[u].w;
  }
  const unsigned long long total = block_sum(sum);
  if (threadIdx.x == 0) block_sums[blockIdx.x] = total;
}

/// The oracle: the same sum from pattern_word's formula, touching no buffer.
__global__ void __launch_bounds__(kReadThreads)
    pattern_sum_kernel(std::size_t words, std::uint32_t seed, unsigned long long* out) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  unsigned long long sum = 0;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < words; i += stride)
    sum += pattern_word(i, seed);
  const unsigned long long total = block_sum(sum);
  if (threadIdx.x == 0) atomicAdd(out, total);
}

/// The sum of pattern_word(i, seed) over the first `words` words; syncs s.
unsigned long long pattern_sum(std::size_t words, std::uint32_t seed, cudaStream_t s) {
  lab::DeviceBytes out(sizeof(unsigned long long));
  LABS_CHECK(cudaMemsetAsync(out.get(), 0, sizeof(unsigned long long), s));
  const unsigned grid = static_cast<unsigned>(std::clamp<std::size_t>((words + kReadThreads - 1) / kReadThreads, 1, 4096));
  pattern_sum_kernel<<<grid, kReadThreads, 0, s>>>(words, seed, out.as<unsigned long long>());
  LABS_CHECK_LAUNCH();
  unsigned long long got = 0;
  LABS_CHECK(cudaMemcpyAsync(&got, out.get(), sizeof got, cudaMemcpyDeviceToHost, s));
  LABS_CHECK(cudaStreamSynchronize(s));
  return got;
}

}  // namespace

ReadBuffer::ReadBuffer(std::size_t bytes, std::uint32_t pattern_seed, unsigned grid, cudaStream_t s)
    : src(bytes), block_sums(sizeof(unsigned long long) * std::max(1u, grid)), seed(pattern_seed),
      blocks(std::max(1u, grid)) {
  fill_pattern(src.get(), bytes, seed, s);
  LABS_CHECK(cudaStreamSynchronize(s));
}

unsigned read_kernel_blocks(int sms) {
  int per_sm = 0;
  LABS_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, read_sum_kernel, kReadThreads, 0));
  return static_cast<unsigned>(std::max(1, sms) * std::max(1, per_sm));
}

void read_kernel(const ReadBuffer& buf, std::size_t bytes, cudaStream_t s) {
  read_sum_kernel<<<buf.blocks, kReadThreads, 0, s>>>(static_cast<const uint4*>(buf.src.get()), bytes / 16,
                                                      buf.block_sums.as<unsigned long long>());
  LABS_CHECK_LAUNCH();
}

lab::CheckResult read_sum_check(const ReadBuffer& buf, unsigned long long expected, std::size_t bytes,
                                cudaStream_t s) {
  std::vector<unsigned long long> sums(buf.blocks);
  LABS_CHECK(cudaMemcpyAsync(sums.data(), buf.block_sums.get(), sums.size() * sizeof(unsigned long long),
                             cudaMemcpyDeviceToHost, s));
  LABS_CHECK(cudaStreamSynchronize(s));
  unsigned long long got = 0;
  for (unsigned long long v : sums) got += v;
  lab::CheckResult r;
  r.n = bytes / 4;
  r.pass = got == expected && r.n > 0;
  r.n_bad = r.pass ? 0 : 1;
  r.max_abs = got > expected ? static_cast<double>(got - expected) : static_cast<double>(expected - got);
  r.tol_used = r.pass ? 0.0 : 1e9;  // exact compare
  r.note = r.pass ? "the sum of every word read equals the pattern's sum"
                  : fmt::format("sum of the words read {} != pattern's sum {} (a vector skipped, read twice or "
                                "stale)",
                                got, expected);
  return r;
}

lab::Case read_sweep_case(std::shared_ptr<const ReadBuffer> buf, std::size_t bytes, cudaStream_t check_stream) {
  if (bytes == 0 || bytes % 1024 != 0 || bytes > buf->src.bytes())
    throw std::invalid_argument(fmt::format("read sweep: {} bytes is not a whole number of KiB in (0, {}]", bytes,
                                            buf->src.bytes()));
  const unsigned long long expected = pattern_sum(bytes / 4, buf->seed, check_stream);
  lab::Case c;
  c.variant = "read-kernel-sweep";
  c.workload = {{"op", "d2d-read"}, {"bytes_per_buffer", bytes}, {"dtype", "fp32"}};
  c.workload_flags = fmt::format("--sweep-kib {}", bytes >> 10);
  c.bytes = static_cast<double>(bytes);
  c.kernel_regex = "read_sum_kernel";
  c.run = [buf, bytes](cudaStream_t s) { read_kernel(*buf, bytes, s); };
  c.poison = [buf](cudaStream_t s) { buf->block_sums.poison(s); };
  c.check = [buf, expected, bytes, check_stream] { return read_sum_check(*buf, expected, bytes, check_stream); };
  c.extra = {{"method", fmt::format("read-only kernel: 16-byte vectors, {} per thread in flight, {} blocks x {} "
                                    "threads (persistent grid), an integer sum per block; bytes = bytes read",
                                    kReadUnroll, buf->blocks, kReadThreads)}};
  return c;
}

std::optional<double> read_kernel_sweep(Context& ctx) {
  const std::vector<std::size_t>& sizes = ctx.sizes.sweep_bytes;
  if (sizes.empty()) return std::nullopt;
  const cudaStream_t st = ctx.session.stream();
  auto buf = std::make_shared<const ReadBuffer>(*std::max_element(sizes.begin(), sizes.end()), kReadSeed,
                                                read_kernel_blocks(ctx.session.gpu().sms), st);
  std::optional<double> last;
  for (std::size_t bytes : sizes) {
    if (ctx.session.interrupted()) break;
    last = row_number(measure_fixed(ctx, read_sweep_case(buf, bytes, st), {lab::L2Mode::cold, 0, true}), "gbps");
  }
  return last;
}

}  // namespace machine
#endif
