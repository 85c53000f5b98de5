/// @file probes.cu
/// Probes of v13 and v19-v23 (kernels/mma_stream.cuh), run by the lab like versions but only when
/// `--variant` names them:
///   probe-v13-loads  v13's grid, plan and K/V loads (v7_load_tile, one 16-key tile of K and of
///                    V in flight per warp, the next K issued when this K is used, the next V
///                    when this V is), with the math cut out: each warp adds the words it read
///                    (live keys only) and stores the sum. No q, no merge, no partials, no combine.
///                    Checked by a checksum against a separate kernel's sum of the live K and V
///                    bytes (labs/probe_check.hpp).
///   probe-v13-clock  v13's own kernel compiled with kClock: thread 0 of every block stamps the
///                    global timer at the ClockPoints (entry, first tile, last tile, merged,
///                    published, combined). Its output is v13's and is checked by the oracle;
///                    after timing, 8 more cold launches are stamped and summarised into the row's
///                    "clock" field (microseconds from the first block's entry).
///   probe-v19-clock, probe-v20-clock, probe-v21-clock  the same for v19 (two tiles in flight per
///                    warp), v20 (tiles shared through a counter) and v21 (a partial per warp; its
///                    "merged" point is warp 0's partial stored, since no block merge happens) and
///                    v22, v23 (the combiner of a pair: "published" is its poll answered; the
///                    others': their release add issued).
///   probe-v13-loads has a clock too: a stamped twin of its kernel, launched only by its annotate.
///   probe-v24-no-pdl v24 with its combine kernel launched without programmatic dependent launch:
///                    an ordinary second launch, which starts after the streaming grid ends. Its
///                    output is v24's (v13's) and is checked by the oracle. v24 minus this probe is
///                    what PDL hides (exercise 4's two measurements).
///
/// Why: v13 reads 128 MiB in ~36.8 us where topic 00's read kernel takes ~33.2-33.7, and the
/// README (section 2, "The ceiling at this size") could only say the 3+ us are "fixed cost" from a
/// two-point fit. The loads probe says how much of the gap is v13's way of loading (its grid, one
/// tile in flight per warp) and how much the work around the loads; the clock says when, inside
/// the kernel, the time goes: the ramp, the stream, or the merge, ticket and combine at the end.
///
/// PREDICTION (before measuring; bf16, cold, (8, 4096) and (1, 32768), v13 ~36.8 / ~37.4 us, the
/// read kernel ~33.3): probe-v13-loads ~34.5 us (one tile per warp keeps ~64 KiB per SM in flight
/// against the read kernel's 128 KiB: a slower ramp and drain, ~1 us); the clock puts the last
/// block's loop end ~1.5-2 us before its combine ends (merge ~0.2, ticket ~0.7, combine ~0.7 us:
/// two L2 round trips), and the first block's entry ~2-3 us after the event that starts the timing.
///
/// MEASURED (GPU call at c8b7c3d, runs 20261202T184812Z-2fad and after, H200, bf16; README section 2,
/// "Where v13's time goes"): probe-v13-loads 34.19 us at (8, 4096) and 34.30 at (1, 32768), against
/// v13's 37.10 / 37.68 and the read kernel's 33.23: the loads cost ~1 us over a read, the work
/// around them ~3 us. The clock: v13's last block ends its loop 31.71 us after the first block's
/// entry (the probe's 30.30) and the last output is stored 2.08 us later (merge 0.58, publish
/// 0.77, combine 0.93 per block); 2.75 us at 32 splits. The prediction had the tail's size right
/// and the loads 0.3 us too slow; it missed 3.0-3.8 us between the timed events and the blocks'
/// span (launch and grid end), which the probe pays too.
///
/// Run: build/cuda/topics/02-decode-attention/lab-02-decode-attention --variant v13,probe-v13-loads,probe-v13-clock --batch 8 --kv-len 4096 --layout contiguous --dtype bf16
#include <algorithm>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include "kernels/mma_stream.cuh"
#include "labs/device_buffer.hpp"
#include "labs/probe_check.hpp"
#include "labs/timing.hpp"

