/// @file timing.hpp
/// Device-event timing with an explicit L2 state.
///
/// - Warm-up by time (module load, lazy init and clock ramp stay out of the samples).
/// - One event pair per sample; in `cold` mode the L2 is reset and flushed before each
///   sample (outside the events), in `warm` mode it is not.
/// - Adaptive stop: at least `min_samples`, then stop when the relative standard error of
///   the mean is under `target_rel_noise`, or at `max_total_ms` of measured time, or at
///   `max_samples`.
/// - The event pair's own overhead (an empty interval) is measured and reported beside.
/// - SM clocks are read before and after (clocks.hpp) so a throttled row is flagged.
/// - Each sample's launches are queued behind a stream memory wait that the host opens once
///   they are all queued (CUDA builds), so host launch latency never sits between the events.
#pragma once

#include <functional>
#include <string>

#include "labs/clocks.hpp"
#include "labs/gpu.hpp"
#include "labs/stats.hpp"

namespace lab {

enum class L2Mode { cold, warm };
std::string to_string(L2Mode m);
L2Mode parse_l2(const std::string& s);  ///< "cold" | "warm"; throws std::invalid_argument

struct TimingOptions {
  L2Mode l2 = L2Mode::cold;
  double warmup_ms = 30;
  int min_samples = 15;
  int max_samples = 2000;
  double target_rel_noise = 0.01;
  double max_total_ms = 1500;   ///< cap on summed sample time (flushes not counted)
  /// --quick: fewer samples and a shorter cap, for smoke runs and ctest.
  static TimingOptions quick(L2Mode l2);
};

struct TimingResult {
  Stats ms;
  double event_overhead_ms = 0;  ///< median of empty event intervals
  ClockSample clock_start, clock_end;
  bool throttled = false;
  bool launch_gated = false;  ///< samples were queued behind a stream wait (no launch gaps timed)
};

#if LABS_GPU
/// Times `body(stream)` (one iteration: all the launches of one version's step).
/// `before_sample` (optional) runs outside the events before each sample, after the L2
/// flush: e.g. to rotate input sets.
TimingResult time_gpu(const std::function<void(cudaStream_t)>& body, const TimingOptions& opt,
                      cudaStream_t stream,
                      const std::function<void(cudaStream_t)>& before_sample = {});

/// Median time of an empty event pair on `stream`, in ms.
double event_overhead_ms(cudaStream_t stream, int reps = 200);

/// What time_gpu does before each cold sample (the same flush buffer), for launches made
/// outside it that must see the same cold L2: e.g. a probe's extra stamped launches.
void make_l2_cold(cudaStream_t stream);
#endif

}  // namespace lab
