/// @file gpu_support.hpp
/// Device-side helpers that are not versions: synthetic data, the GPU repacker, the dense
/// dequantiser (v0 and the cuBLAS baselines' weights) and the fp64 GPU reference.
#pragma once

#include <cstddef>
#include <cstdint>

#include "w4a16.hpp"

namespace w4a16 {

#if LABS_GPU
/// Deterministic pseudo-random bytes (a counter-based hash of (seed, index)).
void fill_random_bytes(void* dst, std::size_t bytes, std::uint64_t seed, Stream s);
/// n values of dtype t, uniform in [lo, hi), rounded to t.
void fill_random_values(lab::DType t, void* dst, std::size_t n, float lo, float hi, std::uint64_t seed, Stream s);
/// n bytes, each uniform in 0..15 (zero points).
void fill_random_nibbles(std::uint8_t* dst, std::size_t n, std::uint64_t seed, Stream s);

/// Plain -> tiled INT4 packing on the GPU; the same mapping as the host repacker
/// (tiled_layout.hpp), checked against it bit for bit in tests/test_gpu.cu.
void repack_plain_to_tiled_gpu(const std::uint8_t* plain, std::uint8_t* tiled, int N, int K, Stream s);

/// W[n][k] = scale * (code - zero) rounded to the activation dtype, from the plain packing
/// (int4 formats) or INT8 bytes (int8). dense is [N][K].
void dequantize_to_dense(const Problem& p, const DeviceWeights& w, void* dense, Stream s);

/// The GPU oracle for shapes too big for the CPU: one warp per weight row reads the PLAIN
/// packing (never the tiled one), dequantises in double and accumulates in double.
/// out is [rows][N] doubles for the first `rows` rows of x (rows <= 16).
void reference_gemv_gpu(WFormat f, lab::DType t, int rows, int N, int K, const void* x, const DeviceWeights& w,
                        double* out, Stream s);
#endif

}  // namespace w4a16
