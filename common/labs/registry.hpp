/// @file registry.hpp
/// The version table of a topic. A version is one file: it defines its kernels and one
/// `LABS_REGISTER_VERSION(TopicVersion, {...})` line. The lab, the tests and the benchmark
/// iterate the table, so adding a version touches that one file (and the README); CMake
/// globs `kernels/v*.cu` into an object library so nothing else lists the files.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "labs/gpuinfo.hpp"

namespace lab {

/// The part of a version every topic shares.
struct VersionInfo {
  std::string id;         ///< "v3" (sorted naturally: v2 < v10)
  std::string idea;       ///< one line: what changed and why it should be faster
  int min_cc = 0;         ///< minimum compute capability as major*10+minor (80 = sm_80); 0 = any
  bool cuda_only = false; ///< uses an NVIDIA-only feature (cp.async.bulk, mma.sync, cuBLAS ...)
};

/// Can this version run on this GPU? If not, `why` says what it needs.
bool runnable_on(const VersionInfo& v, const GpuInfo& gpu, std::string* why);

/// Natural order of version ids: "v2" < "v10", "v3" < "v3b".
bool version_less(std::string_view a, std::string_view b);

template <class Version>
class Registry {
 public:
  static Registry& instance() {
    static Registry r;
    return r;
  }
  void add(Version v) {
    items_.push_back(std::move(v));
    std::sort(items_.begin(), items_.end(),
              [](const Version& a, const Version& b) { return version_less(a.info.id, b.info.id); });
  }
  const std::vector<Version>& all() const { return items_; }
  const Version* find(std::string_view id) const {
    for (const auto& v : items_)
      if (v.info.id == id) return &v;
    return nullptr;
  }
  std::vector<std::string> ids() const {
    std::vector<std::string> out;
    for (const auto& v : items_) out.push_back(v.info.id);
    return out;
  }
  /// The versions named in `wanted` (all when empty), in table order.
  std::vector<const Version*> select(const std::vector<std::string>& wanted) const {
    std::vector<const Version*> out;
    for (const auto& v : items_)
      if (wanted.empty() || std::find(wanted.begin(), wanted.end(), v.info.id) != wanted.end())
        out.push_back(&v);
    return out;
  }

 private:
  std::vector<Version> items_;
};

template <class Version>
struct Registrar {
  explicit Registrar(Version v) { Registry<Version>::instance().add(std::move(v)); }
};

}  // namespace lab

#define LABS_CONCAT_INNER(a, b) a##b
#define LABS_CONCAT(a, b) LABS_CONCAT_INNER(a, b)
/// Registers a version in its topic's table at static-initialisation time.
#define LABS_REGISTER_VERSION(VersionType, ...) \
  static ::lab::Registrar<VersionType> LABS_CONCAT(labs_registrar_, __LINE__){VersionType __VA_ARGS__};
