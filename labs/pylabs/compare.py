"""`lab compare <topic>`: ours vs vendor vs published, side by side per workload.

Per (GPU, workload, L2 mode): the best lab version, every vendor variant and the published
figures for that workload, each with its time, bandwidth and its ratio to our best
(other time / our time: above 1 means ours is faster)."""
from __future__ import annotations

from typing import Dict, List, Sequence

from . import selection as sel
from . import sweeps
from .journal import Row, gpu_name, median_ms, workload_key
from .report import fmt_check, fmt_ms, fmt_num, fmt_tflops
from .topics import UsageError


def parse_filters(items: Sequence[str], rows: List[Row]) -> Dict[str, str]:
    """["M=16", "dtype=bf16"] -> {"M": "16", "dtype": "bf16"}; unknown keys are a usage error."""
    keys = sorted({k for r in rows for k in r["workload"]})
    out: Dict[str, str] = {}
    for it in items:
        if "=" not in it:
            raise UsageError(f"--workload: expected key=value, got '{it}' (keys: {', '.join(keys) or 'none'})")
        k, v = it.split("=", 1)
        if keys and k not in keys:
            raise UsageError(f"--workload: unknown key '{k}' (valid: {', '.join(keys)})")
        out[k] = v
    return out


def _table(header: Sequence[str], body: List[Sequence[str]]) -> List[str]:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *body)]
    fmt = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return [fmt(header), fmt(["-" * w for w in widths])] + [fmt(b) for b in body]


# Topics whose kernels read their bytes and write almost nothing (decode attention: the KV cache;
# W4A16: the weights): for them a same-size *read* is the fair ceiling, so each workload gets a
# line with topic 00's read-kernel-sweep time at its bytes. A copy or a read+write kernel (GELU)
# would be judged against the wrong yardstick, so other topics get no such line.
READ_BOUND_LABS = ("02-", "04-")


def read_ceiling_line(rows: List[Row], gpu: str, best: Row) -> List[str]:
    """["  a pure read of these bytes ... ours runs at N% of its speed"], or [] where it does not apply
    (not a read-bound topic, not cold, no usable row or byte model, no read sweep covering the size)."""
    if best is None or not best["lab"].startswith(READ_BOUND_LABS) or best.get("l2") != "cold" or not sel.usable(best):
        return []
    b = best.get("bytes")
    if isinstance(b, bool) or not isinstance(b, (int, float)) or not b > 0:
        return []
    read_ms = sweeps.read_time_at_bytes(rows, gpu, float(b))
    if read_ms is None:
        return []
    return [f"  a pure read of these {b / 1e6:,.1f} MB, cold, takes {read_ms * 1e3:.2f} µs (topic 00's "
            f"read-kernel-sweep, log-log interpolated): ours runs at {100.0 * read_ms / median_ms(best):.0f}% "
            f"of its speed"]


HEADER = ("role", "variant", "producer / source", "median ms", "p10–p90", "GB/s", "% copy", "TFLOP/s",
          "check", "other/ours")


def _cells(role: str, r: Row, ours: Row = None) -> List[str]:
    who = r.get("producer") or r.get("source") or ("this repo" if r["kind"] == "lab" else "")
    if r["kind"] == "published":
        who = f"{who} [{gpu_name(r)}]"
    if not sel.usable(r):
        return [role, r["variant"], who, "check failed", "—", "—", "—", "—", fmt_check(r), "—"]
    tm = r["time_ms"]
    if r is ours:
        ratio = "1.00×"
    elif ours is not None and sel.usable(ours):
        ratio = f"{median_ms(r) / median_ms(ours):.2f}×"
    else:
        ratio = "—"
    return [role, r["variant"], who, fmt_ms(median_ms(r)), f"{fmt_ms(tm.get('p10'))}–{fmt_ms(tm.get('p90'))}",
            fmt_num(r.get("gbps")), fmt_num(r.get("pct_copy_bw"), 1, "%"),
            fmt_tflops(r.get("tflops")) if (r.get("flops") or 0) > 0 else "—", fmt_check(r), ratio]


def compare_lines(rows: List[Row], lab: str, filters: Dict[str, str]) -> List[str]:
    latest = [r for r in sel.latest(rows) if r["lab"] == lab and sel.matches_filters(r["workload"], filters)]
    measured = [r for r in latest if r["kind"] in ("lab", "vendor")]
    published = [r for r in latest if r["kind"] == "published"]
    if not measured and not published:
        what = f" matching {' '.join(f'{k}={v}' for k, v in filters.items())}" if filters else ""
        return [f"no rows for {lab}{what} in the journal: run `labs/lab run {lab}` (and its vendor script)"]
    lines: List[str] = []
    shown_published = set()
    settings = sel.group_by(sel.order_rows(measured),
                            lambda r: (gpu_name(r), workload_key(r["workload"]), r.get("l2")))
    for (gpu, wkey, l2), grp in settings.items():
        wl = grp[0]["workload"]
        best = sel.best_lab_for(grp[0], grp)
        body = []
        if best is not None:
            body.append(_cells("ours (best)", best, best))
        elif any(r["kind"] == "lab" for r in grp):
            body.append(["ours (best)", "—", "", "check failed", "—", "—", "—", "—", "check failed", "—"])
        for v in sorted((r for r in grp if r["kind"] == "vendor"), key=lambda r: r["variant"]):
            body.append(_cells("vendor", v, best))
        pubs = [p for p in published if workload_key(p["workload"]) == wkey]
        for p in pubs:
            body.append(_cells("published", p, best))
            shown_published.add(id(p))
        lines += [f"{lab} · {gpu} · {sel.workload_sizes(wl)} {wl.get('dtype', '')} · L2 {l2}"]
        lines += ["  " + l for l in _table(HEADER, body)]
        lines += read_ceiling_line(rows, gpu, best) + [""]
    rest = [p for p in published if id(p) not in shown_published]
    if rest:
        lines += [f"{lab} · published figures for workloads not measured here"]
        body = [_cells("published", p) for p in rest]
        lines += ["  " + l for l in _table(HEADER, body)] + [""]
    lines.append("other/ours = that row's median time / our best version's (above 1: ours is faster). "
                 "Published rows ran on the hardware in brackets, not on this GPU.")
    return lines
