/// @file journal.hpp
/// The results journal: one JSON object per line per (lab, version, workload, L2 mode).
/// Only programs write it. An append is a single write(2) of a whole line on an O_APPEND
/// descriptor, so an interrupted run never leaves half a line and concurrent writers never
/// interleave. The reader rejects a malformed line with its line number; it never skips.
///
/// Fixed keys (DESIGN.md): schema, run, time, lab, variant, kind, workload, l2, time_ms
/// {median,p10,p90,min,n}, bytes, flops, gbps, tflops, pct_copy_bw, pct_datasheet_bw,
/// check {pass,max_abs,tol_used}, launches, gpu {name,cc,sms,copy_gbps}, build
/// {commit,dirty}, cmd, profile. Vendor rows add the key producer; published rows add the key source.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lab {

using Json = nlohmann::json;
inline constexpr int kJournalSchema = 1;

struct JournalError : std::runtime_error {
  JournalError(const std::string& path, int line, const std::string& what);
  int line = 0;
};

/// Throws std::runtime_error if the row lacks a fixed key or is not one line.
void validate_row(const Json& row);
/// Appends one validated row as one line. Throws on any I/O failure.
void append_row(const std::string& path, const Json& row);
/// Opens `path` for append (creating it) and closes it: the "unwritable journal" check
/// that runs before any GPU work. Throws std::runtime_error naming the path and errno.
void ensure_writable(const std::string& path);
/// All rows; throws JournalError for the first malformed line (blank lines are allowed).
std::vector<Json> read_journal(const std::string& path);

std::string new_run_id();   ///< "20261121T113512Z-3f9a" : UTC time + random suffix
std::string now_utc_iso();  ///< "2026-11-21T11:35:12Z"

/// {commit, dirty, compiler, flags, backend}: commit from $LABS_COMMIT, else `git` in the
/// source tree, else "unknown"; dirty likewise from $LABS_DIRTY or `git status`.
Json build_info();

/// The default journal: $LABS_JOURNAL, else results/journal.jsonl in the source tree.
std::string default_journal_path();

}  // namespace lab
