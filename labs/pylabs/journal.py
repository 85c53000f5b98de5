"""The results journal: one JSON object per line, appended by programs only.

Reading validates every line the way the C++ reader (common/src/journal.cpp) does and raises
JournalError naming the file and the line number: a malformed line is never skipped, because a
skipped line is a measurement silently lost. Appending is one os.write of a whole line on an
O_APPEND descriptor, so an interrupted writer never leaves half a line and concurrent writers
never interleave.
"""
from __future__ import annotations

import json
import math
import os
import secrets
import time
from typing import Any, Dict, Iterable, List, Optional

SCHEMA = 1

# The key names DESIGN.md fixes so that tools can rely on them.
FIXED_KEYS = (
    "schema", "run", "time", "lab", "variant", "kind", "workload", "l2", "time_ms", "bytes",
    "flops", "gbps", "tflops", "pct_copy_bw", "pct_datasheet_bw", "check", "launches", "gpu",
    "build", "cmd", "profile",
)
TIME_KEYS = ("median", "p10", "p90", "min", "n")
KINDS = ("lab", "vendor", "published")


class JournalError(ValueError):
    """A malformed journal line: `path:line: malformed journal line: why`."""

    def __init__(self, path: str, line: int, what: str):
        super().__init__(f"{path}:{line}: malformed journal line: {what}")
        self.path = path
        self.line = line
        self.what = what


class Row(dict):
    """A journal row (a plain dict) that remembers the line it was read from."""

    line: int = 0
    path: str = ""


def validate_row(row: Any) -> None:
    """Raises ValueError saying what is wrong; the same rules as labs::validate_row."""
    if not isinstance(row, dict):
        raise ValueError("journal row is not a JSON object")
    for k in FIXED_KEYS:
        if k not in row:
            raise ValueError(f"journal row lacks the fixed key '{k}'")
    kind = row["kind"]
    if kind not in KINDS:
        raise ValueError(f"journal row kind must be lab, vendor or published (got {kind!r})")
    tm = row["time_ms"]
    if not isinstance(tm, dict):
        raise ValueError("journal row time_ms is not an object")
    for k in TIME_KEYS:
        if k not in tm:
            raise ValueError(f"journal row time_ms lacks '{k}'")
    if not isinstance(row["check"], dict) or "pass" not in row["check"]:
        raise ValueError("journal row check lacks 'pass'")
    if not isinstance(row["workload"], dict):
        raise ValueError("journal row workload is not an object")
    for k in ("lab", "variant", "run"):
        if not isinstance(row[k], str) or not row[k]:
            raise ValueError(f"journal row '{k}' is not a non-empty string")
    if kind == "vendor" and "producer" not in row:
        raise ValueError("vendor row lacks 'producer'")
    if kind == "published" and "source" not in row:
        raise ValueError("published row lacks 'source'")


def parse_lines(lines: Iterable[str], path: str) -> List[Row]:
    rows: List[Row] = []
    for no, text in enumerate(lines, start=1):
        if not text.strip():
            continue  # blank lines are allowed (an editor's trailing newline)
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            raise JournalError(path, no, f"not JSON ({e.msg} at column {e.colno})") from None
        try:
            validate_row(obj)
        except ValueError as e:
            raise JournalError(path, no, str(e)) from None
        row = Row(obj)
        row.line = no
        row.path = path
        rows.append(row)
    return rows


def read_journal(path: str, missing_ok: bool = True) -> List[Row]:
    """All rows of `path` in file order. A missing file is an empty journal when missing_ok."""
    try:
        with open(path, "r", encoding="utf-8") as f:
            return parse_lines(f, path)
    except FileNotFoundError:
        if missing_ok:
            return []
        raise
    except UnicodeDecodeError as e:
        raise JournalError(path, _line_of_offset(path, e.start), "not UTF-8 text") from None


def _line_of_offset(path: str, offset: int) -> int:
    with open(path, "rb") as f:
        return f.read(offset).count(b"\n") + 1


def _finite_or_none(x: Any) -> Any:
    """JSON has no NaN or Infinity: write null so every reader can parse the line."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _finite_or_none(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite_or_none(v) for v in x]
    return x


def dump_row(row: Dict[str, Any]) -> str:
    """The row as one line of JSON (no raw newline inside: json.dumps escapes them)."""
    return json.dumps(_finite_or_none(row), ensure_ascii=False, allow_nan=False,
                      separators=(",", ":")) + "\n"


def append_row(path: str, row: Dict[str, Any]) -> None:
    """Validates and appends one row with a single write(2) on an O_APPEND descriptor."""
    validate_row(row)
    data = dump_row(row).encode("utf-8")
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        written = os.write(fd, data)
    finally:
        os.close(fd)
    if written != len(data):
        raise OSError(f"short write to journal {path}: {written} of {len(data)} bytes")


def ensure_writable(path: str) -> None:
    """Opens `path` for append (creating it) and closes it: refuse early, before any GPU work."""
    try:
        parent = os.path.dirname(os.path.abspath(path))
        os.makedirs(parent, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.close(fd)
    except OSError as e:
        raise OSError(f"--journal: cannot write '{path}': {e.strerror}") from None


def new_run_id() -> str:
    """"20261121T113512Z-3f9a": UTC time and a random suffix, like labs::new_run_id."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(2)


def now_utc_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# ---- helpers the report, compare and reproduce share ------------------------------------

def workload_key(workload: Dict[str, Any]) -> str:
    """A canonical string for matching workloads across rows (key order does not matter)."""
    return json.dumps(workload, sort_keys=True, separators=(",", ":"))


def median_ms(row: Dict[str, Any]) -> Optional[float]:
    tm = row.get("time_ms") or {}
    m = tm.get("median")
    return float(m) if isinstance(m, (int, float)) and m > 0 else None


def check_passed(row: Dict[str, Any]) -> bool:
    chk = row.get("check")
    return isinstance(chk, dict) and chk.get("pass") is True


def gpu_name(row: Dict[str, Any]) -> str:
    gpu = row.get("gpu")
    if isinstance(gpu, dict) and gpu.get("name"):
        return str(gpu["name"])
    return "unknown GPU"


def default_journal_path(root: str) -> str:
    """$LABS_JOURNAL, else <repo>/results/journal.jsonl (the C++ default, too)."""
    env = os.environ.get("LABS_JOURNAL")
    return env if env else os.path.join(root, "results", "journal.jsonl")
