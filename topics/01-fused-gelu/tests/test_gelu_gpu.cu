/// @file test_gelu_gpu.cu
/// GPU tests of topic 01: every version (and v4's unfused baseline) in every dtype on odd
/// sizes (1, 7, 4097, non-multiples of the vector width, several rows), on misaligned starts
/// (x and y one element past a 16-byte boundary, and x and y misaligned differently), with
/// the bytes around the output checked for stray writes; CUPTI's launch count against what
/// each version declares; and deliberately wrong kernels that both checkers must reject.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "check_gelu.hpp"
#include "gelu.hpp"
#include "kernels/gelu_math.cuh"
#include "labs/device_buffer.hpp"
#include "labs/gpuinfo.hpp"
#include "labs/launches.hpp"
#include "reference.hpp"

namespace {

constexpr std::size_t kGuard = 16;  // elements of slack around x and y: misaligned starts and overrun detection

struct Runnable {
  std::string id;
  bool bias = false;
  int launches = 0;
  gelu::Prepare prepare;
};

std::vector<Runnable> everything() {
  std::vector<Runnable> out;
  for (const auto& v : gelu::Registry::instance().all()) {
    out.push_back({v.info.id, v.bias, v.launches, v.prepare});
    if (v.baseline) out.push_back({v.baseline->id, v.bias, v.baseline->launches, v.baseline->prepare});
  }
  return out;
}

cudaStream_t test_stream() {
  static cudaStream_t s = [] {
    cudaStream_t st = nullptr;
    LABS_CHECK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
    return st;
  }();
  return s;
}

int test_sms() {
  static int sms = lab::query_gpu(0).sms;
  return sms;
}

/// Buffers for one problem with guard elements on both sides of x and y.
struct Buffers {
  lab::DType dt;
  std::size_t tokens, hidden, x_offset, y_offset;
  lab::DeviceBytes x, y, bias;
  Buffers(lab::DType t, std::size_t tok, std::size_t hid, std::size_t xo, std::size_t yo)
      : dt(t), tokens(tok), hidden(hid), x_offset(xo), y_offset(yo),
        x((tok * hid + 2 * kGuard) * lab::dtype_bytes(t)),
        y((tok * hid + 2 * kGuard) * lab::dtype_bytes(t)),
        bias((hid + kGuard) * lab::dtype_bytes(t)) {
    gelu::fill_uniform(dt, x_ptr(), n(), 7, -gelu::kInputRange, gelu::kInputRange, test_stream());
    gelu::fill_uniform(dt, bias.get(), hidden, 8, -1.0f, 1.0f, test_stream());
    y.poison(test_stream());
    LABS_CHECK(cudaStreamSynchronize(test_stream()));
  }
  std::size_t n() const { return tokens * hidden; }
  std::size_t e() const { return lab::dtype_bytes(dt); }
  void* x_ptr() const { return static_cast<char*>(x.get()) + (kGuard / 2 + x_offset) * e(); }
  void* y_ptr() const { return static_cast<char*>(y.get()) + (kGuard / 2 + y_offset) * e(); }
  gelu::Problem problem() const {
    gelu::Problem p;
    p.dtype = dt;
    p.x = x_ptr();
    p.bias = bias.get();
    p.y = y_ptr();
    p.tokens = tokens;
    p.hidden = hidden;
    p.sms = test_sms();
    return p;
  }
  std::vector<double> reference(bool with_bias) const {
    const std::vector<float> xs = lab::download_as_float(x_ptr(), n(), dt);
    const std::vector<float> bs = with_bias ? lab::download_as_float(bias.get(), hidden, dt) : std::vector<float>{};
    return gelu::reference_on_host(xs, bs, hidden);
  }
  /// Every byte of y outside [y_ptr, y_ptr + n) must still hold the poison (0xFF).
  bool guards_intact() const {
    std::vector<unsigned char> all(y.bytes());
    LABS_CHECK(cudaMemcpy(all.data(), y.get(), all.size(), cudaMemcpyDeviceToHost));
    const std::size_t begin = (kGuard / 2 + y_offset) * e(), end = begin + n() * e();
    for (std::size_t i = 0; i < all.size(); ++i)
      if ((i < begin || i >= end) && all[i] != 0xFF) return false;
    return true;
  }
};

struct ShapeCase {
  std::size_t tokens, hidden;
};
// 1, 7 and 4097 elements; a row width no vector width divides; several aligned rows (v4's
// vector path); a multi-row shape whose total is not a multiple of 8.
const ShapeCase kShapes[] = {{1, 1}, {1, 7}, {1, 4097}, {3, 1001}, {4, 4096}, {5, 2056}, {2, 8195}};
// (x offset, y offset) in elements: aligned; both one element past a 16-byte boundary; x
// aligned and y not (no common boundary: v3's fallback path); both three elements past.
const std::pair<std::size_t, std::size_t> kOffsets[] = {{0, 0}, {1, 1}, {0, 1}, {3, 3}};
const lab::DType kDtypes[] = {lab::DType::f32, lab::DType::bf16, lab::DType::f16};

// ---- deliberately wrong versions: test-only, never in the lab's registry -------------------

/// The seed's published baseline math: 0.5 x tanh(u), the `1 +` dropped.
template <class T>
__global__ void seed_bug_gelu(const T* x, T* y, std::size_t n) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) {
    const float v = gelu::to_f32(x[i]);
    y[i] = gelu::from_f32<T>(0.5f * v * tanhf(0.7978845608f * (v + 0.044715f * v * v * v)));
  }
}

