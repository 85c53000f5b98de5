"""Which rows to show and what to compare them with: the latest row per (lab, GPU, kind,
variant, workload, L2 mode), the naive baseline (v0) and the best vendor row for a row, and
the speedups. Shared by report, compare and plots so they can never disagree."""
from __future__ import annotations

import re
from collections import OrderedDict
from typing import Dict, Iterable, List, Optional, Tuple

from .journal import Row, check_passed, gpu_name, median_ms, workload_key
from .topics import version_sort_key

BASELINE_VARIANT = "v0"
_KIND_ORDER = {"lab": 0, "vendor": 1, "published": 2}
_L2_ORDER = {"cold": 0, "warm": 1}


def row_key(r: Row) -> Tuple:
    return (r["lab"], gpu_name(r), r["kind"], r["variant"], workload_key(r["workload"]), r.get("l2"))


def latest(rows: Iterable[Row]) -> List[Row]:
    """The last row in journal order for each key (the journal is append-only, so the last
    line is the newest measurement); returned in order of each key's first appearance."""
    by_key: "OrderedDict[Tuple, Row]" = OrderedDict()
    for r in rows:
        by_key[row_key(r)] = r  # replacing a value keeps the key's first position
    return list(by_key.values())


def usable(r: Row) -> bool:
    """A row whose numbers may be shown: its check passed and it has a positive median.
    Published rows are not checked by us; only an explicit failure hides them."""
    if r["kind"] == "published":
        return (r.get("check") or {}).get("pass") is not False and median_ms(r) is not None
    return check_passed(r) and median_ms(r) is not None


def group_by(rows: Iterable[Row], key) -> "OrderedDict":
    out: "OrderedDict" = OrderedDict()
    for r in rows:
        out.setdefault(key(r), []).append(r)
    return out


def order_rows(rows: List[Row]) -> List[Row]:
    """Workloads in order of first appearance (the lab's own order), then cold before warm,
    lab versions in natural order, then vendors, then published."""
    first_seen: Dict[str, int] = {}
    for r in sorted(rows, key=lambda r: r.line):
        first_seen.setdefault(workload_key(r["workload"]), len(first_seen))
    return sorted(rows, key=lambda r: (first_seen[workload_key(r["workload"])],
                                       _L2_ORDER.get(r.get("l2"), 2),
                                       _KIND_ORDER.get(r["kind"], 3),
                                       version_sort_key(r["variant"]) if r["kind"] == "lab" else (1, 0, r["variant"])))


def _same_setting(a: Row, b: Row) -> bool:
    return (a["lab"] == b["lab"] and gpu_name(a) == gpu_name(b)
            and workload_key(a["workload"]) == workload_key(b["workload"]) and a.get("l2") == b.get("l2"))


def baseline_for(r: Row, pool: List[Row]) -> Optional[Row]:
    """The naive baseline: the latest passing v0 lab row on the same lab, GPU, workload, L2."""
    for b in reversed(pool):
        if b["kind"] == "lab" and b["variant"] == BASELINE_VARIANT and _same_setting(r, b) and usable(b):
            return b
    return None


def best_vendor_for(r: Row, pool: List[Row]) -> Optional[Row]:
    """The fastest passing vendor row on the same lab, GPU, workload and L2 mode."""
    best = None
    for v in pool:
        if v["kind"] == "vendor" and _same_setting(r, v) and usable(v):
            if best is None or median_ms(v) < median_ms(best):
                best = v
    return best


def best_lab_for(setting: Row, pool: List[Row]) -> Optional[Row]:
    best = None
    for v in pool:
        if v["kind"] == "lab" and _same_setting(setting, v) and usable(v):
            if best is None or median_ms(v) < median_ms(best):
                best = v
    return best


def speedup(reference: Optional[Row], r: Row) -> Optional[float]:
    """reference time / this time: 8.0 means this row is 8x faster than the reference."""
    if reference is None or not usable(r) or not usable(reference):
        return None
    return median_ms(reference) / median_ms(r)


def workload_sizes(workload: Dict) -> str:
    """"rows=16384 cols=14336" (everything but the dtype)."""
    return " ".join(f"{k}={_plain(v)}" for k, v in workload.items() if k != "dtype") or "—"


def _plain(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def matches_filters(workload: Dict, filters: Dict[str, str]) -> bool:
    for k, want in filters.items():
        if k not in workload or _plain(workload[k]) != want:
            return False
    return True


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"
