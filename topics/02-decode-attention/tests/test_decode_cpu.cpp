// CPU tests of topic 02: the fp64 oracle, the check policy on attention outputs, the split
// planner and the workload/byte models. They run anywhere (label cpu).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "data_hash.hpp"
#include "decode.hpp"
#include "fixture.hpp"
#include "lean_plan.hpp"
#include "reference_cpu.hpp"
#include "split_plan.hpp"

using namespace decode02;

namespace {

struct HostData {
  std::vector<float> q, k, v;
};

/// The lab's data distribution on the host, rounded to `dt`, NaN in unwritten slots.
HostData make_data(const Shape& s, lab::DType dt) {
  HostData h;
  h.q.resize(static_cast<size_t>(s.B) * s.Hq * s.D);
  const size_t nkv = static_cast<size_t>(s.B) * s.Hkv * s.S_alloc * s.D;
  h.k.resize(nkv);
  h.v.resize(nkv);
  for (size_t i = 0; i < h.q.size(); ++i) h.q[i] = lab::round_to(dt, hashed_uniform(kSeedQ, i, kScaleQ));
  for (size_t i = 0; i < nkv; ++i) {
    const bool pad = static_cast<int>((i / s.D) % s.S_alloc) >= s.S;
    h.k[i] = pad ? NAN : lab::round_to(dt, hashed_uniform(kSeedK, i, kScaleK));
    h.v[i] = pad ? NAN : lab::round_to(dt, hashed_uniform(kSeedV, i, kScaleV));
  }
  return h;
}

Shape small(int B, int Hq, int Hkv, int S, int S_alloc) {
  Shape s;
  s.B = B, s.Hq = Hq, s.Hkv = Hkv, s.S = S, s.S_alloc = S_alloc;
  return s;
}

}  // namespace

TEST_CASE("oracle: one key returns that key's V row for every head") {
  const Shape s = small(2, 8, 2, 1, 9);
  const HostData d = make_data(s, lab::DType::bf16);
  const auto out = attention_cpu(s, d.q, d.k, d.v);
  for (int b = 0; b < s.B; ++b)
    for (int h = 0; h < s.Hq; ++h)
      for (int e = 0; e < s.D; ++e)
        CHECK(out[(b * s.Hq + h) * s.D + e] == d.v[((static_cast<size_t>(b) * s.Hkv + h / 4) * s.S_alloc) * s.D + e]);
}

TEST_CASE("oracle: equal scores average the live V rows and ignore the NaN padding") {
  const Shape s = small(1, 4, 1, 7, 12);
  HostData d = make_data(s, lab::DType::f16);
  std::fill(d.q.begin(), d.q.end(), 0.f);
  const auto out = attention_cpu(s, d.q, d.k, d.v);
  for (int e = 0; e < s.D; ++e) {
    double mean = 0;
    for (int t = 0; t < s.S; ++t) mean += d.v[t * s.D + e];
    CHECK(out[e] == doctest::Approx(mean / s.S).epsilon(1e-12));
  }
}

TEST_CASE("oracle: two keys with a known score gap") {
  // q . k0 = 0 and q . k1 = sqrt(D) * ln(3): weights 1/4 and 3/4.
  Shape s = small(1, 1, 1, 2, 2);
  std::vector<float> q(s.D, 0.f), k(2 * s.D, 0.f), v(2 * s.D, 0.f);
  q[0] = 1.f;
  k[s.D + 0] = static_cast<float>(std::sqrt(128.0) * std::log(3.0));
  for (int e = 0; e < s.D; ++e) v[e] = 1.f, v[s.D + e] = 5.f;
  const auto out = attention_cpu(s, q, k, v);
  const double w1 = std::exp(static_cast<double>(k[s.D]) / std::sqrt(128.0));  // ~3 after float rounding of k
  CHECK(out[0] == doctest::Approx((1.0 + 5.0 * w1) / (1.0 + w1)).epsilon(1e-12));
}

