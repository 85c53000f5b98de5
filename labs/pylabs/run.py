"""`lab run <topic|all>`: runs each topic's lab executable and its vendor scripts, streaming
their output, with a progress line between them.

Ctrl-C reaches the children too (same process group); the labs stop between cases and the
journal only ever receives whole lines, so an interrupted run leaves a valid journal."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import List, Optional, Tuple

from . import selection as sel
from .journal import JournalError, read_journal
from .progress import DurationState, Progress, format_duration
from .report import fmt_check, fmt_ms, fmt_num
from .topics import BUILD_HINT, REPO_ROOT, Build, Topic, lab_executable, relpath_from_root, vendor_scripts

NO_GPU_EXIT = 77


class Interrupted(Exception):
    pass


def _wait(p: subprocess.Popen) -> int:
    try:
        return p.wait()
    except KeyboardInterrupt:
        # The child got the same SIGINT and is finishing its current case; give it time.
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGTERM)
            p.wait()
        raise Interrupted() from None


def run_streaming(argv: List[str], cwd: str) -> int:
    """Runs argv with its output going straight to ours (no buffering in between)."""
    sys.stdout.flush()
    p = subprocess.Popen(argv, cwd=cwd)
    return _wait(p)


def torch_gpu_available(python: str = sys.executable) -> Tuple[bool, str]:
    code = "import sys\ntry:\n import torch\nexcept ImportError:\n sys.exit(4)\nsys.exit(0 if torch.cuda.is_available() else 3)"
    try:
        rc = subprocess.run([python, "-c", code], capture_output=True, timeout=180).returncode
    except (OSError, subprocess.SubprocessError) as e:
        return False, f"cannot run {python}: {e}"
    if rc == 0:
        return True, ""
    if rc == 3:
        return False, "PyTorch sees no GPU"
    return False, f"PyTorch is not installed for {python}"


def recorded_rows_lines(journal_path: str, lab: str, limit: int = 40) -> List[str]:
    """A compact view of the newest recorded rows of one lab (for the no-GPU path)."""
    try:
        rows = read_journal(journal_path)
    except JournalError as e:
        return [f"  (cannot read the journal: {e})"]
    latest = sel.order_rows([r for r in sel.latest(rows) if r["lab"] == lab and r["kind"] != "published"])
    if not latest:
        return [f"  no recorded rows for {lab} in {relpath_from_root(journal_path)} yet"]
    out = [f"  recorded rows for {lab} in {relpath_from_root(journal_path)} (newest per variant/workload/L2):"]
    for r in latest[:limit]:
        wl = r["workload"]
        nums = (f"{fmt_ms(r['time_ms'].get('median')):>10} ms {fmt_num(r.get('gbps')):>8} GB/s "
                f"{fmt_num(r.get('pct_copy_bw'), 1, '%'):>7} of copy") if sel.usable(r) else "check failed"
        out.append(f"    {r['variant']:<22} {sel.workload_sizes(wl):<26} {str(wl.get('dtype', '')):<5} "
                   f"{str(r.get('l2')):<4} {nums}  {fmt_check(r)}  on {r.get('gpu', {}).get('name', '?')}")
    if len(latest) > limit:
        out.append(f"    ... and {len(latest) - limit} more: `labs/lab report` renders them all")
    return out


def run_topics(topics: List[Topic], build: Optional[Build], journal: str, quick: bool, check_only: bool,
               extra: List[str], vendor: bool, root: str = REPO_ROOT, log=print) -> int:
    if build is None:
        log(f"lab: error: no build found (looked for build/cuda, build/hip, build/cpu); {BUILD_HINT}")
        return 1
    mode = "check-only" if check_only else ("quick" if quick else "full")
    state = DurationState(build.path)
    prog = Progress([t.name for t in topics], state, mode)
    shown_journal = journal if journal != "-" else os.path.join(root, "results", "journal.jsonl")
    failures: List[str] = []
    no_gpu: List[str] = []
    torch_ok: Optional[Tuple[bool, str]] = None
    common = (["--quick"] if quick else []) + (["--check-only"] if check_only else [])
    try:
        for i, t in enumerate(topics):
            exe = lab_executable(t, build)
            started = time.monotonic()
            log(prog.line(i, "lab"))
            if not os.path.exists(exe):
                if not t.has_lab():
                    log(f"[lab] {t.name}: no lab in this topic yet (topics/{t.name} has no CMakeLists.txt); skipped")
                    continue
                log(f"[lab] {t.name}: {relpath_from_root(exe)} is not built; {BUILD_HINT}")
                failures.append(f"{t.name}: not built")
                continue
            rc = run_streaming([exe, "--journal", journal] + common + extra, root)
            gpu_here = True
            if rc == NO_GPU_EXIT:
                gpu_here = False
                no_gpu.append(t.name)
                log(f"[lab] {t.name}: no GPU: CPU checks passed, timing skipped.")
                for line in recorded_rows_lines(shown_journal, t.name):
                    log(line)
            elif rc == 130:
                raise Interrupted()
            elif rc != 0:
                failures.append(f"{t.name}: {t.exe_name} exited with {rc}")
            scripts = vendor_scripts(t, root) if vendor and gpu_here else []
            if scripts and torch_ok is None:
                torch_ok = torch_gpu_available()
            for script in scripts:
                if not torch_ok[0]:
                    log(f"[lab] {t.name}: vendor script {os.path.basename(script)} skipped: {torch_ok[1]}")
                    continue
                log(prog.line(i, f"vendor {os.path.basename(script)}"))
                src = relpath_from_root(script, root)
                vrc = run_streaming([sys.executable, src, "--journal", journal] + common, root)
                if vrc == 130:
                    raise Interrupted()
                if vrc not in (0, NO_GPU_EXIT):
                    failures.append(f"{t.name}: {src} exited with {vrc}")
            state.put(t.name, mode, time.monotonic() - started)
    except (Interrupted, KeyboardInterrupt):
        log(f"\n[lab] interrupted after {format_duration(prog.elapsed())}; the journal holds only whole rows "
            "(rows of cases that finished are kept).")
        return 130
    log(f"[lab] done in {format_duration(prog.elapsed())}: {len(topics)} topic(s), "
        f"journal {relpath_from_root(journal) if journal != '-' else 'not written (--journal -)'}")
    if no_gpu:
        log(f"[lab] no GPU for: {', '.join(no_gpu)} (CPU checks passed; timing needs an NVIDIA GPU)")
    for f in failures:
        log(f"[lab] FAILED {f}")
    if not failures and journal != "-" and not check_only and len(no_gpu) < len(topics):
        log("[lab] next: `labs/lab report` renders results/README.md and the plots from the journal")
    return 1 if failures else 0
