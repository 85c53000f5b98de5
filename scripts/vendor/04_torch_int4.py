#!/usr/bin/env python3
"""Topic 04 vendor baselines: PyTorch's INT4 weight-only GEMM (tinygemm) and bf16 F.linear.

Same shapes and M as the lab's full run (the nine Llama-3-8B/70B linear layers, M in
1, 2, 4, 8, 16), bf16 activations (tinygemm takes bf16 only), cold L2: the harness writes
2x L2 before every sample AND each sample uses the next of R identical weight sets, R chosen
so the sets total >= 3x L2 (one layer's INT4 weights fit in an H200's L2). One journal row of
kind "vendor" per (variant, workload), with workloads identical to the lab's rows:

  torch-int4mm   torch._weight_int4pack_mm(x, packed, 128, scales_and_zeros)
                 workload wfmt "int4-sym", group 128: codes q in 0..15, w = (q - 8) * scale,
                 tinygemm's own format: w = (q - 8) * scale + zero with zero = 0. tinygemm
                 also reads the (zero) bf16 zero of every group: 1/64 of a byte per weight
                 more than the byte model counts (noted in the row).
  torch-linear   torch.nn.functional.linear(x, W) with W = the same weights dequantised to
                 bf16: workload wfmt "fp16" (dense 16-bit weights), group 0 (cuBLAS inside).

Packing (torch >= 2.5): _convert_weight_to_int4pack takes uint8 [N, K/2] holding two codes
per byte and returns tinygemm's tiled int32 layout for inner_k_tiles = 8 (K % 128 == 0).
Which nibble holds the even k (and, before 2.5, int32 codes instead of bytes) changed across
versions; the script probes the conventions on a small layer against the fp64 oracle and uses
the one that passes (recorded in the row as "packing").

Each timed call is a CUDA-graph replay of one call (one graph per weight set), as the lab
launches from C++: eager PyTorch's per-call CPU overhead would otherwise be charged to a
~10 us kernel. `launches` counts the kernels of one eager call.

    python3 scripts/vendor/04_torch_int4.py --journal results/journal.jsonl
    python3 scripts/vendor/04_torch_int4.py --quick --check-only
"""
from __future__ import annotations

import argparse
import math
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from vendor_harness import VendorSession  # noqa: E402

LAB = "04-w4a16"
GROUP = 128
INNER_K_TILES = 8
CHECK_ULPS = 4.0  # the lab's policy (reference/check_output.hpp): rtol = 4u, atol = 4u * rms(ref)
# (name, N = out_features, K = in_features): lab_plan.cpp's llama_shapes()
FULL_SHAPES = [("8b-qkv", 6144, 4096), ("8b-o", 4096, 4096), ("8b-gateup", 28672, 4096),
               ("8b-gate", 14336, 4096), ("8b-down", 4096, 14336), ("70b-qkv", 10240, 8192),
               ("70b-o", 8192, 8192), ("70b-gateup", 57344, 8192), ("70b-down", 8192, 28672)]
QUICK_SHAPES = [("odd-small", 257, 384), ("odd-k", 1000, 4224)]
FULL_M = [1, 2, 4, 8, 16]
QUICK_M = [1, 3, 16]


def workload(m: int, n: int, k: int, wfmt: str) -> dict:
    """Identical keys and values to the lab's workload_json (lab.cu)."""
    return {"M": m, "N": n, "K": k, "group": GROUP if wfmt.startswith("int4") else 0, "dtype": "bf16", "wfmt": wfmt}


def model_bytes(wfmt: str, m: int, n: int, k: int) -> float:
    """w4a16.hpp bytes_model for bf16: stored weights + scales, x read once, y written once."""
    w = n * k / 2 + 2.0 * n * (k / GROUP) if wfmt == "int4-sym" else 2.0 * n * k
    return w + 2.0 * m * k + 2.0 * m * n


# The packer's input convention: torch >= 2.5 takes uint8 [N, K/2] (which nibble holds the even
# k is probed), older versions took the int32 codes [N, K] themselves.
CONVENTIONS = ("uint8, even k in the high nibble", "uint8, even k in the low nibble", "int32 codes [N, K]")


