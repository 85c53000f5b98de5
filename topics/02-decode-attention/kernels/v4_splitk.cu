/// @file v4_splitk.cu Split-K (flash-decoding): the key range is cut so the grid fills every SM; log-sum-exp combine in the last block.
///
/// **What changed from v3.** The grid becomes (splits, Hkv, B). Each block runs v3's body on
/// its slice of keys and writes an unnormalised partial (m, l, o) for its 4 heads to a
/// workspace; the last block of each (sequence, KV head) to finish (an atomic counter) merges
/// the partials: M = max m_s, out = sum_s o_s 2^(m_s - M) / sum_s l_s 2^(m_s - M). One launch.
///
/// The split count is computed at run time (split_plan.hpp) from the SM count the runtime
/// reports and this kernel's occupancy (cudaOccupancyMaxActiveBlocksPerMultiprocessor): enough
/// splits as fit in one wave of resident blocks (rounded down), each split at least 128 keys and a multiple of
/// the 32-key tile. Nothing about the H200 is hard-coded. The workspace
/// (B * Hkv * splits * 4 * (128 + 2) floats, plus one counter per (sequence, KV head)) is
/// allocated and zeroed in prepare, before timing; the timed launch allocates nothing, and
/// the last block resets its counter so the next launch needs no memset.
///
/// **Why it should be faster.** At B = 1 v3 ran 8 blocks; v4 runs ~500 (one wave on 132 SMs
/// at 4 blocks per SM), each with 8 KiB in flight per warp. This is the step the RTX 4090
/// journey (README) saw regress, because its block was one warp and its grid was split from
/// 256 blocks of 1 warp; here the body already keeps 4 warps busy, so splitting only adds
/// parallelism.
///
/// **Prediction (before measuring).** Bandwidth-bound at every shape with >= 64 MiB of KV:
/// B = 8, S = 4096 and B = 1, S = 32768 (128 MiB each, floor ~31 us at 4.3 TB/s) at 85-92% of
/// copy bandwidth; the combine adds ~2 MiB of partial traffic and a short tail. At S = 512
/// (2-16 MiB, mostly L2-sized) launch latency (~3-5 us) dominates.
///
/// **Profiler.** `ncu --set full -k regex:gqa_decode`: dram__throughput.avg.pct_of_peak_sustained_elapsed,
/// "Waves Per SM" ~1, smsp__warp_issue_stalled_long_scoreboard as the top stall, L2 hit rate
/// near 0 on K/V (streamed once); the tail of the last blocks in the Nsight Systems timeline.
///
/// **Run.** `build/cuda/topics/02-decode-attention/lab-02-decode-attention --variant v4 --batch 1 --kv-len 32768`
#include "kernels/gqa_body.cuh"

#if LABS_GPU
namespace decode02 {
namespace {

Runner prepare_v4(const DeviceProblem& p) {
  const Shape s = p.shape;
  require_gqa_shape(s);
  Runner r;
  dispatch_dtype(s.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    int sms = 0, per_sm = 0;
    occupancy_of(gqa_decode_kernel<T, ContiguousKV<T>>, 0, &sms, &per_sm);
    const SplitPlan plan = plan_splits(s.B, s.Hkv, s.S, sms, per_sm, kTileKeys, s.splits);
    auto ws = make_split_workspace(s, plan);
    const ContiguousKV<T> kv{static_cast<const T*>(p.k), static_cast<const T*>(p.v), s.S_alloc, s.Hkv};
    const SplitArgs sp = ws->args;
    r.workspace = ws;
    r.details = {{"splits", plan.splits}, {"keys_per_split", plan.keys_per_split}, {"blocks_per_sm", per_sm},
                 {"sms", sms}};
    r.launch = [p, kv, sp](cudaStream_t stream) { launch_gqa_decode<T>(p, kv, sp, stream); };
  });
  return r;
}

DecodeVersion make_v4() {
  DecodeVersion v;
  v.info.id = "v4";
  v.info.idea = "split-K (flash-decoding): splits from SM count and occupancy, LSE combine in the last block";
  v.info.min_cc = 0;
  v.info.cuda_only = false;
  v.layouts = {Layout::contiguous};
  v.kernel_regex = "gqa_decode_kernel";
  v.prepare = &prepare_v4;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(DecodeVersion, (make_v4()))

}  // namespace decode02
#endif
