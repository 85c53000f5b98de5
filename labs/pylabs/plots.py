"""Plots for `lab report`, as deterministic SVG (fixed hash salt, no date), with matplotlib.

matplotlib is imported only inside the functions that draw, so the rest of `lab` works on any
python3. When the running interpreter lacks it, render_plots_any_python re-runs just this
module under /usr/bin/python3 if that one has it (Debian's python3-matplotlib), else says how
to install it and skips the plots without failing the report.

Run on its own: python3 -m pylabs.plots --journal results/journal.jsonl --out results/plots
"""
from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
from typing import Dict, List, Optional, Sequence

from . import selection as sel
from . import sweeps
from .journal import Row, gpu_name, median_ms, read_journal, workload_key

SYSTEM_PYTHON = "/usr/bin/python3"
INSTALL_HINT = ("plots skipped: matplotlib is not installed for this python3 "
                "(Debian/Ubuntu: `apt-get install python3-matplotlib`)")
ROOFLINE = "roofline.svg"
MAX_PANELS = 6
LAB_COLOR, VENDOR_COLOR = "#1f77b4", "#ff7f0e"


def bars_name(lab: str) -> str:
    return f"{lab}-bars.svg"


def speedup_name(lab: str) -> str:
    return f"{lab}-speedup-vs-m.svg"


def copy_vs_size_name(lab: str) -> str:
    return f"{lab}-copy-vs-size.svg"


def existing_plots(plots_dir: str, labs: Sequence[str]) -> Dict[str, List[str]]:
    """{lab: [its plot files], "*": [cross-topic plots]} for the files that exist."""
    out: Dict[str, List[str]] = {}
    for lab in labs:
        files = [os.path.join(plots_dir, n) for n in (bars_name(lab), speedup_name(lab), copy_vs_size_name(lab))]
        files = [f for f in files if os.path.exists(f)]
        if files:
            out[lab] = files
    roof = os.path.join(plots_dir, ROOFLINE)
    if os.path.exists(roof):
        out["*"] = [roof]
    return out


def have_matplotlib(python: Optional[str] = None) -> bool:
    if python is None:
        try:
            import matplotlib  # noqa: F401
            return True
        except ImportError:
            return False
    try:
        return subprocess.run([python, "-c", "import matplotlib"], capture_output=True,
                              timeout=60).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def render_plots_any_python(journal_path: str, plots_dir: str, log=print) -> List[str]:
    """Draws in this interpreter, or in /usr/bin/python3, or skips with one line."""
    if have_matplotlib():
        written = render_all(journal_path, plots_dir)
        log(f"[lab] wrote {len(written)} plots to {plots_dir}")
        return written
    same = os.path.realpath(SYSTEM_PYTHON) == os.path.realpath(sys.executable)
    if os.path.exists(SYSTEM_PYTHON) and not same and have_matplotlib(SYSTEM_PYTHON):
        labs_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = dict(os.environ)
        env["PYTHONPATH"] = labs_dir + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        p = subprocess.run([SYSTEM_PYTHON, "-m", "pylabs.plots", "--journal", journal_path, "--out", plots_dir],
                           cwd=labs_dir, env=env)
        if p.returncode != 0:
            log(f"[lab] plots failed under {SYSTEM_PYTHON} (exit {p.returncode}); the report is still written")
        return []
    log(f"[lab] {INSTALL_HINT}")
    return []


# ---- drawing ----------------------------------------------------------------------------

def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    matplotlib.rcParams["svg.hashsalt"] = "llm-inference-labs"  # stable ids: same data, same file
    matplotlib.rcParams["svg.fonttype"] = "path"
    matplotlib.rcParams["font.size"] = 9
    return plt


def _save(fig, path: str) -> str:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, format="svg", metadata={"Date": None}, bbox_inches="tight")
    import matplotlib.pyplot as plt
    plt.close(fig)
    return path


def _newest_gpu(rows: List[Row]) -> Optional[str]:
    measured = [r for r in rows if r["kind"] in ("lab", "vendor")]
    return gpu_name(max(measured, key=lambda r: r.line)) if measured else None


def _label(r: Row) -> str:
    return r["variant"] if r["kind"] == "lab" else f"{r['variant']} (vendor)"


