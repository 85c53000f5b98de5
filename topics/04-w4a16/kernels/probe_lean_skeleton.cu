/// @file probe_lean_skeleton.cu
/// Probes of v26, v31 and v32 (kernels/lean_stream_k.cuh, LeanFeatures' kProbe): the version's own
/// grid, block shape, cp.async rings and weight + scale loads, compiled with parts of the work
/// cut out.
///   probe-vNN-loads   no x staging, no decode, no mma: each warp sums the words of its ring
///                     slots; the block's barrier and the per-block reduction stay.
///   probe-vNN-staged  probe-vNN-loads plus the version's x staging (its loads, shared-memory
///                     stores and group sums) and the x reads of the mma loop.
/// Beside the version itself and topic 00's read kernel of the same bytes, in the same GPU
/// call, the differences split the version's time: read -> loads is the cost of the version's
/// grid and rings, loads -> staged the x staging, staged -> version the decode, the mma and
/// the accumulation.
///
/// Why: v26 reads 8b-gate's 30.3 MB at 63% of the read kernel's speed and 8b-down's at 72%
/// (README section 4, "The targets against what a read of the same bytes can do"), and every
/// version since v17 has been a guess at which part of the chain costs the difference.
///
/// PREDICTION (before measuring; bf16, cold, M = 1, 8b-gate / 8b-down, v26 17.8 / 15.7 us, read
/// 11.2): the loads alone ~13 / ~12.5 us (the 1.7 waves of short blocks at 8b-gate, 8 warps
/// per SM and a 4-deep ring at 8b-down), staging +1 us, decode and mma the remaining ~3.5 /
/// ~2 us: the compute is the largest single part at 8b-gate.
///
/// MEASURED (run 20261202T150444Z-788c, commit 8b843ca; README section 4 has the table of all nine
/// layers): 8b-gate loads 12.00 us, staged 15.06, v26 17.79; 8b-down 12.00, 14.24, 15.79; the read
/// kernel 11.28. The loads are within 0.7 us of the read; the staging (+3.06 / +2.24) is as large as
/// the compute (+2.73 / +1.55), where the prediction had it three times smaller.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v26,probe-v26-staged,probe-v26-loads --m 1 --shape 8b-gate,8b-down
///
/// Probes of v37 above M = 8 (kernels/mma_lean.cuh, MmaLeanFeatures' kProbe; versions 1037, 2037):
/// v37's grid (column blocks x its even split), 8-warp blocks, shared memory and register ring,
/// with the decode, the mma, the scale multiply and the split-K tail (partials, ticket, last
/// block's sum) cut out; each block writes one sum.
///   probe-v37-loads   the weight and scale loads of the ring only (no x staged; the barrier stays).
///   probe-v37-staged  plus v37's x staging (first batch before the weights, the rest after) and
///                     the mma loop's ldmatrix reads of x (8 per group and warp).
/// Beside v37 and the read kernel, read -> loads is the grid and the 2-deep register ring,
/// loads -> staged the x staging, staged -> v37 the decode, mma and split-K tail together.
/// int4-sym, M = 9..16, even N (a scale pair is counted as one 32-bit word of the scales).
///
/// PREDICTION (before measuring; bf16, cold; v37 8b-gate / 8b-down M = 16 20.7 / 22.0 us, read
/// kernel 11.2): probe-v37-loads ~15.5 / ~17 us (far above the read: 2 groups per warp in flight,
/// 8b-down 16 warps per SM, 8b-gate 1.7 waves of 4-group blocks), probe-v37-staged +1.5 / +2.5 us
/// (one x round trip on 8b-gate, four on 8b-down), the rest ~3.5 / ~2.5 us for the decode, mma and
/// tail. At M = 9 the staged probe ~0.5 us under M = 16 (x loads for 9 rows), the loads probe the
/// same. MEASURED (H200, bf16, cold; run 20261203T072541Z-4780 at bf8792e, read kernel 11.34 us in
/// the same call; README section 4): probe-v37-loads 12.26 / 12.21 / 12.24 us on 8b-gate and 13.82 /
/// 13.92 / 13.79 on 8b-down (M = 9 / 12 / 16), far under the prediction; probe-v37-staged +2.3 and
/// +2.3 to +2.6; the rest (decode, mma, tail) ~6 us on both layers, twice the prediction. The
/// loads probe is the same at every M, the staged probe too (x's round trips, not its bytes).
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v37,v39,probe-v37-loads,probe-v37-staged --dtype bf16 --wfmt int4-sym --m 9,12,16 --shape 8b-gate,8b-down
#include "kernels/probes.hpp"

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include "kernels/lean_stream_k.cuh"
#include "kernels/mma_lean.cuh"
#include "labs/probe_check.hpp"

