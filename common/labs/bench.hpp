/// @file bench.hpp
/// Google Benchmark glue for the per-topic micro-benchmark binaries: each iteration is
/// timed with device events and reported through UseManualTime, with bytes/s counters
/// from the version's byte model. The lab is the source of journal numbers; the benchmark
/// is for quick A/B work with Google Benchmark's own tooling (filters, repetitions, JSON).
#pragma once

#include <functional>

#include <benchmark/benchmark.h>

#include "labs/gpu.hpp"

namespace lab {

#if LABS_GPU
/// Times body(stream) once per benchmark iteration with events; sets bytes/s and
/// FLOP/s counters from the models. Call inside a benchmark function.
void time_with_events(benchmark::State& state, const std::function<void(cudaStream_t)>& body,
                      cudaStream_t stream, double bytes, double flops);
#endif

/// main() for bench binaries: without a GPU it prints why and exits 0 (nothing to time).
int bench_main(int argc, char** argv);

}  // namespace lab
