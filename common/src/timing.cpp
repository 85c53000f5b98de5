#include "labs/timing.hpp"

#include <memory>
#include <stdexcept>
#include <vector>

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
  while (true) {
    if (opt.l2 == L2Mode::cold) flusher().flush(stream);
    if (before_sample) before_sample(stream);
    LABS_CHECK(cudaEventRecord(ev.a, stream));
    body(stream);
    LABS_CHECK(cudaEventRecord(ev.b, stream));
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
  r.throttled = throttled(r.clock_start, r.clock_end);
  return r;
}
#endif

}  // namespace lab
