/// @file v3_magic_dequant.cu
/// v3 — fast dequantisation with bit tricks: INT4 -> fp16 through the exponent "magic
/// number" 0x6400 and lop3 masks, instead of shift + mask + int-to-float per weight.
///
/// What changed from v2: only the decoder (dequant.cuh, Int4Magic). A nibble OR-ed into
/// the mantissa of the fp16 1024.0 (0x6400) IS the half 1024 + q; one half2 subtract of
/// 1024 + z (or an fma by 1/16 for the nibble that sits 4 bits higher) gives q - z exactly:
///
///   w & 0x000F000F | 0x64006400 = [0 11001 000000 k4][0 11001 000000 k0] = half2(1024+k0, 1024+k4)
///   w & 0x00F000F0 | 0x64006400 = [0 11001 00 k5 0000][0 11001 00 k1 0000] = half2(1024+16k1, ...)
///
/// Per 8 weights: 1 shift, 4 lop3, 4 half2 ops, 8 widenings, versus v2's 7 shifts, 8 ANDs
/// and 8 I2F on the quarter-rate pipe.
///
/// Why it should be faster: v2 was conversion-bound; v3 decodes with full-rate ALU/FMA
/// instructions (~2.6 issue slots per weight at M = 1 including the FMA), under the ~3.9
/// slots per weight that 132 SMs x 4 schedulers x 1.98 GHz / 8.6 G weights/ms allow.
///
/// PREDICTION (before measuring): ~80% of copy bandwidth at M = 1 on 4096->14336
/// (~9 us, ~3.0x cuBLAS bf16), limited now by issue slots and the tail of ~1.6 waves;
/// on 14336->4096 only 512 blocks of 8 rows exist for ~264-400 resident: ~65%.
///
/// Profiler: `ncu --section InstructionStats --section WarpStateStats -k regex:gemv_core`
/// — the I2F count drops to 0; `smsp__inst_executed.sum` per weight falls by ~2x vs v2.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v3 --m 1 --n 14336 --k 4096 --dtype bf16 --wfmt int4-sym
#include "kernels/gemv_cuda_core.cuh"

namespace w4a16 {
namespace {

#if LABS_GPU
Step prepare_v3(const Problem& p) { return prepare_gemv_core<Int4Magic>(p, /*split_k=*/false); }
#else
Step prepare_v3(const Problem&) { return {}; }
#endif

/// The table entry (built in a function: brace-initialising it in the registration line
/// trips GCC's -Wmaybe-uninitialized on nvcc's host stub).
Version make_version() {
  Version v;
  v.info.id = "v3";
  v.info.idea = "v2 + INT4->fp16 via exponent magic 0x6400 and lop3 masks (no I2F)";
  v.formats = {WFormat::int4_sym, WFormat::int4_asym};
  v.kernel_regex = "gemv_core";
  v.prepare = prepare_v3;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
