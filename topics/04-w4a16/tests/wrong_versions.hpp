/// @file wrong_versions.hpp
/// Deliberately wrong GEMV kernels (NOT in the lab's registry): the tests assert that the
/// check policy rejects them, so a check that passes everything is caught.
#pragma once

#include "w4a16.hpp"

namespace w4a16::wrong {

#if LABS_GPU
/// Reads each byte's high nibble as the even k (the classic packing mix-up).
Step prepare_swapped_nibbles(const Problem& p);
/// Ignores the zero points of int4-asym (uses the symmetric 8).
Step prepare_no_zero_point(const Problem& p);
/// Skips the last 32-weight chunk of every row.
Step prepare_skips_last_chunk(const Problem& p);
#endif

}  // namespace w4a16::wrong
