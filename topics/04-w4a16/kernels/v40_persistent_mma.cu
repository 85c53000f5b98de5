/// @file v40_persistent_mma.cu
/// v40 — v37 above M = 8 (int4-sym) with persistent blocks (kernels/persistent_mma.cuh).
///
/// Why: at M = 16 on 8b-gate v37 is 20.8 us against a read of the same bytes in 11.3, and the
/// probes and ncu's source view (README section 4) put most of the difference in costs paid
/// once per block, not per byte: a block owns 4 groups (512 of K) of 128 columns, and around
/// them it pays a prologue (21% of the warp samples), x's staging and its wait (+2.3 us over
/// the loads alone, 17% of the samples) and the split-K tail (+2.5 us; 25% of the samples: the
/// barrier behind thread 0's fence and ticket, then the last block's sum). The grid is 896 such
/// blocks in 1.7 waves. Fewer splits make longer blocks but fewer of them, and lose more bytes
/// in flight than they save (the split sweep: 8 splits stay best).
///
/// The idea: keep v37's 8 splits and its unit of work (128 columns x one K split), but launch
/// only as many blocks as fit at once (132 SMs x 4 = 528 on 8b-gate, rounded down to a multiple
/// of the split count). Block b keeps K split b % S for its whole life and walks the column
/// blocks b / S, b / S + 528 / S, ... So
///   - x is staged once per block, not once per unit (8b-gate: 528 stagings instead of 896);
///   - the two-group weight ring runs across units: while a unit's last group is multiplied and
///     its partial published (the barrier, fence and ticket) and, in the last block, summed, the
///     next unit's first two groups are already in flight; v37's next block on that SM slot
///     starts its prologue only after the previous block has left;
///   - no block launch or prologue per unit after the first.
/// Per unit, the loads, decode, mma, scale fmas and tail are v37's in the same order and v37's
/// split is used: the output is bitwise v37's (a GPU test checks it, with units per block from
/// one to several).
///
/// Which layers can gain (bf16, M = 16, v37's split; resident blocks from occupancy): only
/// where there are more units than resident blocks.
///   - 8b-gate (4096 -> 14336): 112 x 8 = 896 units on 528 blocks: 1.7 per block.
///   - 8b-gateup (-> 28672): 1,792 units, 3.4 per block. 70b-gateup (8192 -> 57344): 448 x 8 =
///     3,584 units, 6.8 per block. 70b-down (28672 -> 8192): 64 x 16 = 1,024 units on 384 blocks
///     (3 x 132 = 396 fit with 57.6 KB of x each; 24 per split), 2.7 per block. 70b-qkv (-> 10240): 640 units, 1.2 per block.
///   - 8b-qkv, 8b-o, 8b-down, 70b-o: at most 512 units, all resident at once: one unit per block,
///     the same work as v37 (8b-down is one wave of 256 blocks; persistence cannot help there).
///
/// PREDICTION (before measuring; bf16, int4-sym, M = 16, cold; v37's rows from runs
/// 20261202T190009Z-9f1b and 20261203T082629Z-e788). Of v37's fixed costs, the staging is saved
/// on every unit after a block's first, and the tail is hidden on every unit but a block's last
/// (the ring's loads go on behind it). On 8b-gate 41% of the units are second units: ~0.9 of the
/// 2.3 us staging and ~1.2 of the 2.5 us tail go, 20.8 -> ~18.8 us (1.73x cuBLAS bf16 at ~32.5).
/// More units per block, more of both goes: 8b-gateup 36.1 -> ~31 us, 70b-gateup 111 -> ~97,
/// 70b-down 65.1 -> ~60, 70b-qkv 26.7 -> ~26. One-unit layers: v37's time within noise (8b-down
/// ~22.2). Registers: the ring's cursor adds two live integers; at the 64-register cap ptxas may
/// spill a few bytes (v37 spills 4), which should not show. M = 9 and 12 follow M = 16 (the
/// weights are the same bytes; x is smaller). The 2.5x target (13.0 us on 8b-gate) stays out of
/// reach: even with no staging or tail at all, the probes leave ~16 us.
///
/// MEASURED (run 20261203T114609Z-6a2f at bd721dd, again in 20261203T120038Z-fec9 at 34a5193, beside
/// v37 and cuBLAS; README section 4): right where x is large, wrong where it is small. 70b-down M = 16
/// 65.76 -> 60.82 and 65.17 -> 59.28 us (-7.5% / -9%: the ~60 predicted); 8b-down 22.21 -> 21.65 and
/// 22.10 -> 21.54 (-2.5%; one unit per block, so not persistence: the block order or the code).
/// 8b-gate 20.88 -> 23.81 and 20.94 -> 23.54 (+12-14%, predicted -10%); 8b-gateup +2%, 70b-gateup
/// +4%, 70b-qkv +7%, 70b-o +6%, 8b-qkv +3%, 8b-o level. ncu (8b-gate): 22.18 us, DRAM 30.0% of peak
/// against v37's 33.9%, about v37's shares of samples per region (prologue and staging 20%,
/// ticket barriers 13%, last block 8%). v41 and v42 tested two
/// explanations (block order, static imbalance); neither was it. v43 dispatches v40 on the two
/// long-K layers.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v37,v40,cublas --dtype bf16 --wfmt int4-sym --m 9,12,16
#include "kernels/persistent_version.hpp"

namespace w4a16 {
LABS_REGISTER_VERSION(Version, (persistent_version<40>(
                                   "v40", "v37 above M = 8 with persistent blocks: each keeps one K split, stages x once and walks column blocks, its weight ring running across units")))
}  // namespace w4a16
