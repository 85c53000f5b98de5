/// @file gemv_cuda_core.cuh
/// The CUDA-core GEMV that v2, v3, v4 and v6 share; each version picks the decoder
/// (dequant.cuh) and whether K is split across blocks. Written once so that the versions
/// differ in exactly the idea they name.
///
/// Block: 256 threads = 8 warps = kRowGroups x kKWarps. A row group owns kRowsPerWarp
/// consecutive weight rows (output features); its kKWarps warps split K between them, and
/// within a warp each lane takes 16-byte chunks (32 INT4 or 16 INT8 weights) of all its
/// rows at the same k, so one activation read serves kRowsPerWarp rows:
///
///   rows of W (plain packing)     k ->
///   row n0   |c0 |c1 |c2 |...|c127|c128|...     chunk c is loaded by lane c % 32 of
///   row n0+1 |c0 |c1 |c2 |...|c127|c128|...     K-warp (c / 32) % kKWarps, for all the
///   row n0+2 ...                                 rows of its row group at once
///   row n0+3 ...
///
/// The activations x[0:M, k-tile] are staged in shared memory once per k-tile (32 KB of
/// 16-bit values) and read by every row of the block. Partial sums are reduced across
/// lanes (shuffles) and across K-warps (shared memory) in a fixed order; with split-K the
/// blocks of one row block combine in a fixed order too (splitk.cuh): deterministic.
#pragma once

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <type_traits>

#include "kernels/dequant.cuh"
#include "kernels/splitk.cuh"
#include "labs/device_buffer.hpp"
#include "w4a16.hpp"

