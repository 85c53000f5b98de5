/// @file test_generators.cpp
/// CPU tests of the data topic 00's checks stand on (the copy pattern and the GEMM operands)
/// and of the copy sweeps' size list.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "labs/dtype.hpp"
#include "pattern.hpp"
#include "sweep_sizes.hpp"

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

TEST_CASE("sweep_sizes: 256 KiB doubling up to the cap, the cap itself only when a power of two") {
  constexpr std::size_t KiB = 1024, MiB = KiB * 1024;
  const std::vector<std::size_t> full = {256 * KiB, 512 * KiB, 1 * MiB,   2 * MiB,   4 * MiB,   8 * MiB,  16 * MiB,
                                         32 * MiB,  64 * MiB,  128 * MiB, 256 * MiB, 512 * MiB, 1024 * MiB};
  CHECK(machine::sweep_sizes(1024 * MiB) == full);  // the default (--sweep-max-mib 1024)
  const std::vector<std::size_t> quick(full.begin(), full.begin() + 9);
  CHECK(machine::sweep_sizes(64 * MiB) == quick);   // --quick
  CHECK(machine::sweep_sizes(100 * MiB) == quick);  // 128 MiB would pass a 100 MiB cap
  CHECK(machine::sweep_sizes(1 * MiB).size() == 3);
  CHECK(machine::sweep_sizes(256 * KiB) == std::vector<std::size_t>{256 * KiB});
  CHECK(machine::sweep_sizes(256 * KiB - 1).empty());
  CHECK(machine::sweep_sizes(0).empty());
}

TEST_CASE("sweep_sizes: a cap near the top of size_t ends the list instead of overflowing") {
  const std::vector<std::size_t> s = machine::sweep_sizes(std::numeric_limits<std::size_t>::max());
  REQUIRE(!s.empty());
  CHECK(s.front() == machine::kSweepMinBytes);
  CHECK(s.back() == std::size_t{1} << (std::numeric_limits<std::size_t>::digits - 1));
  for (std::size_t i = 1; i < s.size(); ++i) REQUIRE(s[i] == 2 * s[i - 1]);
}