#if LABS_GPU
namespace decode02 {
namespace {

#if defined(LABS_BACKEND_CUDA)
using namespace mma_stream;

inline constexpr int kClockLaunches = 8;  ///< stamped cold launches summarised per row

/// probe-v13-loads: see the file comment. Same launch bounds as v13 (3 blocks per SM). kClock:
/// the twin whose stamps fill the loads probe's "clock" (entry, first tile, last tile, then the
/// three later points all at the sum's store), launched only by its annotate, never timed.
template <class T, bool kClock>
__global__ void __launch_bounds__(kThreads, 3)
    probe_v13_loads_kernel(const T* __restrict__ kc, const T* __restrict__ vc, int S, int S_alloc, int Hkv,
                           int keys_per_split, std::uint32_t* __restrict__ sums) {
  const int split = blockIdx.x, kvh = blockIdx.y, b = blockIdx.z;
  const LaneIds id = lane_ids();
  const int g = id.g, t = id.t;
  if constexpr (kClock) {
    if (id.tid == 0) clock_stamp(kClockEntry);
  }
  const int begin = split * keys_per_split;
  const int end = min(S, begin + keys_per_split);
  const int n_tiles = end > begin ? (end - begin + kV7BlockKeys - 1) / kV7BlockKeys : 0;
  const size_t bh = static_cast<size_t>(b) * Hkv + kvh;
  const T* kbh = kc + bh * S_alloc * kHeadDim;
  const T* vbh = vc + bh * S_alloc * kHeadDim;

  std::uint32_t kw[2][16], vw[4][8];
  std::uint32_t sum = 0;
  int k0 = begin + id.warp * kV7WarpKeys;
  if (n_tiles > 0) v7_load_tile<kHintNone>(kw, vw, kbh, vbh, k0, end, g, t, 0, true, true);
  for (int i = 0; i < n_tiles; ++i) {
    const int k1 = k0 + kV7BlockKeys;
    const bool more = i + 1 < n_tiles;
    // Use K (v13: q.K), then issue the next K into the same registers, as v13 does. Rows past
    // `end` were loaded clamped (a re-read of the last live row) and are not added.
#pragma unroll
    for (int p = 0; p < 2; ++p) {
      const bool live = k0 + 4 * (g >> 1) + (g & 1) + 2 * p < end;
#pragma unroll
      for (int w = 0; w < 16; ++w) sum += live ? kw[p][w] : 0u;
    }
    if (more) v7_load_tile<kHintNone>(kw, vw, kbh, vbh, k1, end, g, t, 0, true, false);
    // Use V (v13: P.V), then issue the next V.
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      const bool live = k0 + 4 * t + r < end;
#pragma unroll
      for (int w = 0; w < 8; ++w) sum += live ? vw[r][w] : 0u;
    }
    if (more) v7_load_tile<kHintNone>(kw, vw, kbh, vbh, k1, end, g, t, 0, false, true);
    k0 = k1;
    if constexpr (kClock) {
      if (i == 0 && id.tid == 0) clock_stamp(kClockFirstTile);
    }
  }
  if constexpr (kClock) {
    if (id.tid == 0) clock_stamp(kClockLoopDone);
  }
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, o);
  const unsigned block = (blockIdx.z * gridDim.y + blockIdx.y) * gridDim.x + blockIdx.x;
  if (id.lane == 0) sums[block * kV7Warps + id.warp] = sum;
  if constexpr (kClock) {
    if (id.tid == 0) clock_stamp(kClockMerged), clock_stamp(kClockPublished), clock_stamp(kClockCombined);
  }
}

/// v13's plan for this problem: the occupancy of v13's own kernel, not the probe's.
template <class T>
SplitPlan v13_plan(const Shape& s, int* sms, int* per_sm) {
  occupancy_of(mma_stream_kernel<T, kHintNone, true, kCombineWarpPerHead>, 0, sms, per_sm);
  return plan_splits(s.B, s.Hkv, s.S, *sms, *per_sm, kV7BlockKeys, s.splits);
}

