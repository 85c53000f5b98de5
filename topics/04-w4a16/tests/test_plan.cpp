/// @file test_plan.cpp
/// The lab's measurement plan: the default full run is the documented ~340 cases, and the
/// quick run covers every version on odd shapes.
#include <doctest/doctest.h>

#include <set>
#include <stdexcept>

#include "kernels/even_splits.hpp"
#include "lab_plan.hpp"

using namespace w4a16;

namespace {

PlanRequest all_versions() {
  PlanRequest r;
  r.versions = {"v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7"};
  const std::vector<WFormat> int4 = {WFormat::int4_sym, WFormat::int4_asym};
  r.formats = {int4, int4, int4, int4, int4, int4, {WFormat::int8}, int4};
  return r;
}

}  // namespace

TEST_CASE("default plan: all versions on the two target shapes, v4/v5/v7 + cuBLAS elsewhere") {
  const auto plan = make_plan(all_versions());
  // targets: bf16 (v0-v3 sym 4, v4/v5/v7 sym+asym 6, v6 1, cublas 2) = 13, fp16 = 10 -> 23 x 5 M x 2 shapes
  // others: 7 shapes x (v4, v5, v7, cublas, cublaslt) x 5 M, bf16
  CHECK(plan.size() == 230 + 175);
  std::set<std::string> target_variants, other_variants;
  for (const PlanCase& c : plan) (c.shape.target ? target_variants : other_variants).insert(c.variant);
  CHECK(target_variants.size() == 10);
  CHECK(other_variants == std::set<std::string>{"v4", "v5", "v7", "cublas", "cublaslt"});
}

TEST_CASE("quick plan, custom shape and filters") {
  PlanRequest r = all_versions();
  r.quick = true;
  const auto quick = make_plan(r);
  for (const PlanCase& c : quick) CHECK(c.shape.N * static_cast<long>(c.shape.K) < 5000000L);
  r.quick = false;
  r.n = 1000;
  r.k = 4224;
  r.ms = {3};
  r.wanted = {"v5"};
  r.wfmts = {"int4-asym"};
  r.dtypes = {"fp16"};
  const auto one = make_plan(r);
  REQUIRE(one.size() == 1);
  CHECK(one[0].wfmt == WFormat::int4_asym);
  CHECK(one[0].M == 3);
  // A dense baseline asked for beside a quantised format still runs, in its own format.
  r.wanted = {"v5", "cublas"};
  r.wfmts = {"int4-sym"};
  r.dtypes = {"bf16"};
  const auto pair = make_plan(r);
  REQUIRE(pair.size() == 2);
  CHECK(pair[0].wfmt == WFormat::int4_sym);
  CHECK(pair[1].variant == "cublas");
  CHECK(pair[1].wfmt == WFormat::dense);
  PlanRequest bad = all_versions();
  bad.shapes = {"8b-nope"};
  CHECK_THROWS_AS(make_plan(bad), std::invalid_argument);
}

TEST_CASE("v29's split rule: the nearest divisor of G to the rule's split count, ties to fewer splits") {
  using mma_lean::even_groups_per_split;
  CHECK(even_groups_per_split(32, 4) == 4);     // 8 splits divide 32: unchanged
  CHECK(even_groups_per_split(112, 11) == 14);  // 8b-down, M = 16: 11 splits (last: 2 groups) -> 8 (14 is as near)
  CHECK(even_groups_per_split(224, 11) == 14);  // 70b-down, M = 16: 21 -> 16 splits
  CHECK(even_groups_per_split(33, 4) == 3);     // 9 splits (last: 1 group) -> 11
  CHECK(even_groups_per_split(7, 3) == 1);      // prime G: 7 splits of 1; one block of 7 is past 2 x 3
  CHECK(even_groups_per_split(64, 8) == 8);
  for (int G : {1, 2, 9, 33, 112, 224, 227})  // whatever it picks divides G and stays within 2 x the rule
    for (int gps = 1; gps <= G; ++gps) {
      const int e = even_groups_per_split(G, gps);
      INFO("G=", G, " gps=", gps, " -> ", e);
      CHECK(e >= 1);
      CHECK((G % e == 0 || e == gps));
      CHECK(e <= 2 * gps);
    }
}

