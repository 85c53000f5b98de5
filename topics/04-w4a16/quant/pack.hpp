/// @file pack.hpp
/// The two INT4 packings and the offline repacker between them.
///
/// Plain (row-major, what v0..v4 read; the natural layout of a [N][K] matrix):
///   byte n*ceil(K/2) + k/2 holds k (even) in its low nibble and k+1 in its high nibble,
///   so the little-endian 32-bit word at byte 4i of a row holds k = 8i..8i+7 at nibbles
///   0..7. An odd K leaves the last high nibble 0.
///
///   row n:  byte 0      byte 1      byte 2   ...
///           [k1 | k0]   [k3 | k2]   [k5 | k4]          (high nibble | low nibble)
///
/// Tiled (interleaved for the tensor-core kernel): see tiled_layout.hpp. Requires
/// K % 128 == 0 (whole groups); rows are padded to a multiple of 8 with code 8 (zero in
/// the symmetric format).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "quant/format.hpp"

namespace w4a16 {

inline std::size_t plain_row_bytes(int K) { return (static_cast<std::size_t>(K) + 1) / 2; }

std::vector<std::uint8_t> pack_plain(const std::vector<std::uint8_t>& codes, int N, int K);
std::vector<std::uint8_t> unpack_plain(const std::vector<std::uint8_t>& packed, int N, int K);

std::vector<std::uint8_t> pack_tiled(const std::vector<std::uint8_t>& codes, int N, int K);
std::vector<std::uint8_t> unpack_tiled(const std::vector<std::uint8_t>& tiled, int N, int K);

/// The offline repacker: moves each nibble straight from one packing to the other.
std::vector<std::uint8_t> repack_plain_to_tiled(const std::vector<std::uint8_t>& plain, int N, int K);
std::vector<std::uint8_t> repack_tiled_to_plain(const std::vector<std::uint8_t>& tiled, int N, int K);

/// Per-channel INT8 plain packing: one byte per weight, two's complement, row-major.
std::vector<std::uint8_t> pack_int8(const Int8Matrix& m);

}  // namespace w4a16
