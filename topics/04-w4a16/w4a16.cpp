/// @file w4a16.cpp
#include "w4a16.hpp"

#include <stdexcept>
#include <string>

namespace w4a16 {

void require_supported(const Problem& p) {
  if (p.M < 1 || p.M > kMaxM) throw std::invalid_argument("M must be 1..16 (got " + std::to_string(p.M) + ")");
  if (p.N < 1) throw std::invalid_argument("N must be positive");
  if (p.K < kGroup || p.K % kGroup != 0)
    throw std::invalid_argument("K must be a positive multiple of 128 (got " + std::to_string(p.K) + ")");
  if (p.dtype == lab::DType::f32) throw std::invalid_argument("activations must be bf16 or fp16");
}

}  // namespace w4a16
