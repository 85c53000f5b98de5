/// @file v12_lean_loop.cu
/// v12 — v11 with the loop written for the instruction count: the folded decode (v10's
/// idea, 2 instructions per B register instead of 3), pointers that advance instead of
/// addresses recomputed per unit, ring slots fixed at compile time (the loop is unrolled by
/// the ring depth), and the scale layout decided at compile time instead of per unit.
///
/// What changed from v11, and why (read off v11's SASS, `cuobjdump -sass` on the H200, and
/// `ncu --section InstructionStats` on 8b-gate M = 1): v11 executes 10.5 M warp instructions,
/// ~370 per 1 KB super-unit (v5: 8.7 M, ~300), for ~100 that the arithmetic needs. In its
/// loop body (~240 SASS instructions per unit) the decode is 88 (SHF + LOP3 + HADD2 per B
/// register); the rest is the refill's 64-bit address arithmetic (IMAD.WIDE, LEA, SEL per
/// copy), the per-unit branch between the two scale paths, the ring slot `(i & 3) * 1056`,
/// `S2R SR_TID` re-read inside the loop, and the scale copy's zero-fill arithmetic
/// (VIADDMNMX, VIMNMX) recomputed for every unit although it changes once per super-tile.
/// v12 changes only that code:
///  - decode: `lop3(w >> 4i, 0x000F000F, magic)` per register, no HADD2; the offset
///    (136 bf16, 1032 fp16) times sum(x) over the group comes off the fp32 result, with the
///    two sums a lane needs (x rows 2t and 2t + 1) in one LDS.64;
///  - the copy side keeps a pointer to the next unit's tile-T bytes (+512 per unit, + G x 512
///    more when a super-tile ends: tile T + 1 is always G x 512 further), a scale pointer
///    (+N per unit) and the scale copy's byte count (recomputed once per super-tile);
///  - the unit loop is unrolled by the ring depth (4), so each slot's shared address is a
///    constant offset;
///  - `vec_scales` is a template parameter.
///
/// PREDICTION (before measuring; bf16, cold): ~110-130 instructions per KB instead of ~370,
/// i.e. ~3.5 M warp instructions on 8b-gate M = 1; if that moves the loop off the issue limit,
/// 8b-gate / 8b-down M = 1 ~14 us (v5 18.6 / 19.4, v11 24.2 / 26.1), ~1.5x tinygemm; if the
/// time stays above ~18 us with the count down 3x, the issue rate was not the limit and the
/// one-wave structure is (README section 4).
///
/// MEASURED (run 20261201T054958Z-22c7, commit f15b374): 7.8 M warp instructions on 8b-gate
/// M = 1 (v11 10.5 M; ~270 per KB, the per-warp prologue and epilogue included), issue 0.53 per
/// scheduler; 8b-gate / 8b-down 21.87 / 26.53 us (v5 19.33 / 18.61): still slower on the 8B
/// layers, but 70b-gateup M = 1 76.58 us vs v5's 90.19 — the first version to beat v5 at M = 1.
///
/// Profiler: `ncu --section InstructionStats --section SchedulerStats -k regex:w4_lean`.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v5,v11,v12 --shape 8b-gate,8b-down --dtype bf16 --wfmt int4-sym
#include <stdexcept>

#include "kernels/lean_stream_k.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

Step prepare_v12(const Problem& p) { return lean::prepare_lean<12>(p, "v12"); }

#else

Step prepare_v12(const Problem&) { throw std::invalid_argument("v12 uses mma.sync and cp.async (NVIDIA only)"); }

#endif

Version make_version() {
  Version v;
  v.info.id = "v12";
  v.info.idea = "v11's loop rewritten for instruction count: folded decode, advancing pointers, compile-time ring slots";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym};
  v.max_m = 8;
  v.kernel_regex = "w4_lean";
  v.prepare = prepare_v12;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
