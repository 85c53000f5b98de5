#!/usr/bin/env python3
"""Topic 00 vendor rows: PyTorch's tensor copy, dst.copy_(src), on lab-00-machine's copy workloads.

Variants (same workload objects as the lab's d2d-copy-hbm and d2d-copy-l2 rows):
  torch-copy-hbm  dst.copy_(src), 2 x 2 GiB fp32 buffers (--quick: 256 MiB), cold L2
  torch-copy-l2   32 x dst.copy_(src) per sample on buffers of L2/6 (rounded down to MiB), warm L2
Byte model: bytes read + bytes written, as the lab. The issue's target: the lab's measured
copy bandwidth within 3% of PyTorch's (`labs/lab compare 00`).
Check: the destination is poisoned (NaN) before the copy and must equal the source exactly.

    python3 scripts/vendor/00_torch_copy.py --journal results/journal.jsonl   (~10 s on an H200)
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from vendor_harness import VendorSession  # noqa: E402

LAB = "00-machine"
L2_REPEATS = 32  # as lab-00-machine --l2-repeats default


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--journal", default=None, help="journal to append to ('-' = print only)")
    p.add_argument("--quick", action="store_true", help="256 MiB buffers, few samples")
    p.add_argument("--check-only", action="store_true", help="check correctness only: no timing, no rows")
    return p.parse_args()


def exact_check(torch, dst, src):
    """The check dict of an exact compare, in the harness's shape."""
    n_bad = int((dst != src).sum().item())  # NaN (the poison) compares unequal
    return {"pass": n_bad == 0, "max_abs": 0.0 if n_bad == 0 else 1e9, "max_rel": 0.0,
            "tol_used": 0.0 if n_bad == 0 else 1e9, "n": int(src.numel()), "n_bad": n_bad,
            "n_nonfinite": int((~torch.isfinite(dst)).sum().item()), "atol": 0.0, "rtol": 0.0,
            "note": "exact compare of destination and source on the GPU"}


def main() -> int:
    args = parse_args()
    import torch

    s = VendorSession(lab=LAB, journal=args.journal, quick=args.quick)
    producer = f"torch {torch.__version__} (CUDA {torch.version.cuda}): Tensor.copy_"
    l2_bytes = s.l2_bytes()
    l2_buffer = max(1, (l2_bytes // 6) >> 20) << 20  # lab-00-machine's default --l2-mib
    hbm_buffer = (256 if args.quick else 2048) << 20
    cases = [
        ("torch-copy-hbm", hbm_buffer, 1, "cold"),
        ("torch-copy-l2", l2_buffer, L2_REPEATS, "warm"),
    ]
    for variant, nbytes, repeats, l2 in cases:
        src = torch.empty(nbytes // 4, dtype=torch.float32, device="cuda").uniform_(-1, 1)
        dst = torch.full_like(src, float("nan"))

        def fn(dst=dst, src=src, repeats=repeats):
            for _ in range(repeats):
                dst.copy_(src)

        fn()
        torch.cuda.synchronize()
        chk = exact_check(torch, dst, src)
        workload = {"op": "d2d-copy", "bytes_per_buffer": nbytes, "dtype": "fp32"}
        if repeats > 1:
            workload["repeats"] = repeats
        if not chk["pass"] or args.check_only:
            if chk["pass"]:
                print(f"ok   {variant}: destination equals source ({nbytes >> 20} MiB)")
                continue
            s.append(variant=variant, producer=producer, workload=workload, l2=l2,
                     time_ms={"median": 0, "p10": 0, "p90": 0, "min": 0, "n": 0}, bytes=0, flops=0, check=chk)
            continue
        launches = s.count_kernels(fn)
        t = s.time(fn, l2=l2)
        dst.fill_(float("nan"))
        fn()
        torch.cuda.synchronize()
        after = exact_check(torch, dst, src)  # the data is still right after timing
        s.append(variant=variant, producer=producer, workload=workload, l2=l2, time_ms=t,
                 bytes=2.0 * nbytes * repeats, flops=0, check=after, launches=launches,
                 extra={"method": "Tensor.copy_ between contiguous fp32 tensors on one device",
                        "l2_bytes": l2_bytes})
        del src, dst
        torch.cuda.empty_cache()
    return s.finish()


if __name__ == "__main__":
    sys.exit(main())
