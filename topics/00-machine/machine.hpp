/// @file machine.hpp
/// Topic 00's measurements. Each one builds a lab::Case (workload, byte/FLOP model, run,
/// reset, check), runs it in the L2 state that defines it (an HBM-sized copy cold, an
/// L2-resident copy warm, ...) through measure_fixed(), and returns the number that goes into
/// lab::Ceilings; the lab (lab.cu) lists them, fills the ceilings and caches them. The timing
/// floor and the copy sweeps (sweep.cu) are informational rows: no ceiling comes from them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "labs/check.hpp"
#include "labs/device_buffer.hpp"
#include "labs/gpu.hpp"
#include "labs/journal.hpp"
#include "labs/session.hpp"
#include "labs/timing.hpp"
#include "sweep_sizes.hpp"

namespace machine {

/// Sizes of every measurement; the lab flags that set them are in each row's command.
struct Sizes {
  std::size_t hbm_bytes = std::size_t{2} << 30;   ///< per buffer: 2 GiB, ~40x a 50 MiB L2
  std::size_t l2_bytes = 0;                       ///< per buffer, L2-resident (0 = L2 / 6)
  int l2_repeats = 32;                            ///< copies per sample (one is ~2 us)
  std::size_t host_bytes = std::size_t{256} << 20;
  int launches = 1000;                            ///< empty kernels per sample
  int gemm_n = 8192;                              ///< m = n = k
  /// per buffer, one row per size, for d2d-copy-sweep and d2d-copy-kernel-sweep
  std::vector<std::size_t> sweep_bytes = sweep_sizes(std::size_t{1} << 30);
};

/// What the measurements share: the session, the sizes, and the HBM copy bandwidth once
/// known (so later rows of this run get % of copy bandwidth even before the cache exists).
struct Context {
  lab::LabSession& session;
  Sizes sizes;
  double copy_gbps = 0;
  int index = 0, total = 0;  ///< progress
};

#if LABS_GPU
/// How a measurement is timed and reported.
struct RowOptions {
  lab::L2Mode mode = lab::L2Mode::cold;
  double units_per_sample = 0;  ///< > 0: a latency row: time per unit (launch, node) in extra fields
  bool vs_copy_bw = false;      ///< a device copy: report % of the HBM copy and of the datasheet
  bool defines_copy_bw = false; ///< this row IS the HBM copy ceiling: ctx.copy_gbps comes from it
};

/// The session's run() loop for one fixed L2 state: reset -> run -> check (fail: no row)
/// -> count launches (CUPTI) -> time -> reset -> run -> check again -> one journal row with
/// gbps and % of copy bandwidth filled from ctx. `c.poison` is the reset (poison outputs,
/// zero counters). Returns the row written, or nothing (check-only, profile, failure).
std::optional<lab::Json> measure_fixed(Context& ctx, const lab::Case& c, const RowOptions& ro);

/// A number field of a row measure_fixed wrote ("gbps", "latency_us"); nothing without a row.
std::optional<double> row_number(const std::optional<lab::Json>& row, const char* field);

// ---- the measurements: each writes its row(s) and returns its ceiling value ----------------
std::optional<double> d2d_copy_hbm(Context& ctx);          ///< GB/s, cudaMemcpyAsync, cold
std::optional<double> d2d_copy_kernel_hbm(Context& ctx);   ///< GB/s, 16-byte vector copy kernel, cold
std::optional<double> d2d_copy_l2(Context& ctx);           ///< GB/s, L2-resident buffers, warm
std::optional<double> host_copy(Context& ctx, bool to_device, bool pinned);  ///< GB/s, one direction
std::optional<double> launch_eager(Context& ctx);          ///< us per back-to-back empty kernel
std::optional<double> launch_graph_node(Context& ctx);     ///< us per node of a graph of empty kernels
std::optional<double> event_overhead(Context& ctx);        ///< us per empty event pair
std::optional<double> floor_empty(Context& ctx, lab::L2Mode mode);  ///< us for ONE empty kernel (sweep.cu)
/// One row per size of ctx.sizes.sweep_bytes, cold; returns the GB/s of the largest size.
std::optional<double> d2d_copy_sweep(Context& ctx);        ///< cudaMemcpyAsync
std::optional<double> d2d_copy_kernel_sweep(Context& ctx); ///< the 16-byte vector copy kernel
/// The same sizes read (not copied) by a 16-byte vector kernel: bytes = bytes read (read_sweep.cu).
std::optional<double> read_kernel_sweep(Context& ctx);
std::optional<double> cublas_bf16_gemm(Context& ctx);      ///< TFLOP/s, cuBLAS, cold (CUDA only)

// ---- pieces the tests reach directly --------------------------------------------------------
struct Mismatches {
  std::uint64_t count = 0;
  std::uint64_t first = 0;  ///< word index of the first mismatch (valid if count > 0)
};
void fill_pattern(void* dst, std::size_t bytes, std::uint32_t seed, cudaStream_t s);
/// Counts words of p that differ from pattern_word(i, seed); syncs s.
Mismatches count_mismatches(const void* p, std::size_t bytes, std::uint32_t seed, cudaStream_t s);
void fill_pattern_host(void* dst, std::size_t bytes, std::uint32_t seed);
Mismatches count_mismatches_host(const void* p, std::size_t bytes, std::uint32_t seed);
/// An exact-compare check result: pass when nothing differs.
lab::CheckResult pattern_check(const Mismatches& m, std::size_t bytes, const std::string& what);

/// The copy kernel of d2d-copy-kernel-hbm: 16-byte vectors, 2 per thread in flight, a
/// persistent grid of `blocks`; bytes must be a multiple of 4, pointers 16-byte aligned.
void copy_kernel(void* dst, const void* src, std::size_t bytes, unsigned blocks, cudaStream_t s);
unsigned copy_kernel_blocks(int sms);

/// Launches `n` single-thread kernels that each add 1 to *counter.
void launch_ticks(unsigned* counter, int n, cudaStream_t s);
/// Event-timed spin of `us` microseconds on the GPU clock: the event-pair check (returns ms).
double timed_spin_ms(double us, cudaStream_t s);

/// The launch rows' check: the device counter must read `expected` (a kernel that was dropped,
/// merged or ran twice fails it); syncs s.
lab::CheckResult counter_check(const unsigned* device_counter, unsigned expected, cudaStream_t s);
/// The workload of the empty-kernel rows: {"op": "empty-kernel", "kernels": n, "dtype": "none"}.
lab::Json launch_workload(int kernels);
/// The workload of the device copy rows: {"op": "d2d-copy", "bytes_per_buffer", "dtype", ["repeats"]}.
lab::Json copy_workload(std::size_t bytes, int repeats);

/// The timing floor: one <<<1,1>>> tick per sample, in `mode` (floor-empty-cold / -warm).
/// Its check: the counter, zeroed by poison, reads 1 after one run.
lab::Case floor_empty_case(lab::L2Mode mode, cudaStream_t check_stream);

/// A device copy's buffers: src filled with pattern_word(i, seed), dst left to the copy.
struct CopyBuffers {
  lab::DeviceBytes src, dst;
  std::uint32_t seed;
  CopyBuffers(std::size_t bytes, std::uint32_t seed, cudaStream_t s);
};
enum class CopyBy { memcpy, kernel };
/// One size of a copy sweep, on buffers allocated once at the sweep's largest size: copies the
/// first `bytes` (a whole number of KiB, at most the buffers' size) of src to dst, and poisons
/// and checks exactly those `bytes` of dst. `blocks`: copy_kernel's grid (CopyBy::kernel).
lab::Case copy_sweep_case(std::shared_ptr<const CopyBuffers> buf, std::size_t bytes, CopyBy by, unsigned blocks,
                          cudaStream_t check_stream);

/// The read sweep's buffer: src filled with pattern_word(i, seed), one 64-bit sum per block of
/// the read kernel's persistent grid of `blocks`.
struct ReadBuffer {
  lab::DeviceBytes src, block_sums;
  std::uint32_t seed;
  unsigned blocks;
  ReadBuffer(std::size_t bytes, std::uint32_t seed, unsigned grid, cudaStream_t s);
};
/// The read kernel's grid: SMs x resident blocks per SM.
unsigned read_kernel_blocks(int sms);
/// Sums the first `bytes` (a multiple of 16) of buf.src into buf.block_sums.
void read_kernel(const ReadBuffer& buf, std::size_t bytes, cudaStream_t s);
/// The read rows' check: the block sums add up to `expected` exactly; syncs s.
lab::CheckResult read_sum_check(const ReadBuffer& buf, unsigned long long expected, std::size_t bytes, cudaStream_t s);
/// One size of the read sweep (a whole number of KiB, at most the buffer): reads the first
/// `bytes`; its check compares the sum with the pattern's, computed once from the formula.
lab::Case read_sweep_case(std::shared_ptr<const ReadBuffer> buf, std::size_t bytes, cudaStream_t check_stream);

#if defined(LABS_BACKEND_CUDA)
/// C = A B in bf16 with fp32 accumulation through cublasGemmEx (column-major, n x n).
class Bf16Gemm {
 public:
  Bf16Gemm(int n, cudaStream_t s);
  ~Bf16Gemm();
  Bf16Gemm(const Bf16Gemm&) = delete;
  Bf16Gemm& operator=(const Bf16Gemm&) = delete;
  void run(cudaStream_t s);
  void poison(cudaStream_t s);
  /// Compares `samples` outputs (corners included) with fp64 dot products on the CPU.
  lab::CheckResult check(cudaStream_t s, int samples = 256) const;
  /// Overwrites one output element with a wrong finite value (tests: the check must fail).
  void corrupt_one(int row, int col, cudaStream_t s);
  int n() const { return n_; }
  static std::string producer();  ///< "cuBLAS 13.0.2"

 private:
  int n_;
  void* handle_ = nullptr;  // cublasHandle_t
  void *a_ = nullptr, *b_ = nullptr, *c_ = nullptr;
};
inline constexpr std::uint32_t kSeedA = 11, kSeedB = 12;
#endif
#endif

}  // namespace machine
