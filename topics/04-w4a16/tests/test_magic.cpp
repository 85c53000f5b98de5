/// @file test_magic.cpp
/// Host emulation of the decoders' bit tricks and of v5's fragment mapping, so the
/// constants and the nibble bookkeeping are checked before any GPU runs them:
///   - fp16: (w & 0x000F000F) | 0x64006400 is half2(1024 + q_i, 1024 + q_{i+4}); the 0x00F0
///     pair is 1024 + 16 q, and fma by 1/16 with -(64 + z) gives q - z;
///   - bf16: (w >> 4i) & 0x000F000F | 0x43004300 is bf162(128 + q_i, 128 + q_{i+4});
///   - int8: byte_perm(u, 0x4B000000, 0x7540 | i) - (2^23 + 128) is the signed byte;
///   - tiled packing: the pairs a lane extracts land in the mma.m16n8k16 B fragment
///     positions the PTX ISA defines (b0,b1 = B[2t, 2t+1][g], b2,b3 = B[2t+8, 2t+9][g]).
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "labs/dtype.hpp"
#include "quant/magic.hpp"
#include "quant/pack.hpp"
#include "quant/tiled_layout.hpp"

using namespace w4a16;
using namespace w4a16::magic;

namespace {

float f16_lo(std::uint32_t v) { return lab::f16_bits_to_float(static_cast<std::uint16_t>(v & 0xFFFF)); }
float f16_hi(std::uint32_t v) { return lab::f16_bits_to_float(static_cast<std::uint16_t>(v >> 16)); }
float bf16_lo(std::uint32_t v) { return lab::bf16_bits_to_float(static_cast<std::uint16_t>(v & 0xFFFF)); }
float bf16_hi(std::uint32_t v) { return lab::bf16_bits_to_float(static_cast<std::uint16_t>(v >> 16)); }
int nib(std::uint32_t w, int i) { return static_cast<int>((w >> (4 * i)) & 0xF); }

std::vector<std::uint32_t> test_words() {
  std::vector<std::uint32_t> ws = {0u, 0xFFFFFFFFu, 0x76543210u, 0xFEDCBA98u, 0x89ABCDEFu};
  for (std::uint32_t q = 0; q < 16; ++q) ws.push_back(q * 0x11111111u);
  std::uint32_t x = 12345;
  for (int i = 0; i < 200; ++i) ws.push_back(x = x * 1664525u + 1013904223u);
  return ws;
}

}  // namespace

TEST_CASE("the constants are the numbers the decoders assume") {
  CHECK(f16_lo(kF16Exp1024x2) == 1024.0f);
  CHECK(f16_hi(kF16Sixteenth2) == 0.0625f);
  CHECK(bf16_lo(kBf16Exp128x2) == 128.0f);
  CHECK(kF32Int8Bias == 8388608.0f + 128.0f);
  for (int z = 0; z < 16; ++z) {
    CHECK(lab::f16_bits_to_float(f16_1024_plus(z)) == 1024.0f + z);
    CHECK(lab::f16_bits_to_float(f16_minus_64_plus(z)) == -(64.0f + z));
    CHECK(lab::bf16_bits_to_float(bf16_128_plus(z)) == 128.0f + z);
    CHECK(f16_hi(twice(f16_1024_plus(z))) == 1024.0f + z);
  }
}

