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

#include "host_device.hpp"
#include "split_plan.hpp"

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

/// v18's plan: v17's, plus a *switch cost*. A block whose range crosses from one pair into
/// the next finishes a segment (merge, partial, ticket) and starts another (q, then the first
/// tiles: two round trips before the stream flows again), and the kernel ends with its slowest
/// block. So each pair after the first is preceded by `switch_units` phantom units on a
/// virtual line of pairs * units_per_pair + (pairs - 1) * switch_units units, which is cut into
/// equal ranges: a range that crosses a boundary carries that many fewer real units. Ranges
/// are b * q + min(b, r) (q, r: the line's length divided by the blocks), so the kernel needs
/// no 64-bit division (v17's lean_unit_begin has two per block and lean_block_of_unit two per
/// segment) and only 32-bit divisions by values it is given.
struct LeanSwitchPlan {
  int pairs = 0;           ///< B * Hkv
  int units_per_pair = 0;  ///< ceil(S / kLeanUnitKeys)
  int switch_units = 0;    ///< phantom units before every pair but the first, < q
  int blocks = 0;          ///< the grid
  int q = 0, r = 0;        ///< virtual units per block, and how many blocks get one more
};

/// The virtual line's length; fits 32 bits whenever plan_lean_switch accepted the shape.
DECODE02_HD inline long long lean_virtual_units(const LeanSwitchPlan& p) {
  return static_cast<long long>(p.pairs) * p.units_per_pair + static_cast<long long>(p.pairs - 1) * p.switch_units;
}
/// First virtual unit of block b (b = blocks gives the end).
DECODE02_HD inline int lean_vbegin(const LeanSwitchPlan& p, int b) { return b * p.q + (b < p.r ? b : p.r); }
/// The real (global) unit at virtual unit v: a phantom unit maps to the next pair's first.
DECODE02_HD inline int lean_real_unit(const LeanSwitchPlan& p, int v) {
  const int stride = p.units_per_pair + p.switch_units;
  const int pair = v / stride, j = v - pair * stride;
  return pair * p.units_per_pair + (j < p.units_per_pair ? j : p.units_per_pair);
}
/// First real unit of block b's range (b = blocks gives the end).
DECODE02_HD inline int lean_switch_begin(const LeanSwitchPlan& p, int b) { return lean_real_unit(p, lean_vbegin(p, b)); }
/// The block whose virtual range holds virtual unit v.
DECODE02_HD inline int lean_block_of_vunit(const LeanSwitchPlan& p, int v) {
  const int long_part = p.r * (p.q + 1);  // the first r blocks have q + 1 units
  return v < long_part ? v / (p.q + 1) : p.r + (v - long_part) / p.q;
}
/// The first and the last block holding real units of `pair`.
DECODE02_HD inline int lean_switch_first_block(const LeanSwitchPlan& p, int pair) {
  return lean_block_of_vunit(p, pair * (p.units_per_pair + p.switch_units));
}
DECODE02_HD inline int lean_switch_last_block(const LeanSwitchPlan& p, int pair) {
  return lean_block_of_vunit(p, pair * (p.units_per_pair + p.switch_units) + p.units_per_pair - 1);
}

/// v17's grid (plan_lean) over the virtual line. switch_units is lowered to q - 1 when the
/// ranges are shorter than that (a range must hold at least one real unit); `fits_32_bits`
/// is false when the line is too long for the kernel's 32-bit arithmetic.
inline LeanSwitchPlan plan_lean_switch(int B, int Hkv, int S, int sms, int blocks_per_sm, int switch_units,
                                       bool* fits_32_bits = nullptr) {
  const LeanPlan base = plan_lean(B, Hkv, S, sms, blocks_per_sm);
  LeanSwitchPlan p;
  p.pairs = base.pairs;
  p.units_per_pair = base.units_per_pair;
  p.blocks = base.blocks;
  p.switch_units = std::max(0, switch_units);
  for (;;) {  // at most a few passes: lowering the cost shortens the line
    const long long v = lean_virtual_units(p);
    p.q = static_cast<int>(v / p.blocks);
    p.r = static_cast<int>(v % p.blocks);
    if (p.switch_units < p.q) break;
    p.switch_units = p.q - 1;
  }
  if (fits_32_bits) *fits_32_bits = lean_virtual_units(p) + p.units_per_pair + p.switch_units < (1LL << 31);
  return p;
}

}  // namespace decode02