def bar_panels(rows: List[Row], lab: str):
    """[(title, metric_name, [(label, value or None, kind)])] for the topic's main workloads
    on its newest GPU: cold L2 when there are cold rows, largest workloads (by bytes) first.
    Topic 00's size sweeps have their own plot (one panel per size would crowd out the rest)."""
    latest = [r for r in sel.latest(rows) if r["lab"] == lab and r["kind"] in ("lab", "vendor")
              and r["variant"] not in sweeps.SWEEP_VARIANTS]
    gpu = _newest_gpu(latest)
    if gpu is None:
        return gpu, []
    latest = [r for r in latest if gpu_name(r) == gpu]
    l2 = "cold" if any(r.get("l2") == "cold" for r in latest) else None
    if l2:
        latest = [r for r in latest if r.get("l2") == l2]
    groups = sel.group_by(latest, lambda r: workload_key(r["workload"]))
    ranked = sorted(groups.values(), key=lambda g: -max(float(r.get("bytes") or 0) for r in g))
    panels = []
    for grp in ranked[:MAX_PANELS]:
        grp = sel.order_rows(grp)
        use_pct = all(isinstance(r.get("pct_copy_bw"), (int, float)) and (r.get("bytes") or 0) > 0
                      for r in grp if sel.usable(r))
        metric = "% of measured copy bandwidth" if use_pct else "median time (ms)"
        bars = []
        for r in grp:
            value = None
            if sel.usable(r):
                value = float(r["pct_copy_bw"]) if use_pct else median_ms(r)
            bars.append((_label(r), value, r["kind"]))
        wl = grp[0]["workload"]
        title = f"{sel.workload_sizes(wl)} {wl.get('dtype', '')}" + (f" · L2 {l2}" if l2 else "")
        panels.append((title, metric, bars))
    return gpu, panels


def plot_bars(rows: List[Row], lab: str, path: str) -> Optional[str]:
    gpu, panels = bar_panels(rows, lab)
    if not panels:
        return None
    plt = _pyplot()
    heights = [0.6 + 0.28 * max(1, len(b)) for _, _, b in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(7.5, sum(heights) + 0.9),
                             gridspec_kw={"height_ratios": heights}, squeeze=False, constrained_layout=True)
    for ax, (title, metric, bars) in zip(axes[:, 0], panels):
        labels = [b[0] for b in bars][::-1]
        values = [b[1] if b[1] is not None else 0.0 for b in bars][::-1]
        colors = [LAB_COLOR if b[2] == "lab" else VENDOR_COLOR for b in bars][::-1]
        ax.barh(range(len(bars)), values, color=colors)
        ax.set_yticks(range(len(bars)))
        ax.set_yticklabels(labels)
        top = max(values) if values and max(values) > 0 else 1.0
        for i, b in enumerate(bars[::-1]):
            text = "check failed" if b[1] is None else (f"{b[1]:.1f}%" if metric.startswith("%") else f"{b[1]:.4g}")
            ax.text((b[1] or 0.0) + top * 0.01, i, text, va="center", fontsize=8)
        ax.set_xlim(0, top * 1.18)
        if metric.startswith("%"):
            ax.axvline(100.0, color="0.5", linewidth=0.8, linestyle="--")
        ax.set_title(title, fontsize=9, loc="left")
        ax.set_xlabel(metric)
    fig.suptitle(f"{lab} on {gpu} (blue: lab versions, orange: vendor)", fontsize=10)
    return _save(fig, path)


def _ceiling_rows(rows: List[Row], gpu: str):
    """Measured copy GB/s and bf16 matrix TFLOP/s from the newest 00-machine rows."""
    latest = [r for r in sel.latest(rows) if gpu_name(r) == gpu and sel.usable(r)]
    copy_gbps = peak = None
    for r in latest:
        if not r["lab"].startswith("00-"):
            continue
        v = r["variant"]
        if v.startswith("d2d-copy") and "hbm" in v and isinstance(r.get("gbps"), (int, float)):
            copy_gbps = max(copy_gbps or 0.0, float(r["gbps"]))
        if "bf16" in v and ("gemm" in v or "cublas" in v) and isinstance(r.get("tflops"), (int, float)):
            peak = max(peak or 0.0, float(r["tflops"]))
    if copy_gbps is None:
        for r in reversed(latest):
            g = (r.get("gpu") or {}).get("copy_gbps")
            if isinstance(g, (int, float)) and g > 0:
                copy_gbps = float(g)
                break
    return copy_gbps, peak


