#include <doctest/doctest.h>

#include <cmath>

#include "labs/check.hpp"

using namespace lab;

TEST_CASE("identical output passes with zero tolerance used") {
  const auto r = check_close({1.0f, 2.0f}, {1.0, 2.0}, DType::f32, tolerance_for(DType::f32));
  CHECK(r.pass);
  CHECK(r.tol_used == 0);
}

TEST_CASE("NaN and Inf in the output always fail, whatever the tolerance") {
  const Tolerance huge{1e30, 1e30};
  CHECK_FALSE(check_close({NAN}, {1.0}, DType::f32, huge).pass);
  CHECK_FALSE(check_close({INFINITY}, {1.0}, DType::f32, huge).pass);
  const auto r = check_close({1.0f, NAN, 3.0f}, {1.0, 2.0, 3.0}, DType::f32, huge);
  CHECK(r.n_nonfinite == 1);
  CHECK(r.first_bad == 1);
}

TEST_CASE("a non-finite reference fails: a broken oracle must not pass anything") {
  CHECK_FALSE(check_close({1.0f}, {NAN}, DType::f32, Tolerance{1, 1}).pass);
}

TEST_CASE("the reference is rounded to the output dtype before comparing") {
  // 1 + 2^-9 rounds to 1.0 in bf16: a bf16 kernel that outputs 1.0 is exact.
  const double ref = 1.0 + std::ldexp(1.0, -9);
  const auto r = check_close({1.0f}, {ref}, DType::bf16, Tolerance{0, 0});
  CHECK(r.pass);
  CHECK(r.max_abs == 0);
}

TEST_CASE("one ulp off in bf16 passes at 2 ulps and fails at a tight tolerance") {
  const float one_ulp_up = 1.0f + std::ldexp(1.0f, -7);
  CHECK(check_close({one_ulp_up}, {1.0}, DType::bf16, tolerance_for(DType::bf16, 2)).pass);
  CHECK_FALSE(check_close({one_ulp_up}, {1.0}, DType::bf16, tolerance_for(DType::bf16, 0.5)).pass);
}

TEST_CASE("tol_used reports the fraction of the allowed error") {
  const auto r = check_close({1.05f}, {1.0}, DType::f32, Tolerance{0, 0.1});
  CHECK(r.pass);
  CHECK(r.tol_used == doctest::Approx(0.5).epsilon(1e-3));
  CHECK(r.summary().find("50%") != std::string::npos);
}

TEST_CASE("size mismatch and empty outputs fail") {
  CHECK_FALSE(check_close({1.0f}, {1.0, 2.0}, DType::f32, Tolerance{1, 1}).pass);
  CHECK_FALSE(check_close({}, {}, DType::f32, Tolerance{1, 1}).pass);
}

TEST_CASE("merge fails if either part failed") {
  const auto ok = check_close({1.0f}, {1.0}, DType::f32, Tolerance{0, 0});
  const auto bad = check_close({2.0f}, {1.0}, DType::f32, Tolerance{0, 0});
  CHECK_FALSE(merge(ok, bad).pass);
  CHECK(merge(ok, ok).pass);
  CHECK(merge(ok, bad).to_json()["pass"] == false);
}
