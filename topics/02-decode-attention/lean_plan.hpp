/// @file lean_plan.hpp
/// v17's work split ("stream-K" for decode attention, as in Lean Attention): the keys of all
/// B x Hkv (sequence, KV head) pairs laid end to end, cut into 16-key units, and handed out as
/// one contiguous range of units per block of a single wave. Every block then streams the
/// same number of keys (to within one unit), where the split plan of v4-v16 gives every
/// block of a pair the same keys but gives the SMs unequal numbers of blocks (256 blocks on
/// 132 SMs: 124 SMs run two, 8 run one). A range may end inside one pair and continue in the
/// next: each piece is a *segment*, with its own partial; the segments of a pair are the
/// blocks first..last that touch it, and the last to finish merges them.
///
/// Pure integer arithmetic, callable from the host (plan, tests) and the kernel.
#pragma once

#include <algorithm>

#include "split_plan.hpp"

#if defined(__CUDACC__) || defined(__HIPCC__)
#define DECODE02_HD __host__ __device__
#else
#define DECODE02_HD
#endif

namespace decode02 {

/// Keys per unit: one warp tile of the tensor-core body (kernels/mma_stream.cuh).
inline constexpr int kLeanUnitKeys = 16;

struct LeanPlan {
  int pairs = 0;           ///< B * Hkv
  int units_per_pair = 0;  ///< ceil(S / kLeanUnitKeys); the last unit of a pair may be short
  int blocks = 0;          ///< the grid, 1 <= blocks <= pairs * units_per_pair
};

DECODE02_HD inline long long lean_units(const LeanPlan& p) {
  return static_cast<long long>(p.pairs) * p.units_per_pair;
}
/// First unit of block b (b = blocks gives the end): floor(b * units / blocks), so ranges
/// differ in length by at most one unit and are never empty.
DECODE02_HD inline long long lean_unit_begin(const LeanPlan& p, int b) {
  return static_cast<long long>(b) * lean_units(p) / p.blocks;
}
/// The block whose range holds unit u: the largest b with lean_unit_begin(b) <= u.
DECODE02_HD inline int lean_block_of_unit(const LeanPlan& p, long long u) {
  return static_cast<int>(((u + 1) * p.blocks - 1) / lean_units(p));
}
/// Slot of the partial that block b writes for `pair`: b + pair. The blocks touching pair p
/// are first(p)..last(p) and first(p + 1) >= last(p), so the slots of one pair are
/// contiguous, slots of different pairs never meet, and blocks + pairs slots hold them all.
DECODE02_HD inline long long lean_slot(int b, int pair) { return static_cast<long long>(b) + pair; }

/// One wave of min(blocks_per_sm, kTargetBlocksPerSm) blocks per SM (the split plan's
/// target), each at least kMinKeysPerSplit keys long (so a short cache is not cut into
/// one-unit ranges, each paying a q load and a partial).
inline LeanPlan plan_lean(int B, int Hkv, int S, int sms, int blocks_per_sm) {
  LeanPlan p;
  p.pairs = std::max(1, B * Hkv);
  p.units_per_pair = std::max(1, (S + kLeanUnitKeys - 1) / kLeanUnitKeys);
  const int per_sm = std::min(std::max(1, blocks_per_sm), kTargetBlocksPerSm);
  const long long by_length = std::max(1LL, lean_units(p) / (kMinKeysPerSplit / kLeanUnitKeys));
  p.blocks = static_cast<int>(std::min<long long>(static_cast<long long>(std::max(1, sms)) * per_sm, by_length));
  return p;
}

}  // namespace decode02
