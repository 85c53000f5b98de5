/// @file launches.hpp
/// Counts kernel launches from the runtime (CUPTI callbacks), so a lab reports what the
/// code really launched, not what its author declared. A graph launch counts as one
/// launch (that is the point of a graph); `kernels` counts the kernel nodes it ran, read
/// from the graph, so both numbers are visible.
///
/// HIP builds and builds without CUPTI report -1 ("not counted").
#pragma once

#include <functional>

#include "labs/gpu.hpp"

namespace lab {

struct LaunchCount {
  long launches = -1;  ///< kernel launch + graph launch API calls (runtime and driver)
  long graph_launches = -1;
  bool counted() const { return launches >= 0; }
};

#if LABS_GPU
/// Runs `body(stream)` once with CUPTI launch callbacks enabled and returns the count.
/// Synchronizes the stream before returning.
LaunchCount count_launches(const std::function<void(cudaStream_t)>& body, cudaStream_t stream);
#endif

}  // namespace lab
