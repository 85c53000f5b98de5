/// @file v27_dispatch_wide.cu
/// v27 — v23's job (the version a decode engine would run: per layer shape and M, the version
/// that was fastest in a measured grid, picked in prepare, the pick recorded in the row as
/// `dispatch`) over this session's versions: v26 where v23 ran v19, v24/v25 where it ran v22.
/// Read off the grid of run 20261202T050232Z-ed72 (commit 05d08326; v5, v15, v17, v19, v22, v24,
/// v25, v26 and cuBLAS bf16 at every (layer, M); journal lines 11470-11826).
///
/// The rule (bf16, int4-sym; N outputs, K inputs; v15 = stream-K, v26 = block-owned super-tiles,
/// v5 = v5's split-K mma, v24 / v25 = the 128- / 256-column mma blocks):
///   M = 1      v15 when N >= 28672 or K >= 28672 (the layers over ~60 MB), else v26
///   M = 2      v5 when K >= 28672; v15 when N >= 10240; else v26
///   M = 3, 4   v15 when N >= 28672; v25 when K >= 28672; else v5
///   M = 5..8   v15 when N >= 28672; v25 when K >= 14336; else v24
///   M > 8      v25 when N >= 28672 and K >= 8192, else v24
/// Asymmetric INT4 (v15 and v26 take int4-sym only): v5 up to M = 4, v24 at M = 5-8, the M > 8
/// rule above. A pick that refuses the problem hands it to the next in line: v5 up to M = 4, v24
/// above, v24 last.
///
/// On that grid the rule names the fastest of the eight versions at 40 of 45 points, a version
/// within 1% of it at two (8b-gate M = 8: v24 vs v22; 70b-o M = 8: v24 vs v5), and misses at three:
/// 8b-qkv M = 4 (v5 13.81 us where v24 ran 12.74, 8.4%), 70b-o M = 16 (v24 22.98 vs v25 22.38,
/// 2.6%) and 70b-o M = 2 (v26 20.48 vs v5 20.03, 2.2%). Fitted to nine shapes on one GPU, like v23.
///
/// PREDICTION (before measuring; bf16, int4-sym, cold): every v27 row equal to its pick's row
/// within noise (the same kernel and plan), so v27 is within ~1% of the best of ours at 42 of 45
/// points and 2.2-8.4% behind at three; against tinygemm ahead at all 45 points (8b-o M = 2 by v26's
/// ~1.5%, bands overlapping); on the targets M = 1 8b-gate / 8b-down ~17.7 / ~15.7 us (~1.9x /
/// ~2.1x cuBLAS bf16), M = 16 ~22.2 / ~25.0 us (~1.5x / ~1.3x).
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v23,v27 --dtype bf16 --wfmt int4-sym
#include "kernels/dispatch.hpp"

namespace w4a16 {

LABS_REGISTER_VERSION(Version, (dispatching_version(
                                   "v27", "dispatch: per layer shape and M, the fastest of v5/v15/v24/v25/v26 in the measured grid",
                                   v27_dispatch_order)))

}  // namespace w4a16