def roofline_points(rows: List[Row], gpu: str):
    pts = []
    for r in sel.latest(rows):
        if gpu_name(r) != gpu or r["kind"] not in ("lab", "vendor") or not sel.usable(r):
            continue
        if r["lab"].startswith("00-"):
            continue  # the ceilings are the roofs, not points under them
        b, f, t = r.get("bytes") or 0, r.get("flops") or 0, r.get("tflops")
        if b > 0 and f > 0 and isinstance(t, (int, float)) and t > 0:
            pts.append((r["lab"], r["kind"], f / b, float(t)))
    return pts


def plot_roofline(rows: List[Row], path: str) -> Optional[str]:
    gpu = _newest_gpu(rows)
    if gpu is None:
        return None
    bw, peak = _ceiling_rows(rows, gpu)
    pts = roofline_points(rows, gpu)
    if bw is None or (not pts and peak is None):
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 5))
    ais = [p[2] for p in pts]
    ridge = (peak * 1e3 / bw) if peak else None
    lo = min([0.05] + [a / 3 for a in ais])
    hi = max([ridge * 10 if ridge else 100.0] + [a * 3 for a in ais])
    xs = [lo * (hi / lo) ** (i / 200) for i in range(201)]
    # The roof: bandwidth-bound left of the ridge point, compute-bound right of it.
    roof = [min(bw * x / 1e3, peak) if peak else bw * x / 1e3 for x in xs]
    ax.plot(xs, roof, color="0.2", linewidth=1.4,
            label=f"measured copy bandwidth {bw:,.0f} GB/s" + (
                f", measured bf16 matrix rate {peak:,.0f} TFLOP/s (cuBLAS)" if peak else ""))
    if ridge:
        ax.axvline(ridge, color="0.6", linewidth=0.8, linestyle=":",
                   label=f"machine balance {ridge:,.0f} FLOP/byte")
    labs = sorted({p[0] for p in pts})
    cmap = plt.get_cmap("tab10")
    for i, lab in enumerate(labs):
        for kind, marker in (("lab", "o"), ("vendor", "s")):
            sub = [p for p in pts if p[0] == lab and p[1] == kind]
            if sub:
                ax.scatter([p[2] for p in sub], [p[3] for p in sub], color=cmap(i % 10), marker=marker,
                           s=22, label=f"{lab} ({kind})", zorder=3)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ymax = max([peak or 0.0] + [p[3] for p in pts] + [bw * hi / 1e3])
    ymin = min([bw * lo / 1e3] + [p[3] for p in pts])
    ax.set_ylim(ymin / 2, ymax * 2)
    ax.set_xlim(lo, hi)
    ax.set_xlabel("arithmetic intensity (FLOP per byte moved, from each row's byte and FLOP model)")
    ax.set_ylabel("achieved TFLOP/s")
    ax.set_title(f"Roofline on {gpu}: roofs from topic 00's measurements")
    ax.grid(True, which="both", linewidth=0.3)
    ax.legend(fontsize=7, loc="lower right")
    return _save(fig, path)


def _is_cublas_bf16(r: Row) -> bool:
    text = (r["variant"] + " " + str(r.get("producer", ""))).lower()
    return r["kind"] == "vendor" and "cublas" in text and (r["workload"].get("dtype") == "bf16" or "bf16" in text)


def _shape(wl: Dict) -> tuple:
    """The GEMM a row computes, whatever its weight format: (M, N, K, activation dtype)."""
    return (wl.get("M"), wl.get("N"), wl.get("K"), wl.get("dtype"))


def _vendor_for_m(lab_row: Row, vendors: List[Row]) -> Optional[Row]:
    # cuBLAS rows carry dense weights (wfmt fp16, group 0): match on the GEMM, not the format.
    same = [v for v in vendors if _shape(v["workload"]) == _shape(lab_row["workload"])]
    return same[-1] if same else None


