/// @file v37_mma_x_first.cu
/// v37 — v29 with x's first staging batch issued before the weight ring's loads, above M = 8
/// (kernels/mma_lean.cuh, MmaLeanFeatures of version 37: kXFirst). Each thread loads its first
/// kStageLoads = 4 chunks of x (16 bytes each) into registers, then its warp's two groups of
/// weights, then stores the batch and stages the rest of x as v29 does. Same loads, same
/// shared-memory layout, same additions: the output is bitwise v29's (a GPU test checks it at
/// M = 1, 5, 8, 9, 12 and 16). At M <= 8 the kernels are v29's (their cubin text is byte-identical to v29's).
///
/// Why v29 as the base, not v24: the two run one kernel (8 warps, 128 columns; v29 only evens
/// the split), and above M = 8 their splits differ on two of the nine Llama layers, 8b-down and
/// 70b-down (G = 112 and 224, which the rule's 11 groups do not divide). v36 runs v29 on 8b-down
/// and v24 on the other layers it gives this kernel; on v29, v37 carries x-first to both with
/// the split v36 runs (but on 70b-down, which v38 leaves to v24). On v24 it would bring back
/// 8b-down's short last split (v24 25.0 against v29 22.2 us at M = 16).
///
/// Why: v35 did this to v33 at M = 1 and it paid more than predicted (run 20261202T155401Z-9049,
/// README section 4): 8b-gate 16.16 -> 13.46 us, ncu 14.62 -> 12.00, after v33's source view had
/// 20% of its stall samples (302 of 1,486) on the first use of x's loads, which had left the SM
/// behind the ring's weight copies; 8b-down 15.71 (v26) -> 14.40 with 4 of its 7 chunks first.
/// This kernel had the same order: at M = 16 v24's source view (8b-gate, GPU call of 2026-12-02
/// 04:52, ncu 20.45 us) puts 6% of its samples on the x staging's stores, waiting for x. M = 16
/// is where the kernels stand furthest from the target: 8b-gate 21.92 us (v24, run
/// 20261202T045242Z-63aa) and 8b-down 22.18 (v29, …053635Z-8756), against M = 1's 13.39 (v36)
/// and cuBLAS bf16's ~33.
///
/// How much x goes first (the plan above M = 8: clamp(G / 8, 4, 11) groups per block, evened):
///   - 8b-gate (G = 32): 4 groups per block, 8 splits x 112 column blocks = 896 blocks, 1.7
///     waves of 4 blocks per SM. A block stages 16 rows x 512 k: 1,024 chunks (16 KB at M = 16),
///     4 per thread, one batch: all of x leaves ahead of the ring's 16 KB of weights (8 warps x
///     2 groups x 2 tiles x 512 bytes). At M = 9 and 12 rows >= M are zeros without a load: 9 and
///     12 KB, all of it in the first batch too.
///   - 8b-down (G = 112): v29's 14 groups per block, 8 splits x 32 column blocks = 256 blocks,
///     one wave (<= 2 per SM; 57.6 KB of staged x each). A block stages 3,584 chunks (56 KB at
///     M = 16), 14 per thread in batches of 4, 4, 4, 2: the first is 4 of 14 (29%); about half
///     of the loaded x at M = 9 (7.9 chunks per thread), 38% at M = 12.
///
/// SASS (nvcc 13.0, sm_90; read off the cubin's instruction words, cuobjdump not being on the
/// build machine): in all four M > 8 kernels (bf16 and fp16, int4-sym and int4-asym) the first
/// four global loads are the batch's LDG.E.128 (their registers are the data of the first four
/// STS.128), and every weight, scale and zero-point load of the ring comes after them (bf16
/// int4-sym: x at 0x0960-0x0a90, the ring's first LDG.E.128 at 0x0d60; in v29's kernel the ring
/// starts at 0x0470 and x's first LDG.E.128 is at 0x16b0). Registers: the int4-sym kernels stay
/// at 64 but spill 4 bytes (one STL before the group loop, one LDL per group in it; v29: none);
/// the int4-asym kernels take 92 registers (v29: 79-80), so 2 blocks of 8 warps fit per SM
/// instead of 3.
///
/// Profiler: in ncu's source view of 8b-gate M = 16, the samples on the staging's STS.128 (v24: 6%)
/// should fall; the LDL in the group loop should not show.
///
/// PREDICTION (before measuring; bf16, int4-sym, cold): the first batch's wait behind the ring
/// goes; the later batches (8b-down) still make their round trips. v35 turned a 20% share of
/// x-stall samples into ~17% less time; the same ratio on v24's 6% gives ~5% where all of x
/// goes first: 8b-gate M = 16 21.9 -> ~20.8 us (~1.6x cuBLAS bf16), M = 9 and 12 ~5% under
/// v24's rows (not measured there yet). 8b-down, where only part of x goes first (v35's 4 of 7
/// gained half what 8b-gate did): M = 16 22.2 -> ~21.6 (~1.55x), M = 9 21.5 -> ~21.0, M = 12
/// 21.8 -> ~21.3. M <= 8: v29's rows (its kernels). int4-asym above M = 8: possibly slower than
/// v29 where the grid is several waves (8b-gate: 3 -> 2 blocks per SM); 8b-down's one wave of
/// <= 2 blocks per SM loses nothing to that. The M = 16 target (2.5x cuBLAS, ~13 us) stays far.
///
/// MEASURED (run 20261202T190007Z-9c8e at a9b9311, with v24, v29, v36 and cuBLAS in the same run; README
/// section 4): 8b-gate as predicted, 3-6% under v36 above M = 8 (M = 9 20.54 us vs 21.10, M = 12 20.48 vs
/// 21.39, M = 16 20.74 vs 21.97; 1.62x cuBLAS bf16 at M = 16). 8b-down: no gain (M = 16 22.03 vs v29's
/// 22.18) and a loss at M = 9 (21.60 vs 21.23): with 4 of 14 chunks first, the later batches still make
/// their round trips. Other layers at M = 16: 0.1-1.3 us under v24, level on 70b-down, behind v36's v25
/// on 70b-gateup.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v24,v29,v37,cublas --dtype bf16 --wfmt int4-sym --m 9,12,16 --shape 8b-gate,8b-down
#include <stdexcept>

#include "kernels/mma_lean.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

Step prepare_v37(const Problem& p) { return mma_lean::prepare_mma_lean<37>(p, "v37"); }

#else

Step prepare_v37(const Problem&) { throw std::invalid_argument("v37 uses mma.sync and ldmatrix (NVIDIA only)"); }

#endif

Version make_version() {
  Version v;
  v.info.id = "v37";
  v.info.idea = "v29 with x's first staging loads issued before the weight ring's above M = 8 (they no longer queue behind it)";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym, WFormat::int4_asym};
  v.kernel_regex = "w4_mma_lean";
  v.takes_splits = true;
  v.prepare = prepare_v37;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
