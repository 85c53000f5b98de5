/// @file test_generators.cpp
/// CPU tests of the data topic 00's checks stand on: the copy pattern and the GEMM operands.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>

#include "labs/dtype.hpp"
#include "pattern.hpp"

TEST_CASE("gemm_value: odd multiples of 1/128 in (-1, 1), exact in bf16, never zero, both signs") {
  int negative = 0, positive = 0;
  for (std::uint64_t i = 0; i < 200000; ++i) {
    const float v = machine::gemm_value(i, 11);
    REQUIRE(v != 0.0f);
    REQUIRE(std::fabs(v) < 1.0f);
    REQUIRE(lab::round_to(lab::DType::bf16, v) == v);
    const float scaled = v * 128.0f;
    REQUIRE(scaled == std::nearbyint(scaled));
    REQUIRE(static_cast<long>(scaled) % 2 != 0);
    (v < 0 ? negative : positive)++;
  }
  CHECK(negative > 90000);
  CHECK(positive > 90000);
}

TEST_CASE("an fp64 dot product of gemm values is exact (order does not matter)") {
  const std::uint64_t k = 8192;
  double forward = 0, backward = 0;
  for (std::uint64_t i = 0; i < k; ++i)
    forward += double(machine::gemm_value(i, 11)) * double(machine::gemm_value(i * 7, 12));
  for (std::uint64_t i = k; i-- > 0;)
    backward += double(machine::gemm_value(i, 11)) * double(machine::gemm_value(i * 7, 12));
  CHECK(forward == backward);
  CHECK(forward * 16384.0 == std::nearbyint(forward * 16384.0));  // a whole number of 2^-14
}

TEST_CASE("pattern_word: deterministic, seed-dependent, neighbours differ") {
  CHECK(machine::pattern_word(12345, 1) == machine::pattern_word(12345, 1));
  int same_across_seeds = 0;
  for (std::uint64_t i = 0; i < 100000; ++i) {
    REQUIRE(machine::pattern_word(i, 1) != machine::pattern_word(i + 1, 1));
    same_across_seeds += machine::pattern_word(i, 1) == machine::pattern_word(i, 2);
  }
  CHECK(same_across_seeds < 3);
}
