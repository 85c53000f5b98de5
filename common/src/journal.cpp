#include "labs/journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <random>

#include <fmt/format.h>

namespace lab {

JournalError::JournalError(const std::string& path, int line_no, const std::string& what)
    : std::runtime_error(fmt::format("{}:{}: malformed journal line: {}", path, line_no, what)), line(line_no) {}

static const char* kFixedKeys[] = {"schema", "run",  "time",  "lab",   "variant", "kind",  "workload",
                                   "l2",     "time_ms", "bytes", "flops", "gbps",    "tflops", "pct_copy_bw",
                                   "pct_datasheet_bw", "check", "launches", "gpu", "build", "cmd", "profile"};

void validate_row(const Json& row) {
  if (!row.is_object()) throw std::runtime_error("journal row is not a JSON object");
  for (const char* k : kFixedKeys)
    if (!row.contains(k)) throw std::runtime_error(fmt::format("journal row lacks the fixed key '{}'", k));
  const std::string kind = row["kind"].is_string() ? row["kind"].get<std::string>() : "";
  if (kind != "lab" && kind != "vendor" && kind != "published")
    throw std::runtime_error("journal row kind must be lab, vendor or published");
  for (const char* k : {"median", "p10", "p90", "min", "n"})
    if (!row["time_ms"].contains(k)) throw std::runtime_error(fmt::format("journal row time_ms lacks '{}'", k));
  if (!row["check"].contains("pass")) throw std::runtime_error("journal row check lacks 'pass'");
  if (kind == "vendor" && !row.contains("producer")) throw std::runtime_error("vendor row lacks 'producer'");
  if (kind == "published" && !row.contains("source")) throw std::runtime_error("published row lacks 'source'");
}

void append_row(const std::string& path, const Json& row) {
  validate_row(row);
  // dump() escapes control characters, so the line has no raw newline inside it.
  const std::string line = row.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(fmt::format("cannot open journal {}: {}", path, std::strerror(errno)));
  // One write(2) of the whole line on an O_APPEND descriptor: never half a line.
  const ssize_t n = ::write(fd, line.data(), line.size());
  const int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(line.size()))
    throw std::runtime_error(fmt::format("short write to journal {}: {}", path, std::strerror(err)));
}

void ensure_writable(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(fmt::format("--journal: cannot write '{}': {}", path, std::strerror(errno)));
  ::close(fd);
}

std::vector<Json> read_journal(const std::string& path) {
  std::vector<Json> rows;
  std::ifstream f(path);
  if (!f) return rows;  // no journal yet: no rows
  std::string line;
  int no = 0;
  while (std::getline(f, line)) {
    ++no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Json row;
    try {
      row = Json::parse(line);
    } catch (const std::exception& e) {
      throw JournalError(path, no, e.what());
    }
    try {
      validate_row(row);
    } catch (const std::exception& e) {
      throw JournalError(path, no, e.what());
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string now_utc_iso() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string new_run_id() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  std::random_device rd;
  return fmt::format("{}-{:04x}", buf, rd() & 0xFFFF);
}

static std::string run_capture(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  if (::pclose(p) != 0) return "";
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

Json build_info() {
  std::string commit, dirty_s;
  if (const char* c = std::getenv("LABS_COMMIT"); c && *c) commit = c;
  if (const char* d = std::getenv("LABS_DIRTY"); d && *d) dirty_s = d;
  const std::string git = fmt::format("git -C '{}' ", LABS_SOURCE_DIR);
  if (commit.empty()) commit = run_capture(git + "rev-parse HEAD 2>/dev/null");
  bool dirty = false;
  if (!dirty_s.empty()) {
    dirty = dirty_s != "0" && dirty_s != "false";
  } else if (!commit.empty()) {
    // Only tracked changes make a row dirty; untracked build outputs do not.
    dirty = !run_capture(git + "status --porcelain --untracked-files=no 2>/dev/null").empty();
  }
  if (commit.empty()) commit = "unknown";
#if defined(LABS_BACKEND_CUDA)
  const char* backend = "cuda";
#elif defined(LABS_BACKEND_HIP)
  const char* backend = "hip";
#else
  const char* backend = "cpu";
#endif
  return {{"commit", commit}, {"dirty", dirty}, {"compiler", LABS_COMPILER}, {"flags", LABS_FLAGS},
          {"backend", backend}};
}

std::string default_journal_path() {
  if (const char* j = std::getenv("LABS_JOURNAL"); j && *j) return j;
  return std::string(LABS_SOURCE_DIR) + "/results/journal.jsonl";
}

}  // namespace lab
