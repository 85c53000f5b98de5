/// @file reference_cpu.hpp
/// The fp64 CPU oracle: the definition of decode attention, written for clarity, used on
/// small and odd shapes (and to validate the GPU reference on a medium one).
#pragma once

#include <vector>

#include "decode.hpp"

namespace decode02 {

/// q [B, Hq, D], k and v contiguous [B, Hkv, S_alloc, D] (values already rounded to the
/// dtype, widened to float). Reads only keys t < S. Returns out [B, Hq, D] in double.
std::vector<double> attention_cpu(const Shape& s, const std::vector<float>& q, const std::vector<float>& k,
                                  const std::vector<float>& v);

/// The same attention as a float online softmax, key by key, the way a one-pass kernel does
/// it; with `forget_rescale` it skips rescaling the accumulator when the running max grows:
/// the classic bug the deliberately wrong GPU version also has. Used by the CPU tests to show
/// that the check policy rejects that bug on the lab's data.
std::vector<float> attention_online_float(const Shape& s, const std::vector<float>& q, const std::vector<float>& k,
                                          const std::vector<float>& v, bool forget_rescale);

}  // namespace decode02
