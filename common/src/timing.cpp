#include "labs/timing.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#if defined(LABS_BACKEND_CUDA)
#include <cuda.h>  // types only: the driver entry point is fetched through the runtime, so
                   // nothing links libcuda (CI machines without a driver must still load us)
#endif

#include "labs/l2.hpp"

namespace lab {

std::string to_string(L2Mode m) { return m == L2Mode::cold ? "cold" : "warm"; }

L2Mode parse_l2(const std::string& s) {
  if (s == "cold") return L2Mode::cold;
  if (s == "warm") return L2Mode::warm;
  throw std::invalid_argument("--l2: unknown mode '" + s + "' (valid: cold, warm, both)");
}

TimingOptions TimingOptions::quick(L2Mode l2) {
  TimingOptions o;
  o.l2 = l2;
  o.warmup_ms = 5;
  o.min_samples = 5;
  o.max_samples = 50;
  o.target_rel_noise = 0.03;
  o.max_total_ms = 100;
  return o;
}

#if LABS_GPU
namespace {

// One flush buffer per process, sized from the device: allocated once, outside any timed region.
L2Flusher& flusher() {
  static std::unique_ptr<L2Flusher> f;
  if (!f) {
    int dev = 0, l2 = 0;
    LABS_CHECK(cudaGetDevice(&dev));
    LABS_CHECK(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, dev));
    f = std::make_unique<L2Flusher>(static_cast<std::size_t>(l2));
  }
  return *f;
}

}  // namespace

void make_l2_cold(cudaStream_t stream) { flusher().flush(stream); }

namespace {

struct EventPair {
  cudaEvent_t a{}, b{};
  EventPair() {
    LABS_CHECK(cudaEventCreate(&a));
    LABS_CHECK(cudaEventCreate(&b));
  }
  ~EventPair() {
    (void)cudaEventDestroy(a);
    (void)cudaEventDestroy(b);
  }
  double elapsed_ms() {
    LABS_CHECK(cudaEventSynchronize(b));
    float ms = 0;
    LABS_CHECK(cudaEventElapsedTime(&ms, a, b));
    return ms;
  }
};

#if defined(LABS_BACKEND_CUDA)
using WaitValue32 = CUresult (*)(CUstream, CUdeviceptr, cuuint32_t, unsigned int);

WaitValue32 wait_value32() {
  static WaitValue32 fn = [] {
    void* p = nullptr;
    cudaDriverEntryPointQueryResult status{};
    if (cudaGetDriverEntryPointByVersion("cuStreamWaitValue32", &p, 12000, cudaEnableDefault, &status) !=
            cudaSuccess ||
        status != cudaDriverEntryPointSuccess) {
      (void)cudaGetLastError();
      p = nullptr;
    }
    return reinterpret_cast<WaitValue32>(p);
  }();
  return fn;
}
#endif

// Holds the stream until every launch of a sample is queued (nvbench's "blocking kernel"
// idea, done with a stream memory wait): otherwise the start event can fire while the
// host is still launching, and a short kernel's time would include launch latency. A
// watchdog releases the gate after 200 ms, so a body that synchronizes cannot deadlock;
// it is then disabled for the rest of the case and the samples measure what they can.
class LaunchGate {
 public:
  LaunchGate() {
#if defined(LABS_BACKEND_CUDA)
    if (cudaHostAlloc(reinterpret_cast<void**>(&flag_), sizeof(unsigned), cudaHostAllocMapped) != cudaSuccess) {
      (void)cudaGetLastError();
      flag_ = nullptr;
      return;
    }
    *flag_ = 0;
    void* dev = nullptr;
    if (cudaHostGetDevicePointer(&dev, flag_, 0) != cudaSuccess) {
      (void)cudaGetLastError();
      return;
    }
    dev_ = reinterpret_cast<CUdeviceptr>(dev);
#endif
  }
  ~LaunchGate() {
#if defined(LABS_BACKEND_CUDA)
    if (flag_) (void)cudaFreeHost(flag_);
#endif
  }
  bool usable() const { return enabled_ && dev_ != 0; }
  void hold(cudaStream_t stream) {
#if defined(LABS_BACKEND_CUDA)
    if (!usable()) return;
    ++generation_;
    const WaitValue32 wait = wait_value32();
    if (!wait || wait(stream, dev_, generation_, CU_STREAM_WAIT_VALUE_GEQ) != CUDA_SUCCESS) {
      enabled_ = false;
      return;
    }
    released_ = false;
    watchdog_ = std::thread([this, g = generation_] {
      const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
      while (!released_.load() && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      if (!released_.load()) {
        timed_out_ = true;
        open(g);
      }
    });
#else
    (void)stream;
#endif
  }
  void release() {
#if defined(LABS_BACKEND_CUDA)
    if (!watchdog_.joinable()) return;
    open(generation_);
    released_ = true;
    watchdog_.join();
    if (timed_out_) enabled_ = false;  // the body waited on the GPU: stop gating this case
#endif
  }

 private:
  void open(unsigned g) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    *reinterpret_cast<volatile unsigned*>(flag_) = g;
  }
  unsigned* flag_ = nullptr;
#if defined(LABS_BACKEND_CUDA)
  CUdeviceptr dev_ = 0;
#else
  unsigned long long dev_ = 0;
#endif
  unsigned generation_ = 0;
  bool enabled_ = true;
  std::atomic<bool> released_{true};
  std::atomic<bool> timed_out_{false};
  std::thread watchdog_;
};

}  // namespace

