#!/usr/bin/env python3
"""Topic 01 vendor rows: PyTorch's tanh-approximation GELU on the lab's workloads.

Variants (same workload objects as lab-01-fused-gelu, so `lab report` / `lab compare` match
them with v0..v4):
  torch-gelu-tanh     torch.nn.functional.gelu(x, approximate="tanh")  (one fused kernel)
  torch-unfused-expr  0.5 * x * (1 + torch.tanh(sqrt(2/pi) * (x + 0.044715 * torch.pow(x, 3))))
                      (the formula written out in eager PyTorch: 8 kernels, temporaries in the
                      storage dtype; compare with v0, which keeps fp32 temporaries)
  torch-bias-gelu     gelu(x + bias, approximate="tanh")  on the op="bias+gelu" workload (2
                      kernels; compare with v4 and v4-unfused)
Shapes: the seed's 1x1000x3072 and 16384x14336; dtypes fp32, bf16, fp16; L2 cold and warm.
Checks: an fp64 oracle of the formula, the lab's tolerance (fp32 8 ulps, bf16/fp16 2 ulps,
atol = rtol: topics/01-fused-gelu/reference.hpp).

    python3 scripts/vendor/01_torch_gelu.py --journal results/journal.jsonl   (~1 min on an H200)
"""
import argparse
import math
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from vendor_harness import VendorSession  # noqa: E402

LAB = "01-fused-gelu"
SEED_SHAPE = (1000, 3072)       # the seed's 1 x 1000 x 3072
HBM_SHAPE = (16384, 14336)
ODD_SHAPE = (3, 4097)           # --quick / --check-only, as the lab
INPUT_RANGE = 6.0               # uniform in [-6, 6], as the lab
ULPS = {"fp32": 8.0, "bf16": 2.0, "fp16": 2.0}
DTYPES = ("fp32", "bf16", "fp16")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--journal", default=None, help="journal to append to ('-' = print only)")
    p.add_argument("--quick", action="store_true", help="small shapes, few samples")
    p.add_argument("--check-only", action="store_true", help="check correctness only: no timing, no rows")
    p.add_argument("--dtype", default=",".join(DTYPES), help="comma separated: fp32,bf16,fp16")
    return p.parse_args()


def gelu_ref64(torch, x64):
    """The oracle, in float64, straight from the formula."""
    return 0.5 * x64 * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x64 + 0.044715 * x64 * x64 * x64)))


def unfused_expr(torch, x):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * torch.pow(x, 3))))


def main() -> int:
    args = parse_args()
    dtypes = [d for d in args.dtype.split(",") if d]
    for d in dtypes:
        if d not in DTYPES:
            print(f"01_torch_gelu.py: error: --dtype: unknown '{d}' (valid: {', '.join(DTYPES)})", file=sys.stderr)
            return 2
    import torch
    import torch.nn.functional as F

    s = VendorSession(lab=LAB, journal=args.journal, quick=args.quick)
    torch_dt = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
    producer = f"torch {torch.__version__} (CUDA {torch.version.cuda})"
    shapes = [SEED_SHAPE, ODD_SHAPE] if (args.quick or args.check_only) else [SEED_SHAPE, HBM_SHAPE]
    if args.check_only and not args.quick:
        shapes.append(HBM_SHAPE)
    gen = torch.Generator(device="cuda").manual_seed(1234)

    for tokens, hidden in shapes:
        for dt in dtypes:
            n = tokens * hidden
            x = ((torch.rand(tokens, hidden, device="cuda", generator=gen) * 2 - 1) * INPUT_RANGE).to(torch_dt[dt])
            bias = (torch.rand(hidden, device="cuda", generator=gen) * 2 - 1).to(torch_dt[dt])
            esize = x.element_size()
            variants = [
                ("torch-gelu-tanh", "gelu", lambda: F.gelu(x, approximate="tanh")),
                ("torch-unfused-expr", "gelu", lambda: unfused_expr(torch, x)),
                ("torch-bias-gelu", "bias+gelu", lambda: F.gelu(x + bias, approximate="tanh")),
            ]
            refs = {}
            for variant, op, fn in variants:
                if op not in refs:  # one float64 oracle per (shape, dtype, op)
                    refs.clear()
                    torch.cuda.empty_cache()
                    x64 = x.to(torch.float64)
                    if op == "bias+gelu":
                        x64 = x64 + bias.to(torch.float64)
                    refs[op] = gelu_ref64(torch, x64)
                    del x64
                workload = {"op": op, "tokens": tokens, "hidden": hidden, "dtype": dt}
                out = fn()
                chk = s.check(out, refs[op], dtype=dt, ulps=ULPS[dt], atol_scale=1.0)
                del out
                if not chk["pass"]:
                    s.append(variant=variant, producer=producer, workload=workload, l2="cold",
                             time_ms={"median": 0, "p10": 0, "p90": 0, "min": 0, "n": 0}, bytes=0, flops=0,
                             check=chk)  # refused and counted as a failure; no row is written
                    continue
                if args.check_only:
                    print(f"ok   {variant:<20} {op} {tokens}x{hidden} {dt}  ({100 * chk['tol_used']:.0f}% of tolerance)")
                    continue
                bias_bytes = hidden * esize if op == "bias+gelu" else 0
                nbytes = 2 * n * esize + bias_bytes      # the lab's byte model: read x, write y (+bias)
                flops = (10 if op == "bias+gelu" else 9) * n
                launches = s.count_kernels(fn)
                for l2 in ("cold", "warm"):
                    t = s.time(fn, l2=l2)
                    s.append(variant=variant, producer=producer, workload=workload, l2=l2, time_ms=t,
                             bytes=nbytes, flops=flops, check=chk, launches=launches,
                             extra={"expression": {"torch-gelu-tanh": 'F.gelu(x, approximate="tanh")',
                                                   "torch-unfused-expr": "0.5*x*(1+tanh(sqrt(2/pi)*(x+0.044715*pow(x,3))))",
                                                   "torch-bias-gelu": 'F.gelu(x + bias, approximate="tanh")'}[variant]})
            del x, bias, refs
            torch.cuda.empty_cache()
    return s.finish()


if __name__ == "__main__":
    sys.exit(main())