def pack_codes(torch, q, convention: str):
    if convention.startswith("int32"):
        return q.to(torch.int32).contiguous()
    even, odd = q[:, 0::2], q[:, 1::2]
    hi, lo = (even, odd) if "high" in convention else (odd, even)
    return ((hi << 4) | lo).to(torch.uint8).contiguous()


def tinygemm_weights(torch, q, scales, convention: str):
    packed = torch._convert_weight_to_int4pack(pack_codes(torch, q, convention), INNER_K_TILES)
    zeros = torch.zeros_like(scales)
    # [K/group, N, 2]: (scale, zero) per group and column; dequant (q - 8) * scale + zero.
    sz = torch.stack([scales.t(), zeros.t()], dim=-1).contiguous()
    return packed, sz


MAX_SETS = 64  # the lab's cap: past it (tiny layers) the L2 flush before every sample keeps them cold


def rotation_sets(l2: int, bytes_per_set: float) -> int:
    return min(MAX_SETS, max(2, math.ceil(3.0 * l2 / bytes_per_set)))


def capture(torch, call):
    """A CUDA graph of call() and its static output; None if capture fails."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        call()
    torch.cuda.current_stream().wait_stream(side)
    torch.cuda.synchronize()
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        out = call()
    return g, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--journal", default=None, help="journal path ('-' or absent: do not write)")
    ap.add_argument("--quick", action="store_true", help="small odd shapes, few samples")
    ap.add_argument("--check-only", action="store_true", help="correctness only: no timing, no rows")
    ap.add_argument("--shape", default=None, help="comma-separated shape names (default: all)")
    args = ap.parse_args()

    import torch
    import torch.nn.functional as F

    s = VendorSession(lab=LAB, journal=args.journal, quick=args.quick)
    version = f"torch {torch.__version__}"
    shapes = QUICK_SHAPES if args.quick else FULL_SHAPES
    if args.shape:
        wanted = set(args.shape.split(","))
        shapes = [sh for sh in shapes if sh[0] in wanted]
    ms = QUICK_M if args.quick else FULL_M
    l2 = s.l2_bytes()
    dev = "cuda"
    gen = torch.Generator(device=dev)

    # Which nibble order does this torch's packer expect? Probe on a small layer.
    gen.manual_seed(1)
    pn, pk = 64, 256
    pq = torch.randint(0, 16, (pn, pk), generator=gen, device=dev, dtype=torch.int32)
    ps = (torch.rand(pn, pk // GROUP, generator=gen, device=dev) * 0.008 + 0.004).to(torch.bfloat16)
    px = (torch.rand(4, pk, generator=gen, device=dev) * 2 - 1).to(torch.bfloat16)
    pref = px.double() @ (ps.double().repeat_interleave(GROUP, dim=1) * (pq.double() - 8)).t()
    convention = None
    for conv in CONVENTIONS:
        try:
            pw, psz = tinygemm_weights(torch, pq, ps, conv)
            out = torch._weight_int4pack_mm(px, pw, GROUP, psz)
            if s.check(out, pref, dtype="bf16", ulps=CHECK_ULPS, atol_scale=pref.pow(2).mean().sqrt().item())["pass"]:
                convention = conv
                break
            print(f"[04] tinygemm probe ({conv}): output does not match the oracle")
        except (RuntimeError, AttributeError, TypeError) as e:
            print(f"[04] tinygemm probe ({conv}): {str(e).splitlines()[0][:160]}")
    if convention is None:
        s.skip("torch-int4mm", "no packing convention of _convert_weight_to_int4pack matched the oracle "
                               "(or the op is missing)")
    else:
        print(f"[04] tinygemm packing: {convention}")

    for name, n, k in shapes:
        gen.manual_seed(1000 + n + k)
        q = torch.randint(0, 16, (n, k), generator=gen, device=dev, dtype=torch.int32)
        scales = (torch.rand(n, k // GROUP, generator=gen, device=dev) * 0.008 + 0.004).to(torch.bfloat16)
        x = (torch.rand(16, k, generator=gen, device=dev) * 2 - 1).to(torch.bfloat16)
        w64 = scales.double().repeat_interleave(GROUP, dim=1) * (q.double() - 8)
        ref16 = x.double() @ w64.t()  # the fp64 oracle on the exactly dequantised weights
        dense = w64.to(torch.bfloat16)
        del w64

        variants = []
        if convention is not None:
            try:
                packed, sz = tinygemm_weights(torch, q, scales, convention)
                variants.append(("torch-int4mm", "int4-sym", (packed, sz)))
            except RuntimeError as e:
                s.skip("torch-int4mm", f"{name}: {str(e).splitlines()[0][:160]}")
        variants.append(("torch-linear", "fp16", (dense,)))

        for variant, wfmt, base in variants:
            nsets = rotation_sets(l2, model_bytes(wfmt, 0, n, k))
            sets = [base] + [tuple(t.clone() for t in base) for _ in range(nsets - 1)]
            for m in ms:
                xm = x[:m].contiguous()
                ref = ref16[:m]
                atol_scale = ref.pow(2).mean().sqrt().item()
                wl = workload(m, n, k, wfmt)

                def make_call(ws, xm=xm, variant=variant):
                    if variant == "torch-int4mm":
                        return lambda: torch._weight_int4pack_mm(xm, ws[0], GROUP, ws[1])
                    return lambda: F.linear(xm, ws[0])

                try:
                    out = make_call(sets[0])()
                    torch.cuda.synchronize()
                except RuntimeError as e:
                    s.skip(variant, f"{name} M={m}: {str(e).splitlines()[0][:160]}")
                    continue
                chk = s.check(out, ref, dtype="bf16", ulps=CHECK_ULPS, atol_scale=atol_scale)
                if args.check_only:
                    print(f"{'ok  ' if chk['pass'] else 'FAIL'} {variant:<14} {name} M={m} "
                          f"max_abs={chk.get('max_abs')} tol_used={chk.get('tol_used')}")
                    if not chk["pass"]:
                        s.failures.append(f"{variant} {name} M={m}")
                    continue
                if not chk["pass"]:
                    s.append(variant=variant, producer=version, workload=wl, l2="cold",
                             time_ms={"median": 0, "p10": 0, "p90": 0, "min": 0, "n": 0},
                             bytes=model_bytes(wfmt, m, n, k), flops=2.0 * m * n * k, check=chk)
                    continue  # append() records the failure and writes no row
                launches = s.count_kernels(make_call(sets[0]))
                timed_as = "cuda-graph replay"
                graphs = []
                try:
                    for ws in sets:
                        g, static_out = capture(torch, make_call(ws))
                        g.replay()
                        torch.cuda.synchronize()
                        c2 = s.check(static_out, ref, dtype="bf16", ulps=CHECK_ULPS, atol_scale=atol_scale)
                        if not c2["pass"]:
                            chk = c2
                        graphs.append(g)
                    state = {"i": 0}

                    def fn(graphs=graphs, state=state):
                        graphs[state["i"]].replay()
                        state["i"] = (state["i"] + 1) % len(graphs)
                except RuntimeError as e:
                    timed_as = f"eager (graph capture failed: {str(e).splitlines()[0][:120]})"
                    graphs = []
                    calls = [make_call(ws) for ws in sets]
                    state = {"i": 0}

                    def fn(calls=calls, state=state):
                        calls[state["i"]]()
                        state["i"] = (state["i"] + 1) % len(calls)
                t = s.time(fn, l2="cold")
                extra = {"shape": name, "timed_as": timed_as, "weight_sets": nsets,
                         "rotation_bytes": nsets * model_bytes(wfmt, 0, n, k),
                         "oracle": "torch float64 matmul on the dequantised weights",
                         "tolerance": {"ulps": CHECK_ULPS, "atol_scale": "rms(ref)"}}
                producer = version
                if variant == "torch-int4mm":
                    producer = f"{version} (_weight_int4pack_mm, tinygemm, inner_k_tiles={INNER_K_TILES})"
                    extra["packing"] = convention
                    extra["note"] = "tinygemm also reads a bf16 zero per group (zero = 0), not in the byte model"
                else:
                    producer = f"{version} (F.linear, bf16, cuBLAS)"
                s.append(variant=variant, producer=producer, workload=wl, l2="cold", time_ms=t,
                         bytes=model_bytes(wfmt, m, n, k), flops=2.0 * m * n * k, check=chk, launches=launches,
                         extra=extra)
                del graphs
            del sets
        del q, scales, x, ref16, dense, variants
        torch.cuda.empty_cache()
    return s.finish()


if __name__ == "__main__":
    sys.exit(main())
