/// @file cli.hpp
/// The flags every lab shares (DESIGN.md "CLI"), on top of CLI11. A lab adds its own
/// workload flags to `app()` before parse(). Bad input gets one line naming the flag and the
/// accepted values, and exit code 2, before any GPU work.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "labs/dtype.hpp"
#include "labs/timing.hpp"

namespace lab {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct CommonOptions {
  std::vector<std::string> variants;  ///< --variant v0,v3 (empty: all)
  std::string l2 = "both";            ///< --l2 cold|warm|both
  bool quick = false;                 ///< --quick: small shapes, few samples
  bool check_only = false;            ///< --check-only: correctness only, no timing, no journal
  bool profile = false;               ///< --profile: one checked iteration per case, for ncu/nsys
  bool list = false;                  ///< --list: versions and their ideas
  bool json = false;                  ///< --json: rows as JSON lines on stdout
  std::string journal;                ///< --journal PATH ("" = default, "-" = do not write)
  std::vector<L2Mode> l2_modes() const;
};

class LabCli {
 public:
  LabCli(std::string lab, std::string description);
  CLI::App& app() { return app_; }
  CommonOptions& common() { return opt_; }
  const std::string& lab() const { return lab_; }

  /// Adds `--dtype fp32,bf16,...` restricted to `allowed`, defaulting to `defaults`.
  void add_dtypes(std::vector<std::string>* out, const std::vector<std::string>& allowed,
                  const std::vector<std::string>& defaults);

  /// Parses argv. Returns an exit code when the program should stop now (0 after --help,
  /// 2 after a usage error, printed as one line), std::nullopt to continue.
  std::optional<int> parse(int argc, char** argv);

  /// Throws UsageError "--variant: unknown 'v9' (valid: v0, v1, v2)" for unknown names.
  void require_known_variants(const std::vector<std::string>& known) const;

  /// Prints a one-line usage error and returns 2: for lab-specific checks after parse().
  int usage_error(const std::string& message) const;

 private:
  std::string lab_;
  CLI::App app_;
  CommonOptions opt_;
};

/// A size flag's check: `add_option("--rows", rows)->check(lab::positive())` refuses 0, negative
/// and non-numeric values with "must be a positive whole number".
CLI::Validator positive();

/// "lab-01-fused-gelu: error: <message>" on stderr.
void print_error(const std::string& lab, const std::string& message);

}  // namespace lab
