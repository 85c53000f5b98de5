#include "labs/cli.hpp"

#include <algorithm>
#include <iostream>

#include <fmt/format.h>

#include "labs/journal.hpp"

namespace lab {

std::vector<L2Mode> CommonOptions::l2_modes() const {
  if (l2 == "both") return {L2Mode::cold, L2Mode::warm};
  return {parse_l2(l2)};
}

CLI::Validator positive() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        std::size_t used = 0;
        long long x = 0;
        try {
          x = std::stoll(v, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != v.size() || x <= 0) return "'" + v + "' must be a positive whole number";
        return {};
      },
      "POSITIVE");
}

void print_error(const std::string& lab, const std::string& message) {
  std::cerr << "lab-" << lab << ": error: " << message << "\n";
}

LabCli::LabCli(std::string lab, std::string description) : lab_(std::move(lab)), app_(std::move(description)) {
  app_.name("lab-" + lab_);
  app_.add_option("--variant", opt_.variants, "versions to run, comma separated (default: all; --list shows them)")
      ->delimiter(',');
  app_.add_option("--l2", opt_.l2, "L2 state before each sample: cold, warm or both")
      ->check(CLI::IsMember({"cold", "warm", "both"}));
  app_.add_flag("--quick", opt_.quick, "small shapes and few samples (smoke test)");
  app_.add_flag("--check-only", opt_.check_only, "check correctness only: no timing, no journal rows");
  app_.add_flag("--profile", opt_.profile, "one checked iteration per case, for ncu / nsys / rocprof");
  app_.add_flag("--list", opt_.list, "list the versions and their ideas, then exit");
  app_.add_flag("--json", opt_.json, "print journal rows as JSON lines on stdout");
  app_.add_option("--journal", opt_.journal, "journal to append to (default results/journal.jsonl; '-' = none)");
}

void LabCli::add_dtypes(std::vector<std::string>* out, const std::vector<std::string>& allowed,
                        const std::vector<std::string>& defaults) {
  *out = defaults;
  std::string help = "element types, comma separated: ";
  for (std::size_t i = 0; i < allowed.size(); ++i) help += (i ? "," : "") + allowed[i];
  app_.add_option("--dtype", *out, help)->delimiter(',')->check(CLI::IsMember(allowed));
}

std::optional<int> LabCli::parse(int argc, char** argv) {
  try {
    app_.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app_.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    std::string msg = e.what();
    std::replace(msg.begin(), msg.end(), '\n', ' ');
    print_error(lab_, msg + " (see --help)");
    return 2;
  }
  if (opt_.check_only && opt_.profile) return usage_error("--check-only and --profile cannot be combined");
  if (!opt_.journal.empty() && opt_.journal != "-" && !opt_.check_only && !opt_.profile && !opt_.list) {
    try {
      ensure_writable(opt_.journal);
    } catch (const std::exception& e) {
      return usage_error(e.what());
    }
  }
  return std::nullopt;
}

void LabCli::require_known_variants(const std::vector<std::string>& known) const {
  if (known.empty()) return;  // cpu build: no versions compiled, nothing to validate against
  for (const auto& v : opt_.variants) {
    if (std::find(known.begin(), known.end(), v) == known.end()) {
      std::string valid;
      for (std::size_t i = 0; i < known.size(); ++i) valid += (i ? ", " : "") + known[i];
      throw UsageError(fmt::format("--variant: unknown '{}' (valid: {})", v, valid));
    }
  }
}

int LabCli::usage_error(const std::string& message) const {
  print_error(lab_, message);
  return 2;
}

}  // namespace lab