/// The row's "clock" field from `launches` stamped launches of `blocks` blocks each
/// (stamps[launch][block][kClockSlots], ns, and v22/v23's ticket). Every figure is the median over the launches of
/// one launch's figure; times are microseconds from that launch's first block entry (T0).
nlohmann::json summarise_clock(const std::vector<unsigned long long>& stamps, int launches, int blocks, int pairs) {
  auto median = [](std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  auto pct = [](std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
  };
  std::vector<std::vector<double>> fig(14);
  std::vector<double> finisher_right, finisher_wait;  // v22, v23 only (blocks with a ticket)
  bool ordered = true;
  int combined_blocks = -1;
  unsigned long long tick = ~0ull;
  for (int l = 0; l < launches; ++l) {
    const unsigned long long* s = stamps.data() + static_cast<size_t>(l) * blocks * kClockSlots;
    unsigned long long t0 = ~0ull;
    for (int b = 0; b < blocks; ++b) t0 = std::min(t0, s[b * kClockSlots + kClockEntry]);
    auto us = [t0](unsigned long long t) { return static_cast<double>(t - t0) * 1e-3; };
    std::vector<double> entry, first, loop_done, merge, publish, combine;
    double last_loop = 0, last_merged = 0, last_published = 0, span = 0;
    int combined = 0;
    std::vector<unsigned long long> all;
    for (int b = 0; b < blocks; ++b) {
      const unsigned long long* x = s + b * kClockSlots;
      for (int k = kClockEntry; k < kClockCombined; ++k) ordered = ordered && x[k] != 0 && (k == 0 || x[k] >= x[k - 1]);
      for (int k = kClockEntry; k < kClockPoints; ++k)
        if (x[k] != 0) all.push_back(x[k]);
      entry.push_back(us(x[kClockEntry]));
      first.push_back(static_cast<double>(x[kClockFirstTile] - x[kClockEntry]) * 1e-3);
      loop_done.push_back(us(x[kClockLoopDone]));
      merge.push_back(static_cast<double>(x[kClockMerged] - x[kClockLoopDone]) * 1e-3);
      publish.push_back(static_cast<double>(x[kClockPublished] - x[kClockMerged]) * 1e-3);
      last_loop = std::max(last_loop, us(x[kClockLoopDone]));
      last_merged = std::max(last_merged, us(x[kClockMerged]));
      last_published = std::max(last_published, us(x[kClockPublished]));
      if (x[kClockCombined] != 0) {
        ++combined;
        ordered = ordered && x[kClockCombined] >= x[kClockPublished];
        combine.push_back(static_cast<double>(x[kClockCombined] - x[kClockPublished]) * 1e-3);
        span = std::max(span, us(x[kClockCombined]));
      }
    }
    // v22, v23: in each pair, did the block holding the last ticket merge last, and how long did
    // it wait for the others' release adds (its poll answered, minus its merge)?
    const int per_pair = pairs > 0 ? blocks / pairs : 0;
    int judged = 0, right = 0;
    std::vector<double> waits;
    for (int pr = 0; pr < pairs && per_pair > 1; ++pr) {
      int holder = -1, last_merged = -1;
      unsigned long long top_ticket = 0, latest = 0;
      for (int j = 0; j < per_pair; ++j) {
        const unsigned long long* x = s + static_cast<size_t>(pr * per_pair + j) * kClockSlots;
        if (x[kClockTicketSlot] > top_ticket) top_ticket = x[kClockTicketSlot], holder = j;
        if (x[kClockMerged] >= latest) latest = x[kClockMerged], last_merged = j;
      }
      if (holder < 0) continue;  // no tickets recorded: not v22 or v23
      ++judged;
      right += holder == last_merged ? 1 : 0;
      const unsigned long long* h = s + static_cast<size_t>(pr * per_pair + holder) * kClockSlots;
      waits.push_back(static_cast<double>(h[kClockPublished] - h[kClockMerged]) * 1e-3);
    }
    if (judged > 0) {
      finisher_right.push_back(static_cast<double>(right) / judged);
      finisher_wait.push_back(median(waits));
    }
    if (combined_blocks < 0) combined_blocks = combined;
    if (combined != combined_blocks) combined_blocks = -2;  // differs between launches
    std::sort(all.begin(), all.end());
    for (size_t i = 1; i < all.size(); ++i)
      if (all[i] > all[i - 1]) tick = std::min(tick, all[i] - all[i - 1]);
    fig[0].push_back(median(entry));
    fig[1].push_back(pct(entry, 1.0));
    fig[2].push_back(median(first));
    fig[3].push_back(median(loop_done));
    fig[4].push_back(last_loop);
    fig[5].push_back(median(merge));
    fig[6].push_back(last_merged);
    fig[7].push_back(median(publish));
    fig[8].push_back(last_published);
    fig[9].push_back(median(combine));
    fig[10].push_back(span);
    fig[11].push_back(span - last_loop);
    fig[12].push_back(pct(loop_done, 0.9));
    fig[13].push_back(pct(first, 0.9));
  }
  auto r3 = [](double v) { return std::round(v * 1000.0) / 1000.0; };
  nlohmann::json out = {{"launches", launches},
          {"blocks", blocks},
          {"timer_tick_ns", tick == ~0ull ? 0ull : tick},
          {"ordered", ordered},
          {"blocks_combined", combined_blocks},
          {"pairs", pairs},
          {"us_from_first_entry",
           {{"entry_p50", r3(median(fig[0]))},
            {"entry_last", r3(median(fig[1]))},
            {"loop_done_p50", r3(median(fig[3]))},
            {"loop_done_p90", r3(median(fig[12]))},
            {"loop_done_last", r3(median(fig[4]))},
            {"merged_last", r3(median(fig[6]))},
            {"published_last", r3(median(fig[8]))},
            {"combined_last", r3(median(fig[10]))}}},
          {"us_per_block_p50",
           {{"first_tile", r3(median(fig[2]))},
           {"first_tile_p90", r3(median(fig[13]))},
            {"merge", r3(median(fig[5]))},
            {"publish", r3(median(fig[7]))},
            {"combine", r3(median(fig[9]))}}},
          {"tail_after_last_loop_us", r3(median(fig[11]))}};
  if (!finisher_right.empty())  // medians over the launches
    out["finisher"] = {{"last_ticket_merged_last_share", r3(median(finisher_right))},
                       {"wait_us_p50", r3(median(finisher_wait))}};
  return out;
}

/// Device memory for one launch's stamps ([blocks][kClockSlots]), pointed to by g_clock_stamps.
std::shared_ptr<lab::DeviceBytes> make_stamps(int blocks) {
  auto stamps = std::make_shared<lab::DeviceBytes>(static_cast<size_t>(blocks) * kClockSlots * sizeof(unsigned long long));
  unsigned long long* dst = stamps->as<unsigned long long>();
  LABS_CHECK(cudaMemcpyToSymbol(g_clock_stamps, &dst, sizeof dst));
  return stamps;
}

/// A probe's annotate: kClockLaunches launches of `stamped` (a kernel that writes `stamps`), each
/// after zeroing the stamps and, in cold mode, the timing's own L2 flush; their summary is the
/// row's "clock".
std::function<nlohmann::json(lab::L2Mode)> clock_annotate(std::function<void(cudaStream_t)> stamped,
                                                          std::shared_ptr<lab::DeviceBytes> stamps, int blocks,
                                                          int pairs) {
  return [stamped, stamps, blocks, pairs](lab::L2Mode mode) {
    unsigned long long* dst = stamps->as<unsigned long long>();
    LABS_CHECK(cudaMemcpyToSymbol(g_clock_stamps, &dst, sizeof dst));  // another probe may have moved it
    cudaStream_t stream = nullptr;
    LABS_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    const size_t words = stamps->bytes() / sizeof(unsigned long long);
    std::vector<unsigned long long> host(words * kClockLaunches);
    for (int l = 0; l < kClockLaunches; ++l) {
      LABS_CHECK(cudaMemsetAsync(stamps->get(), 0, stamps->bytes(), stream));
      if (mode == lab::L2Mode::cold) lab::make_l2_cold(stream);
      stamped(stream);
      LABS_CHECK(cudaMemcpyAsync(host.data() + l * words, stamps->get(), stamps->bytes(), cudaMemcpyDeviceToHost, stream));
      LABS_CHECK(cudaStreamSynchronize(stream));
    }
    LABS_CHECK(cudaStreamDestroy(stream));
    return nlohmann::json{{"clock", summarise_clock(host, kClockLaunches, blocks, pairs)}};
  };
}

Runner prepare_loads(const DeviceProblem& p) {
  const Shape s = p.shape;
  validate_unhinted(s, "probe-v13-loads");  // v13 with its default hint (none)
  Runner r;
  dispatch_dtype(s.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    int sms = 0, per_sm = 0;
    const SplitPlan plan = v13_plan<T>(s, &sms, &per_sm);
    const unsigned blocks = static_cast<unsigned>(plan.splits) * s.Hkv * s.B;
    auto sums = std::make_shared<lab::DeviceBytes>(static_cast<size_t>(blocks) * kV7Warps * sizeof(std::uint32_t));
    r.details = {{"splits", plan.splits}, {"keys_per_split", plan.keys_per_split}, {"blocks_per_sm", per_sm},
                 {"sms", sms}, {"plan_of", "v13"}, {"cut", "q, math, merge, partials, combine"}};
    const int keys = plan.keys_per_split, splits = plan.splits;
    r.launch = [p, s, keys, splits, sums](cudaStream_t stream) {
      probe_v13_loads_kernel<T, false><<<dim3(splits, s.Hkv, s.B), kThreads, 0, stream>>>(
          static_cast<const T*>(p.k), static_cast<const T*>(p.v), s.S, s.S_alloc, s.Hkv, keys,
          sums->template as<std::uint32_t>());
      LABS_CHECK_LAUNCH();
    };
    auto stamps = make_stamps(static_cast<int>(blocks));
    r.workspace = std::make_shared<std::pair<std::shared_ptr<void>, std::shared_ptr<lab::DeviceBytes>>>(sums, stamps);
    r.details["clock_points"] = "entry, first_tile, loop_done; merged = published = combined = the sum's store";
    r.annotate = clock_annotate(
        [p, s, keys, splits, sums](cudaStream_t stream) {
          probe_v13_loads_kernel<T, true><<<dim3(splits, s.Hkv, s.B), kThreads, 0, stream>>>(
              static_cast<const T*>(p.k), static_cast<const T*>(p.v), s.S, s.S_alloc, s.Hkv, keys,
              sums->template as<std::uint32_t>());
          LABS_CHECK_LAUNCH();
        },
        stamps, static_cast<int>(blocks), s.B * s.Hkv);
    r.poison = [sums](cudaStream_t stream) { sums->poison(stream); };
    r.oracle = "checksum of the live K and V bytes";
    r.check = [p, s, sums](cudaStream_t stream) {
      const size_t run = static_cast<size_t>(s.S) * kHeadDim * sizeof(T);
      const size_t stride = static_cast<size_t>(s.S_alloc) * kHeadDim * sizeof(T);
      const size_t runs = static_cast<size_t>(s.B) * s.Hkv;
      const std::uint32_t expected = lab::device_word_sum(p.k, runs, run, stride, stream) +
                                     lab::device_word_sum(p.v, runs, run, stride, stream);
      return lab::compare_word_sums(*sums, expected, stream);
    };
  });
  return r;
}

