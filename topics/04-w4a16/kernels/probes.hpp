/// @file probes.hpp
/// Probes: a version's kernel with parts of its work cut out, run by the lab like a version
/// (`--variant probe-v26-loads`, `probe-v37-loads`) to say where that version's time goes. A probe cannot be
/// checked against the GEMV oracle (it computes no GEMV); it sums, with wrapping 32-bit
/// adds, every word it read, and its check compares that sum with an independent sum of the
/// bytes it should have read. A skipped or doubled 16-byte copy changes the sum.
/// probe-v37-notail is the exception: it computes v37's partials, and its check sums them apart.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "labs/check.hpp"
#include "labs/device_buffer.hpp"
#include "w4a16.hpp"

namespace w4a16 {

#if LABS_GPU
struct ProbeCase {
  Step step;                          ///< one launch, as a version's step
  std::function<void(Stream)> poison; ///< fills what the probe writes (`out`) with 0xFF
  /// Compares the probe's sums with the bytes of `w` (and x) summed by a separate kernel;
  /// probe-v37-notail: its partials, summed apart, with v37's output on `w`.
  std::function<lab::CheckResult(const DeviceWeights& w, Stream)> check;
  /// What the probe writes: its per-block sums, or probe-v37-notail's split-K partials.
  std::shared_ptr<lab::DeviceBytes> out;
};

/// Prepares probe `id` (one of lab_plan.hpp's probe_variants()) for p. Throws
/// std::invalid_argument for a problem it does not take (not int4-sym; the M = 1 probes: M != 1,
/// N % 8 != 0; v37's: M <= 8, odd N; probe-v37-notail also one split).
ProbeCase prepare_probe(const std::string& id, const Problem& p);

/// probe-v37-notail (kernels/probe_v37_notail.cu): v37 without its split-K tail, checked by
/// summing its partials apart against v37's output, bit for bit.
ProbeCase prepare_probe_v37_notail(const Problem& p);
#endif

}  // namespace w4a16
