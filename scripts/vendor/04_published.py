#!/usr/bin/env python3
"""Topic 04 published figures: rows of kind "published" with their citation and hardware.

The issue asks for Marlin's H100 figure ("~2.2x on H100 at n = k = 8192"). The citable text
form found is a third-party benchmark table in a pull request of inclusionAI/humming:

  "Device: H100; Problem: dense n8192 k8192 channelwise; Activation Type: float16;
   Metric: TFLOPS" with rows shape_m = 1, 2, 4 for torch-w16a16 and marlin-w4a16.

The TFLOPS below are copied as printed there; nothing here was measured by this project. The
times in the rows are DERIVED by this script (2 M N K / TFLOPS) so that `lab compare 04` can
show them; the row says so. Differences from this lab's rows, so they are never mixed:
channelwise INT4 (one scale per output row, "group" 0) where ours use groups of 128; fp16
activations; an H100 whose variant (SXM or PCIe) the source does not state; the source's L2
state is not stated ("unknown"). The Marlin it benchmarks is the one that PR's harness calls,
most likely vLLM's fork; the PR does not say.

Not included: Marlin's "3.87x" on an A10 (a byte ratio, in its README, not a measured time),
and FlashInfer's decode bandwidth (topic 02; its blog says only "close to 100% for long
sequences", and the numbers are in images).

    python3 scripts/vendor/04_published.py --journal results/journal.jsonl
"""
from __future__ import annotations

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "labs"))
from pylabs import journal as J  # noqa: E402

LAB = "04-w4a16"
SOURCE = ("https://github.com/inclusionAI/humming/pull/2 (\"Add H100 benchmark results\", description table, "
          "2026-03-24; details linked there: benchmarks/results/h100/dense_n8192_k8192_g0)")
GPU = {"name": "NVIDIA H100 (published; SXM or PCIe not stated; not measured here)", "cc": "9.0", "sms": None,
       "copy_gbps": None}
N = K = 8192

# (variant, weight format in this lab's words, {M: TFLOPS as printed})
FIGURES = [
    ("h100-humming-pr2-marlin-w4a16", "int4-channelwise", {1: 4.98, 2: 10.02, 4: 19.85}),
    ("h100-humming-pr2-torch-w16a16", "fp16", {1: 2.30, 2: 4.63, 4: 9.26}),
]


def model_bytes(wfmt: str, m: int) -> float:
    """This lab's byte model (w4a16.hpp) for channelwise INT4 (one fp16 scale per row) or fp16."""
    weights = N * K / 2 + 2.0 * N if wfmt == "int4-channelwise" else 2.0 * N * K
    return weights + 2.0 * m * K + 2.0 * m * N


def main() -> int:
    ap = argparse.ArgumentParser(description="append topic 04's published figures to the journal")
    ap.add_argument("--journal", default=None, help="journal to append to (omitted or '-': print only)")
    ap.add_argument("--quick", action="store_true", help="accepted for symmetry with the other scripts")
    ap.add_argument("--check-only", action="store_true", help="validate the rows, write nothing")
    args = ap.parse_args()
    journal = None if args.check_only or args.journal in (None, "", "-") else args.journal
    run = J.new_run_id()
    count = 0
    for variant, wfmt, by_m in FIGURES:
        for m, tflops in by_m.items():
            flops = 2.0 * m * N * K
            ms = flops / (tflops * 1e12) * 1e3  # derived from the printed TFLOPS
            b = model_bytes(wfmt, m)
            gbps = b / (ms * 1e-3) / 1e9
            row = {
                "schema": J.SCHEMA, "run": run, "time": J.now_utc_iso(), "lab": LAB, "variant": variant,
                "kind": "published", "source": SOURCE,
                "workload": {"M": m, "N": N, "K": K, "group": 0, "dtype": "fp16", "wfmt": wfmt},
                "l2": "unknown",
                "time_ms": {"median": ms, "p10": None, "p90": None, "min": None, "n": None},
                "bytes": b, "flops": flops, "gbps": gbps, "tflops": tflops,
                "pct_copy_bw": None, "pct_datasheet_bw": None,
                "check": {"pass": None, "note": "not checked by this project"},
                "launches": None, "gpu": dict(GPU), "build": {"commit": "published", "dirty": False},
                "cmd": "python3 scripts/vendor/04_published.py", "profile": {},
                "note": f"TFLOPS {tflops} as printed; time_ms derived as 2*M*N*K/TFLOPS by this script",
            }
            J.validate_row(row)
            if journal:
                J.append_row(journal, row)
            count += 1
            print(f"{variant:<32} M={m}  {tflops:6.2f} TFLOP/s (printed) -> {ms * 1e3:7.2f} us (derived)  [{GPU['name']}]")
    print(f"[published] {LAB}: {count} rows {'appended to ' + journal if journal else 'not written'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
