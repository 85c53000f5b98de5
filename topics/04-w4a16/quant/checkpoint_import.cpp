/// @file checkpoint_import.cpp
#include "quant/checkpoint_import.hpp"

#include <stdexcept>
#include <string>

namespace w4a16 {
namespace {

std::uint32_t nibble(std::int32_t word, int i) { return (static_cast<std::uint32_t>(word) >> (4 * i)) & 0xFu; }

void set_nibble(std::int32_t& word, int i, std::uint32_t v) {
  std::uint32_t u = static_cast<std::uint32_t>(word);
  u = (u & ~(0xFu << (4 * i))) | ((v & 0xFu) << (4 * i));
  word = static_cast<std::int32_t>(u);
}

int groups_of(int K, int group) { return (K + group - 1) / group; }

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument(what);
}

/// Symmetric when every zero is 8: the kernels then skip the zero-point loads.
void settle_symmetry(Int4Matrix& m) {
  for (std::uint8_t z : m.zeros)
    if (z != 8) return;
  m.asym = false;
  m.zeros.clear();
}

Int4Matrix empty_like(int N, int K, int group) {
  Int4Matrix m;
  m.rows = N;
  m.cols = K;
  m.group = group;
  m.asym = true;
  const int G = groups_of(K, group);
  m.codes.assign(static_cast<std::size_t>(N) * K, 0);
  m.scales.assign(static_cast<std::size_t>(G) * N, 0.0f);
  m.zeros.assign(static_cast<std::size_t>(G) * N, 0);
  return m;
}

}  // namespace

Int4Matrix import_gptq(const GptqTensors& t) {
  const int K = t.K, N = t.N, G = groups_of(K, t.group);
  require(K > 0 && N > 0 && t.group > 0, "import_gptq: empty shape");
  require(K % 8 == 0 && N % 8 == 0, "import_gptq: K and N must be multiples of 8");
  require(t.qweight.size() == static_cast<std::size_t>(K / 8) * N, "import_gptq: qweight must be [K/8][N]");
  require(t.qzeros.size() == static_cast<std::size_t>(G) * (N / 8), "import_gptq: qzeros must be [ceil(K/g)][N/8]");
  require(t.scales.size() == static_cast<std::size_t>(G) * N, "import_gptq: scales must be [ceil(K/g)][N]");
  Int4Matrix m = empty_like(N, K, t.group);
  for (int i = 0; i < K / 8; ++i)
    for (int n = 0; n < N; ++n)
      for (int j = 0; j < 8; ++j)
        m.codes[static_cast<std::size_t>(n) * K + 8 * i + j] =
            static_cast<std::uint8_t>(nibble(t.qweight[static_cast<std::size_t>(i) * N + n], j));
  for (int g = 0; g < G; ++g)
    for (int n = 0; n < N; ++n) {
      std::uint32_t z = nibble(t.qzeros[static_cast<std::size_t>(g) * (N / 8) + n / 8], n % 8);
      if (t.zeros_minus_one) {
        if (z == 15)
          throw std::invalid_argument("import_gptq: group " + std::to_string(g) + ", column " + std::to_string(n) +
                                      ": stored zero 15 means 16 in the v1 convention, which 4 bits cannot hold");
        z += 1;
      }
      m.zeros[static_cast<std::size_t>(g) * N + n] = static_cast<std::uint8_t>(z);
      m.scales[static_cast<std::size_t>(g) * N + n] = t.scales[static_cast<std::size_t>(g) * N + n];
    }
  settle_symmetry(m);
  return m;
}