TEST_CASE("check policy: a correct online softmax passes, a missing rescale fails, NaN fails") {
  for (lab::DType dt : {lab::DType::bf16, lab::DType::f16}) {
    const Shape s = small(3, 32, 8, 4097, 4097 + 61);
    const HostData d = make_data(s, dt);
    const auto ref = attention_cpu(s, d.q, d.k, d.v);
    const auto good = check_attention(attention_online_float(s, d.q, d.k, d.v, false), ref, dt);
    CHECK_MESSAGE(good.pass, good.summary());
    const auto bad = check_attention(attention_online_float(s, d.q, d.k, d.v, true), ref, dt);
    CHECK_FALSE(bad.pass);
    CHECK(bad.tol_used > 3.0);  // not a near miss: the bug is far outside the tolerance
    auto nan_out = attention_online_float(s, d.q, d.k, d.v, false);
    nan_out[17] = std::numeric_limits<float>::quiet_NaN();
    CHECK_FALSE(check_attention(nan_out, ref, dt).pass);
    // An output rounded to the dtype (what a kernel returns) passes.
    std::vector<float> rounded(ref.size());
    for (size_t i = 0; i < ref.size(); ++i) rounded[i] = lab::round_to(dt, static_cast<float>(ref[i]));
    CHECK(check_attention(rounded, ref, dt).pass);
  }
}

TEST_CASE("split plan: covers every key, no empty split, scales with the SM count it is given") {
  for (int sms : {132, 108, 16})
    for (int per_sm : {1, 3, 4})
      for (int B : {1, 3, 8, 32})
        for (int S : {1, 7, 31, 32, 33, 512, 4097, 32768, 131072}) {
          const SplitPlan p = plan_splits(B, 8, S, sms, per_sm, 32);
          CAPTURE(sms);
          CAPTURE(B);
          CAPTURE(S);
          CHECK(p.splits >= 1);
          CHECK(p.splits <= kMaxSplits);
          CHECK(p.keys_per_split % 32 == 0);
          CHECK(static_cast<long long>(p.splits) * p.keys_per_split >= S);
          CHECK(static_cast<long long>(p.splits - 1) * p.keys_per_split < S);
        }
  // The point of the plan: at B = 1 the grid reaches about kTargetBlocksPerSm blocks per SM
  // (the measured optimum; a kernel with fewer resident blocks per SM gets fewer).
  const SplitPlan h200 = plan_splits(1, 8, 32768, 132, 4, 32);
  CHECK(8 * h200.splits >= 132 * kTargetBlocksPerSm * 0.9);
  CHECK(8 * h200.splits <= 132 * kTargetBlocksPerSm);
  CHECK(plan_splits(1, 8, 32768, 132, 3, 32).splits == 32);  // v7: 264 / 8 = 33 wanted, 1024-key splits -> 32
  CHECK(plan_splits(8, 8, 4096, 132, 3, 32).splits == 4);    // the sweep's optimum at B = 8, S = 4096
  CHECK(plan_splits(1, 8, 32768, 132, 1, 32).splits == 16);  // one resident block per SM: half as many
  const SplitPlan small_gpu = plan_splits(1, 8, 32768, 16, 4, 32);
  CHECK(small_gpu.splits < h200.splits);
  // Never more than the target: a partial second wave would idle most SMs for its whole length.
  for (int B : {1, 3, 8, 32, 64})
    for (int S : {512, 4096, 32768, 131072}) {
      const SplitPlan p = plan_splits(B, 8, S, 132, 4, 32);
      CHECK((B * 8 > 132 * kTargetBlocksPerSm || B * 8 * p.splits <= 132 * kTargetBlocksPerSm));
    }
  CHECK(plan_splits(32, 8, 4096, 132, 4, 32).splits == 1);  // 256 blocks already fill 2 per SM
}

TEST_CASE("a forced split count (lab --splits) is honoured, clamped, and still covers every key once") {
  for (int forced : {1, 7, 16, 49, 64, 256})
    for (int S : {1, 33, 4097, 32768}) {
      CAPTURE(forced);
      CAPTURE(S);
      const SplitPlan p = plan_splits(1, 8, S, 132, 4, 32, forced);
      CHECK(p.splits >= 1);
      CHECK(p.keys_per_split % 32 == 0);
      CHECK(static_cast<long long>(p.splits) * p.keys_per_split >= S);
      CHECK(static_cast<long long>(p.splits - 1) * p.keys_per_split < S);
      if (S >= 32 * forced) CHECK(p.splits <= forced);
    }
  CHECK(plan_splits(1, 8, 32768, 132, 4, 32, 16).splits == 16);
  CHECK(plan_splits(1, 8, 32768, 132, 4, 32, 0).splits == plan_splits(1, 8, 32768, 132, 4, 32).splits);
  CHECK(plan_splits(1, 8, 40, 132, 4, 32, 64).splits == 2);  // at most one 32-key tile per split
}

