/// @file probe_v37_notail.cu
/// probe-v37-notail: v37 above M = 8 (kernels/mma_lean.cuh, version 3037: MmaLeanFeatures'
/// kNoTail) whole, up to the stores of each block's fp32 partial; then the block ends. No
/// barrier before the ticket, no acq_rel ticket (`MEMBAR.ALL.GPU`, `ATOMG`, `CCTL.IVALL`), no
/// last block summing the column's partials into y. Beside v37 in the same GPU call, v37 −
/// probe is what the split-K tail costs the kernel; beside probe-v37-staged, probe −
/// staged is the decode, the mma and the scale multiply.
///
/// Its check: a separate kernel (not timed) sums the probe's partials in split order into a
/// scratch y, exactly as v37's last block does, and that must equal v37's own output on the
/// same weights bit for bit. A test changes one partial after the run and the check fails.
/// int4-sym, M = 9..16, even N, and only where v37's plan splits K.
///
/// Why: the probes probe-v37-loads / -staged (probe_lean_skeleton.cu) left ~6 us of v37's M = 16
/// time to "decode, mma and tail" together, and ncu's source view put 28% of v37's warp-state
/// samples in the tail (the partial's stores 3%, the barrier around thread 0's fence and ticket
/// 15%, the last block's sum 10%; README section 4, "What the profiler shows at M = 16").
///
/// PREDICTION (before measuring; bf16, cold, M = 16; v37 8b-gate / 8b-down 20.9 / 22.1 us): the
/// tail costs ~2.5 us on 8b-gate (896 blocks in 1.7 waves: a first-wave block's fence and ticket
/// delay the second wave's start, ~1 us, and the last wave's publish and 64 KB sums ~1.5 us at
/// the end) and ~1.5 us on 8b-down (one wave: only the end's publish and sums): probe ~18.4 /
/// ~20.6 us. So decode, mma and scales (probe - staged) ~3.9 / ~4.2 us, the larger part of the 6.
/// At M = 9 the same within 0.3 us (the partials are M rows, the mma 16).
///
/// MEASURED (H200, cold; GPU call at 240b425, run 20261203T082629Z-e788, v37 and probe-v37-staged
/// in the same run; README section 4): as predicted. bf16, M = 9 / 12 / 16: 8b-gate 17.89 / 18.18 /
/// 18.30 us against v37's 20.45 / 20.61 / 20.80 (the tail 2.4-2.6 us), 8b-down 19.90 / 20.16 /
/// 20.48 against 21.60 / 21.86 / 22.16 (1.7 us). Decode, mma and scales (probe - staged): 3.3-3.7
/// us on 8b-gate, 4.0-4.2 on 8b-down. fp16 M = 16 (run ...082630Z-0dec): the tail 2.83 / 1.68 us.
/// The check passed at every point; compute-sanitizer memcheck and racecheck clean.
///
/// Run: build/cuda/topics/04-w4a16/lab-04-w4a16 --variant v37,probe-v37-staged,probe-v37-notail --dtype bf16 --wfmt int4-sym --m 9,16 --shape 8b-gate,8b-down
#include "kernels/probes.hpp"

#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

#include "kernels/mma_lean.cuh"
#include "kernels/splitk.cuh"

namespace w4a16 {

#if defined(LABS_BACKEND_CUDA)
namespace {

/// v37's last-block sum, one block per column block, into `y`: the same function in the same
/// split order, so the same bits.
template <class T>
__global__ void sum_partials_kernel(const float* partials, unsigned* tickets, T* y, int M, int N, int width, int splits) {
  splitk_finish_in_flight(partials, &tickets[blockIdx.x], y, M, N, static_cast<int>(blockIdx.x) * width, width, splits,
                          blockIdx.x);
}

/// y's bytes, from the device.
std::vector<unsigned char> download(const void* p, std::size_t bytes, Stream s) {
  std::vector<unsigned char> host(bytes);
  LABS_CHECK(cudaMemcpyAsync(host.data(), p, bytes, cudaMemcpyDeviceToHost, s));
  LABS_CHECK(cudaStreamSynchronize(s));
  return host;
}

}  // namespace

ProbeCase prepare_probe_v37_notail(const Problem& p) {
  constexpr int kWidth = mma_lean::MmaLeanFeatures<37>::kBlockN;
  constexpr int kThreads = mma_lean::MmaLeanFeatures<37>::kThreads;
  std::shared_ptr<lab::DeviceBytes> partials;
  ProbeCase c;
  c.step = mma_lean::prepare_mma_lean<3037>(p, "probe-v37-notail", &partials);
  c.out = partials;
  const Step v37 = mma_lean::prepare_mma_lean<37>(p, "v37");
  const int col_blocks = (p.N + kWidth - 1) / kWidth;
  const int splits = static_cast<int>(partials->bytes() / (sizeof(float) * static_cast<std::size_t>(col_blocks) * p.M * kWidth));
  const std::size_t y_bytes = static_cast<std::size_t>(p.M) * p.N * lab::dtype_bytes(p.dtype);
  auto summed = std::make_shared<lab::DeviceBytes>(y_bytes);
  auto tickets = std::make_shared<lab::DeviceBytes>(sizeof(unsigned) * static_cast<std::size_t>(col_blocks));
  c.poison = [partials, summed](Stream s) {
    partials->poison(s);
    summed->poison(s);
  };
  const Problem q = p;
  c.check = [=](const DeviceWeights& w, Stream s) {
    if (q.dtype == lab::DType::bf16)
      sum_partials_kernel<<<col_blocks, kThreads, 0, s>>>(partials->as<float>(), tickets->as<unsigned>(),
                                                          summed->as<lab::bf16>(), q.M, q.N, kWidth, splits);
    else
      sum_partials_kernel<<<col_blocks, kThreads, 0, s>>>(partials->as<float>(), tickets->as<unsigned>(),
                                                          summed->as<lab::f16>(), q.M, q.N, kWidth, splits);
    LABS_CHECK_LAUNCH();
    const std::vector<unsigned char> probe_y = download(summed->get(), y_bytes, s);
    v37(w, s);  // into the problem's y, after the probe's partials were read
    const std::vector<unsigned char> v37_y = download(q.y, y_bytes, s);
    const std::size_t eb = lab::dtype_bytes(q.dtype);
    lab::CheckResult r;
    r.n = y_bytes / eb;
    for (std::size_t i = 0; i < r.n; ++i)
      if (std::memcmp(probe_y.data() + i * eb, v37_y.data() + i * eb, eb) != 0 && r.n_bad++ == 0) r.first_bad = i;
    r.pass = r.n_bad == 0 && r.n > 0;
    r.tol_used = r.pass ? 0.0 : 1e9;  // a bitwise compare: no tolerance to use up
    r.note = r.pass ? "probe: its partials, summed apart, are v37's output bit for bit"
                    : std::to_string(r.n_bad) + " of " + std::to_string(r.n) + " outputs differ from v37's (partials skipped, doubled or stale)";
    return r;
  };
  return c;
}

#elif LABS_GPU

ProbeCase prepare_probe_v37_notail(const Problem&) {
  throw std::invalid_argument("probe-v37-notail cuts v37 (mma.sync; NVIDIA only)");
}

#endif

}  // namespace w4a16