# The two target layers (N x K): Llama-3-8B gate/up 4096->14336 and down 14336->4096.
SPEEDUP_SHAPES = ((14336, 4096), (4096, 14336))


def speedup_series(rows: List[Row], lab: str):
    """{(N, K): {variant: [(M, speedup over cuBLAS bf16)]}} for bf16 int4-sym rows and the
    PyTorch vendor rows of the newest GPU, cold L2 when present."""
    latest = [r for r in sel.latest(rows) if r["lab"] == lab and sel.usable(r) and "M" in r["workload"]]
    gpu = _newest_gpu(latest)
    if gpu is None:
        return gpu, None, {}
    latest = [r for r in latest if gpu_name(r) == gpu]
    l2 = "cold" if any(r.get("l2") == "cold" for r in latest) else (latest[0].get("l2") if latest else None)
    latest = [r for r in latest if r.get("l2") == l2 and r["workload"].get("dtype") == "bf16"]
    vendors = [r for r in latest if _is_cublas_bf16(r)]
    series: Dict = {}
    for r in latest:
        wl = r["workload"]
        shape = (wl.get("N"), wl.get("K"))
        if shape not in SPEEDUP_SHAPES or _is_cublas_bf16(r):
            continue
        if r["kind"] == "lab" and wl.get("wfmt") != "int4-sym":
            continue
        if r["kind"] == "vendor" and wl.get("wfmt") == "fp16":
            continue  # dense torch rows are the cuBLAS line again
        v = _vendor_for_m(r, vendors)
        if v is None:
            continue
        series.setdefault(shape, {}).setdefault(r["variant"], []).append(
            (float(wl["M"]), median_ms(v) / median_ms(r)))
    for per in series.values():
        for k in per:
            per[k].sort()
    return gpu, l2, series