TEST_CASE("v46's wave-filling split: halved only where the grid still fills a wave and a block holds <= 8 groups") {
  using mma_lean::wave_filling_groups_per_split;
  const int slots = 132 * 4;  // an H200 at 4 blocks of 8 warps per SM
  // The nine Llama layers at M = 16 (G, the rule's evened gps, column blocks of 128): only 8b-gateup moves.
  CHECK(wave_filling_groups_per_split(32, 4, 224, slots) == 8);   // 8b-gateup: 8 -> 4 splits, 896 blocks
  CHECK(wave_filling_groups_per_split(32, 4, 112, slots) == 4);   // 8b-gate: 448 blocks would leave SMs idle
  CHECK(wave_filling_groups_per_split(32, 4, 48, slots) == 4);    // 8b-qkv
  CHECK(wave_filling_groups_per_split(32, 4, 32, slots) == 4);    // 8b-o
  CHECK(wave_filling_groups_per_split(112, 14, 32, slots) == 14); // 8b-down: 28 groups per block is too many
  CHECK(wave_filling_groups_per_split(64, 8, 80, slots) == 8);    // 70b-qkv
  CHECK(wave_filling_groups_per_split(64, 8, 64, slots) == 8);    // 70b-o
  CHECK(wave_filling_groups_per_split(64, 8, 448, slots) == 8);   // 70b-gateup: 16 per block measured 12% slower
  CHECK(wave_filling_groups_per_split(224, 14, 64, slots) == 14); // 70b-down
  // Edges: a block cannot hold more than G groups; evening may round past 8 (33 groups: 6 -> 11).
  CHECK(wave_filling_groups_per_split(6, 4, 1000, slots) == 4);
  CHECK(wave_filling_groups_per_split(33, 3, 1000, slots) == 3);
  CHECK(wave_filling_groups_per_split(32, 4, 132, slots) == 8);   // 4 splits x 132 = 528 blocks: exactly one wave
  CHECK(wave_filling_groups_per_split(32, 4, 131, slots) == 4);   // 524: four SMs would idle
}

TEST_CASE("probes run only when --variant names them, at int4-sym, in the --m asked") {
  PlanRequest r = all_versions();
  for (const PlanCase& c : make_plan(r)) CHECK_FALSE(is_probe(c.variant));  // not in the default plan
  r.quick = true;
  for (const PlanCase& c : make_plan(r)) CHECK_FALSE(is_probe(c.variant));
  r.quick = false;
  r.wanted = {"v5", "probe-v26-loads"};
  r.shapes = {"8b-gate", "8b-down"};
  r.ms = {1};
  r.dtypes = {"bf16"};
  const auto plan = make_plan(r);
  int probes = 0;
  for (const PlanCase& c : plan)
    if (is_probe(c.variant)) {
      ++probes;
      CHECK(c.variant == "probe-v26-loads");
      CHECK(c.wfmt == WFormat::int4_sym);
      CHECK(c.M == 1);
    }
  CHECK(probes == 2);
  r.wfmts = {"int8"};  // a probe has no int8 form: filtered out like a version without it
  for (const PlanCase& c : make_plan(r)) CHECK_FALSE(is_probe(c.variant));
  CHECK(is_probe("probe-v31-staged"));
  CHECK_FALSE(is_probe("v31"));
  // v37's probes: named, at the --m asked above 8 (M = 9..16 is where they run).
  r.wfmts = {};
  r.wanted = {"v37", "probe-v37-loads", "probe-v37-staged"};
  r.ms = {9, 16};
  int mma_probes = 0;
  for (const PlanCase& c : make_plan(r))
    if (is_probe(c.variant)) {
      ++mma_probes;
      CHECK((c.variant == "probe-v37-loads" || c.variant == "probe-v37-staged"));
      CHECK(c.wfmt == WFormat::int4_sym);
      CHECK(c.M > 8);
    }
  CHECK(mma_probes == 8);  // 2 probes x 2 shapes x 2 values of M
  CHECK(probe_variants().size() == m1_probe_variants().size() + mma_probe_variants().size() + tail_probe_variants().size());
}