TEST_CASE("fp16 magic decode (v3, v5 fp16) yields q - z exactly for every nibble and zero point") {
  for (std::uint32_t w : test_words())
    for (int z = 0; z < 16; ++z) {
      const std::uint32_t w8 = w >> 8;
      const std::uint32_t p0 = (w & kLowNibblePair) | kF16Exp1024x2;
      const std::uint32_t p1 = (w & kHighNibblePair) | kF16Exp1024x2;
      const std::uint32_t p2 = (w8 & kLowNibblePair) | kF16Exp1024x2;
      const std::uint32_t p3 = (w8 & kHighNibblePair) | kF16Exp1024x2;
      const float sub = lab::f16_bits_to_float(f16_1024_plus(z));
      const float add = lab::f16_bits_to_float(f16_minus_64_plus(z));
      const float sixteenth = f16_lo(kF16Sixteenth2);
      // HSUB2 / HFMA2 results are small integers: exact, so float arithmetic emulates them.
      CHECK(f16_lo(p0) - sub == nib(w, 0) - z);
      CHECK(f16_hi(p0) - sub == nib(w, 4) - z);
      CHECK(f16_lo(p1) * sixteenth + add == nib(w, 1) - z);
      CHECK(f16_hi(p1) * sixteenth + add == nib(w, 5) - z);
      CHECK(f16_lo(p2) - sub == nib(w, 2) - z);
      CHECK(f16_hi(p2) - sub == nib(w, 6) - z);
      CHECK(f16_lo(p3) * sixteenth + add == nib(w, 3) - z);
      CHECK(f16_hi(p3) * sixteenth + add == nib(w, 7) - z);
    }
}

TEST_CASE("bf16 magic decode (v5 bf16) yields q - z exactly") {
  for (std::uint32_t w : test_words())
    for (int z = 0; z < 16; ++z)
      for (int i = 0; i < 4; ++i) {
        const std::uint32_t p = ((w >> (4 * i)) & kLowNibblePair) | kBf16Exp128x2;
        const float sub = lab::bf16_bits_to_float(bf16_128_plus(z));
        CHECK(bf16_lo(p) - sub == nib(w, i) - z);
        CHECK(bf16_hi(p) - sub == nib(w, i + 4) - z);
      }
}

TEST_CASE("int8 byte_perm decode (v6) yields the signed bytes") {
  for (std::uint32_t w : test_words()) {
    const std::uint32_t u = w ^ 0x80808080u;
    for (int i = 0; i < 4; ++i) {
      // __byte_perm(u, 0x4B000000, 0x7540 | i): byte 0 <- u byte i, bytes 1, 2 <- 0, byte 3 <- 0x4B
      const std::uint32_t bits = ((u >> (8 * i)) & 0xFFu) | kF32Exp2p23;
      float f;
      std::memcpy(&f, &bits, 4);
      CHECK(f - kF32Int8Bias == static_cast<float>(static_cast<std::int8_t>((w >> (8 * i)) & 0xFF)));
    }
  }
}

TEST_CASE("tiled packing: each lane's pairs are the mma.m16n8k16 B fragments of its column") {
  const int N = 16, K = 256, G = K / kTileK;
  std::vector<std::uint8_t> codes(static_cast<std::size_t>(N) * K);
  for (std::size_t i = 0; i < codes.size(); ++i) codes[i] = static_cast<std::uint8_t>((i * 11 + i / 7) & 0xF);
  const auto tiled = pack_tiled(codes, N, K);
  auto code = [&](int n, int k) { return static_cast<int>(codes[static_cast<std::size_t>(n) * K + k]); };
  for (int tile = 0; tile < N / kTileN; ++tile)
    for (int gi = 0; gi < G; ++gi)
      for (int lane = 0; lane < 32; ++lane) {
        const int g = lane / 4, t = lane % 4, n = tile * kTileN + g;
        for (int j = 0; j < 4; ++j) {
          std::uint32_t w;
          std::memcpy(&w, &tiled[((static_cast<std::size_t>(tile) * G + gi) * 32 + lane) * 16 + 4 * j], 4);
          for (int i = 0; i < 4; ++i) {  // the kernel's pair i -> b[i]: step 2j + i/2, register i%2
            const int step = 2 * j + i / 2, reg = i % 2;
            const int k = gi * kTileK + step * 16 + 2 * t + 8 * reg;
            CHECK(nib(w, i) == code(n, k));          // low half: b0 (reg 0) or b2 (reg 1)
            CHECK(nib(w, i + 4) == code(n, k + 1));  // high half: b1 or b3
          }
        }
      }
}
