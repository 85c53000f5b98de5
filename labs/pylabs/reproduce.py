"""`lab reproduce <run-id | line | run-id:variant>`: reruns a row's recorded command and says
SAME / FASTER / SLOWER.

SAME means the new median lies inside the recorded p10–p90 band widened by the new run's own
spread (median - p10 below, p90 - median above): both runs are noisy, and a difference inside
the two bands is not evidence of a change. Outside it, the verdict names the direction and the
ratio of the medians."""
from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

from . import selection as sel
from .journal import Row, gpu_name, median_ms, read_journal, workload_key
from .report import fmt_ms, short_commit
from .topics import BUILD_HINT, REPO_ROOT

NO_GPU_EXIT = 77


class LookupFailed(Exception):
    """The argument names no row: one line saying what was looked for and what exists."""


def find_rows(rows: List[Row], spec: str, journal_path: str) -> List[Row]:
    if spec.isdigit():
        line = int(spec)
        for r in rows:
            if r.line == line:
                return [r]
        last = max((r.line for r in rows), default=0)
        raise LookupFailed(f"row: no journal row at line {line} of {journal_path} "
                           f"(rows are on lines 1..{last})")
    run, _, variant = spec.partition(":")
    found = [r for r in rows if r["run"] == run and (not variant or r["variant"] == variant)]
    if found:
        return found
    runs = [r["run"] for r in rows if r["run"] == run]
    if runs and variant:
        names = sorted({r["variant"] for r in rows if r["run"] == run})
        raise LookupFailed(f"row: run {run} has no variant '{variant}' (valid: {', '.join(names)})")
    newest = []
    for r in reversed(rows):
        if r["run"] not in newest:
            newest.append(r["run"])
        if len(newest) == 3:
            break
    hint = f"newest runs: {', '.join(newest)}" if newest else "the journal is empty"
    raise LookupFailed(f"row: no run id '{run}' in {journal_path} ({hint}; or give a journal line number)")


@dataclass
class Verdict:
    word: str      # SAME | FASTER | SLOWER
    ratio: float   # >= 1: how many times faster/slower (SAME: recorded / new)
    lo: float
    hi: float


def decide(recorded: Dict, new: Dict) -> Verdict:
    """recorded, new: time_ms objects {median, p10, p90, ...}."""
    m = float(new["median"])
    lo = float(recorded["p10"]) - (m - float(new["p10"]))
    hi = float(recorded["p90"]) + (float(new["p90"]) - m)
    rec = float(recorded["median"])
    if lo <= m <= hi:
        return Verdict("SAME", rec / m if m > 0 else 1.0, lo, hi)
    if m < lo:
        return Verdict("FASTER", rec / m, lo, hi)
    return Verdict("SLOWER", m / rec, lo, hi)


def describe(v: Verdict) -> str:
    if v.word == "SAME":
        return "SAME (inside the recorded p10–p90 band widened by this run's spread)"
    return f"{v.word} ({v.ratio:.2f}× {'faster' if v.word == 'FASTER' else 'slower'}; the noise band was {fmt_ms(v.lo)}–{fmt_ms(v.hi)} ms)"


def _matching(new_rows: List[Row], old: Row) -> Optional[Row]:
    for r in reversed(new_rows):
        if (r["lab"] == old["lab"] and r["variant"] == old["variant"] and r.get("l2") == old.get("l2")
                and workload_key(r["workload"]) == workload_key(old["workload"])):
            return r
    return None


def _label(r: Row) -> str:
    wl = r["workload"]
    return f"{r['lab']} {r['variant']} {sel.workload_sizes(wl)} {wl.get('dtype', '')} L2 {r.get('l2')}"


def _summary(r: Row) -> str:
    tm = r["time_ms"]
    return (f"{fmt_ms(median_ms(r))} ms [p10 {fmt_ms(tm.get('p10'))}, p90 {fmt_ms(tm.get('p90'))}] "
            f"on {gpu_name(r)} at {short_commit(r)}")


Runner = Callable[[List[str], str], int]


class NotBuilt(Exception):
    pass


def default_runner(argv: List[str], cwd: str) -> int:
    exe = argv[0]
    if os.sep in exe and not os.path.exists(exe if os.path.isabs(exe) else os.path.join(cwd, exe)):
        raise NotBuilt(exe)
    return subprocess.run(argv, cwd=cwd).returncode


def reproduce(rows_wanted: List[Row], root: str = REPO_ROOT, runner: Runner = default_runner,
              log=print) -> int:
    """Reruns each distinct command once and judges every wanted row it reproduces."""
    status = 0
    by_cmd: Dict[str, List[Row]] = {}
    for r in rows_wanted:
        if r["kind"] == "published":
            log(f"[lab] refusing line {r.line} ({_label(r)}): it is a published figure "
                f"(source: {r.get('source', '?')}, hardware: {gpu_name(r)}), not something this repo measured")
            status = max(status, 2)
            continue
        cmd = r.get("cmd")
        if not isinstance(cmd, str) or not cmd.strip():
            log(f"[lab] line {r.line} ({_label(r)}) records no command to rerun")
            status = max(status, 1)
            continue
        by_cmd.setdefault(cmd, []).append(r)
    for cmd, olds in by_cmd.items():
        code = _rerun(cmd, olds, root, runner, log)
        status = code if code == NO_GPU_EXIT else max(status, code)
    return status


def _rerun(cmd: str, olds: List[Row], root: str, runner: Runner, log) -> int:
    argv = shlex.split(cmd)
    exe = argv[0]
    if runner is default_runner and os.sep in exe and not os.path.exists(os.path.join(root, exe)):
        log(f"[lab] cannot rerun: {exe} does not exist; {BUILD_HINT}")
        return 1
    fd, tmp = tempfile.mkstemp(prefix="lab-reproduce-", suffix=".jsonl")
    os.close(fd)
    try:
        log(f"[lab] rerunning: {cmd} --journal {tmp}")
        try:
            rc = runner(argv + ["--journal", tmp], root)
        except NotBuilt:
            log(f"[lab] cannot rerun: {exe} does not exist; {BUILD_HINT}")
            return 1
        except OSError as e:
            log(f"[lab] cannot start {exe}: {e.strerror}")
            return 1
        if rc == NO_GPU_EXIT:
            log("[lab] no GPU here: the lab ran its CPU checks but cannot time anything, so there is "
                "nothing to compare. Reproduce on a machine with an NVIDIA GPU.")
            return NO_GPU_EXIT
        new_rows = read_journal(tmp)
        status = 0 if rc == 0 else 1
        if rc != 0:
            log(f"[lab] the rerun exited with {rc} (a failed check writes no row)")
        for old in olds:
            new = _matching(new_rows, old)
            if new is None:
                log(f"[lab] {_label(old)}: the rerun wrote no matching row")
                status = 1
                continue
            v = decide(old["time_ms"], new["time_ms"])
            log(f"[lab] {_label(old)}")
            log(f"      recorded (line {old.line}): {_summary(old)}")
            log(f"      now:                 {_summary(new)}")
            log(f"      {describe(v)}")
            if gpu_name(new) != gpu_name(old):
                log(f"      note: different GPU ({gpu_name(new)} vs {gpu_name(old)}): the comparison is across machines")
        return status
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass
