/// @file v6_paged.cu Paged KV (block table, 16- or 64-key pages) on v4's split-K GQA body.
///
/// **What changed from v4.** Only the addressing policy: key t of sequence b lives in pool
/// page table[b][t / P] at row t % P, in pools [pages, Hkv, P, D] (a page of one KV head is
/// P contiguous 256-byte rows: 4 KiB at P = 16, 16 KiB at P = 64). The lab builds the pools
/// from the same data as the contiguous cache and shuffles the page order, so a wrong table
/// lookup cannot pass the check. Each group looks up the page of each of its 4 keys of the
/// next tile when it issues that tile's K loads (an L1-resident int load before the 16-byte
/// loads), and reuses the rows for the V loads.
///
/// **Why it should cost little.** The bytes are the same; a page is 16 or 64 whole rows, so
/// every load is still a full 256-byte row segment (16 lanes x 16 B), and the table is
/// B * S / P ints (at most 256 KiB here), read through L1. Chosen body: v4's (the plan before
/// measuring was that v4 and v5 would be within noise of each other and v4 is simpler; if v5
/// measures clearly faster, porting the policy to v5's loop is the exercise in the README).
///
/// **Prediction (before measuring).** >= 95% of v4's bandwidth at P = 64 and >= 90% at
/// P = 16, where the extra dependent table load per tile is most visible at small S.
///
/// **Profiler.** `ncu --section SourceCounters -k regex:gqa_decode`: the table load's stall
/// share (smsp__pcsamp_warps_issue_stalled_long_scoreboard at the table LDG) vs v4.
///
/// **Run.** `build/cuda/topics/02-decode-attention/lab-02-decode-attention --variant v6 --layout paged16 --batch 8 --kv-len 4096`
#include "kernels/gqa_body.cuh"

#if LABS_GPU
namespace decode02 {
namespace {

int log2_exact(int p) {
  int s = 0;
  while ((1 << s) < p) ++s;
  if ((1 << s) != p) throw std::invalid_argument("page size must be a power of two");
  return s;
}

Runner prepare_v6(const DeviceProblem& p) {
  const Shape s = p.shape;
  require_gqa_shape(s);
  const int P = page_size(s.layout);
  if (P == 0 || !p.k_pages || !p.v_pages || !p.block_table)
    throw std::invalid_argument("v6 reads a paged cache: --layout paged16 or paged64");
  Runner r;
  dispatch_dtype(s.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    int sms = 0, per_sm = 0;
    occupancy_of(gqa_decode_kernel<T, PagedKV<T>>, 0, &sms, &per_sm);
    const SplitPlan plan = plan_splits(s.B, s.Hkv, s.S, sms, per_sm, kTileKeys, s.splits);
    auto ws = make_split_workspace(s, plan);
    const PagedKV<T> kv{static_cast<const T*>(p.k_pages), static_cast<const T*>(p.v_pages), p.block_table,
                        s.max_pages(), log2_exact(P), s.Hkv};
    const SplitArgs sp = ws->args;
    r.workspace = ws;
    r.details = {{"splits", plan.splits}, {"keys_per_split", plan.keys_per_split}, {"blocks_per_sm", per_sm},
                 {"sms", sms}, {"page_size", P}};
    r.launch = [p, kv, sp](cudaStream_t stream) { launch_gqa_decode<T>(p, kv, sp, stream); };
  });
  return r;
}

DecodeVersion make_v6() {
  DecodeVersion v;
  v.info.id = "v6";
  v.info.idea = "paged KV (block table, pages of 16 or 64 keys) on v4's split-K GQA body";
  v.info.min_cc = 0;
  v.info.cuda_only = false;
  v.layouts = {Layout::paged16, Layout::paged64};
  v.kernel_regex = "gqa_decode_kernel";
  v.prepare = &prepare_v6;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(DecodeVersion, (make_v6()))

}  // namespace decode02
#endif