TEST_CASE("v17's lean plan: every unit in exactly one block, ranges within one unit of each other, slots unique") {
  for (int sms : {132, 16})
    for (int B : {1, 3, 8, 32})
      for (int S : {1, 7, 17, 512, 4097, 32768}) {
        const LeanPlan p = plan_lean(B, 8, S, sms, 3);
        CAPTURE(sms);
        CAPTURE(B);
        CAPTURE(S);
        REQUIRE(p.blocks >= 1);
        REQUIRE(p.blocks <= lean_units(p));
        CHECK(static_cast<long long>(p.units_per_pair) * kLeanUnitKeys >= S);
        CHECK(static_cast<long long>(p.units_per_pair - 1) * kLeanUnitKeys < S);
        CHECK(p.blocks <= sms * kTargetBlocksPerSm);
        CHECK(lean_unit_begin(p, 0) == 0);
        CHECK(lean_unit_begin(p, p.blocks) == lean_units(p));
        long long shortest = lean_units(p), longest = 0;
        std::vector<int> slot_owner(static_cast<size_t>(p.blocks + p.pairs), -1);
        for (int b = 0; b < p.blocks; ++b) {
          const long long u0 = lean_unit_begin(p, b), u1 = lean_unit_begin(p, b + 1);
          shortest = std::min(shortest, u1 - u0);
          longest = std::max(longest, u1 - u0);
          CHECK(lean_block_of_unit(p, u0) == b);
          CHECK(lean_block_of_unit(p, u1 - 1) == b);
          // Each pair the range touches gets one slot, owned by this block alone, inside the
          // pair's contiguous run first..last (what the kernel's combine reads).
          for (int pair = static_cast<int>(u0 / p.units_per_pair); pair <= (u1 - 1) / p.units_per_pair; ++pair) {
            const long long slot = lean_slot(b, pair);
            REQUIRE(slot < static_cast<long long>(slot_owner.size()));
            CHECK(slot_owner[static_cast<size_t>(slot)] == -1);
            slot_owner[static_cast<size_t>(slot)] = b;
            const int first = lean_block_of_unit(p, static_cast<long long>(pair) * p.units_per_pair);
            const int last = lean_block_of_unit(p, static_cast<long long>(pair + 1) * p.units_per_pair - 1);
            CHECK(first <= b);
            CHECK(b <= last);
          }
        }
        CHECK(shortest >= 1);
        CHECK(longest - shortest <= 1);
        // The kernel keeps at most two pairs to merge per block: only a range's first and last
        // pairs can have more than one segment.
        for (int b = 0; b < p.blocks; ++b) {
          const long long u0 = lean_unit_begin(p, b), u1 = lean_unit_begin(p, b + 1);
          int shared_pairs = 0;
          for (int pair = static_cast<int>(u0 / p.units_per_pair); pair <= (u1 - 1) / p.units_per_pair; ++pair) {
            const long long pu0 = static_cast<long long>(pair) * p.units_per_pair;
            if (lean_block_of_unit(p, pu0) != lean_block_of_unit(p, pu0 + p.units_per_pair - 1)) ++shared_pairs;
          }
          CHECK(shared_pairs <= 2);
        }
        if (lean_units(p) >= static_cast<long long>(sms) * kTargetBlocksPerSm * (kMinKeysPerSplit / kLeanUnitKeys))
          CHECK(p.blocks == sms * kTargetBlocksPerSm);  // a long cache fills the wave exactly
      }
  // The H200 shapes of the targets: 264 blocks, where the split plan makes 256.
  CHECK(plan_lean(8, 8, 4096, 132, 3).blocks == 264);
  CHECK(plan_lean(1, 8, 32768, 132, 3).blocks == 264);
  CHECK(plan_lean(1, 8, 512, 132, 3).blocks == 32);  // 128-key ranges, as the split plan's 4 splits
}