double event_overhead_ms(cudaStream_t stream, int reps) {
  EventPair ev;
  std::vector<double> s;
  for (int i = 0; i < reps; ++i) {
    LABS_CHECK(cudaEventRecord(ev.a, stream));
    LABS_CHECK(cudaEventRecord(ev.b, stream));
    s.push_back(ev.elapsed_ms());
  }
  return summarize(s).median;
}

TimingResult time_gpu(const std::function<void(cudaStream_t)>& body, const TimingOptions& opt, cudaStream_t stream,
                      const std::function<void(cudaStream_t)>& before_sample) {
  TimingResult r;
  int dev = 0;
  LABS_CHECK(cudaGetDevice(&dev));
  if (opt.l2 == L2Mode::cold) flusher();  // allocate before anything is timed
  EventPair ev;

  // Warm-up by time: module load, lazy initialisation and the clock ramp happen here.
  double warm = 0;
  for (int i = 0; i < 2 || warm < opt.warmup_ms; ++i) {
    if (before_sample) before_sample(stream);
    LABS_CHECK(cudaEventRecord(ev.a, stream));
    body(stream);
    LABS_CHECK(cudaEventRecord(ev.b, stream));
    warm += ev.elapsed_ms();
    if (i > 10000) break;
  }

  r.clock_start = read_clocks(dev);
  std::vector<double> samples;
  double total = 0;
  LaunchGate gate;
  while (true) {
    if (opt.l2 == L2Mode::cold) flusher().flush(stream);
    if (before_sample) before_sample(stream);
    gate.hold(stream);
    LABS_CHECK(cudaEventRecord(ev.a, stream));
    body(stream);
    LABS_CHECK(cudaEventRecord(ev.b, stream));
    gate.release();
    const double ms = ev.elapsed_ms();
    samples.push_back(ms);
    total += ms;
    const int n = static_cast<int>(samples.size());
    if (n >= opt.max_samples) break;
    if (n >= opt.min_samples) {
      if (total >= opt.max_total_ms) break;
      if (summarize(samples).rel_std_error() < opt.target_rel_noise && n >= 2 * opt.min_samples) break;
    }
  }
  r.clock_end = read_clocks(dev);
  r.ms = summarize(samples);
  r.event_overhead_ms = event_overhead_ms(stream, 50);
  r.launch_gated = gate.usable();
  r.throttled = throttled(r.clock_start, r.clock_end);
  return r;
}
#endif

}  // namespace lab
