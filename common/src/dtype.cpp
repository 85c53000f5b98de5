#include "labs/dtype.hpp"

#include <cmath>
#include <cstring>
#include <stdexcept>

namespace lab {

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "fp32";
    case DType::f16: return "fp16";
    case DType::bf16: return "bf16";
  }
  return "?";
}

std::vector<std::string> all_dtype_names() { return {"fp32", "fp16", "bf16"}; }

DType parse_dtype(std::string_view name) {
  if (name == "fp32" || name == "f32" || name == "float32") return DType::f32;
  if (name == "fp16" || name == "f16" || name == "float16" || name == "half") return DType::f16;
  if (name == "bf16" || name == "bfloat16") return DType::bf16;
  throw std::invalid_argument("unknown dtype '" + std::string(name) + "' (valid: fp32, fp16, bf16)");
}

std::size_t dtype_bytes(DType t) { return t == DType::f32 ? 4 : 2; }

static std::uint32_t bits_of(float x) {
  std::uint32_t u;
  std::memcpy(&u, &x, 4);
  return u;
}
static float float_of(std::uint32_t u) {
  float x;
  std::memcpy(&x, &u, 4);
  return x;
}

std::uint16_t float_to_bf16_bits(float x) {
  std::uint32_t u = bits_of(x);
  if (std::isnan(x)) return static_cast<std::uint16_t>((u >> 16) | 0x40);  // keep it a quiet NaN
  const std::uint32_t rounding = 0x7FFF + ((u >> 16) & 1);                 // round half to even
  return static_cast<std::uint16_t>((u + rounding) >> 16);
}

float bf16_bits_to_float(std::uint16_t b) { return float_of(static_cast<std::uint32_t>(b) << 16); }

std::uint16_t float_to_f16_bits(float x) {
  const std::uint32_t u = bits_of(x);
  const std::uint16_t sign = static_cast<std::uint16_t>((u >> 16) & 0x8000);
  const std::uint32_t abs = u & 0x7FFFFFFF;
  if (abs > 0x7F800000) return sign | 0x7E00;                 // NaN
  if (abs >= 0x477FF000) return sign | 0x7C00;                // rounds to >= 65520: infinity
  if (abs < 0x33000001) return sign;                          // below half the smallest subnormal
  int exp = static_cast<int>(abs >> 23) - 127;
  std::uint32_t mant = (abs & 0x7FFFFF) | 0x800000;           // implicit leading 1
  if (exp < -14) {                                            // subnormal half
    const int shift = -14 - exp + 13;
    std::uint32_t half = mant >> shift;
    const std::uint32_t rem = mant & ((1u << shift) - 1);
    const std::uint32_t mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) ++half;
    return sign | static_cast<std::uint16_t>(half);
  }
  std::uint32_t half = (static_cast<std::uint32_t>(exp + 15) << 10) | ((mant >> 13) & 0x3FF);
  const std::uint32_t rem = mant & 0x1FFF;
  if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) ++half;  // carry may bump the exponent: correct
  return sign | static_cast<std::uint16_t>(half);
}

float f16_bits_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1F;
  const std::uint32_t mant = h & 0x3FF;
  if (exp == 0x1F) return float_of(sign | 0x7F800000 | (mant << 13));
  if (exp == 0) {
    const float v = std::ldexp(static_cast<float>(mant), -24);
    return sign ? -v : v;
  }
  return float_of(sign | ((exp + 112) << 23) | (mant << 13));
}

float round_to(DType t, float x) {
  switch (t) {
    case DType::f32: return x;
    case DType::f16: return f16_bits_to_float(float_to_f16_bits(x));
    case DType::bf16: return bf16_bits_to_float(float_to_bf16_bits(x));
  }
  return x;
}

double unit_roundoff(DType t) {
  switch (t) {
    case DType::f32: return std::ldexp(1.0, -24);
    case DType::f16: return std::ldexp(1.0, -11);
    case DType::bf16: return std::ldexp(1.0, -8);
  }
  return 0;
}

std::vector<std::byte> encode(DType t, const std::vector<float>& values) {
  std::vector<std::byte> out(values.size() * dtype_bytes(t));
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (t == DType::f32) {
      std::memcpy(out.data() + 4 * i, &values[i], 4);
    } else {
      const std::uint16_t b = t == DType::f16 ? float_to_f16_bits(values[i]) : float_to_bf16_bits(values[i]);
      std::memcpy(out.data() + 2 * i, &b, 2);
    }
  }
  return out;
}

std::vector<float> decode(DType t, const std::vector<std::byte>& bytes) {
  const std::size_t n = bytes.size() / dtype_bytes(t);
  std::vector<float> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (t == DType::f32) {
      std::memcpy(&out[i], bytes.data() + 4 * i, 4);
    } else {
      std::uint16_t b;
      std::memcpy(&b, bytes.data() + 2 * i, 2);
      out[i] = t == DType::f16 ? f16_bits_to_float(b) : bf16_bits_to_float(b);
    }
  }
  return out;
}

}  // namespace lab
