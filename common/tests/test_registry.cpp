#include <doctest/doctest.h>

#include "labs/registry.hpp"

using namespace lab;

namespace {
struct ToyVersion {
  VersionInfo info;
  int payload = 0;
};
}  // namespace

LABS_REGISTER_VERSION(ToyVersion, {{"v10", "ten"}, 10})
LABS_REGISTER_VERSION(ToyVersion, {{"v2", "two", 80}, 2})
LABS_REGISTER_VERSION(ToyVersion, {{"v0", "zero", 0, true}, 0})

TEST_CASE("versions register themselves and sort naturally") {
  const auto& reg = Registry<ToyVersion>::instance();
  CHECK(reg.ids() == std::vector<std::string>{"v0", "v2", "v10"});
  CHECK(reg.find("v2")->payload == 2);
  CHECK(reg.find("v3") == nullptr);
  CHECK(reg.select({"v10", "v0"}).size() == 2);
  CHECK(reg.select({}).size() == 3);
}

TEST_CASE("natural order") {
  CHECK(version_less("v2", "v10"));
  CHECK_FALSE(version_less("v10", "v2"));
  CHECK(version_less("v3", "v3b"));
}

TEST_CASE("requirements say why a version cannot run") {
  GpuInfo ampere;
  ampere.backend = "cuda";
  ampere.cc_major = 7;
  ampere.cc_minor = 5;
  ampere.cc = "7.5";
  std::string why;
  CHECK_FALSE(runnable_on({"v2", "", 80}, ampere, &why));
  CHECK(why.find("8.0") != std::string::npos);
  GpuInfo amd;
  amd.backend = "hip";
  CHECK_FALSE(runnable_on({"v0", "", 0, true}, amd, &why));
  CHECK(runnable_on({"v1", "", 0, false}, amd, &why));
}
