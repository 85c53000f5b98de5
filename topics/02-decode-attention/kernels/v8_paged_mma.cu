/// @file v8_paged_mma.cu Paged KV (block table, 16- or 64-key pages) on v7's tensor-core body: one page lookup per 16-key warp tile, issued a tile ahead.
///
/// **What changed from v7.** Only the addressing. The body (mma.sync m16n8k16 q.K and P.V on
/// register-streamed 16-key warp tiles, evict_first 16-byte loads, the warp merge, v4's split
/// plan and last-block combine) is v7's, copied verbatim apart from where a tile's rows come
/// from; the pools and the block table are v6's: key t of sequence b is row t % P of pool page
/// table[b][t / P], pools [pages, Hkv, P, D], P = 16 or 64, page order shuffled by the lab.
///
/// **Why one lookup per tile is exact (correct by construction).** A split starts at a
/// multiple of keys_per_split, which is a multiple of the 64-key block tile (split_plan.hpp);
/// warp w's tile starts at begin + 16 w + 64 i, a multiple of 16. A page holds 16 or 64 keys
/// and starts at a multiple of P, so the 16 keys of a warp tile never straddle a page: the
/// tile is 16 consecutive rows of one pool page, rows r0 .. r0 + 15 with
/// r0 = (page * Hkv + kvh) * P + k0 % P. The loads inside a tile are therefore exactly v7's
/// (same lanes, same 64- and 128-byte contiguous segments per instruction), from a different
/// base. A partial tile clamps to the last live key as v7 does; the clamp is expressed inside
/// the page of the tile's first live key: kc = min(k0, end - 1), rows r(kc) + min(rel, end - 1 - kc).
/// For a tile with live keys kc = k0 and keys k0 .. end - 1 share k0's page; for a tile past
/// `end` (the last block tile of a split can leave 1-3 warps without live keys) every row is
/// key end - 1, live data whose scores are masked to -inf. So no block-table entry past the
/// sequence's pages and no unwritten (NaN) slot is ever read, whatever S_alloc is.
///
/// **Why v6 lost and why this should not.** v6 (v4's body) measured 0.87-0.93 of v4 and
/// 0.71-0.87 of v7 (run 20261121T123356Z-c12b, bf16, cold L2). Its lanes look up the page of
/// each of their 4 keys of the next tile right before issuing that tile's K loads: a
/// dependent int load (a cold-L2 DRAM miss on first touch of each 128-byte line of the table)
/// on the critical path of every tile, 4 per lane per 32 keys. v8 does one lookup per 16-key
/// warp tile (the same address in all 32 lanes: one broadcast transaction) and issues it a
/// whole tile ahead: the lookup for tile i + 2 is issued in iteration i, after tile i + 1's K
/// loads, and first used by tile i + 2's K loads in iteration i + 1, so its latency hides
/// behind a tile of softmax, P.V and loads. Only the first two lookups of each warp are
/// exposed, in the prologue. Cost per 16 keys: 1 LDG.32 + ~5 integer instructions on top of
/// v7's ~130; 2 more live registers (the next and after-next tile rows) within the 168 that
/// 3 blocks per SM allow.
///
/// **Prediction (before measuring; bf16 and fp16, cold L2, H200).**
/// - Shapes of 128 MiB and more ((8, 4096), (1, 32768), (32, 4096), (1, 131072), (8, 32768),
///   (32, 32768)): 0.95-1.00 of v7's time-derived bandwidth at the same shape, P = 16 and
///   P = 64 within noise of each other (the lookup count is per 16-key tile either way);
///   the >= 90% target met at every one of them.
/// - S = 512 shapes (2-32 MiB): 0.88-0.95 of v7: the two exposed prologue lookups (a cold
///   table line, ~1 us) are a visible part of a 10-22 us step; the target may be missed here
///   by a point or two, and the row will say so.
/// - v8 faster than v6 at every shape, by about v7's margin over v4 plus v6's lookup cost.
///
/// **Profiler.** `ncu --set full -k regex:v8_paged_mma_kernel`: dram__throughput and
/// achieved occupancy against v7's row at the same shape (should match); Launch Statistics:
/// registers per thread (v7: 156; this kernel must stay at or under 168 for 3 blocks per SM,
/// details.blocks_per_sm in the row says 3); Source Counters: stall_long_scoreboard at the
/// table LDG should be near zero outside the prologue.
///
/// **Run.** `build/cuda/topics/02-decode-attention/lab-02-decode-attention --variant v8 --layout paged16,paged64 --dtype bf16`
/// (every default shape), or add `--batch 8 --kv-len 4096` for one. `DECODE02_V7_L2_HINT=normal`
/// turns off the evict_first hint here too (same knob as v7; the row's details.l2_hint says
/// which ran).
#include "kernels/paged_mma.cuh"

#if LABS_GPU
namespace decode02 {
namespace {

Runner prepare_v8(const DeviceProblem& p) { return paged_mma::prepare<true>(p, "v8"); }

DecodeVersion make_v8() {
  DecodeVersion v;
  v.info.id = "v8";
  v.info.idea = "paged KV (block table, 16- or 64-key pages) on v7's tensor-core body; one page lookup per warp tile, a tile ahead";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.layouts = {Layout::paged16, Layout::paged64};
  v.kernel_regex = "v8_paged_mma_kernel";
  v.prepare = &prepare_v8;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(DecodeVersion, (make_v8()))

}  // namespace decode02
#endif