#if LABS_GPU
namespace w4a16 {

/// Block shape as a function of the largest M the instantiation handles: the activation
/// tile shrinks as M grows (32 KB / M), so fewer warps can split it and more rows share it.
template <int kMaxRows>
struct CoreShape {
  static constexpr int kThreads = 256;
  static constexpr int kWarps = kThreads / kWarp;
  static constexpr int kRowsPerWarp = kMaxRows <= 4 ? 4 : 2;
  static constexpr int kXTileElems = 16384;              // 32 KB of bf16/fp16 activations
  static constexpr int kTileK = kXTileElems / kMaxRows;  // 16384 .. 1024 k per tile
  static constexpr int kKWarps = kTileK >= 4096 ? 4 : (kTileK >= 2048 ? 2 : 1);
  static constexpr int kRowGroups = kWarps / kKWarps;
  static constexpr int kRowsPerBlock = kRowGroups * kRowsPerWarp;
};

/// y = x W^T for rows [blockIdx.x * kRowsPerBlock, +kRowsPerBlock) and k in split blockIdx.y.
/// `group` is the k extent of one scale (128 for INT4; K for per-channel INT8).
template <class T, class Dequant, int kMaxRows, bool kAsym>
__global__ void __launch_bounds__(CoreShape<kMaxRows>::kThreads)
    gemv_core(const T* __restrict__ x, T* __restrict__ y, const std::uint8_t* __restrict__ w,
              const T* __restrict__ scales, const std::uint8_t* __restrict__ zeros, int M, int N, int K, int group,
              int k_per_split, float* __restrict__ partials, unsigned* __restrict__ tickets) {
  using S = CoreShape<kMaxRows>;
  constexpr int kWPW = Dequant::kWeightsPerWord;  // weights per 32-bit word
  constexpr int kChunkK = 4 * kWPW;               // weights per 16-byte chunk
  constexpr int kR = S::kRowsPerWarp;
  alignas(16) __shared__ T xs[S::kXTileElems];
  __shared__ float red[S::kKWarps][S::kRowsPerBlock][kMaxRows];

  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int kw = warp % S::kKWarps, rg = warp / S::kKWarps;
  const int row0 = blockIdx.x * S::kRowsPerBlock + rg * kR;
  const int k_begin = blockIdx.y * k_per_split;
  const int k_end = min(K, k_begin + k_per_split);
  const std::size_t row_bytes = static_cast<std::size_t>(K) * 4 / kWPW;

  float acc[kR][kMaxRows];
#pragma unroll
  for (int r = 0; r < kR; ++r)
#pragma unroll
    for (int m = 0; m < kMaxRows; ++m) acc[r][m] = 0.0f;

  for (int kt = k_begin; kt < k_end; kt += S::kTileK) {
    const int tile_k = min(S::kTileK, k_end - kt);
    const int vecs = tile_k / 8;  // 16-byte vectors of 8 activations per row
    __syncthreads();              // the previous tile is no longer read
    for (int i = threadIdx.x; i < M * vecs; i += S::kThreads) {
      const int m = i / vecs, v = i % vecs;
      *reinterpret_cast<uint4*>(&xs[m * S::kTileK + v * 8]) =
          load16(x + static_cast<std::size_t>(m) * K + kt + v * 8);
    }
    __syncthreads();

    const int chunks = tile_k / kChunkK;
    for (int c = kw * kWarp + lane; c < chunks; c += S::kKWarps * kWarp) {
      const int k = kt + c * kChunkK;
      const int g = k / group;
      uint4 wv[kR];
#pragma unroll
      for (int r = 0; r < kR; ++r) {  // all loads first: kR x 16 bytes in flight per lane
        const int n = row0 + r;
        wv[r] = n < N ? load16(w + static_cast<std::size_t>(n) * row_bytes + static_cast<std::size_t>(k) * 4 / kWPW)
                      : make_uint4(0, 0, 0, 0);
      }
      typename Dequant::Zero zr[kR];
      float sc[kR];
#pragma unroll
      for (int r = 0; r < kR; ++r) {
        const int n = min(row0 + r, N - 1);
        zr[r] = Dequant::zero(kAsym ? static_cast<int>(zeros[static_cast<std::size_t>(g) * N + n]) : 8);
        sc[r] = to_f32(scales[static_cast<std::size_t>(g) * N + n]);
      }
      float part[kR][kMaxRows];
#pragma unroll
      for (int r = 0; r < kR; ++r)
#pragma unroll
        for (int m = 0; m < kMaxRows; ++m) part[r][m] = 0.0f;

#pragma unroll
      for (int j = 0; j < 4; ++j) {
        float wf[kR][kWPW];
#pragma unroll
        for (int r = 0; r < kR; ++r) {
          const std::uint32_t word = j == 0 ? wv[r].x : j == 1 ? wv[r].y : j == 2 ? wv[r].z : wv[r].w;
          Dequant::decode(word, zr[r], wf[r]);
        }
#pragma unroll
        for (int m = 0; m < kMaxRows; ++m) {
          if (m < M) {
            const T* xp = &xs[m * S::kTileK + c * kChunkK + j * kWPW];
            float xf[kWPW];
            if constexpr (kWPW == 8) {
              const uint4 xv = *reinterpret_cast<const uint4*>(xp);
              const std::uint32_t pr[4] = {xv.x, xv.y, xv.z, xv.w};
#pragma unroll
              for (int q = 0; q < 4; ++q) {
                xf[2 * q] = lo_to_f32(pr[q], T{});
                xf[2 * q + 1] = hi_to_f32(pr[q], T{});
              }
            } else {
              const uint2 xv = *reinterpret_cast<const uint2*>(xp);
              xf[0] = lo_to_f32(xv.x, T{});
              xf[1] = hi_to_f32(xv.x, T{});
              xf[2] = lo_to_f32(xv.y, T{});
              xf[3] = hi_to_f32(xv.y, T{});
            }
#pragma unroll
            for (int r = 0; r < kR; ++r)
#pragma unroll
              for (int e = 0; e < kWPW; ++e) part[r][m] = fmaf(wf[r][e], xf[e], part[r][m]);
          }
        }
      }
#pragma unroll
      for (int r = 0; r < kR; ++r)
#pragma unroll
        for (int m = 0; m < kMaxRows; ++m) acc[r][m] = fmaf(part[r][m], sc[r], acc[r][m]);
    }
  }

  // Lanes, then K-warps, in a fixed order.
#pragma unroll
  for (int r = 0; r < kR; ++r)
#pragma unroll
    for (int m = 0; m < kMaxRows; ++m) {
      if (m < M) {
        const float v = warp_sum(acc[r][m]);
        if (lane == 0) red[kw][rg * kR + r][m] = v;
      }
    }
  __syncthreads();

  const int splits = gridDim.y;
  const int col0 = blockIdx.x * S::kRowsPerBlock;
  for (int i = threadIdx.x; i < S::kRowsPerBlock * M; i += S::kThreads) {
    const int row = i / M, m = i % M;
    float sum = 0.0f;
#pragma unroll
    for (int q = 0; q < S::kKWarps; ++q) sum += red[q][row][m];
    if (splits == 1) {
      if (col0 + row < N) y[static_cast<std::size_t>(m) * N + col0 + row] = from_f32<T>(sum);
    } else {
      partials[((static_cast<std::size_t>(blockIdx.x) * splits + blockIdx.y) * M + m) * S::kRowsPerBlock + row] = sum;
    }
  }
  if (splits > 1 && splitk_arrive(&tickets[blockIdx.x], splits))
    splitk_finish(partials, &tickets[blockIdx.x], y, M, N, col0, S::kRowsPerBlock, splits, blockIdx.x);
}

/// Calls f(std::integral_constant<int, R>) with R the smallest of 1, 2, 4, 8, 16 >= M.
template <class F>
void with_max_rows(int M, F&& f) {
  if (M <= 1) f(std::integral_constant<int, 1>{});
  else if (M <= 2) f(std::integral_constant<int, 2>{});
  else if (M <= 4) f(std::integral_constant<int, 4>{});
  else if (M <= 8) f(std::integral_constant<int, 8>{});
  else f(std::integral_constant<int, 16>{});
}

/// How many blocks of a row block's K to run in parallel. Enough blocks for ~2 waves of
/// resident blocks, each split a whole number of 128-wide groups, and never so many that
/// the partial sums (written and read once each) exceed 1/4 of the weight bytes.
inline int plan_groups_per_split(int M, int N, int K, int rows_per_block, int sms, int blocks_per_sm,
                                 double weight_bytes_per_k_row) {
  const int groups = K / kGroup;
  const long row_blocks = (N + rows_per_block - 1) / rows_per_block;
  const long target = 2L * std::max(sms, 1) * std::max(blocks_per_sm, 1);
  long splits = std::max(1L, (target + row_blocks - 1) / row_blocks);
  const double weight_bytes = weight_bytes_per_k_row * K * N;
  const double partial_bytes_per_split = 8.0 * M * N;  // fp32, written once and read once
  splits = std::min<long>(splits, std::max(1L, static_cast<long>(0.25 * weight_bytes / partial_bytes_per_split)));
  splits = std::min<long>(splits, groups);
  const int gps = static_cast<int>((groups + splits - 1) / splits);
  return gps;
}

/// Prepares the shared GEMV for one problem. split_k = false runs one block per row block
/// over all of K (v2, v3); true plans a split (v4, v6).
template <class Dequant>
Step prepare_gemv_core(const Problem& p, bool split_k) {
  require_supported(p);
  constexpr bool kInt8 = Dequant::kWeightsPerWord == 4;
  if (kInt8 ? p.wfmt != WFormat::int8 : !is_int4(p.wfmt))
    throw std::invalid_argument("this version does not implement weight format " + std::string(wfmt_name(p.wfmt)));
  const bool asym = p.wfmt == WFormat::int4_asym;
  const int group = kInt8 ? p.K : kGroup;
  Step step;
  auto build = [&](auto tag_t, auto rows_c, auto asym_c) {
    using T = decltype(tag_t);
    constexpr int kRows = decltype(rows_c)::value;
    constexpr bool kAsym = decltype(asym_c)::value;
    using S = CoreShape<kRows>;
    auto kernel = gemv_core<T, Dequant, kRows, kAsym>;
    int per_sm = 1;
    LABS_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, S::kThreads, 0));
    const int row_blocks = (p.N + S::kRowsPerBlock - 1) / S::kRowsPerBlock;
    const int gps = split_k ? plan_groups_per_split(p.M, p.N, p.K, S::kRowsPerBlock, p.sms, per_sm,
                                                    kInt8 ? 1.0 : 0.5)
                            : p.K / kGroup;
    const int k_per_split = gps * kGroup;
    const int splits = (p.K + k_per_split - 1) / k_per_split;
    const SplitKWorkspace ws(row_blocks, splits, p.M, S::kRowsPerBlock);
    const dim3 grid(row_blocks, splits);
    const Problem q = p;
    step = [=](const DeviceWeights& w, Stream s) {
      kernel<<<grid, S::kThreads, 0, s>>>(static_cast<const T*>(q.x), static_cast<T*>(q.y), w.plain,
                                          static_cast<const T*>(w.scales), w.zeros, q.M, q.N, q.K, group,
                                          k_per_split, ws.partials(),
                                          ws.tickets());
      LABS_CHECK_LAUNCH();
    };
  };
  with_max_rows(p.M, [&](auto rows_c) {
    auto with_asym = [&](auto tag_t) {
      if constexpr (kInt8) {
        build(tag_t, rows_c, std::false_type{});  // per-channel INT8 has no zero points
      } else {
        if (asym) build(tag_t, rows_c, std::true_type{});
        else build(tag_t, rows_c, std::false_type{});
      }
    };
    if (p.dtype == lab::DType::bf16) with_asym(lab::bf16{});
    else with_asym(lab::f16{});
  });
  return step;
}

}  // namespace w4a16
#endif
