#include <doctest/doctest.h>

#include <cmath>

#include "labs/stats.hpp"

TEST_CASE("summarize: median and percentiles by linear interpolation") {
  const lab::Stats s = lab::summarize({5, 1, 4, 2, 3});
  CHECK(s.n == 5);
  CHECK(s.median == doctest::Approx(3));
  CHECK(s.min == 1);
  CHECK(s.max == 5);
  CHECK(s.p10 == doctest::Approx(1.4));  // numpy.percentile([1..5], 10)
  CHECK(s.p90 == doctest::Approx(4.6));
  CHECK(s.mean == doctest::Approx(3));
  CHECK(s.stddev == doctest::Approx(std::sqrt(2.5)));
}

TEST_CASE("summarize: even count median is the midpoint") {
  CHECK(lab::summarize({1, 2, 3, 10}).median == doctest::Approx(2.5));
}

TEST_CASE("summarize: a single sample has zero spread and infinite noise") {
  const lab::Stats s = lab::summarize({7});
  CHECK(s.median == 7);
  CHECK(s.p10 == 7);
  CHECK(std::isinf(s.rel_std_error()));
}

TEST_CASE("summarize rejects empty and non-finite samples") {
  CHECK_THROWS(lab::summarize({}));
  CHECK_THROWS(lab::summarize({1.0, NAN}));
  CHECK_THROWS(lab::summarize({1.0, INFINITY}));
}

TEST_CASE("relative noise falls as samples agree") {
  CHECK(lab::summarize({1.0, 1.0, 1.0, 1.0}).rel_std_error() == 0);
  CHECK(lab::summarize({1.0, 2.0, 1.0, 2.0}).rel_std_error() > 0.1);
  CHECK(lab::summarize({1, 2, 3, 4, 5}).rel_band() == doctest::Approx(3.2 / 3));
}
