#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "labs/journal.hpp"

using namespace lab;

namespace {
Json sample_row(const std::string& variant) {
  return {{"schema", kJournalSchema}, {"run", "r1"}, {"time", now_utc_iso()}, {"lab", "99-test"},
          {"variant", variant}, {"kind", "lab"}, {"workload", {{"n", 7}, {"dtype", "fp32"}}}, {"l2", "cold"},
          {"time_ms", {{"median", 1.0}, {"p10", 0.9}, {"p90", 1.1}, {"min", 0.8}, {"n", 10}}}, {"bytes", 8.0},
          {"flops", 0.0}, {"gbps", 1e-8}, {"tflops", nullptr}, {"pct_copy_bw", nullptr}, {"pct_datasheet_bw", nullptr},
          {"check", {{"pass", true}, {"max_abs", 0.0}, {"tol_used", 0.0}}}, {"launches", 1},
          {"gpu", {{"name", "Test"}, {"cc", "9.0"}, {"sms", 1}, {"copy_gbps", nullptr}}},
          {"build", {{"commit", "abc"}, {"dirty", false}}}, {"cmd", "x"}, {"profile", Json::object()}};
}

std::string temp_path(const char* name) {
  const auto p = std::filesystem::temp_directory_path() / (std::string(name) + "-" + new_run_id() + ".jsonl");
  return p.string();
}
}  // namespace

TEST_CASE("journal round trip: rows come back as written, one per line") {
  const std::string p = temp_path("journal-rt");
  append_row(p, sample_row("v0"));
  append_row(p, sample_row("v1 \"quoted\"\nnewline"));
  const auto rows = read_journal(p);
  REQUIRE(rows.size() == 2);
  CHECK(rows[1]["variant"] == "v1 \"quoted\"\nnewline");
  std::ifstream f(p);
  int lines = 0;
  for (std::string l; std::getline(f, l);) ++lines;
  CHECK(lines == 2);  // the embedded newline was escaped, not written raw
  std::filesystem::remove(p);
}

TEST_CASE("a malformed line is reported with its line number, never skipped") {
  const std::string p = temp_path("journal-bad");
  append_row(p, sample_row("v0"));
  { std::ofstream(p, std::ios::app) << "{\"schema\": 1, \"truncated\n"; }
  append_row(p, sample_row("v2"));
  try {
    read_journal(p);
    FAIL("malformed journal was accepted");
  } catch (const JournalError& e) {
    CHECK(e.line == 2);
    CHECK(std::string(e.what()).find(":2:") != std::string::npos);
  }
  std::filesystem::remove(p);
}

TEST_CASE("a row without a fixed key is refused on write and on read") {
  Json r = sample_row("v0");
  r.erase("time_ms");
  CHECK_THROWS_WITH(append_row("/dev/null", r), doctest::Contains("time_ms"));
  const std::string p = temp_path("journal-key");
  { std::ofstream(p) << r.dump() << "\n"; }
  CHECK_THROWS_AS(read_journal(p), JournalError);
  std::filesystem::remove(p);
}

TEST_CASE("vendor rows need a producer, published rows a source") {
  Json r = sample_row("torch");
  r["kind"] = "vendor";
  CHECK_THROWS(validate_row(r));
  r["producer"] = "torch 2.11";
  CHECK_NOTHROW(validate_row(r));
  r["kind"] = "published";
  CHECK_THROWS(validate_row(r));
}

TEST_CASE("an unwritable journal path is refused with the path in the message") {
  CHECK_THROWS_WITH(ensure_writable("/nonexistent-dir/x.jsonl"), doctest::Contains("/nonexistent-dir/x.jsonl"));
}

TEST_CASE("build info has a commit and a dirty flag; LABS_COMMIT overrides") {
  setenv("LABS_COMMIT", "0123456789abcdef", 1);
  setenv("LABS_DIRTY", "0", 1);
  const Json b = build_info();
  CHECK(b["commit"] == "0123456789abcdef");
  CHECK(b["dirty"] == false);
  unsetenv("LABS_COMMIT");
  unsetenv("LABS_DIRTY");
}

TEST_CASE("run ids are unique and sortable by time") {
  const auto a = new_run_id(), b = new_run_id();
  CHECK(a.size() == b.size());
  CHECK(a.substr(0, 16) <= b.substr(0, 16));
}