Int4Matrix import_awq(const AwqTensors& t) {
  const int K = t.K, N = t.N, G = groups_of(K, t.group);
  require(K > 0 && N > 0 && t.group > 0, "import_awq: empty shape");
  require(N % 8 == 0, "import_awq: N must be a multiple of 8");
  require(t.qweight.size() == static_cast<std::size_t>(K) * (N / 8), "import_awq: qweight must be [K][N/8]");
  require(t.qzeros.size() == static_cast<std::size_t>(G) * (N / 8), "import_awq: qzeros must be [ceil(K/g)][N/8]");
  require(t.scales.size() == static_cast<std::size_t>(G) * N, "import_awq: scales must be [ceil(K/g)][N]");
  Int4Matrix m = empty_like(N, K, t.group);
  for (int k = 0; k < K; ++k)
    for (int c = 0; c < N / 8; ++c)
      for (int i = 0; i < 8; ++i) {
        const int n = 8 * c + kAwqOrder[i];
        m.codes[static_cast<std::size_t>(n) * K + k] =
            static_cast<std::uint8_t>(nibble(t.qweight[static_cast<std::size_t>(k) * (N / 8) + c], i));
      }
  for (int g = 0; g < G; ++g)
    for (int c = 0; c < N / 8; ++c)
      for (int i = 0; i < 8; ++i) {
        const int n = 8 * c + kAwqOrder[i];
        m.zeros[static_cast<std::size_t>(g) * N + n] =
            static_cast<std::uint8_t>(nibble(t.qzeros[static_cast<std::size_t>(g) * (N / 8) + c], i));
      }
  m.scales = t.scales;
  settle_symmetry(m);
  return m;
}

GptqTensors export_gptq(const Int4Matrix& m, bool zeros_minus_one) {
  m.validate();
  const int K = m.cols, N = m.rows, G = m.groups();
  require(K % 8 == 0 && N % 8 == 0, "export_gptq: K and N must be multiples of 8");
  GptqTensors t;
  t.K = K;
  t.N = N;
  t.group = m.group;
  t.zeros_minus_one = zeros_minus_one;
  t.qweight.assign(static_cast<std::size_t>(K / 8) * N, 0);
  t.qzeros.assign(static_cast<std::size_t>(G) * (N / 8), 0);
  t.scales = m.scales;
  for (int i = 0; i < K / 8; ++i)
    for (int n = 0; n < N; ++n)
      for (int j = 0; j < 8; ++j) set_nibble(t.qweight[static_cast<std::size_t>(i) * N + n], j, m.code(n, 8 * i + j));
  for (int g = 0; g < G; ++g)
    for (int n = 0; n < N; ++n) {
      int z = m.zero_point(g, n);
      if (zeros_minus_one) {
        require(z >= 1, "export_gptq: zero point 0 cannot be stored in the v1 (zero - 1) convention");
        z -= 1;
      }
      set_nibble(t.qzeros[static_cast<std::size_t>(g) * (N / 8) + n / 8], n % 8, static_cast<std::uint32_t>(z));
    }
  return t;
}

AwqTensors export_awq(const Int4Matrix& m) {
  m.validate();
  const int K = m.cols, N = m.rows, G = m.groups();
  require(N % 8 == 0, "export_awq: N must be a multiple of 8");
  AwqTensors t;
  t.K = K;
  t.N = N;
  t.group = m.group;
  t.qweight.assign(static_cast<std::size_t>(K) * (N / 8), 0);
  t.qzeros.assign(static_cast<std::size_t>(G) * (N / 8), 0);
  t.scales = m.scales;
  for (int k = 0; k < K; ++k)
    for (int c = 0; c < N / 8; ++c)
      for (int i = 0; i < 8; ++i)
        set_nibble(t.qweight[static_cast<std::size_t>(k) * (N / 8) + c], i, m.code(8 * c + kAwqOrder[i], k));
  for (int g = 0; g < G; ++g)
    for (int c = 0; c < N / 8; ++c)
      for (int i = 0; i < 8; ++i)
        set_nibble(t.qzeros[static_cast<std::size_t>(g) * (N / 8) + c], i,
                   static_cast<std::uint32_t>(m.zero_point(g, 8 * c + kAwqOrder[i])));
  return t;
}

}  // namespace w4a16
