/// @file v42_claimed_units.cu
/// v42 — v41 with the column blocks after a block's first claimed from a counter per K split
/// (kernels/persistent_mma.cuh, PersistentFeatures::kClaim), instead of walked in a fixed stride.
/// Thread 0 claims at the start of a unit the column block after the next one (one atomicAdd,
/// its round trip behind the unit's loop) and hands it to the block at the unit's tail through
/// shared memory and the ticket's barrier; the next one must be known a whole unit ahead because
/// the weight ring starts loading it two groups before the current unit ends (so v42 claims only
/// when every split, the last included, has at least 3 groups; otherwise it runs v41's walk). The last block of a split to leave
/// resets the split's counters for the next call. Same units and additions: bitwise v37's output.
///
/// Why: v40's static walk on 8b-gate gives 368 of its 528 blocks two units and 160 one; four
/// blocks share an SM, so an SM's work is fixed at launch (6 or 7 units if the hardware deals
/// blocks to SMs round robin) and an SM whose blocks are done sits idle while another
/// still has two units to go. v37's 896 blocks are handed to SMs as slots free up, which evens
/// the load. Claiming does the same inside a persistent grid: a block that finishes early takes
/// the next unit of its split.
///
/// PREDICTION (before measuring; bf16, int4-sym, cold, M = 16): 8b-gate back under v37: ~20.0 us
/// (v37 20.88; the staging of second units and part of the tail saved, ~0.9 us, as v40's file
/// predicted before the imbalance ate it). Layers with many units per block gain most:
/// 8b-gateup ~34 us (v37 36.35), 70b-gateup ~104 (v37 110.98), 70b-down ~60 (v40 60.82). Layers
/// with one unit per block: v41's times (no claim succeeds; each block makes one failed claim).
///
/// MEASURED (run 20261203T120038Z-fec9 at 34a5193, bf16, M = 16): slower than v41 at every layer
/// (by 0.3-5.7%) and than v37 everywhere: 8b-gate 24.32 (v41 23.15, v37 20.94), 8b-gateup 40.45, 70b-gateup 117.87, 70b-down 70.94;
/// also where no claim succeeds (8b-o 12.06 vs 11.41): the first claim is on the path to the x
/// barrier, and all the blocks of a split (66 on 8b-gate, 32 on 8b-o) claim from one counter at once. ncu (8b-gate) 23.07 us against
/// v40's 22.18, with v40's shape of samples per region (prologue 17.7%, ticket barriers 16.9%). Dynamic balance did not bring 8b-gate back:
/// imbalance was not its problem. Kept as a regression.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v37,v40,v41,v42,cublas --dtype bf16 --wfmt int4-sym --m 9,12,16
#include "kernels/persistent_version.hpp"

namespace w4a16 {
LABS_REGISTER_VERSION(Version, (persistent_version<42>(
                                   "v42", "v41 with units claimed from a counter per K split (a block that finishes early takes the next column block)")))
}  // namespace w4a16
