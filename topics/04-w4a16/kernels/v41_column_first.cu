/// @file v41_column_first.cu
/// v41 — v40 with its blocks in v37's order: consecutive blocks take consecutive column blocks of
/// one K split (block b: split b / P, column blocks b % P + i P, P = blocks per split), where
/// v40 gave consecutive blocks consecutive splits of one column block (kernels/persistent_mma.cuh,
/// PersistentFeatures::kColumnFirst). Same units, same work per block, same output (bitwise v37's).
///
/// Why: v40 (run 20261203T114609Z-6a2f at bd721dd, bf16, beside v37 and cuBLAS) lost on most
/// layers, and also on layers where every unit is resident at once and a block does exactly one
/// unit, as v37's blocks do: 70b-o (512 units, 528 slots) 23.36 vs 22.08 us at M = 16 (+5.8%),
/// 8b-qkv +3.8%, while 8b-down (also one unit per block) was 2.5% faster (21.65 vs 22.21). On
/// those layers the two kernels differ only in which units run side by side: which blocks the
/// hardware places on one SM and which finish together. v40's order puts the 8 splits of one
/// column block next to each other, so they finish together and their tickets meet at once;
/// v37's order spreads them out (split s of every column block, then split s + 1).
///
/// PREDICTION (before measuring; bf16, int4-sym, cold, M = 16): if the order is v40's loss on the
/// one-unit layers, v41 is v37's time there within 1% (70b-o ~22.1 us, 8b-qkv ~13.5, 70b-qkv
/// ~26.7) and 8b-down loses v40's 2.5% gain. On 8b-gate, where v40 lost 14% (23.81 vs 20.88 us),
/// I expect most of the loss to stay: there a static walk gives 368 of 528 blocks two units and
/// the rest one, and a block with two units cannot hand its second to a free slot (v42 tests that).
/// 70b-down keeps v40's gain (60.8 vs 65.8 us: x, 57 KB per unit there, staged once per block).
///
/// MEASURED (run 20261203T120038Z-fec9 at 34a5193, bf16, M = 16, with v37, v40, v42): the one-unit
/// layers as predicted, within 1% of v37 (70b-o 22.13 vs 21.97, 8b-qkv 13.28 vs 13.44, 8b-down 21.81
/// vs 22.10: half of v40's gain kept); 8b-gate 23.15, as predicted still slow. Not predicted: far
/// slower than v40 where units per block are uneven: 70b-qkv 36.11 (v40 28.98, v37 26.91), 8b-gateup
/// 40.32 (37.33), 70b-down 69.02 (59.28). Consistent with SMs taking blocks round robin by index: here
/// the blocks with an extra unit are the first of every split (70b-qkv: b mod 66 < 14), the same 28
/// SMs four times over (README section 4; not measured directly).
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v37,v40,v41,v42,cublas --dtype bf16 --wfmt int4-sym --m 9,12,16
#include "kernels/persistent_version.hpp"

namespace w4a16 {
LABS_REGISTER_VERSION(Version, (persistent_version<41>(
                                   "v41", "v40 with v37's block order: consecutive blocks walk consecutive column blocks of one K split")))
}  // namespace w4a16