TEST_CASE("v18's switch plan: every real unit in exactly one range, crossing ranges carry the phantom units, 32-bit arithmetic") {
  for (int c : {0, 1, 4, 16})
    for (int B : {1, 3, 8, 32})
      for (int S : {1, 7, 17, 40, 512, 4097, 32768}) {
        bool fits = false;
        const LeanSwitchPlan p = plan_lean_switch(B, 8, S, 132, 3, c, &fits);
        CAPTURE(c);
        CAPTURE(B);
        CAPTURE(S);
        REQUIRE(fits);
        REQUIRE(p.blocks >= 1);
        CHECK(p.blocks == plan_lean(B, 8, S, 132, 3).blocks);
        CHECK(p.switch_units <= c);
        CHECK(p.switch_units < p.q);  // no range is all phantom
        CHECK(lean_vbegin(p, p.blocks) == lean_virtual_units(p));
        const int total = p.pairs * p.units_per_pair;
        CHECK(lean_switch_begin(p, 0) == 0);
        CHECK(lean_switch_begin(p, p.blocks) == total);
        std::vector<int> owner(static_cast<size_t>(total), -1);
        for (int b = 0; b < p.blocks; ++b) {
          const int u0 = lean_switch_begin(p, b), u1 = lean_switch_begin(p, b + 1);
          REQUIRE(u1 > u0);  // never empty
          int crossings = 0, shared_pairs = 0;
          for (int u = u0; u < u1; ++u) {
            CHECK(owner[static_cast<size_t>(u)] == -1);
            owner[static_cast<size_t>(u)] = b;
            if (u > u0 && u % p.units_per_pair == 0) ++crossings;
          }
          for (int pair = u0 / p.units_per_pair; pair <= (u1 - 1) / p.units_per_pair; ++pair) {
            const int first = lean_switch_first_block(p, pair), last = lean_switch_last_block(p, pair);
            CHECK(first <= b);
            CHECK(b <= last);
            CHECK(lean_switch_begin(p, first) <= pair * p.units_per_pair);
            CHECK(lean_switch_begin(p, last + 1) >= (pair + 1) * p.units_per_pair);
            if (first != last) ++shared_pairs;
          }
          CHECK(shared_pairs <= 2);  // the kernel keeps at most two merges per block
          // Virtual length (q or q + 1) = real units + phantoms: every crossing's whole run, plus
          // parts of the runs before its first and after its last real unit.
          const int vlen = lean_vbegin(p, b + 1) - lean_vbegin(p, b);
          CHECK(vlen - (u1 - u0) >= crossings * p.switch_units);
          CHECK(vlen - (u1 - u0) <= (crossings + 2) * p.switch_units);
        }
        for (int o : owner) CHECK(o >= 0);
      }
  // Without phantoms it cuts v17's range lengths (q or q + 1 units, as many of each), the long
  // ones first instead of spread out.
  const LeanSwitchPlan zero = plan_lean_switch(8, 8, 4096, 132, 3, 0);
  const LeanPlan v17 = plan_lean(8, 8, 4096, 132, 3);
  std::vector<long long> len_v17, len_zero;
  for (int b = 0; b < zero.blocks; ++b) {
    len_v17.push_back(lean_unit_begin(v17, b + 1) - lean_unit_begin(v17, b));
    len_zero.push_back(lean_switch_begin(zero, b + 1) - lean_switch_begin(zero, b));
  }
  std::sort(len_v17.begin(), len_v17.end());
  std::sort(len_zero.begin(), len_zero.end());
  CHECK(len_v17 == len_zero);
  // The H200 target shape with the default 4: 264 ranges, the crossing ones 4 units shorter.
  const LeanSwitchPlan h200 = plan_lean_switch(8, 8, 4096, 132, 3, 4);
  CHECK(h200.blocks == 264);
  CHECK(h200.switch_units == 4);
}

TEST_CASE("byte and FLOP models, workload object and flags") {
  Shape s;
  s.B = 8, s.S = 4096, s.S_alloc = 5000, s.dtype = lab::DType::bf16, s.layout = Layout::paged16;
  // K + V: 8 * 8 * 4096 * 128 * 2 bytes each = 64 MiB each; q and out: 8 * 32 * 128 * 2 bytes each.
  CHECK(model_bytes(s) == doctest::Approx(2.0 * 64 * 1024 * 1024 + 2.0 * 8 * 32 * 128 * 2));
  CHECK(model_flops(s) == doctest::Approx(4.0 * 8 * 32 * 4096 * 128));
  const auto w = workload_json(s);
  CHECK(w["B"] == 8);
  CHECK(w["Hq"] == 32);
  CHECK(w["Hkv"] == 8);
  CHECK(w["D"] == 128);
  CHECK(w["S"] == 4096);
  CHECK(w["S_alloc"] == 5000);
  CHECK(w["dtype"] == "bf16");
  CHECK(w["layout"] == "paged16");
  CHECK(workload_flags(s) == "--batch 8 --kv-len 4096 --kv-alloc 5000 --dtype bf16 --layout paged16");
  CHECK(s.max_pages() == (5000 + 15) / 16);
  CHECK(row_workload_json(s) == w);  // a planned row: no "splits" key
  s.splits = 16;  // a --splits sweep row names its split count and reproduces it
  CHECK(row_workload_json(s)["splits"] == 16);
  CHECK_FALSE(workload_json(s).contains("splits"));
  CHECK(workload_flags(s) == "--batch 8 --kv-len 4096 --kv-alloc 5000 --dtype bf16 --layout paged16 --splits 16");
  CHECK_THROWS_AS(parse_layout("paged32"), std::invalid_argument);
}
