/// @file v9_stream_k.cu
/// v9 — stream-K over 512-byte weight units, each warp's loads in its own cp.async ring:
/// v5's tensor-core math, fed so that the bytes in flight cost no registers and every warp
/// of one full wave streams the same number of bytes.
///
/// What changed from v5 (the best version so far) and why, read off the measured losers:
///  1. Work split = stream-K, not column blocks x K splits. The tiled packing stores n-tile
///     after n-tile, each as G = K/128 "units" of 512 contiguous bytes (8 columns x one group).
///     The U = (N/8) x G units are cut into W equal contiguous ranges, one per warp of a grid
///     of exactly the resident blocks: every warp reads the same bytes (+-512), whatever N
///     and K are. v7 and v8 lost with "one wave" because their waves were 0.85 full with
///     unequal blocks; here the wave is full and the pieces equal by construction.
///  2. Bytes in flight in shared memory, not registers. Each lane copies its 16 bytes of a
///     unit with `cp.async.cg` (and its two scales with a 4-byte `cp.async`) into a private
///     kStages-deep ring, waits with `cp.async.wait_group`, and reads the same 16 bytes back
///     (LDS.128): a thread only ever reads what it copied itself, so no barrier is needed.
///     v7's register ring cost 102 registers (16 warps/SM) and v8's was sunk by ptxas under
///     its register cap; an asm-volatile cp.async cannot be moved below the mma that follow
///     it, and 8 stages x 512 B x 24-32 warps is 96-128 KB in flight per SM at ~60
///     registers, ~3x what Little's law asks (4.4 TB/s x ~1.1 us / 132 SMs ~ 37 KB).
///  3. The first loads go out before anything else: the ring is filled, then x is staged
///     (in fragment order, as v7: 4 LDS.128 per group and row half) while they fly.
///  4. Deterministic reduction with almost no atomics: a warp's range covers at most two
///     n-tiles partly (its first and its last); every tile in between is its own and is
///     written straight to y. A shared tile's contributors are consecutive warps; each
///     stores an fp32 partial in slot (warp - first contributor), and the last to arrive
///     (one atomic ticket per tile) adds the slots in order 0, 1, ... and writes y. One fence
///     per warp, at its end, so no fence ever waits behind the ring.
///
/// Limits: int4-sym only; x[M][K] must fit in shared memory beside the rings (M x K x 2
/// bytes + 40 KB <= the opt-in limit: every M at K = 4096, M <= 6 at K = 14336, M <= 3 at
/// K = 28672); otherwise prepare throws and the lab prints the skip. Odd N takes a slower
/// scale path (the 4-byte cp.async of a scale pair needs an even N).
///
/// PREDICTION (before measuring; H200, bf16, cold L2): the stream should run near the copy
/// rate. 8b-gate / 8b-down at M = 1: ~12 us (v5 18.6 / 19.4, tinygemm 21.5 / 20.8: ~1.75x
/// tinygemm, ~2.8x cuBLAS bf16, ~85% of the same-size memcpy's 10.3 us); M = 16 on 8b-gate:
/// ~14 us (x is 128 KB there: one block per SM, 8 warps); 8b-down M = 16 does not fit (skip).
/// Issue rate is the risk: ~85 warp instructions per 512-byte unit (48 of them the bf16
/// decode) is ~4.7 us of issue at 100% over the 57,344 units, so if the schedulers, not the
/// DRAM, turn out to be the limit, the time will sit near 13-14 us.
///
/// First measurement (run 20261201T052636Z-c5ad, commit 15a03ee): 34.2 / 32.3 us at M = 1,
/// slower than v5; ncu showed 0.70 issued warps per scheduler and DRAM at 21%: issue-bound.
/// The cause was in the implementation, not the idea: the issue side computed each unit's
/// (tile, group) with a 64-bit division (~100 instructions per unit). It now counts them
/// (stream_k.cuh); the rows of 15a03ee stay in the journal as the record of that bug.
///
/// Measured after the fix (run 20261201T053043Z-fc57, commit 342dd20): 28.94 / 31.54 us at
/// M = 1 on 4096 -> 14336 / 14336 -> 4096 (v5 19.46 / 18.61): still issue-bound (ncu 0.68
/// issued warps per scheduler, DRAM 23%), ~220 SASS instructions per unit. A regression, kept;
/// README section 4 has the story, v10 and v11 the two follow-ups.
///
/// Profiler: `ncu --section SpeedOfLight --section MemoryWorkloadAnalysis --section
/// WarpStateStats -k regex:w4_streamk` — DRAM throughput should be the top unit; stalls
/// should be long_scoreboard (waiting on the ring); if issue-active is > 70%, the decode is
/// the limit.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v9 --shape 8b-gate,8b-down --dtype bf16 --wfmt int4-sym
#include <stdexcept>

#include "kernels/stream_k.cuh"

namespace w4a16 {
namespace {

#if defined(LABS_BACKEND_CUDA)

/// v5's exact decoders: B = q - 8.
template <class T>
struct ExactDecode {
  static constexpr bool kFolded = false;
  __device__ static void decode(std::uint32_t w, std::uint32_t (&b)[4]) {
    MmaDequant<T>::decode(w, MmaDequant<T>::zero(8), b);
  }
};

Step prepare_v9(const Problem& p) { return stream_k::prepare_stream_k<ExactDecode>(p, "v9"); }

#else

Step prepare_v9(const Problem&) { throw std::invalid_argument("v9 uses mma.sync and cp.async (NVIDIA only)"); }

#endif

Version make_version() {
  Version v;
  v.info.id = "v9";
  v.info.idea = "stream-K: equal 512-byte unit ranges per warp of one full wave, each warp's loads in a cp.async ring";
  v.info.min_cc = 80;
  v.info.cuda_only = true;
  v.formats = {WFormat::int4_sym};
  v.kernel_regex = "w4_streamk";
  v.prepare = prepare_v9;
  return v;
}

}  // namespace

LABS_REGISTER_VERSION(Version, (make_version()))

}  // namespace w4a16
