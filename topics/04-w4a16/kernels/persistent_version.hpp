/// @file persistent_version.hpp
/// The Version record shared by v40, v41 and v42: one kernel (kernels/persistent_mma.cuh) told
/// apart by its version number, so the three files differ only in their design notes, id and idea.
/// Built on every backend; off CUDA prepare refuses (the kernel is mma.sync and ldmatrix).
#pragma once

#include <stdexcept>
#include <string>

#include "w4a16.hpp"
#if defined(LABS_BACKEND_CUDA)
#include "kernels/persistent_mma.cuh"
#endif

namespace w4a16 {

/// v40-v42: int4-sym, M = 9..16, --splits honoured. `id` must outlive the program (a literal).
template <int kVersion>
Version persistent_version(const char* id, const char* idea) {
  Version v;
  v.info.id = id;
  v.info.idea = idea;
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym};
  v.min_m = 9;  // M <= 8: v37's kernels are v29's, and v38 dispatches them
  v.kernel_regex = "w4_mma_persistent";
  v.takes_splits = true;
  v.prepare = [id](const Problem& p) -> Step {
#if defined(LABS_BACKEND_CUDA)
    return persistent_mma::prepare_persistent_mma<kVersion>(p, id);
#else
    (void)p;
    throw std::invalid_argument(std::string(id) + " uses mma.sync and ldmatrix (NVIDIA only)");
#endif
  };
  return v;
}

}  // namespace w4a16
