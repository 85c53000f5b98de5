/// @file sweep.cu
/// The timing floor and small transfers: what the harness reports for a kernel that does
/// nothing (floor-empty-cold, floor-empty-warm), and how a device copy's time and rate grow
/// with its size from 256 KiB to 1 GiB per buffer, through cudaMemcpyAsync (d2d-copy-sweep)
/// and through our 16-byte copy kernel (d2d-copy-kernel-sweep), all cold.
///
/// Why: every lab kernel that moves ~1-30 MB is timed cold, and such a kernel pays a few
/// microseconds that do not scale with its bytes. The floor rows say how much of that any
/// kernel pays under this harness (one launch after the launch gate, with or without the L2
/// flush before it); the sweeps say how many bytes a copy must move before its rate
/// approaches the HBM copy ceiling, so a lab row can be compared with a copy of its own size.
///
/// Byte model: as the other device copies, 2 x buffer (read + write), so "bytes moved" on the
/// x axis of the sweep is the same quantity as every lab's byte model.
#include <algorithm>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

#include "machine.hpp"

#if LABS_GPU
namespace machine {
namespace {

constexpr std::uint32_t kSweepSeed = 4;  // not the HBM rows' seed: stale data of theirs cannot pass

const char* sweep_variant(CopyBy by) { return by == CopyBy::memcpy ? "d2d-copy-sweep" : "d2d-copy-kernel-sweep"; }

std::optional<double> copy_sweep(Context& ctx, CopyBy by) {
  const std::vector<std::size_t>& sizes = ctx.sizes.sweep_bytes;
  if (sizes.empty()) return std::nullopt;
  const cudaStream_t st = ctx.session.stream();
  // One pair at the largest size: no allocation between rows, and every size starts at the
  // same addresses.
  auto buf = std::make_shared<const CopyBuffers>(*std::max_element(sizes.begin(), sizes.end()), kSweepSeed, st);
  const unsigned blocks = by == CopyBy::kernel ? copy_kernel_blocks(ctx.session.gpu().sms) : 0;
  std::optional<double> last;
  for (std::size_t bytes : sizes) {
    if (ctx.session.interrupted()) break;
    last = row_number(measure_fixed(ctx, copy_sweep_case(buf, bytes, by, blocks, st), {lab::L2Mode::cold, 0, true}),
                      "gbps");
  }
  return last;
}

}  // namespace

lab::Case floor_empty_case(lab::L2Mode mode, cudaStream_t check_stream) {
  auto counter = std::make_shared<lab::DeviceBytes>(sizeof(unsigned));
  lab::Case c;
  c.variant = mode == lab::L2Mode::cold ? "floor-empty-cold" : "floor-empty-warm";
  c.workload = launch_workload(1);
  c.kernel_regex = "tick_kernel";
  c.run = [counter](cudaStream_t s) { launch_ticks(counter->as<unsigned>(), 1, s); };
  c.poison = [counter](cudaStream_t s) { LABS_CHECK(cudaMemsetAsync(counter->get(), 0, sizeof(unsigned), s)); };
  c.check = [counter, check_stream] { return counter_check(counter->as<unsigned>(), 1, check_stream); };
  c.extra = {{"method", fmt::format("one <<<1,1>>> kernel (one add) per sample, L2 {}: the smallest time this "
                                    "harness reports for a kernel; latency_us = median",
                                    lab::to_string(mode))}};
  return c;
}

std::optional<double> floor_empty(Context& ctx, lab::L2Mode mode) {
  const lab::Case c = floor_empty_case(mode, ctx.session.stream());
  return row_number(measure_fixed(ctx, c, {mode, 1.0}), "latency_us");
}

lab::Case copy_sweep_case(std::shared_ptr<const CopyBuffers> buf, std::size_t bytes, CopyBy by, unsigned blocks,
                          cudaStream_t check_stream) {
  // Whole KiB: the row's command selects its size with --sweep-kib, and the copy kernel needs
  // whole 4-byte words.
  if (bytes == 0 || bytes % 1024 != 0 || bytes > buf->dst.bytes())
    throw std::invalid_argument(fmt::format("copy sweep: {} bytes is not a whole number of KiB in (0, {}]", bytes,
                                            buf->dst.bytes()));
  if (by == CopyBy::kernel && blocks == 0) throw std::invalid_argument("copy sweep: the copy kernel needs blocks > 0");
  lab::Case c;
  c.variant = sweep_variant(by);
  c.workload = copy_workload(bytes, 1);
  c.workload_flags = fmt::format("--sweep-kib {}", bytes >> 10);
  c.bytes = 2.0 * static_cast<double>(bytes);
  if (by == CopyBy::memcpy) {
    c.run = [buf, bytes](cudaStream_t s) {
      LABS_CHECK(cudaMemcpyAsync(buf->dst.get(), buf->src.get(), bytes, cudaMemcpyDeviceToDevice, s));
    };
    c.extra = {{"method", "cudaMemcpyAsync device-to-device of the first bytes_per_buffer of a pair allocated at "
                          "the sweep's largest size"}};
  } else {
    c.kernel_regex = "copy_vec16";
    c.run = [buf, bytes, blocks](cudaStream_t s) { copy_kernel(buf->dst.get(), buf->src.get(), bytes, blocks, s); };
    c.extra = {{"method", fmt::format("copy kernel (16-byte vectors, {} blocks, persistent grid) of the first "
                                      "bytes_per_buffer of a pair allocated at the sweep's largest size",
                                      blocks)}};
  }
  // Only the range this size writes and checks: poisoning all of a 1 GiB buffer before a
  // 256 KiB copy would cost more than the copy and change nothing the check reads.
  c.poison = [buf, bytes](cudaStream_t s) { LABS_CHECK(cudaMemsetAsync(buf->dst.get(), 0xFF, bytes, s)); };
  c.check = [buf, bytes, check_stream] {
    return pattern_check(count_mismatches(buf->dst.get(), bytes, buf->seed, check_stream), bytes, "destination");
  };
  return c;
}

std::optional<double> d2d_copy_sweep(Context& ctx) { return copy_sweep(ctx, CopyBy::memcpy); }
std::optional<double> d2d_copy_kernel_sweep(Context& ctx) { return copy_sweep(ctx, CopyBy::kernel); }

}  // namespace machine
#endif