def plot_speedup_vs_m(rows: List[Row], lab: str, path: str) -> Optional[str]:
    gpu, l2, series = speedup_series(rows, lab)
    if not series:
        return None
    plt = _pyplot()
    shapes = [s for s in SPEEDUP_SHAPES if s in series]
    fig, axes = plt.subplots(1, len(shapes), figsize=(6.5 * len(shapes), 4.5), squeeze=False)
    for ax, shape in zip(axes[0], shapes):
        for variant in sorted(series[shape], key=lambda v: sel.version_sort_key(v)):
            pts = series[shape][variant]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=variant)
        ax.axhline(1.0, color="0.3", linestyle="--", linewidth=1, label="cuBLAS bf16 (= 1)")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("M (tokens per GEMM)")
        ax.set_ylabel("speedup over cuBLAS bf16 (higher is better)")
        ax.set_title(f"K={shape[1]} -> N={shape[0]}, int4 g128, bf16")
        ax.grid(True, which="both", linewidth=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(f"{lab} on {gpu}, L2 {l2}")
    return _save(fig, path)


def copy_vs_size_data(rows: List[Row], lab: str):
    """(gpu, {sweep variant: [(bytes moved, median ms)]}, floor-empty-cold ms or None,
    measured HBM copy GB/s or None) for topic 00's sweeps on the newest GPU that has them."""
    swept = [r for r in rows if r["lab"] == lab and r["kind"] == "lab" and r["variant"] in sweeps.SWEEP_VARIANTS]
    gpu = _newest_gpu(swept)
    if gpu is None:
        return None, {}, None, None
    series = {v: sweeps.sweep_points(rows, gpu, v, lab) for v in sweeps.SWEEP_VARIANTS}
    series = {v: pts for v, pts in series.items() if pts}
    copy_gbps, _ = _ceiling_rows(rows, gpu)
    return gpu, series, sweeps.floor_ms(rows, gpu, lab), copy_gbps


def _bytes_label(b: float) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if b >= size:
            return f"{b / size:g} {unit}"
    return f"{b:g} B"


SWEEP_STYLE = {sweeps.MEMCPY_SWEEP: ("cudaMemcpyAsync", "o", LAB_COLOR),
               sweeps.KERNEL_SWEEP: ("16-byte copy kernel", "s", "#2ca02c"),
               sweeps.READ_SWEEP: ("16-byte read-only kernel (bytes read)", "^", "#9467bd")}


def plot_copy_vs_size(rows: List[Row], lab: str, path: str) -> Optional[str]:
    """Left: achieved GB/s against bytes moved, with the HBM copy ceiling. Right: time against
    bytes moved, with the empty cold kernel's time (the floor) and bytes / copy bandwidth."""
    gpu, series, floor, copy_gbps = copy_vs_size_data(rows, lab)
    if not series:
        return None
    plt = _pyplot()
    fig, (rate_ax, time_ax) = plt.subplots(1, 2, figsize=(12, 4.5), constrained_layout=True)
    xs = sorted({b for pts in series.values() for b, _ in pts})
    for variant, pts in series.items():
        label, marker, color = SWEEP_STYLE[variant]
        b = [p[0] for p in pts]
        rate_ax.plot(b, [x / (ms * 1e-3) / 1e9 for x, ms in pts], marker=marker, color=color, label=label)
        time_ax.plot(b, [ms * 1e3 for _, ms in pts], marker=marker, color=color, label=label)
    if copy_gbps:
        rate_ax.axhline(copy_gbps, color="0.4", linestyle="--", linewidth=0.9,
                        label=f"measured HBM copy ceiling {copy_gbps:,.0f} GB/s")
        # The time a copy would take with no fixed cost at all: bytes at the ceiling's rate.
        time_ax.plot(xs, [x / (copy_gbps * 1e9) * 1e6 for x in xs], color="0.4", linestyle=":", linewidth=1,
                     label="bytes / HBM copy ceiling (no fixed cost)")
    if floor:
        time_ax.axhline(floor * 1e3, color="#d62728", linestyle="--", linewidth=0.9,
                        label=f"one empty kernel, cold: {floor * 1e3:.2f} µs (floor-empty-cold)")
    ticks = xs[::2] if len(xs) > 7 else xs
    for ax in (rate_ax, time_ax):
        ax.set_xscale("log", base=2)
        ax.set_xticks(ticks)
        ax.set_xticklabels([_bytes_label(t) for t in ticks], rotation=30, ha="right")
        ax.minorticks_off()
        ax.set_xlabel("bytes moved per sample (copy: read + write = 2 x buffer; read kernel: bytes read)")
        ax.grid(True, which="both", linewidth=0.3)
        ax.legend(fontsize=7, loc="upper left")
    rate_ax.set_ylabel("achieved GB/s (bytes moved / median time)")
    top = max([copy_gbps or 0.0] + [b / (ms * 1e-3) / 1e9 for pts in series.values() for b, ms in pts])
    rate_ax.set_ylim(0, top * 1.08)
    rate_ax.set_title("rate against size, cold L2", fontsize=9, loc="left")
    time_ax.set_yscale("log")
    # Down to half the fastest measured time (or the floor): the no-fixed-cost line runs on
    # below that, and showing it there would squash the measured part.
    low = min([ms for pts in series.values() for _, ms in pts] + ([floor] if floor else []))
    time_ax.set_ylim(bottom=low * 1e3 / 2)
    time_ax.set_ylabel("median time (µs)")
    time_ax.set_title("time against size, cold L2", fontsize=9, loc="left")
    fig.suptitle(f"{lab}: device copy against size on {gpu}")
    return _save(fig, path)


def render_all(journal_path: str, plots_dir: str) -> List[str]:
    rows = read_journal(journal_path)
    written: List[str] = []
    labs = sorted({r["lab"] for r in rows})
    for lab in labs:
        p = plot_bars(rows, lab, os.path.join(plots_dir, bars_name(lab)))
        if p:
            written.append(p)
        if lab.startswith("04-"):
            p = plot_speedup_vs_m(rows, lab, os.path.join(plots_dir, speedup_name(lab)))
            if p:
                written.append(p)
        if lab.startswith("00-"):
            p = plot_copy_vs_size(rows, lab, os.path.join(plots_dir, copy_vs_size_name(lab)))
            if p:
                written.append(p)
    p = plot_roofline(rows, os.path.join(plots_dir, ROOFLINE))
    if p:
        written.append(p)
    return written


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m pylabs.plots", description="Draw the report's SVG plots.")
    ap.add_argument("--journal", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    written = render_all(a.journal, a.out)
    print(f"[lab] wrote {len(written)} plots to {a.out} (with {sys.executable})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
