"""Clearly fake journal rows for the tests: lab "99-fixture" (plus "00-fixture-machine" and
"04-fixture-w4a16" for the roofline and speedup plots), GPU "Fixture GPU". Never written to
results/: tests write them to temporary folders only."""
import copy
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pylabs import journal  # noqa: E402

FIXTURE_GPU = {"name": "Fixture GPU", "cc": "9.0", "sms": 100, "copy_gbps": 1000.0}


def row(variant="v0", median=1.0, p10=None, p90=None, lab="99-fixture", kind="lab", workload=None,
        l2="cold", bytes_=1.0e9, flops=0.0, passed=True, run="20000101T000000Z-f1x0", **extra):
    """One fake row; gbps and % are computed from the fake numbers so they are consistent."""
    workload = {"rows": 1000, "cols": 3072, "dtype": "bf16"} if workload is None else workload
    p10 = median * 0.98 if p10 is None else p10
    p90 = median * 1.02 if p90 is None else p90
    gbps = bytes_ / (median * 1e-3) / 1e9
    r = {
        "schema": 1, "run": run, "time": "2000-01-01T00:00:00Z", "lab": lab, "variant": variant,
        "kind": kind, "workload": dict(workload), "l2": l2,
        "time_ms": {"median": median, "p10": p10, "p90": p90, "min": p10, "n": 20},
        "bytes": bytes_, "flops": flops, "gbps": gbps,
        "tflops": flops / (median * 1e-3) / 1e12,
        "pct_copy_bw": 100.0 * gbps / FIXTURE_GPU["copy_gbps"], "pct_datasheet_bw": None,
        "check": {"pass": passed, "max_abs": 0.001, "tol_used": 0.25},
        "launches": 1, "gpu": copy.deepcopy(FIXTURE_GPU),
        "build": {"commit": "0123456789abcdef", "dirty": False},
        "cmd": f"build/cuda/topics/{lab}/lab-{lab} --variant {variant} --l2 {l2}",
        "profile": {"ncu": "ncu ...", "nsys": "nsys ..."},
    }
    if kind == "vendor":
        r["producer"] = "fixture-torch 0.0"
        r["cmd"] = "python3 scripts/vendor/99_fixture.py"
    if kind == "published":
        r["source"] = "Fixture et al., a made-up paper"
        r["gpu"] = {"name": "Fixture Published GPU", "cc": None, "sms": None, "copy_gbps": None}
    r.update(extra)
    return r


SMALL = {"rows": 1000, "cols": 3072, "dtype": "bf16"}
BIG = {"rows": 16384, "cols": 14336, "dtype": "bf16"}
FAILED_SENTINEL_MS = 0.777777  # a failed row's time: must never appear on a page


def fixture_rows():
    rows = []
    for wl, scale in ((SMALL, 1.0), (BIG, 50.0)):
        b = 1.0e9 * scale
        rows.append(row("v0", 8.0 * scale, workload=wl, launches=9, bytes_=b))
        rows.append(row("v1", 6.0 * scale, workload=wl, bytes_=b))
        rows.append(row("v2", FAILED_SENTINEL_MS, workload=wl, passed=False, bytes_=b))
        rows.append(row("v3", 1.0 * scale, workload=wl, bytes_=b))
        rows.append(row("torch-gelu", 2.0 * scale, kind="vendor", workload=wl, bytes_=b))
        rows.append(row("torch-unfused", 4.0 * scale, kind="vendor", workload=wl, launches=None, bytes_=b))
    rows.append(row("v3", 1.5, workload=SMALL, l2="warm"))
    rows.append(row("paper-kernel", 3.0, kind="published", workload=SMALL))
    # a newer measurement of v3 small cold: the report must show this one, not the older one
    rows.append(row("v3", 0.5, workload=SMALL, run="20000102T000000Z-f1x1"))
    # ceilings and a GEMM-like topic for the roofline and speedup plots
    rows.append(row("d2d-copy-hbm", 2.0, lab="00-fixture-machine", workload={"bytes": 2000000000, "dtype": "fp32"},
                    bytes_=2.0e9))
    rows.append(row("cublas-bf16-gemm", 1.0, lab="00-fixture-machine", kind="vendor",
                    workload={"M": 8192, "N": 8192, "K": 8192, "dtype": "bf16"}, bytes_=4e8, flops=2 * 8192.0 ** 3))
    for m in (1, 16, 256):
        # int4 lab rows and dense cuBLAS rows differ in format keys but compute the same GEMM.
        wl = {"M": m, "N": 14336, "K": 4096, "dtype": "bf16"}
        rows.append(row("v1", 0.02 * (1 + m / 64), lab="04-fixture-w4a16", workload=dict(wl, wfmt="int4-sym", group=128),
                        bytes_=8.4e6, flops=2.0 * m * 4096 * 14336))
        rows.append(row("cublas-bf16", 0.04 * (1 + m / 128), lab="04-fixture-w4a16", kind="vendor",
                        workload=dict(wl, wfmt="fp16", group=0), bytes_=3.3e7, flops=2.0 * m * 4096 * 14336))
    return rows


def write_journal(path, rows):
    for r in rows:
        journal.append_row(path, r)
    return path
