/// @file v3_gqa.cu GQA-aware: one block serves the 4 query heads that share a KV head, so K and V are read once.
///
/// **What changed from v2.** The block index becomes (sequence, KV head) instead of
/// (sequence, query head), and every lane carries the 4 query heads' q chunks (32 floats),
/// 4 accumulators (32 floats) and 4 (m, l) pairs. A K row, once in registers, is dotted with
/// 4 queries; a V row is accumulated into 4 outputs. The body is kernels/gqa_body.cuh, the
/// same body v4 and v6 use, here with one split per (sequence, KV head).
///
/// **Why it should be faster.** v2 asked the memory system for each K and V byte 4 times
/// (once per query head); L2 may have served the repeats, but every request still cost L2
/// bandwidth and SM load slots. v3 asks once: 4x fewer load instructions and L2 sectors for
/// the same arithmetic.
///
/// **What it gets wrong (on purpose: the next step).** The grid shrinks 4x, to B * Hkv
/// blocks: 8 at B = 1 and 64 at B = 8, against 132 SMs that each need several blocks
/// resident to keep ~25 KB of loads in flight. Only B = 32 (256 blocks) comes close.
///
/// **Prediction (before measuring).** B = 32, S = 4096: 256 blocks, ~2 per SM, 8 KiB in
/// flight per warp -> 70-85% of copy bandwidth. B = 8: 64 SMs of 132 busy -> under 50%.
/// B = 1: 8 blocks -> ~5% (8 SMs x ~30-60 GB/s each).
///
/// **Profiler.** `ncu --section LaunchStats --section Occupancy --section SpeedOfLight`:
/// "Waves Per SM" ~0.015 at B = 1; dram throughput % of peak tracks the fraction of SMs with a block.
///
/// **Run.** `build/cuda/topics/02-decode-attention/lab-02-decode-attention --variant v3 --batch 32 --kv-len 4096`
#include "kernels/gqa_body.cuh"

#if LABS_GPU
namespace decode02 {
namespace {

Runner prepare_v3(const DeviceProblem& p) {
  const Shape s = p.shape;
  require_gqa_shape(s);
  Runner r;
  SplitArgs one;  // a single split spanning the whole sequence: no workspace
  one.splits = 1;
  one.keys_per_split = s.S;
  r.details = {{"splits", 1}};
  dispatch_dtype(s.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const ContiguousKV<T> kv{static_cast<const T*>(p.k), static_cast<const T*>(p.v), s.S_alloc, s.Hkv};
    r.launch = [p, kv, one](cudaStream_t stream) { launch_gqa_decode<T>(p, kv, one, stream); };
  });
  return r;
}

DecodeVersion make_v3() {
  DecodeVersion v;
  v.info.id = "v3";
  v.info.idea = "GQA-aware: one block per (sequence, KV head) serves its 4 query heads; K/V read once";
  v.info.min_cc = 0;
  v.info.cuda_only = false;
  v.layouts = {Layout::contiguous};
  v.kernel_regex = "gqa_decode_kernel";
  v.prepare = &prepare_v3;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(DecodeVersion, (make_v3()))

}  // namespace decode02
#endif
