/// @file device_data.hpp
/// The device side of one (N, K, dtype) workload: 16 rows of activations, an output
/// buffer, and several IDENTICAL copies ("sets") of the weights in each format a run
/// needs. Timing rotates through the sets so that each timed call reads weights that are
/// not in L2 (one layer's INT4 weights, 8-60 MB, fit in an H100/H200's 50-60 MB L2); the
/// harness's cold mode also flushes L2 before every sample.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "labs/device_buffer.hpp"
#include "quant/format.hpp"
#include "w4a16.hpp"

namespace w4a16 {

#if LABS_GPU
class DeviceData {
 public:
  struct Sets {
    int int4 = 0;   ///< copies of the INT4 weights (plain + tiled + scales + zeros); 0 = none
    int int8 = 0;
    int dense = 0;  ///< dense = the int4-sym weights dequantised to the dtype (cuBLAS's input)
  };

  /// Random data generated on the GPU (deterministic for a seed): uniform INT4 codes and
  /// zero points, scales uniform in [0.004, 0.012), INT8 bytes with per-row scales in
  /// [0.0005, 0.0015), x uniform in [-1, 1). Timing does not depend on the values; the
  /// quantiser's accuracy is measured separately (quant/error_stats.hpp).
  DeviceData(int N, int K, lab::DType dtype, Sets sets, std::uint64_t seed, Stream s);

  /// From host matrices (tests, small shapes): one set of each given format; x is [16][K].
  DeviceData(const Int4Matrix* w4, const Int8Matrix* w8, const std::vector<float>& x, lab::DType dtype, Stream s);

  int N() const { return N_; }
  int K() const { return K_; }
  lab::DType dtype() const { return dtype_; }
  const void* x() const { return x_.get(); }
  void* y() const { return y_.get(); }
  int sets(WFormat f) const;
  /// The weights of set `set` for format f (pointers of other formats null).
  DeviceWeights weights(WFormat f, int set) const;
  /// Bytes one call reads from set `set` of format f (what must not stay in L2).
  double touched_bytes(WFormat f) const;

  void poison_y(Stream s) const { y_.poison(s); }
  std::vector<float> download_y(int M) const;

  /// Host copies for the CPU oracle (small shapes): the int4 matrix read back from the
  /// plain packing, scales and zeros of set 0; the int8 matrix; the first M rows of x.
  Int4Matrix host_int4(bool asym) const;
  Int8Matrix host_int8() const;
  std::vector<float> host_x(int M) const;

  /// y for all 16 rows of x in double, from the GPU reference (reads the plain packing);
  /// computed once per format. Dense uses the int4-sym reference (it is those weights).
  const std::vector<double>& gpu_reference(WFormat f, Stream s);

 private:
  struct Int4Set {
    lab::DeviceBytes plain, tiled, scales, zeros;
  };
  struct Int8Set {
    lab::DeviceBytes q, scales;
  };
  void alloc_xy();
  void replicate(Sets sets, Stream s);

  int N_ = 0, K_ = 0;
  lab::DType dtype_ = lab::DType::bf16;
  lab::DeviceBytes x_, y_;
  std::vector<Int4Set> int4_;
  std::vector<Int8Set> int8_;
  std::vector<lab::DeviceBytes> dense_;
  std::map<WFormat, std::vector<double>> refs_;
};
#endif

/// How many identical weight sets make the rotation read >= 3x L2 of distinct bytes (at
/// least 2, so the same addresses are never read twice in a row).
inline int sets_for_rotation(double touched_bytes, long long l2_bytes) {
  const double need = 3.0 * static_cast<double>(l2_bytes);
  int n = static_cast<int>((need + touched_bytes - 1) / touched_bytes);
  return n < 2 ? 2 : n;
}

}  // namespace w4a16