/// A vectorized kernel that forgets the tail: only whole 8-element groups are written.
template <class T>
__global__ void forgets_tail_gelu(const T* x, T* y, std::size_t n) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n - n % 8) y[i] = gelu::from_f32<T>(gelu::gelu_fast(gelu::to_f32(x[i])));
}

enum class Wrong { seed_bug, forgets_tail };

void run_wrong(Wrong w, const gelu::Problem& p, cudaStream_t s) {
  const std::size_t n = p.elements();
  const unsigned grid = static_cast<unsigned>((n + 255) / 256);
  gelu::dispatch_dtype(p.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (w == Wrong::seed_bug)
      seed_bug_gelu<T><<<grid, 256, 0, s>>>(static_cast<const T*>(p.x), static_cast<T*>(p.y), n);
    else
      forgets_tail_gelu<T><<<grid, 256, 0, s>>>(static_cast<const T*>(p.x), static_cast<T*>(p.y), n);
    LABS_CHECK_LAUNCH();
  });
  LABS_CHECK(cudaStreamSynchronize(s));
}

}  // namespace

TEST_CASE("the registry holds v0..v5 and v4's unfused baseline") {
  const auto all = everything();
  std::vector<std::string> ids;
  for (const auto& r : all) ids.push_back(r.id);
  CHECK(ids == std::vector<std::string>{"v0", "v1", "v2", "v3", "v4", "v4-unfused", "v5"});
}

TEST_CASE("every version is correct on odd sizes and misaligned starts, in every dtype, without stray writes") {
  const cudaStream_t s = test_stream();
  for (const Runnable& r : everything()) {
    for (lab::DType dt : kDtypes) {
      for (const ShapeCase& shape : kShapes) {
        for (const auto& [xo, yo] : kOffsets) {
          CAPTURE(r.id);
          const std::string where = fmt::format("{} {} {}x{} x+{} y+{}", r.id, lab::dtype_name(dt), shape.tokens,
                                                shape.hidden, xo, yo);
          CAPTURE(where);
          Buffers b(dt, shape.tokens, shape.hidden, xo, yo);
          const gelu::Problem p = b.problem();
          gelu::Step step = r.prepare(p);
          step(s);
          LABS_CHECK(cudaStreamSynchronize(s));
          const lab::CheckResult chk = gelu::check_on_host(p.y, dt, b.reference(r.bias), gelu::tolerance(dt), s);
          CHECK_MESSAGE(chk.pass, chk.summary());
          CHECK_MESSAGE(b.guards_intact(), "wrote outside y[0, n)");
          // Twice in a row (graphs, persistent grids): same answer.
          b.y.poison(s);
          step(s);
          LABS_CHECK(cudaStreamSynchronize(s));
          CHECK(gelu::check_on_host(p.y, dt, b.reference(r.bias), gelu::tolerance(dt), s).pass);
        }
      }
    }
  }
}

