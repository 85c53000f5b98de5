#include <doctest/doctest.h>

#include <cmath>
#include <cstring>

#include "labs/dtype.hpp"

using namespace lab;

TEST_CASE("bf16 rounds to nearest even and keeps NaN and infinity") {
  CHECK(float_to_bf16_bits(1.0f) == 0x3F80);
  // 1 + 2^-8 is exactly halfway between bf16 1.0 and 1.0078125: ties go to even (1.0).
  CHECK(float_to_bf16_bits(1.0f + std::ldexp(1.0f, -8)) == 0x3F80);
  CHECK(float_to_bf16_bits(1.0f + 3 * std::ldexp(1.0f, -8)) == 0x3F82);
  CHECK(std::isnan(bf16_bits_to_float(float_to_bf16_bits(NAN))));
  CHECK(std::isinf(bf16_bits_to_float(float_to_bf16_bits(INFINITY))));
  CHECK(bf16_bits_to_float(0xC040) == -3.0f);
}

TEST_CASE("fp16 conversion: normals, ties, subnormals, overflow") {
  CHECK(float_to_f16_bits(1.0f) == 0x3C00);
  CHECK(float_to_f16_bits(-2.0f) == 0xC000);
  CHECK(float_to_f16_bits(65504.0f) == 0x7BFF);
  CHECK(float_to_f16_bits(65520.0f) == 0x7C00);  // rounds up to infinity
  CHECK(float_to_f16_bits(1.0f + std::ldexp(1.0f, -11)) == 0x3C00);  // tie to even
  CHECK(float_to_f16_bits(std::ldexp(1.0f, -24)) == 0x0001);          // smallest subnormal
  CHECK(float_to_f16_bits(std::ldexp(1.0f, -26)) == 0x0000);          // below half of it
  CHECK(f16_bits_to_float(0x0001) == std::ldexp(1.0f, -24));
  CHECK(std::isnan(f16_bits_to_float(float_to_f16_bits(NAN))));
  // Every fp16 value survives a round trip through float.
  for (unsigned h = 0; h < 0x7C00; ++h) {
    const auto b = static_cast<std::uint16_t>(h);
    REQUIRE(float_to_f16_bits(f16_bits_to_float(b)) == b);
  }
}

TEST_CASE("encode/decode round trip and all-ones bytes decode to NaN (the poison)") {
  const std::vector<float> v{0.5f, -1.25f, 3.0f};
  for (DType t : {DType::f32, DType::f16, DType::bf16}) {
    CHECK(decode(t, encode(t, v)) == v);
    std::vector<std::byte> poison(4 * dtype_bytes(t), std::byte{0xFF});
    for (float x : decode(t, poison)) CHECK(std::isnan(x));
  }
}

TEST_CASE("dtype names parse and bad names are refused with the valid list") {
  CHECK(parse_dtype("bf16") == DType::bf16);
  CHECK(dtype_name(DType::f16) == "fp16");
  CHECK_THROWS_WITH(parse_dtype("fp8"), doctest::Contains("valid: fp32, fp16, bf16"));
}
