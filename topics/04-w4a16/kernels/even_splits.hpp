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

}  // namespace w4a16::mma_lean
