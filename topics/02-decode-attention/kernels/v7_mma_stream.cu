/// @file v7_mma_stream.cu Tensor-core q.K and P.V (mma.sync m16n8k16) on register-streamed 16-key warp tiles: ~8 instructions per key instead of ~70.
///
/// **What changed from the best existing versions (v4 split-K, v5 cp.async).** The split plan,
/// the workspace and the last-block log-sum-exp combine are v4's (same partial layout,
/// same counters). The body is new:
/// - A warp owns whole 16-key tiles (block tile = 4 warps x 16 = 64 consecutive keys; warp w
///   takes keys 16w..16w+15 of it) and keeps its own online-softmax state.
/// - q.K is one `mma.sync.m16n8k16` chain per 8 keys (A = the 4 query heads, rows 4..15
///   zero; B = K^T, 8 keys; fp32 accumulate): 16 mma per 16 keys, no shuffles for the dot
///   products. v4's lanes spent 32 FMAs plus 16 shuffles and 16 adds per key (4 heads).
/// - P.V is O^T[dim][head] += V^T[dim][key] . P^T[key][head] (A = V^T, 16 dims x 16 keys;
///   B = P^T, heads 4..7 zero): 8 mma per 16 keys. P is rounded to the input dtype (bf16 or
///   fp16) as FlashAttention does; the row sum l adds the rounded P so numerator and
///   denominator use the same weights.
/// - Loads stay 16-byte (LDG.E.128) and go straight to registers, no shared memory:
///   * K: the head dimension is permuted identically for q and K (a dot product does not
///     care about the order of its terms), so a lane's 16-byte chunk 4u + t of a K row is
///     directly the B fragment of two k-steps. Per load instruction the warp reads 64
///     contiguous bytes of 8 rows (whole sectors).
///   * V: a lane loads 16 bytes of each of 4 consecutive keys; two `prmt` per register pair
///     turn (key a, dims d, d+1) + (key b, dims d, d+1) into the (key a, key b) pairs the A
///     fragment wants. Per load instruction the warp reads 128 contiguous bytes of 4 rows.
///   * the mma.sync C layout of q.K (lane (g, t) holds head g, keys 4t + {0,1,2,3}) is by
///     construction the B layout P.V needs: no data moves between the two products.
/// - Each warp keeps 8 KiB in flight (16 x 16 B per lane: the next tile's K is issued right
///   after this tile's q.K, its V right after this tile's P.V), twice v4's 4 KiB. 156
///   registers per thread: 3 blocks (12 warps, 96 KiB in flight) per SM.
/// - The running max is reduced with 2 shuffles per 16 keys (v4: 16 shuffles and 16 adds per
///   key per lane for the dot products); the accumulator rescale (32 FMULs) runs only when some
///   head's max grew in this tile (a warp vote; skipping multiplies by exactly 1.0).
/// - Streamed K/V loads carry an L2 evict_first policy, no L1 allocation and a 256-byte L2
///   prefetch hint (a K/V row is one aligned 256-byte block, so nothing past it is fetched).
///   Set `DECODE02_V7_L2_HINT=normal` to run the same kernel with plain `ld.global.nc`
///   loads; the row's details record which one ran ("l2_hint").
///
/// **Why it should be faster.** Reasoned from the measured rows (run 20261121T120912Z-164,
/// bf16, cold L2): v4 and v5 both stop at 87% of copy bandwidth at B = 32, S = 32768, although
/// v5 keeps 3x more bytes in flight (a shared-memory ring) than v4. Whatever limits both is
/// common to their body, and the body costs ~70 warp instructions per key (16 q.K FMAs,
/// 8 shuffles and 8 adds, 16 P.V FMAs, 4 rescale FMULs, ~8 unpacks, 2.5 exps, loads, masks and
/// addressing; a warp instruction serves 2 keys in v4's 16-lane groups), i.e. about
/// half of every scheduler's issue slots at 3.7 TB/s. A fit of time against bytes over the
/// measured shapes gives v5 3.7-4.0 TB/s marginal plus 15-19 us fixed; cuDNN 4.5-4.6 TB/s
/// marginal (from 512 MiB up) plus ~14 us fixed. The whole gap to cuDNN at every shape >= 128 MiB is the
/// marginal rate. v7 issues ~8 instructions per key (16 LDG + 24 HMMA + 32 PRMT + ~45 for the
/// softmax and bookkeeping per 16 keys) and has 2x v4's bytes in flight per warp, so the
/// SMs should stop being the limit and the stream should run at the DRAM's read rate.
///
/// **Prediction (before measuring; bf16, cold L2, H200).**
/// - B = 32, S = 32768: 0.96-1.02 ms (v5: 1.151; cuDNN: 0.958), 99-105% of copy bandwidth.
/// - B = 8, S = 32768: 0.250-0.265 ms (v5: 0.286; cuDNN: 0.255).
/// - B = 32, S = 4096 and B = 1, S = 131072 (512 MiB): 0.133-0.140 ms, 90-95% (v5: 0.151 /
///   0.154; cuDNN: 0.135 / 0.153).
/// - B = 8, S = 4096 and B = 1, S = 32768 (128 MiB): 0.044-0.047 ms, 67-72% (v4/v5: 0.052;
///   cuDNN: 0.048 / 0.049). The 88% target (35.7 us) and "1.3x / 1.6x the fastest PyTorch
///   backend" (36.7 us / 30.6 us) are out of reach at this size under this timing method: every
///   kernel, cuDNN included, pays a fixed cost per cold sample (fits give 14-19 us; the 1 MiB
///   case, B = 1, S = 512, takes 10.6 us for both v5 and cuDNN), so 128 MiB would have to
///   stream in 20-26 us, 5.1-6.7 TB/s, above the HBM3e datasheet 4.8 TB/s. If the evict_first
///   hint shortens that fixed cost (the cold-L2 flush is a memset, so the L2 starts full of
///   dirty lines that a normal-priority stream must write back inside the timed window), these
///   two shapes can
///   land at 0.038-0.042 ms; the `DECODE02_V7_L2_HINT=normal` A/B separates the two effects.
/// - S = 512 shapes: within 1 us of v5 (launch and latency bound).
///
/// **Profiler.** `ncu --set full -k regex:mma_stream_kernel`: dram__throughput and
/// dram__bytes_read.sum / dram__bytes_write.sum (write traffic during the kernel = dirty
/// flush lines written back; compare with `DECODE02_V7_L2_HINT=normal`); Warp State:
/// stall_long_scoreboard should dominate with sm__inst_executed per key ~8 warp instructions
/// (v4: ~70); sm__pipe_tensor_op_hmma_cycles_active (a few %); Launch Statistics:
/// registers per thread and blocks per SM (details.blocks_per_sm in the row).
///
/// **Run.** `build/cuda/topics/02-decode-attention/lab-02-decode-attention --variant v7 --layout contiguous --dtype bf16`
/// (every default shape), or add `--batch 8 --kv-len 4096` for one.
///
/// Layout of one 16-key warp tile (lane = 4g + t, g = lane / 4, t = lane % 4; keys relative
/// to the tile's first key k0; dims are element indices in a 128-wide row):
/// - K: lane loads key 4(g/2) + (g%2) + 2p for p in {0, 1}, chunks 4u + t (dims 32u + 8t ..
///   32u + 8t + 7) for u in 0..3. Word r of chunk u of key p is k[p][4u + r]. For k-step
///   c = 2u + w the B fragment is (k[p][4u + 2w], k[p][4u + 2w + 1]).
/// - q: lane (g < 4) loads head g with the same chunks: q[4u + r]; A fragment of k-step c is
///   (q[4u + 2w], 0, q[4u + 2w + 1], 0). Lanes g >= 4 hold zeros (rows 4..15 unused).
/// - q.K C fragment of 8-key tile p: lane (g, t) holds head g, keys 4t + 2p + {0, 1}.
/// - V: lane loads keys 4t + r (r = 0..3), chunks g and 8 + g; word j of chunk s is
///   v[r][4s + j] and covers dims 64s + 8g + 2j, +1. m-tile i = 4s + j has row g = dim
///   64s + 8g + 2j and row g + 8 = that dim + 1.
/// - P.V B fragment: lane (g, t) holds P[head g][keys 4t, 4t + 1] and [4t + 2, 4t + 3]:
///   exactly what q.K left in its registers.
/// - O^T C fragment of m-tile i: lane (g, t < 2) holds heads 2t, 2t + 1 at dims
///   64s + 8g + 2j and + 1; lanes t >= 2 hold the unused heads 4..7 (zeros).
#include <cstdlib>
#include <cstring>

#include "kernels/mma_stream.cuh"

#if LABS_GPU
namespace decode02 {
namespace {

Runner prepare_v7(const DeviceProblem& p) { return mma_stream::prepare<false, true>(p, "v7"); }

DecodeVersion make_v7() {
  DecodeVersion v;
  v.info.id = "v7";
  v.info.idea = "tensor-core q.K and P.V (mma.sync m16n8k16) on register-streamed 16-key warp tiles, split-K";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.layouts = {Layout::contiguous};
  v.kernel_regex = "mma_stream_kernel";
  v.prepare = &prepare_v7;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(DecodeVersion, (make_v7()))

}  // namespace decode02
#endif