namespace w4a16 {

#if defined(LABS_BACKEND_CUDA)
namespace {

/// What the probe's per-block sums should add up to, from the bytes themselves. Each unit's
/// ring slot holds two 512-byte tiles (the second zero-filled past the last tile) and 16
/// scales, each read once; the staged probe also reads, for every unit, the 64 words of x of
/// its group once per lane group (8 of them), in every super-tile.
std::uint32_t expected_sum(const DeviceWeights& w, const Problem& p, int probe, Stream s) {
  const int G = p.K / kTileK, super_tiles = (tiled_rows(p.N) / kTileN + 1) / 2;
  std::uint32_t e = lab::device_word_sum(w.tiled, tiled_bytes(p.N, p.K), s);
  e += lab::device_word_sum(w.scales, static_cast<std::size_t>(G) * p.N * lab::dtype_bytes(p.dtype), s);
  if (probe == 2)
    e += 8u * static_cast<std::uint32_t>(super_tiles) *
         lab::device_word_sum(p.x, static_cast<std::size_t>(p.K) * lab::dtype_bytes(p.dtype), s);
  return e;
}

/// The v37 probes' expected sum: every 16-byte weight copy of the tiled packing once (tiles past
/// N are zero-filled, not read), every scale pair once (the lanes of gid 0 count it), and probe 2
/// adds, per column block and warp, every word of x's M rows (each warp reads all of its
/// block's staged x with ldmatrix; the splits cover K once; rows >= M are staged as zeros).
std::uint32_t expected_mma_sum(const DeviceWeights& w, const Problem& p, int probe, Stream s) {
  const int G = p.K / kTileK;
  const int col_blocks = (p.N + mma_lean::MmaLeanFeatures<37>::kBlockN - 1) / mma_lean::MmaLeanFeatures<37>::kBlockN;
  std::uint32_t e = lab::device_word_sum(w.tiled, tiled_bytes(p.N, p.K), s);
  e += lab::device_word_sum(w.scales, static_cast<std::size_t>(G) * p.N * lab::dtype_bytes(p.dtype), s);
  if (probe == 2)
    e += static_cast<std::uint32_t>(mma_lean::MmaLeanFeatures<37>::kWarps) * static_cast<std::uint32_t>(col_blocks) *
         lab::device_word_sum(p.x, static_cast<std::size_t>(p.M) * p.K * lab::dtype_bytes(p.dtype), s);
  return e;
}

}  // namespace

ProbeCase prepare_probe(const std::string& id, const Problem& p) {
  if (id == "probe-v37-notail") return prepare_probe_v37_notail(p);
  if (id == "probe-v37-loads" || id == "probe-v37-staged") {  // the M > 8 kernel: its prepare refuses the rest
    std::shared_ptr<lab::DeviceBytes> sums;
    ProbeCase c;
    const int probe = id == "probe-v37-loads" ? 1 : 2;
    c.step = probe == 1 ? mma_lean::prepare_mma_lean<1037>(p, "probe-v37-loads", &sums)
                        : mma_lean::prepare_mma_lean<2037>(p, "probe-v37-staged", &sums);
    c.out = sums;
    c.poison = [sums](Stream s) { sums->poison(s); };
    const Problem q = p;
    c.check = [sums, q, probe](const DeviceWeights& w, Stream s) {
      return lab::compare_word_sums(*sums, expected_mma_sum(w, q, probe, s), s);
    };
    return c;
  }
  if (p.M != 1) throw std::invalid_argument(id + " runs at M = 1 only (its checksum counts one row of x)");
  if (p.wfmt != WFormat::int4_sym) throw std::invalid_argument(id + " cuts versions that implement int4-sym only");
  std::shared_ptr<lab::DeviceBytes> sums;
  ProbeCase c;
  int probe = 0;
  if (id == "probe-v26-loads") c.step = lean::prepare_lean<1026>(p, "probe-v26-loads", &sums), probe = 1;
  else if (id == "probe-v26-staged") c.step = lean::prepare_lean<2026>(p, "probe-v26-staged", &sums), probe = 2;
  else if (id == "probe-v31-loads") c.step = lean::prepare_lean<1031>(p, "probe-v31-loads", &sums), probe = 1;
  else if (id == "probe-v31-staged") c.step = lean::prepare_lean<2031>(p, "probe-v31-staged", &sums), probe = 2;
  else if (id == "probe-v32-loads") c.step = lean::prepare_lean<1032>(p, "probe-v32-loads", &sums), probe = 1;
  else if (id == "probe-v32-staged") c.step = lean::prepare_lean<2032>(p, "probe-v32-staged", &sums), probe = 2;
  else throw std::invalid_argument("unknown probe '" + id + "'");
  c.out = sums;
  c.poison = [sums](Stream s) { sums->poison(s); };
  const Problem q = p;
  c.check = [sums, q, probe](const DeviceWeights& w, Stream s) { return lab::compare_word_sums(*sums, expected_sum(w, q, probe, s), s); };
  return c;
}

#elif LABS_GPU

ProbeCase prepare_probe(const std::string& id, const Problem&) {
  throw std::invalid_argument(id + " cuts NVIDIA-only versions (mma.sync, cp.async)");
}

#endif

}  // namespace w4a16
