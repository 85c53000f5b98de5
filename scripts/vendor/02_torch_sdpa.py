#!/usr/bin/env python3
"""Topic 02 vendor baseline: PyTorch scaled_dot_product_attention for one decode step.

q is [B, 32, 1, 128]; K and V are [B, 8, S, 128] passed natively with enable_gqa=True (never
expanded to 32 heads: an expanded cache reads 4x the bytes, which is how the RTX 4090 journey
in the topic README got its unfair "1.91x faster than SDPA"). Each SDPA backend is forced in
turn with torch.nn.attention.sdpa_kernel (FlashAttention, cuDNN, memory-efficient), then the
default dispatch and the eager math reference; a backend that rejects the shape is recorded
as skipped. L2 is flushed before every sample (cold), the same shapes and dtypes as the lab's
full run, one journal row of kind "vendor" per (backend, workload).

The timed call is a CUDA-graph replay of the SDPA call (captured once per case): the lab's own
rows launch one kernel from C++, and eager PyTorch spends tens of microseconds of Python and
dispatcher time per call, which a 30 us kernel would otherwise be charged for. The kernels and
bytes are the same; `launches` counts the kernels one eager call launches. A backend that cannot
be captured is timed eagerly and says so in the row (extra.timed_as).

    python3 scripts/vendor/02_torch_sdpa.py --journal results/journal.jsonl
    python3 scripts/vendor/02_torch_sdpa.py --quick --check-only
"""
from __future__ import annotations

import argparse
import math
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from vendor_harness import VendorSession  # noqa: E402

LAB = "02-decode-attention"
HQ, HKV, D = 32, 8, 128
FULL_SHAPES = [(b, s) for b in (1, 8, 32) for s in (512, 4096, 32768)] + [(1, 131072)]
QUICK_SHAPES = [(3, 1), (3, 7), (3, 4097)]
QUICK_PADDING = 61  # allocated-but-unwritten keys per sequence in the lab's --quick shapes
Q_SCALE = 4.0       # the lab's data: q uniform in [-4, 4), K and V in [-1, 1) (data_hash.hpp)
CHECK_ULPS = 4.0    # the lab's tolerance (fixture.hpp): rtol = 4 u, atol = rtol * max|ref|


def workload(b: int, s: int, s_alloc: int, dtype: str) -> dict:
    """Identical keys and values to the C++ lab's workload_json (decode.hpp)."""
    return {"B": b, "Hq": HQ, "Hkv": HKV, "D": D, "S": s, "S_alloc": s_alloc, "dtype": dtype,
            "layout": "contiguous"}


def model_bytes(b: int, s: int, elem: int) -> float:
    return 2.0 * b * HKV * s * D * elem + 2.0 * b * HQ * D * elem


def model_flops(b: int, s: int) -> float:
    return 4.0 * b * HQ * s * D


def backends(torch):
    from torch.nn.attention import SDPBackend
    return [
        ("torch-sdpa-flash", [SDPBackend.FLASH_ATTENTION], "FlashAttention backend"),
        ("torch-sdpa-cudnn", [SDPBackend.CUDNN_ATTENTION], "cuDNN backend"),
        ("torch-sdpa-efficient", [SDPBackend.EFFICIENT_ATTENTION], "memory-efficient backend"),
        ("torch-sdpa-default", None, "default dispatch"),
        ("torch-sdpa-math", [SDPBackend.MATH], "eager math reference"),
    ]


def make_inputs(torch, b: int, s: int, s_alloc: int, dtype, seed: int):
    """q [B, Hq, 1, D]; K, V allocated [B, Hkv, S_alloc, D] (NaN past S) and viewed [:, :, :S]."""
    g = torch.Generator(device="cuda")
    g.manual_seed(seed)
    q = ((torch.rand(b, HQ, 1, D, device="cuda", generator=g) * 2 - 1) * Q_SCALE).to(dtype)
    k_alloc = torch.full((b, HKV, s_alloc, D), float("nan"), device="cuda", dtype=dtype)
    v_alloc = torch.full((b, HKV, s_alloc, D), float("nan"), device="cuda", dtype=dtype)
    k_alloc[:, :, :s] = (torch.rand(b, HKV, s, D, device="cuda", generator=g) * 2 - 1).to(dtype)
    v_alloc[:, :, :s] = (torch.rand(b, HKV, s, D, device="cuda", generator=g) * 2 - 1).to(dtype)
    return q, k_alloc[:, :, :s], v_alloc[:, :, :s], (k_alloc, v_alloc)


