/// @file tiled_layout.hpp
/// Where each INT4 weight lives in the "tiled" (kernel-friendly, interleaved) packing that
/// v5 reads. One function, shared by the host packer, the GPU repacker and the tests.
///
/// The tiled packing is built around one `mma.sync.m16n8k16` B fragment: a warp multiplies
/// a 16(k) x 8(n) slice of W^T per instruction, and lane (g = lane/4, t = lane%4) holds
///   b0,b1 = W^T[k = 2t, 2t+1][n = g]      (first .b32 register, low half = b0)
///   b2,b3 = W^T[k = 2t+8, 2t+9][n = g]    (second .b32 register)
/// A tile is 8 rows (n) x 128 k (one group) = 512 bytes = 32 lanes x 16 bytes, so ONE
/// coalesced 16-byte load per lane brings all eight k-steps of a group for its column:
///
///   tiles in memory:  [n-tile 0: group 0][group 1]...[group G-1][n-tile 1: group 0]...
///   inside a tile:    lane 0 (16 B) | lane 1 | ... | lane 31        (lane = 4g + t)
///   inside a lane:    word 0 = k-steps 0,1 | word 1 = steps 2,3 | word 2 = 4,5 | word 3 = 6,7
///
///   one 32-bit word, nibble p at bits 4p..4p+3 (step s = 2*word, k relative to 16s):
///     p:      7        6        5        4        3        2        1        0
///          s+1:2t+9 s+1:2t+1 s:2t+9   s:2t+1   s+1:2t+8 s+1:2t   s:2t+8   s:2t
///
/// so (word >> 4i) & 0x000F000F holds nibble i in the low half and nibble i+4 in the high
/// half: one mask gives a pair (k, k+1) already in B-register order. Pair 0 and 1 are the
/// two registers of step s, pairs 2 and 3 those of step s+1. Rows are padded to a multiple
/// of 8 (padding codes are never multiplied into an output that is stored).
#pragma once

#include <cstddef>

#if defined(__CUDACC__) || defined(__HIPCC__)
#define W4A16_HD __host__ __device__
#else
#define W4A16_HD
#endif

namespace w4a16 {

inline constexpr int kTileN = 8;                       ///< rows (output features) per tile
inline constexpr int kTileK = 128;                     ///< k per tile: one group
inline constexpr int kTileBytes = kTileN * kTileK / 2; ///< 512

W4A16_HD inline int tiled_rows(int N) { return (N + kTileN - 1) / kTileN * kTileN; }
W4A16_HD inline std::size_t tiled_bytes(int N, int K) {
  return static_cast<std::size_t>(tiled_rows(N)) * static_cast<std::size_t>(K) / 2;
}

struct NibbleAddr {
  std::size_t byte;
  int shift;  ///< 0: low nibble, 4: high nibble
};

/// Address of weight (n, k) in the tiled packing of a matrix with K columns (K % 128 == 0).
W4A16_HD inline NibbleAddr tiled_address(int n, int k, int K) {
  const int groups = K / kTileK;
  const int tile_n = n >> 3, g = n & 7;
  const int group = k >> 7, kk = k & 127;
  const int step = kk >> 4;              // which 16-k mma step inside the group (0..7)
  const int r = kk & 15;                 // k inside the step
  const int reg = r >> 3;                // b0b1 (r < 8) or b2b3 (r >= 8)
  const int t = (r & 7) >> 1;            // threadID_in_group holding it
  const int half = r & 1;                // low or high 16 bits of the register
  const int word = step >> 1;            // two steps per 32-bit word
  const int pair = ((step & 1) << 1) | reg;
  const int nib = pair + 4 * half;
  const int lane = 4 * g + t;
  NibbleAddr a;
  a.byte = ((static_cast<std::size_t>(tile_n) * groups + group) * 32 + lane) * 16 + word * 4 + (nib >> 1);
  a.shift = (nib & 1) * 4;
  return a;
}

struct TiledPosition {
  int n, k;
};

/// The inverse of tiled_address: which (n, k) nibble `nibble` (0 low, 1 high) of byte
/// `byte` holds. n may be >= N (padding rows).
W4A16_HD inline TiledPosition tiled_position(std::size_t byte, int nibble_in_byte, int K) {
  const int groups = K / kTileK;
  const std::size_t lane_slot = byte / 16;
  const int in_lane = static_cast<int>(byte % 16);
  const int word = in_lane / 4;
  const int nib = (in_lane % 4) * 2 + nibble_in_byte;
  const int lane = static_cast<int>(lane_slot % 32);
  const std::size_t tile_group = lane_slot / 32;
  const int group = static_cast<int>(tile_group % groups);
  const int tile_n = static_cast<int>(tile_group / groups);
  const int pair = nib & 3, half = nib >> 2;
  const int step = 2 * word + (pair >> 1), reg = pair & 1;
  const int g = lane >> 2, t = lane & 3;
  TiledPosition p;
  p.n = tile_n * kTileN + g;
  p.k = group * kTileK + step * 16 + reg * 8 + 2 * t + half;
  return p;
}

}  // namespace w4a16
