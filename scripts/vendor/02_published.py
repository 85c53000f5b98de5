#!/usr/bin/env python3
"""Topic 02 published figures: rows of kind "published" with their citation and hardware.

Every number below was read from the cited document (the commit is pinned in the URL) and is
copied as printed there; nothing here was measured by this project. They ran on an RTX 4090
(sm_89, 1008 GB/s datasheet, 72 MB L2), fp16, Llama-3-8B heads (32 query heads, 8 KV heads,
head_dim 128), batch 8, KV length 4096: the same workload object as this lab's fp16 rows at
B = 8, S = 4096, so `lab compare 02` shows them beside ours (on different hardware).

Not included: FlashInfer's reported % of peak bandwidth on H100. The issue asks for it, but no
figure could be found and verified against a primary source while writing this script, so it
is left out rather than quoted from memory.

    python3 scripts/vendor/02_published.py --journal results/journal.jsonl
"""
from __future__ import annotations

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "labs"))
from pylabs import journal as J  # noqa: E402

LAB = "02-decode-attention"
REPO = "https://github.com/bundle-adjuster/llm-inference-kernels/blob/52408c68d93e7267889a9f66bdadf4d57beb3ca2"
SRC_05 = f"{REPO}/docs/05-baseline-correction-journey.md (Step 4 table)"
SRC_06 = f"{REPO}/docs/06-attention-splitk-journey.md (result table)"
GPU = {"name": "NVIDIA GeForce RTX 4090 (published; not measured here)", "cc": "8.9", "sms": 128,
       "copy_gbps": None, "datasheet_gbps": 1008.0, "l2_note": "72 MB L2 as stated by the source"}

WORKLOAD = {"B": 8, "Hq": 32, "Hkv": 8, "D": 128, "S": 4096, "S_alloc": 4096, "dtype": "fp16",
            "layout": "contiguous"}

# (variant, median microseconds as printed, source, what it is)
FIGURES = [
    ("4090-journey-sdpa-expanded-gqa", 1367.0, SRC_05,
     "PyTorch SDPA fed a 4x-expanded (repeat_kv) GQA cache: the unfair baseline behind '1.91x faster'"),
    ("4090-journey-sdpa-enable-gqa", 157.7, SRC_05,
     "PyTorch SDPA with enable_gqa=True (flash split-KV): the fair baseline"),
    ("4090-journey-v3-one-warp", 717.8, SRC_05,
     "their v3: one 32-thread warp per (batch, head), grid batch x heads; 4.55x slower than fair SDPA"),
    ("4090-journey-v6-splitk", 155.6, SRC_06,
     "their v6: split-K with 4-warp blocks and a separate combine kernel"),
]


def model_bytes(w) -> float:
    e = 2.0
    return 2.0 * w["B"] * w["Hkv"] * w["S"] * w["D"] * e + 2.0 * w["B"] * w["Hq"] * w["D"] * e


def model_flops(w) -> float:
    return 4.0 * w["B"] * w["Hq"] * w["S"] * w["D"]


def main() -> int:
    ap = argparse.ArgumentParser(description="append topic 02's published figures to the journal")
    ap.add_argument("--journal", default=None, help="journal to append to (omitted or '-': print only)")
    ap.add_argument("--quick", action="store_true", help="accepted for symmetry with the other scripts")
    ap.add_argument("--check-only", action="store_true", help="validate the rows, write nothing")
    args = ap.parse_args()
    journal = None if args.check_only or args.journal in (None, "", "-") else args.journal
    run = J.new_run_id()
    for variant, us, source, note in FIGURES:
        ms = us / 1000.0
        b, f = model_bytes(WORKLOAD), model_flops(WORKLOAD)
        gbps = b / (ms * 1e-3) / 1e9
        row = {
            "schema": J.SCHEMA, "run": run, "time": J.now_utc_iso(), "lab": LAB, "variant": variant,
            "kind": "published", "source": source, "workload": dict(WORKLOAD),
            "l2": "warm",  # the source times 100 back-to-back iterations without flushing
            "time_ms": {"median": ms, "p10": None, "p90": None, "min": None, "n": None},
            "bytes": b, "flops": f, "gbps": gbps, "tflops": f / (ms * 1e-3) / 1e12,
            "pct_copy_bw": None, "pct_datasheet_bw": 100.0 * gbps / GPU["datasheet_gbps"],
            "check": {"pass": None, "note": "not checked by this project; the source gates at max|diff| <= 2e-2"},
            "launches": None, "gpu": dict(GPU), "build": {"commit": "published", "dirty": False},
            "cmd": "python3 scripts/vendor/02_published.py", "profile": {}, "note": note,
        }
        J.validate_row(row)
        if journal:
            J.append_row(journal, row)
        print(f"{variant:<34} {ms:8.4f} ms  {gbps:7.1f} GB/s  [{GPU['name']}]  {source}")
    print(f"[published] {LAB}: {len(FIGURES)} rows {'appended to ' + journal if journal else 'not written'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