def oracle(torch, q, k, v):
    """float64 GQA attention, one sequence at a time (never expands K/V to 32 heads)."""
    b, s = k.shape[0], k.shape[2]
    out = torch.empty(b, HQ, D, dtype=torch.float64, device="cuda")
    for i in range(b):
        qd = q[i, :, 0].double().view(HKV, HQ // HKV, D)
        kd, vd = k[i].double(), v[i].double()
        scores = torch.einsum("hgd,hsd->hgs", qd, kd) / math.sqrt(D)
        p = torch.softmax(scores, dim=-1)
        out[i] = torch.einsum("hgs,hsd->hgd", p, vd).reshape(HQ, D)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--journal", default=None, help="journal to append to ('-' or omitted: do not write)")
    ap.add_argument("--quick", action="store_true", help="the lab's --quick shapes, fewer samples")
    ap.add_argument("--check-only", action="store_true", help="check every backend, time nothing, write no rows")
    ap.add_argument("--dtype", default="bf16,fp16", help="comma separated: bf16,fp16")
    args = ap.parse_args()

    import torch
    import torch.nn.functional as F
    from torch.nn.attention import sdpa_kernel

    dtypes = {"bf16": torch.bfloat16, "fp16": torch.float16}
    wanted = [d for d in args.dtype.split(",") if d]
    for d in wanted:
        if d not in dtypes:
            print(f"--dtype: unknown '{d}' (valid: bf16, fp16)", file=sys.stderr)
            return 2
    s = VendorSession(lab=LAB, journal=None if args.check_only else args.journal, quick=args.quick)
    shapes = QUICK_SHAPES if args.quick else FULL_SHAPES
    version = f"torch {torch.__version__}"
    seed = 1234
    launch_counts = {}
    for dname in wanted:
        dt = dtypes[dname]
        for (b, slen) in shapes:
            s_alloc = slen + QUICK_PADDING if args.quick else slen
            seed += 1
            q, k, v, keep = make_inputs(torch, b, slen, s_alloc, dt, seed)
            ref = oracle(torch, q, k, v)
            atol_scale = float(ref.abs().max().item()) or 1.0
            wl = workload(b, slen, s_alloc, dname)
            for variant, chosen, what in backends(torch):
                def call():
                    return F.scaled_dot_product_attention(q, k, v, enable_gqa=True)

                ctx = (lambda: sdpa_kernel(chosen)) if chosen else None
                try:
                    if ctx:
                        with ctx():
                            out = call()
                    else:
                        out = call()
                    torch.cuda.synchronize()
                except RuntimeError as e:
                    s.skip(f"{variant} {dname} B={b} S={slen}", str(e).splitlines()[0][:200])
                    continue
                chk = s.check(out.reshape(b, HQ, D), ref, dtype=dname, ulps=CHECK_ULPS, atol_scale=atol_scale)
                if args.check_only:
                    print(f"{'ok  ' if chk['pass'] else 'FAIL'} {variant} {dname} B={b} S={slen} "
                          f"({100 * chk['tol_used']:.0f}% of tolerance)")
                    if not chk["pass"]:
                        s.failures.append(f"{variant} {dname} B={b} S={slen}")
                    continue
                if not chk["pass"]:
                    s.append(variant=variant, producer=f"{version} ({what})", workload=wl, l2="cold",
                             time_ms={"median": 0, "p10": 0, "p90": 0, "min": 0, "n": 0},
                             bytes=model_bytes(b, slen, 2), flops=model_flops(b, slen), check=chk)
                    continue  # append() records the failure and writes no row
                # Count the kernels of one eager call (once per backend and shape: the dtype does
                # not change the launch sequence, and each profiler session costs real time),
                # then capture the call in a graph.
                key = (variant, b, slen)
                if key not in launch_counts:
                    if ctx:
                        with ctx():
                            launch_counts[key] = s.count_kernels(call)
                    else:
                        launch_counts[key] = s.count_kernels(call)
                launches = launch_counts[key]
                timed_as = "cuda-graph replay"
                try:
                    graph = torch.cuda.CUDAGraph()
                    side = torch.cuda.Stream()
                    side.wait_stream(torch.cuda.current_stream())
                    with torch.cuda.stream(side):
                        if ctx:
                            with ctx():
                                call()  # warm the backend on the capture stream
                        else:
                            call()
                    torch.cuda.current_stream().wait_stream(side)
                    torch.cuda.synchronize()
                    with torch.cuda.graph(graph):
                        if ctx:
                            with ctx():
                                static_out = call()
                        else:
                            static_out = call()
                    graph.replay()
                    torch.cuda.synchronize()
                    chk = s.check(static_out.reshape(b, HQ, D), ref, dtype=dname, ulps=CHECK_ULPS,
                                  atol_scale=atol_scale)
                    fn = graph.replay
                except RuntimeError as e:
                    timed_as = f"eager (graph capture failed: {str(e).splitlines()[0][:120]})"
                    graph = None
                    if ctx:
                        def fn():
                            with ctx():
                                call()
                    else:
                        fn = call
                t = s.time(fn, l2="cold")
                s.append(variant=variant, producer=f"{version} ({what})", workload=wl, l2="cold", time_ms=t,
                         bytes=model_bytes(b, slen, 2), flops=model_flops(b, slen), check=chk,
                         launches=launches,
                         extra={"timed_as": timed_as, "enable_gqa": True,
                                "oracle": "torch float64 GQA einsum",
                                "tolerance": {"ulps": CHECK_ULPS, "atol_scale": "max|ref|"}})
                del graph
            del q, k, v, keep, ref
            torch.cuda.empty_cache()
    return s.finish()


if __name__ == "__main__":
    sys.exit(main())
