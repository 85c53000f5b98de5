/// @file quant_error.cpp
/// Prints the round-to-nearest error table on Gaussian weights with outliers: INT4 with
/// groups of 32/64/128 and per row, symmetric and asymmetric, and per-channel INT8.
///   build/cpu/topics/04-w4a16/quant-error-04-w4a16 [N K outlier_fraction]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "quant/error_stats.hpp"
#include "quant/rtn.hpp"

using namespace w4a16;

int main(int argc, char** argv) {
  const int N = argc > 2 ? std::atoi(argv[1]) : 512;
  const int K = argc > 2 ? std::atoi(argv[2]) : 4096;
  const double frac = argc > 3 ? std::atof(argv[3]) : 0.001;
  if (N <= 0 || K <= 0 || K % 128 != 0) {
    std::fprintf(stderr, "usage: quant-error-04-w4a16 [N K outlier_fraction]  (K a multiple of 128)\n");
    return 2;
  }
  const auto w = gaussian_with_outliers(N, K, 0.02, frac, 12.0, 42);
  std::printf("RTN on %d x %d weights ~ N(0, 0.02^2), %.3g%% outliers at 12 sigma, bf16 scales\n", N, K, 100 * frac);
  for (int g : {32, 64, 128, K})
    for (bool asym : {false, true}) {
      char label[64];
      std::snprintf(label, sizeof label, "int4 %s group %s", asym ? "asym" : "sym ", g == K ? "row" : std::to_string(g).c_str());
      std::printf("%s\n", format_stats(label, error_stats(w, quantize_int4_rtn(w, N, K, g, asym, lab::DType::bf16))).c_str());
    }
  std::printf("%s\n", format_stats("int8 per channel", error_stats(w, quantize_int8_rtn(w, N, K, lab::DType::bf16))).c_str());
  return 0;
}
