/// @file even_splits.hpp
/// v29's split rule, host code only (kernels/mma_lean.cuh plans with it; the CPU tests check it).
#pragma once

namespace w4a16::mma_lean {

/// v29: groups per split such that every split holds the same number: the divisor d of G nearest
/// to the split count G / gps asks for (ties to the smaller d: fewer, longer splits), among those
/// whose blocks stay within 2 x gps groups; gps itself when it divides G or no divisor qualifies.
/// 8b-down (G = 112) at M = 16: the rule's 11 groups make 11 splits, the last of 2 groups; the
/// nearest even splits are 8 and 14 (equally near), so 8 splits of 14 groups.
inline int even_groups_per_split(int G, int gps) {
  if (G % gps == 0) return gps;
  const int want = (G + gps - 1) / gps;
  int best = 0;
  for (int d = 1; d <= G; ++d) {
    if (G % d != 0 || G / d > 2 * gps) continue;
    const int dist = d > want ? d - want : want - d, best_dist = best > want ? best - want : want - best;
    if (best == 0 || dist < best_dist) best = d;  // ascending d: a tie keeps the smaller
  }
  return best > 0 ? G / best : gps;
}

/// v46, above M = 8: the most groups one block may hold when the split is halved. 8 groups of x
/// at M = 16 is 16 rows x 1,032 halves = 33 KB of shared memory, so 4 blocks of 8 warps still fit
/// an SM (the split sweep of README section 4: 70b-gateup lost 12% at 16 groups per block).
inline constexpr int kMaxWaveFillGroups = 8;

/// v46: the rule's split halved (twice the groups per block, evened as v29) when the halved grid
/// still fills one wave of `slots` resident blocks and a block then holds at most
/// kMaxWaveFillGroups groups; else `gps`. Fewer, longer blocks pay the prologue, x's staging and
/// the split-K tail fewer times, as long as no SM is left idle. Of the nine Llama layers at
/// M = 16 (528 slots on an H200) it changes only 8b-gateup (G = 32, 224 column blocks: 8 splits
/// of 4 groups -> 4 of 8, 896 blocks), the one layer where the sweep found a faster split.
inline int wave_filling_groups_per_split(int G, int gps, int col_blocks, int slots) {
  const int doubled = 2 * gps;
  if (doubled > kMaxWaveFillGroups || doubled > G) return gps;
  const int halved = even_groups_per_split(G, doubled);  // may exceed `doubled`: checked again
  if (halved > kMaxWaveFillGroups) return gps;
  const long long blocks = static_cast<long long>(col_blocks) * ((G + halved - 1) / halved);
  return blocks >= slots ? halved : gps;
}

}  // namespace w4a16::mma_lean
