/// @file split_plan.hpp
/// How many pieces to cut each sequence's KV range into (split-K, "flash-decoding").
///
/// Without splitting, a GQA-aware kernel launches one block per (sequence, KV head):
/// B * Hkv blocks, 8 at B = 1, against 132 SMs on an H200 that each want several blocks
/// resident to keep enough loads in flight. Splitting the key range multiplies the grid;
/// each split writes an unnormalised partial (running max m, sum l, accumulator o) and a
/// log-sum-exp combine merges them. The plan is pure host arithmetic, from the SM count the
/// runtime reports and the occupancy of the actual kernel, never from a hard-coded GPU.
#pragma once

#include <algorithm>

namespace decode02 {

struct SplitPlan {
  int splits = 1;          ///< blocks per (sequence, KV head)
  int keys_per_split = 0;  ///< a multiple of the kernel's key tile; the last split may be shorter
};

/// Largest split count the workspace and the combine's shared memory are sized for.
inline constexpr int kMaxSplits = 256;
/// Blocks per SM the plan aims for (fewer if the kernel's occupancy allows fewer).
inline constexpr int kTargetBlocksPerSm = 2;
/// A split shorter than this spends more on its q load and partial write than on keys.
inline constexpr int kMinKeysPerSplit = 128;

/// @param sms            multiprocessors on this GPU (cudaDevAttrMultiProcessorCount)
/// @param blocks_per_sm  resident blocks per SM for this kernel (occupancy API), >= 1
/// @param tile_keys      keys the kernel consumes per loop iteration (split lengths are a multiple)
/// @param forced         > 0: use this many splits instead (lab --splits, to sweep the choice),
///                       clamped to [1, kMaxSplits] and to one key tile per split
/// Every split is non-empty, splits * keys_per_split >= S, and B * Hkv * splits <= SMs x
/// min(blocks_per_sm, kTargetBlocksPerSm) whenever B * Hkv itself fits in that (unless forced).
inline SplitPlan plan_splits(int B, int Hkv, int S, int sms, int blocks_per_sm, int tile_keys, int forced = 0) {
  SplitPlan p;
  const int base_blocks = std::max(1, B * Hkv);
  // About kTargetBlocksPerSm blocks per SM, not a full wave of resident blocks: the --splits
  // sweep (results/journal.jsonl, run of f3ec5c3) put v7's optimum at ~256 blocks on 132 SMs
  // at both B = 1, S = 32768 (32 splits: 39.1 us; the full-wave plan's 49: 45.0 us) and
  // B = 8, S = 4096 (4 splits: 38.9 us; 6: 41.5 us). Fewer, longer splits keep each block
  // streaming longer and shrink the combine; more than ~2 per SM only add partials.
  const int per_sm = std::min(std::max(1, blocks_per_sm), kTargetBlocksPerSm);
  const int resident = std::max(1, sms) * per_sm;
  // Rounded down, not up: with blocks of equal length, 1.45 waves take as long as 2, with
  // most SMs idle during the second.
  int want = resident / base_blocks;
  const int by_length = std::max(1, S / kMinKeysPerSplit);
  want = std::clamp(want, 1, std::min(by_length, kMaxSplits));
  const int tile = std::max(1, tile_keys);
  if (forced > 0) want = std::clamp(forced, 1, std::min(kMaxSplits, (S + tile - 1) / tile));
  int keys = (S + want - 1) / want;
  keys = (keys + tile - 1) / tile * tile;
  p.keys_per_split = keys;
  p.splits = (S + keys - 1) / keys;  // rounding keys up can only lower the count: none empty
  return p;
}

}  // namespace decode02
