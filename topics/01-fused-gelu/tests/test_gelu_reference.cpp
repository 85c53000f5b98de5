/// @file test_gelu_reference.cpp
/// CPU tests of topic 01's oracle and tolerance: known values, the symmetry identity, and
/// that the policy rejects the seed's published math (which dropped the `1 +`).
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "check_gelu.hpp"
#include "labs/check.hpp"
#include "labs/dtype.hpp"
#include "reference.hpp"

TEST_CASE("gelu fp64 reference matches known values") {
  std::string why;
  CHECK_MESSAGE(gelu::reference_self_test(&why), why);
  CHECK(gelu::gelu_tanh_ref(0.0) == 0.0);
  CHECK(gelu::gelu_tanh_ref(1.0) == doctest::Approx(0.84119199060827670478).epsilon(1e-14));
  CHECK(gelu::gelu_tanh_ref(-1.0) == doctest::Approx(-0.15880800939172329522).epsilon(1e-14));
  // Far from zero it is the identity (positive side) and zero (negative side).
  CHECK(gelu::gelu_tanh_ref(20.0) == doctest::Approx(20.0).epsilon(1e-15));
  CHECK(std::fabs(gelu::gelu_tanh_ref(-20.0)) < 1e-30);
}

TEST_CASE("reference_on_host adds the bias per column") {
  const std::vector<float> x = {0.5f, -1.0f, 2.0f, 0.0f, 1.0f, -3.0f};  // 2 rows x 3 columns
  const std::vector<float> bias = {0.5f, 0.0f, -1.0f};
  const std::vector<double> ref = gelu::reference_on_host(x, bias, 3);
  REQUIRE(ref.size() == x.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    CHECK(ref[i] == doctest::Approx(gelu::gelu_tanh_ref(double(x[i]) + double(bias[i % 3]))).epsilon(1e-15));
  const std::vector<double> plain = gelu::reference_on_host(x, {}, 3);
  CHECK(plain[1] == doctest::Approx(-0.15880800939172329522).epsilon(1e-14));
}

TEST_CASE("tolerance: 8 ulps for fp32, 2 ulps for bf16 and fp16, atol = rtol") {
  const lab::Tolerance f32 = gelu::tolerance(lab::DType::f32);
  CHECK(f32.rtol == doctest::Approx(8.0 * std::ldexp(1.0, -24)));
  CHECK(f32.atol == doctest::Approx(f32.rtol));
  CHECK(gelu::tolerance(lab::DType::bf16).rtol == doctest::Approx(2.0 * std::ldexp(1.0, -8)));
  CHECK(gelu::tolerance(lab::DType::f16).rtol == doctest::Approx(2.0 * std::ldexp(1.0, -11)));
}

TEST_CASE("the check rejects the seed's math (0.5 x tanh(u), the `1 +` dropped) and NaN") {
  std::vector<float> x;
  for (int i = -60; i <= 60; ++i) x.push_back(0.1f * static_cast<float>(i));
  const std::vector<double> ref = gelu::reference_on_host(x, {}, x.size());
  for (lab::DType t : {lab::DType::f32, lab::DType::bf16, lab::DType::f16}) {
    std::vector<float> good, seed_bug;
    for (float v : x) {
      const double u = 0.7978845608028654 * (v + 0.044715 * double(v) * v * v);
      good.push_back(lab::round_to(t, static_cast<float>(0.5 * v * (1.0 + std::tanh(u)))));
      seed_bug.push_back(lab::round_to(t, static_cast<float>(0.5 * v * std::tanh(u))));
    }
    const lab::Tolerance tol = gelu::tolerance(t);
    CHECK(lab::check_close(good, ref, t, tol).pass);
    CHECK_FALSE(lab::check_close(seed_bug, ref, t, tol).pass);
    std::vector<float> with_nan = good;
    with_nan[7] = std::nanf("");
    const lab::CheckResult r = lab::check_close(with_nan, ref, t, tol);
    CHECK_FALSE(r.pass);
    CHECK(r.n_nonfinite == 1);
  }
}