/// probe-v13-clock and probe-v19-clock ... probe-v23-clock: the version's kernel with kClock.
template <int kStream, int kCombine = kCombineWarpPerHead>
Runner prepare_clock(const DeviceProblem& p) {
  const Shape s = p.shape;
  const char* version = kCombine == kCombineDesignatedEarly ? "v23"
                        : kCombine == kCombineDesignated   ? "v22"
                        : kCombine == kCombineWarpPartials ? "v21"
                        : kStream == kStreamTwoTiles     ? "v19"
                        : kStream == kStreamSharedTiles  ? "v20"
                                                         : "v13";
  const std::string name = std::string("probe-") + version + "-clock";
  Runner r = prepare_stream_kind<kStream, true, kCombine>(p, name.c_str());  // kStreamOwnTiles: v13's kernel
  const int blocks = r.details.value("splits", 1) * s.Hkv * s.B;
  auto stamps = make_stamps(blocks);  // the timed launches stamp too
  r.details["plan_of"] = version;
  r.details["clock_points"] = "entry, first_tile, loop_done, merged, published, combined";
  r.workspace = std::make_shared<std::pair<std::shared_ptr<void>, std::shared_ptr<lab::DeviceBytes>>>(r.workspace, stamps);
  r.annotate = clock_annotate(r.launch, stamps, blocks, s.B * s.Hkv);
  return r;
}

