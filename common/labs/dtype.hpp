/// @file dtype.hpp
/// The element types the labs measure, and host-side conversions that do not depend on
/// any GPU header (so the cpu preset and the CPU oracles can round exactly as the GPU does:
/// round-to-nearest-even, NaN stays NaN, overflow goes to infinity).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lab {

enum class DType { f32, f16, bf16 };

std::string_view dtype_name(DType t);            ///< "fp32", "fp16", "bf16"
DType parse_dtype(std::string_view name);        ///< throws std::invalid_argument listing valid names
std::size_t dtype_bytes(DType t);                ///< 4 or 2
std::vector<std::string> all_dtype_names();

std::uint16_t float_to_bf16_bits(float x);       ///< round to nearest even
float bf16_bits_to_float(std::uint16_t b);
std::uint16_t float_to_f16_bits(float x);        ///< round to nearest even, subnormals kept
float f16_bits_to_float(std::uint16_t h);

/// x rounded to the precision of t and widened back (the identity for fp32).
float round_to(DType t, float x);
/// Unit roundoff of t: 2^-24 (fp32), 2^-11 (fp16), 2^-8 (bf16).
double unit_roundoff(DType t);

/// Host buffers in the device's bit layout: fp32 as 4 bytes, fp16/bf16 as 2 bytes each.
std::vector<std::byte> encode(DType t, const std::vector<float>& values);
std::vector<float> decode(DType t, const std::vector<std::byte>& bytes);

}  // namespace lab