TEST_CASE("the GPU checker agrees with the CPU checker on every version") {
  const cudaStream_t s = test_stream();
  for (const Runnable& r : everything()) {
    for (lab::DType dt : kDtypes) {
      CAPTURE(r.id);
      Buffers b(dt, 37, 3001, 1, 1);
      const gelu::Problem p = b.problem();
      r.prepare(p)(s);
      const lab::CheckResult host = gelu::check_on_host(p.y, dt, b.reference(r.bias), gelu::tolerance(dt), s);
      const lab::CheckResult dev = gelu::check_on_device(p, r.bias, gelu::tolerance(dt), s);
      CHECK(host.pass);
      CHECK(dev.pass);
      CHECK(dev.n == host.n);
      CHECK(dev.max_abs == doctest::Approx(host.max_abs).epsilon(1e-6));
      CHECK(dev.tol_used == doctest::Approx(host.tol_used).epsilon(1e-6));
    }
  }
}

TEST_CASE("CUPTI counts the launches each version declares") {
  const cudaStream_t s = test_stream();
  for (const Runnable& r : everything()) {
    CAPTURE(r.id);
    Buffers b(lab::DType::bf16, 64, 1024, 0, 0);
    gelu::Step step = r.prepare(b.problem());
    const lab::LaunchCount c = lab::count_launches(step, s);
    if (!c.counted()) {
      MESSAGE("launches not counted in this build (no CUPTI)");
      continue;
    }
    CHECK(c.launches == r.launches);
    CHECK(c.graph_launches == (r.id == "v1" ? 1 : 0));
  }
}

TEST_CASE("both checkers reject deliberately wrong versions and NaN") {
  const cudaStream_t s = test_stream();
  for (lab::DType dt : kDtypes) {
    CAPTURE(lab::dtype_name(dt));
    for (Wrong w : {Wrong::seed_bug, Wrong::forgets_tail}) {
      Buffers b(dt, 1, 4097, 0, 0);  // 4097: the tail is one element
      const gelu::Problem p = b.problem();
      run_wrong(w, p, s);
      const lab::CheckResult host = gelu::check_on_host(p.y, dt, b.reference(false), gelu::tolerance(dt), s);
      const lab::CheckResult dev = gelu::check_on_device(p, false, gelu::tolerance(dt), s);
      CHECK_FALSE(host.pass);
      CHECK_FALSE(dev.pass);
      if (w == Wrong::forgets_tail) {
        CHECK(host.n_nonfinite == 1);  // the poisoned (NaN) tail element
        CHECK(dev.n_nonfinite == 1);
        CHECK(dev.first_bad == 4096);
      }
    }
    // A correct output with one element overwritten by NaN.
    Buffers b(dt, 3, 1001, 0, 0);
    const gelu::Problem p = b.problem();
    const gelu::Version* v3 = gelu::Registry::instance().find("v3");
    REQUIRE(v3 != nullptr);
    v3->prepare(p)(s);
    LABS_CHECK(cudaMemsetAsync(static_cast<char*>(p.y) + 1234 * lab::dtype_bytes(dt), 0xFF, lab::dtype_bytes(dt), s));
    const lab::CheckResult host = gelu::check_on_host(p.y, dt, b.reference(false), gelu::tolerance(dt), s);
    const lab::CheckResult dev = gelu::check_on_device(p, false, gelu::tolerance(dt), s);
    CHECK_FALSE(host.pass);
    CHECK_FALSE(dev.pass);
    CHECK(dev.first_bad == 1234);
  }
}
