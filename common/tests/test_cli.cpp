#include <doctest/doctest.h>

#include <vector>

#include "labs/cli.hpp"

using namespace lab;

namespace {
struct Argv {
  std::vector<std::string> s;
  std::vector<char*> p;
  explicit Argv(std::vector<std::string> args) : s(std::move(args)) {
    for (auto& x : s) p.push_back(x.data());
  }
  int argc() { return static_cast<int>(p.size()); }
  char** argv() { return p.data(); }
};
}  // namespace

TEST_CASE("common flags parse") {
  LabCli cli("99-test", "test");
  Argv a({"lab", "--variant", "v0,v2", "--l2", "cold", "--quick", "--journal", "-"});
  CHECK_FALSE(cli.parse(a.argc(), a.argv()).has_value());
  CHECK(cli.common().variants == std::vector<std::string>{"v0", "v2"});
  CHECK(cli.common().l2_modes().size() == 1);
  CHECK(cli.common().quick);
}

TEST_CASE("bad flag values exit 2 before any GPU work") {
  {
    LabCli cli("99-test", "test");
    Argv a({"lab", "--l2", "lukewarm"});
    CHECK(cli.parse(a.argc(), a.argv()) == 2);
  }
  {
    LabCli cli("99-test", "test");
    Argv a({"lab", "--no-such-flag"});
    CHECK(cli.parse(a.argc(), a.argv()) == 2);
  }
  {
    LabCli cli("99-test", "test");
    long rows = 0;
    cli.app().add_option("--rows", rows)->check(lab::positive());
    Argv a({"lab", "--rows", "0"});
    CHECK(cli.parse(a.argc(), a.argv()) == 2);
    Argv b({"lab", "--rows", "-5"});
    LabCli cli2("99-test", "test");
    cli2.app().add_option("--rows", rows)->check(lab::positive());
    CHECK(cli2.parse(b.argc(), b.argv()) == 2);
  }
  {
    LabCli cli("99-test", "test");
    Argv a({"lab", "--journal", "/nonexistent-dir/j.jsonl"});
    CHECK(cli.parse(a.argc(), a.argv()) == 2);
  }
}

TEST_CASE("dtype list is restricted to the lab's types") {
  LabCli cli("99-test", "test");
  std::vector<std::string> dtypes;
  cli.add_dtypes(&dtypes, {"fp16", "bf16"}, {"bf16"});
  Argv ok({"lab", "--dtype", "fp16,bf16"});
  CHECK_FALSE(cli.parse(ok.argc(), ok.argv()).has_value());
  CHECK(dtypes.size() == 2);
  LabCli cli2("99-test", "test");
  cli2.add_dtypes(&dtypes, {"fp16", "bf16"}, {"bf16"});
  Argv bad({"lab", "--dtype", "fp32"});
  CHECK(cli2.parse(bad.argc(), bad.argv()) == 2);
}

TEST_CASE("unknown variants are named with the valid list") {
  LabCli cli("99-test", "test");
  Argv a({"lab", "--variant", "v9"});
  REQUIRE_FALSE(cli.parse(a.argc(), a.argv()).has_value());
  CHECK_THROWS_WITH(cli.require_known_variants({"v0", "v1"}), "--variant: unknown 'v9' (valid: v0, v1)");
}

TEST_CASE("--check-only with --profile is refused") {
  LabCli cli("99-test", "test");
  Argv a({"lab", "--check-only", "--profile"});
  CHECK(cli.parse(a.argc(), a.argv()) == 2);
}
