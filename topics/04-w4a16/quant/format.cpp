/// @file format.cpp
#include "quant/format.hpp"

#include <stdexcept>

namespace w4a16 {

std::string_view wfmt_name(WFormat f) {
  switch (f) {
    case WFormat::int4_sym: return "int4-sym";
    case WFormat::int4_asym: return "int4-asym";
    case WFormat::int8: return "int8";
    case WFormat::dense: return "fp16";
  }
  return "?";
}

std::vector<std::string> all_wfmt_names() { return {"int4-sym", "int4-asym", "int8", "fp16"}; }

WFormat parse_wfmt(std::string_view name) {
  for (WFormat f : {WFormat::int4_sym, WFormat::int4_asym, WFormat::int8, WFormat::dense})
    if (wfmt_name(f) == name) return f;
  throw std::invalid_argument("unknown weight format '" + std::string(name) +
                              "' (valid: int4-sym, int4-asym, int8, fp16)");
}

void Int4Matrix::validate() const {
  const std::size_t n = static_cast<std::size_t>(rows) * cols;
  const std::size_t gn = static_cast<std::size_t>(groups()) * rows;
  if (rows <= 0 || cols <= 0 || group <= 0) throw std::invalid_argument("Int4Matrix: empty shape or group");
  if (codes.size() != n) throw std::invalid_argument("Int4Matrix: codes size is not rows*cols");
  if (scales.size() != gn) throw std::invalid_argument("Int4Matrix: scales size is not groups*rows");
  if (asym ? zeros.size() != gn : !zeros.empty())
    throw std::invalid_argument("Int4Matrix: zeros must be groups*rows when asymmetric, empty when symmetric");
  for (std::uint8_t c : codes)
    if (c > 15) throw std::invalid_argument("Int4Matrix: code out of 0..15");
  for (std::uint8_t z : zeros)
    if (z > 15) throw std::invalid_argument("Int4Matrix: zero point out of 0..15");
}

}  // namespace w4a16