/// probe-v24-no-pdl: v24 with its combine kernel launched as an ordinary kernel (after the
/// streaming grid's end, no early scheduling): what programmatic dependent launch saves.
Runner prepare_v24_no_pdl(const DeviceProblem& p) {
  return prepare_stream_kind<kStreamOwnTiles, false, kCombineSecondKernelPlain>(p, "probe-v24-no-pdl");
}

#else

Runner prepare_v24_no_pdl(const DeviceProblem&) {
  throw std::runtime_error("probe-v24-no-pdl is v24 (mma.sync, NVIDIA sm_80+); it has no HIP build");
}

Runner prepare_loads(const DeviceProblem&) {
  throw std::runtime_error("probe-v13-loads cuts v13 (mma.sync, NVIDIA sm_80+); it has no HIP build");
}
template <int kStream, int kCombine = 2>
Runner prepare_clock(const DeviceProblem&) {
  throw std::runtime_error("the clock probes instrument v13 and v19-v23 (mma.sync, NVIDIA sm_80+); they have no HIP build");
}

#endif  // LABS_BACKEND_CUDA

DecodeVersion make_probe(const char* id, const char* idea, const char* regex, Runner (*prepare)(const DeviceProblem&)) {
  DecodeVersion v;
  v.info.id = id;
  v.info.idea = idea;
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.layouts = {Layout::contiguous};
  v.kernel_regex = regex;
  v.probe = true;
  v.prepare = prepare;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(DecodeVersion, (make_probe("probe-v13-loads",
                                                 "probe: v13's grid and K/V loads, math cut out (checksum-checked)",
                                                 "probe_v13_loads_kernel", &prepare_loads)))
LABS_REGISTER_VERSION(DecodeVersion, (make_probe("probe-v13-clock",
                                                 "probe: v13 with global-timer stamps at 6 points of every block",
                                                 "mma_stream_kernel", &prepare_clock<0>)))
LABS_REGISTER_VERSION(DecodeVersion, (make_probe("probe-v19-clock",
                                                 "probe: v19 with global-timer stamps at 6 points of every block",
                                                 "mma_stream_kernel", &prepare_clock<1>)))
LABS_REGISTER_VERSION(DecodeVersion, (make_probe("probe-v20-clock",
                                                 "probe: v20 with global-timer stamps at 6 points of every block",
                                                 "mma_stream_kernel", &prepare_clock<2>)))
LABS_REGISTER_VERSION(DecodeVersion, (make_probe("probe-v21-clock",
                                                 "probe: v21 with global-timer stamps at 6 points of every block",
                                                 "mma_stream_kernel", &prepare_clock<0, 4>)))
LABS_REGISTER_VERSION(DecodeVersion, (make_probe("probe-v22-clock",
                                                 "probe: v22 with global-timer stamps at 6 points of every block",
                                                 "mma_stream_kernel", &prepare_clock<0, 5>)))
LABS_REGISTER_VERSION(DecodeVersion, (make_probe("probe-v24-no-pdl",
                                                 "probe: v24 with its combine kernel launched plainly (no PDL): the launch gap",
                                                 "mma_stream_kernel|combine_kernel", &prepare_v24_no_pdl)))
LABS_REGISTER_VERSION(DecodeVersion, (make_probe("probe-v23-clock",
                                                 "probe: v23 with global-timer stamps at 6 points of every block",
                                                 "mma_stream_kernel", &prepare_clock<0, 6>)))

}  // namespace decode02
#endif
