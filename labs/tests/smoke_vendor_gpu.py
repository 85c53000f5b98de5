#!/usr/bin/env python3
"""GPU smoke test of scripts/vendor/vendor_harness.py (needs PyTorch and a GPU; a few seconds).

Times a 256 MiB torch copy cold and warm, checks it, counts its kernels and builds the rows
without writing a journal (--journal -), so every torch-facing path of the harness runs once:
    python3 labs/tests/smoke_vendor_gpu.py
Exits 77 without PyTorch or a GPU (not discovered by unittest: the file name has no test_)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "scripts", "vendor"))

try:
    import torch
except ImportError:
    print("smoke: PyTorch is not installed; skipped")
    sys.exit(77)
if not torch.cuda.is_available():
    print("smoke: PyTorch sees no GPU; skipped")
    sys.exit(77)

from vendor_harness import VendorSession  # noqa: E402

s = VendorSession(lab="00-machine", journal="-", quick=True)
n = 64 << 20  # fp32 elements: 256 MiB
src = torch.randn(n, device="cuda", dtype=torch.float32)
dst = torch.empty_like(src)
fn = lambda: dst.copy_(src)  # noqa: E731
fn()
chk = s.check(dst, src.double(), dtype="fp32")
launches = s.count_kernels(fn)
print(f"smoke: check {chk}, kernels per call {launches}, L2 {s.l2_bytes() >> 20} MiB")
bad = dst.clone()
bad[12345] = float("nan")
assert not s.check(bad, src.double(), dtype="fp32")["pass"], "a NaN must fail the check"
for l2 in ("cold", "warm"):
    t = s.time(fn, l2=l2)
    print(f"smoke: {l2}: {t}, event overhead {s.last_event_overhead_ms:.4f} ms")
    row = s.append(variant="torch-copy-smoke", producer=f"torch {torch.__version__}",
                   workload={"bytes": 2 * 4 * n, "dtype": "fp32"}, l2=l2, time_ms=t, bytes=2 * 4 * n,
                   flops=0, check=chk, launches=launches)
    assert row is not None and row["gbps"] > 0
print(f"smoke: gpu {s.gpu()}")
sys.exit(s.finish())
