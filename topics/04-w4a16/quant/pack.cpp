/// @file pack.cpp
#include "quant/pack.hpp"

#include <cstring>
#include <stdexcept>
#include <string>

#include "quant/tiled_layout.hpp"

namespace w4a16 {
namespace {

void require_codes(const std::vector<std::uint8_t>& codes, int N, int K) {
  if (N <= 0 || K <= 0) throw std::invalid_argument("int4 packing: empty shape");
  if (codes.size() != static_cast<std::size_t>(N) * K) throw std::invalid_argument("int4 packing: codes is not N*K");
}

void require_tiled_shape(int N, int K) {
  if (N <= 0 || K <= 0 || K % kTileK != 0)
    throw std::invalid_argument("tiled packing needs K a positive multiple of 128 (got K=" + std::to_string(K) + ")");
}

std::uint8_t get_plain(const std::vector<std::uint8_t>& p, std::size_t row_bytes, int n, int k) {
  const std::uint8_t b = p[static_cast<std::size_t>(n) * row_bytes + k / 2];
  return (k & 1) ? (b >> 4) : (b & 0xF);
}

void put_plain(std::vector<std::uint8_t>& p, std::size_t row_bytes, int n, int k, std::uint8_t code) {
  std::uint8_t& b = p[static_cast<std::size_t>(n) * row_bytes + k / 2];
  b = (k & 1) ? static_cast<std::uint8_t>((b & 0x0F) | (code << 4)) : static_cast<std::uint8_t>((b & 0xF0) | code);
}

std::uint8_t get_tiled(const std::vector<std::uint8_t>& t, int n, int k, int K) {
  const NibbleAddr a = tiled_address(n, k, K);
  return (t[a.byte] >> a.shift) & 0xF;
}

void put_tiled(std::vector<std::uint8_t>& t, int n, int k, int K, std::uint8_t code) {
  const NibbleAddr a = tiled_address(n, k, K);
  t[a.byte] = static_cast<std::uint8_t>((t[a.byte] & ~(0xF << a.shift)) | (code << a.shift));
}

/// Padding rows hold code 8 in every nibble.
std::vector<std::uint8_t> empty_tiled(int N, int K) { return std::vector<std::uint8_t>(tiled_bytes(N, K), 0x88); }

}  // namespace

std::vector<std::uint8_t> pack_plain(const std::vector<std::uint8_t>& codes, int N, int K) {
  require_codes(codes, N, K);
  const std::size_t rb = plain_row_bytes(K);
  std::vector<std::uint8_t> p(rb * N, 0);
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < K; ++k) {
      const std::uint8_t c = codes[static_cast<std::size_t>(n) * K + k];
      if (c > 15) throw std::invalid_argument("pack_plain: code out of 0..15");
      put_plain(p, rb, n, k, c);
    }
  return p;
}

std::vector<std::uint8_t> unpack_plain(const std::vector<std::uint8_t>& packed, int N, int K) {
  if (N <= 0 || K <= 0) throw std::invalid_argument("unpack_plain: empty shape");
  const std::size_t rb = plain_row_bytes(K);
  if (packed.size() != rb * N) throw std::invalid_argument("unpack_plain: packed size is not N*ceil(K/2)");
  std::vector<std::uint8_t> codes(static_cast<std::size_t>(N) * K);
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < K; ++k) codes[static_cast<std::size_t>(n) * K + k] = get_plain(packed, rb, n, k);
  return codes;
}

std::vector<std::uint8_t> pack_tiled(const std::vector<std::uint8_t>& codes, int N, int K) {
  require_codes(codes, N, K);
  require_tiled_shape(N, K);
  std::vector<std::uint8_t> t = empty_tiled(N, K);
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < K; ++k) {
      const std::uint8_t c = codes[static_cast<std::size_t>(n) * K + k];
      if (c > 15) throw std::invalid_argument("pack_tiled: code out of 0..15");
      put_tiled(t, n, k, K, c);
    }
  return t;
}

std::vector<std::uint8_t> unpack_tiled(const std::vector<std::uint8_t>& tiled, int N, int K) {
  require_tiled_shape(N, K);
  if (tiled.size() != tiled_bytes(N, K)) throw std::invalid_argument("unpack_tiled: size is not tiled_bytes(N, K)");
  std::vector<std::uint8_t> codes(static_cast<std::size_t>(N) * K);
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < K; ++k) codes[static_cast<std::size_t>(n) * K + k] = get_tiled(tiled, n, k, K);
  return codes;
}

std::vector<std::uint8_t> repack_plain_to_tiled(const std::vector<std::uint8_t>& plain, int N, int K) {
  require_tiled_shape(N, K);
  const std::size_t rb = plain_row_bytes(K);
  if (plain.size() != rb * N) throw std::invalid_argument("repack_plain_to_tiled: plain size is not N*K/2");
  std::vector<std::uint8_t> t = empty_tiled(N, K);
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < K; ++k) put_tiled(t, n, k, K, get_plain(plain, rb, n, k));
  return t;
}

std::vector<std::uint8_t> repack_tiled_to_plain(const std::vector<std::uint8_t>& tiled, int N, int K) {
  require_tiled_shape(N, K);
  if (tiled.size() != tiled_bytes(N, K)) throw std::invalid_argument("repack_tiled_to_plain: size is not tiled_bytes");
  const std::size_t rb = plain_row_bytes(K);
  std::vector<std::uint8_t> p(rb * N, 0);
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < K; ++k) put_plain(p, rb, n, k, get_tiled(tiled, n, k, K));
  return p;
}

std::vector<std::uint8_t> pack_int8(const Int8Matrix& m) {
  std::vector<std::uint8_t> p(m.q.size());
  std::memcpy(p.data(), m.q.data(), p.size());
  return p;
}

}  // namespace w4a16
