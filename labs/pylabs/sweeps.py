"""Topic 00's copy-size sweeps and timing floor, read from the journal.

lab-00-machine writes one cold row per buffer size for `d2d-copy-sweep` (cudaMemcpyAsync) and
`d2d-copy-kernel-sweep` (our 16-byte copy kernel) and `read-kernel-sweep` (a kernel that only
reads, the ceiling of read-bound labs), and one row for `floor-empty-cold` (one empty
kernel, L2 flushed). From them: the points of the copy-vs-size plot, and the time a plain device
copy takes to move as many bytes as a given lab row, so a short kernel can be judged against a
copy of its own size instead of the 2 GiB copy's rate.

Pure functions of journal rows; no matplotlib here.
"""
from __future__ import annotations

import math
from typing import Dict, List, Optional, Tuple

from . import selection as sel
from .journal import Row, gpu_name, median_ms

MEMCPY_SWEEP = "d2d-copy-sweep"
KERNEL_SWEEP = "d2d-copy-kernel-sweep"
READ_SWEEP = "read-kernel-sweep"  # bytes moved = bytes read (1 x buffer): the read-bound labs' ceiling
SWEEP_VARIANTS = (MEMCPY_SWEEP, KERNEL_SWEEP, READ_SWEEP)
FLOOR_COLD = "floor-empty-cold"


def _machine_rows(rows: List[Row], gpu: str, variant: str, lab: Optional[str]) -> List[Row]:
    """The newest passing cold lab rows of `variant` on `gpu`, from `lab` or any topic-00 lab."""
    out = []
    for r in sel.latest(rows):
        in_lab = r["lab"] == lab if lab else r["lab"].startswith("00-")
        if (in_lab and r["kind"] == "lab" and r["variant"] == variant and r.get("l2") == "cold"
                and gpu_name(r) == gpu and sel.usable(r)):
            out.append(r)
    return out


def sweep_points(rows: List[Row], gpu: str, variant: str = MEMCPY_SWEEP,
                 lab: Optional[str] = None) -> List[Tuple[float, float]]:
    """[(bytes moved, median ms)] in increasing bytes: the newest passing cold row per size.
    Bytes moved is the row's byte model (2 x buffer for a copy), the quantity every lab's
    byte model counts."""
    newest: Dict[float, Row] = {}
    for r in _machine_rows(rows, gpu, variant, lab):
        b = r.get("bytes")
        if isinstance(b, bool) or not isinstance(b, (int, float)) or not b > 0:
            continue
        b = float(b)
        if b not in newest or r.line > newest[b].line:
            newest[b] = r
    return sorted((b, median_ms(r)) for b, r in newest.items())


def floor_ms(rows: List[Row], gpu: str, lab: Optional[str] = None) -> Optional[float]:
    """The median of the newest passing `floor-empty-cold` row on `gpu`: what the harness
    reports, cold, for a kernel that does nothing."""
    found = _machine_rows(rows, gpu, FLOOR_COLD, lab)
    return median_ms(max(found, key=lambda r: r.line)) if found else None


def _interpolate_loglog(points: List[Tuple[float, float]], x: float) -> Optional[float]:
    """y at x on the piecewise-linear curve through `points` in log-log space; None outside."""
    if not points or not (x > 0 and math.isfinite(x)) or x < points[0][0] or x > points[-1][0]:
        return None
    for bx, by in points:
        if bx == x:
            return by  # a measured size: its own time, not a rounding of it
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if x0 < x < x1:
            f = (math.log(x) - math.log(x0)) / (math.log(x1) - math.log(x0))
            return math.exp(math.log(y0) + f * (math.log(y1) - math.log(y0)))
    return None


def copy_time_at_bytes(rows: List[Row], gpu: str, bytes_moved: float) -> Optional[float]:
    """Milliseconds a cudaMemcpyAsync device copy takes to move `bytes_moved` bytes (read +
    write) on `gpu`, cold L2: log-log linear interpolation between the newest
    `d2d-copy-sweep` rows. None with no such rows or outside the sizes they measured (the
    sweep's ends are not extrapolated: below the smallest size the floor dominates, above the
    largest the 2 GiB copy row is the better reference)."""
    return _interpolate_loglog(sweep_points(rows, gpu, MEMCPY_SWEEP), bytes_moved)


def read_time_at_bytes(rows: List[Row], gpu: str, bytes_read: float) -> Optional[float]:
    """Milliseconds topic 00's read-only kernel takes to read `bytes_read` bytes on `gpu`, cold
    L2: log-log linear interpolation between the newest `read-kernel-sweep` rows (its power-of-two
    sizes and any `--sweep-kib` size measured). None outside the measured sizes or without rows.
    The ceiling a read-bound kernel (decode attention, weight-only GEMV) is judged against."""
    return _interpolate_loglog(sweep_points(rows, gpu, READ_SWEEP), bytes_read)
