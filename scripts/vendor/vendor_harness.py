"""Measures vendor (PyTorch) baselines the way the C++ labs measure their versions.

A vendor script imports VendorSession, times each vendor call with CUDA events in an explicit L2
state, checks the output against an independent float64 oracle with the same tolerance policy as
common/labs/check.hpp, and appends one journal row per (variant, workload, L2 mode) with the
same key names as the C++ rows, so `lab report` and `lab compare` can put them side by side.

    sys.path.insert(0, os.path.dirname(__file__))
    from vendor_harness import VendorSession
    s = VendorSession(lab="01-fused-gelu", journal=args.journal, quick=args.quick)
    t = s.time(lambda: torch.nn.functional.gelu(x, approximate="tanh"), l2="cold")
    chk = s.check(out, ref64, dtype="bf16")
    s.append(variant="torch-gelu-tanh", producer=f"torch {torch.__version__}",
             workload={"rows": 16384, "cols": 14336, "dtype": "bf16"}, l2="cold",
             time_ms=t, bytes=..., flops=..., check=chk, launches=s.count_kernels(fn))
    sys.exit(s.finish())

torch is imported lazily, so `check` also works on plain Python sequences without torch (that is
how its policy is unit-tested on machines without a GPU).
"""
from __future__ import annotations

import json
import math
import os
import re
import shlex
import statistics
import struct
import subprocess
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

_HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(_HERE))
sys.path.insert(0, os.path.join(REPO_ROOT, "labs"))
from pylabs import journal as _journal  # noqa: E402  (one journal writer for all Python code)

# Unit roundoff of each output dtype (common/labs/dtype.hpp: unit_roundoff).
UNIT_ROUNDOFF = {"fp32": 2.0 ** -24, "fp16": 2.0 ** -11, "bf16": 2.0 ** -8}

# Datasheet HBM bandwidth in GB/s: a lead, not a ceiling (the same table as ceilings.cpp).
_DATASHEET_GBPS = (
    (("H200",), 4800.0),
    (("H100", "SXM"), 3350.0),
    (("H100", "HBM3"), 3350.0),
    (("H100",), 2000.0),
    (("A100", "80GB"), 2039.0),
    (("A100",), 1555.0),
)

# Timing policy, the same numbers as labs::TimingOptions (timing.hpp).
_FULL = {"warmup_ms": 30.0, "min_samples": 15, "max_samples": 2000, "rel_noise": 0.01,
         "max_total_ms": 1500.0}
# --quick: smoke runs, not numbers to quote (the C++ quick mode stops similarly early).
_QUICK = {"warmup_ms": 5.0, "min_samples": 5, "max_samples": 50, "rel_noise": 0.03,
          "max_total_ms": 200.0}


# ---- small pure helpers (no torch) ------------------------------------------------------

def cache_dir() -> str:
    """$LABS_CACHE_DIR, else $XDG_CACHE_HOME/llm-inference-labs, else ~/.cache/llm-inference-labs."""
    d = os.environ.get("LABS_CACHE_DIR")
    if d:
        return d
    x = os.environ.get("XDG_CACHE_HOME")
    if x:
        return os.path.join(x, "llm-inference-labs")
    home = os.environ.get("HOME") or "/tmp"
    return os.path.join(home, ".cache", "llm-inference-labs")


def gpu_slug(name: str) -> str:
    """"NVIDIA H200" -> "nvidia-h200": the C++ ceilings cache's file-name rule."""
    s = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return s or "unknown-gpu"


def datasheet_gbps(name: str) -> Optional[float]:
    for needles, gbps in _DATASHEET_GBPS:
        if all(n in name for n in needles):
            return gbps
    return None


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), p in [0, 100]."""
    n = len(sorted_values)
    if n == 0:
        raise ValueError("percentile of an empty sample")
    pos = (n - 1) * p / 100.0
    lo = int(math.floor(pos))
    hi = min(lo + 1, n - 1)
    frac = pos - lo
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * frac


def summarize(samples: Sequence[float]) -> Dict[str, Any]:
    """{median, p10, p90, min, n} in the samples' unit."""
    if not samples:
        raise ValueError("no timing samples")
    s = sorted(float(x) for x in samples)
    if not all(math.isfinite(x) for x in s):
        raise ValueError("non-finite timing sample")
    return {"median": percentile(s, 50), "p10": percentile(s, 10), "p90": percentile(s, 90),
            "min": s[0], "n": len(s)}


def rel_std_error(samples: Sequence[float]) -> float:
    """Standard error of the mean over the mean: the adaptive stop's noise measure."""
    n = len(samples)
    if n < 2:
        return math.inf
    mean = sum(samples) / n
    if mean <= 0:
        return math.inf
    return statistics.stdev(samples) / math.sqrt(n) / mean


def _round_fp32(x: float) -> float:
    try:
        return struct.unpack("<f", struct.pack("<f", x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def _round_fp16(x: float) -> float:
    # Through fp32 first, as a float oracle widened from the C++ side would be.
    x = _round_fp32(x)
    if not math.isfinite(x):
        return x
    try:
        return struct.unpack("<e", struct.pack("<e", x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def _round_bf16(x: float) -> float:
    x = _round_fp32(x)
    if math.isnan(x) or math.isinf(x):
        return x
    bits = struct.unpack("<I", struct.pack("<f", x))[0]
    bits += 0x7FFF + ((bits >> 16) & 1)  # round to nearest, ties to even
    bits &= 0xFFFF0000
    return struct.unpack("<f", struct.pack("<I", bits & 0xFFFFFFFF))[0]


_ROUND = {"fp32": _round_fp32, "fp16": _round_fp16, "bf16": _round_bf16}


def tolerance(dtype: str, ulps: float = 2.0, atol_scale: float = 1.0) -> Dict[str, float]:
    """rtol = ulps * unit roundoff of dtype, atol = rtol * atol_scale (labs::tolerance_for)."""
    if dtype not in UNIT_ROUNDOFF:
        raise ValueError(f"dtype: unknown '{dtype}' (valid: fp32, fp16, bf16)")
    rtol = ulps * UNIT_ROUNDOFF[dtype]
    return {"rtol": rtol, "atol": rtol * atol_scale}


def _empty_check(tol: Dict[str, float]) -> Dict[str, Any]:
    return {"pass": False, "max_abs": 0.0, "max_rel": 0.0, "tol_used": 0.0, "n": 0, "n_bad": 0,
            "n_nonfinite": 0, "atol": tol["atol"], "rtol": tol["rtol"]}


def check_sequences(out: Sequence[float], ref: Sequence[float], dtype: str, ulps: float = 2.0,
                    atol_scale: float = 1.0) -> Dict[str, Any]:
    """The check policy on plain Python numbers (the torch path computes the same thing)."""
    out = list(out)
    ref = list(ref)
    if len(out) != len(ref):
        raise ValueError(f"check: output has {len(out)} elements, reference {len(ref)}")
    tol = tolerance(dtype, ulps, atol_scale)
    atol, rtol = tol["atol"], tol["rtol"]
    rnd = _ROUND[dtype]
    r = _empty_check(tol)
    r["n"] = len(out)
    for o, f in zip(out, ref):
        o = float(o)
        f = rnd(float(f))
        if not (math.isfinite(o) and math.isfinite(f)):
            r["n_bad"] += 1
            r["n_nonfinite"] += 1
            continue
        diff = abs(o - f)
        allowed = atol + rtol * abs(f)
        used = diff / allowed if allowed > 0 else (0.0 if diff == 0 else math.inf)
        r["max_abs"] = max(r["max_abs"], diff)
        if f != 0:
            r["max_rel"] = max(r["max_rel"], diff / abs(f))
        r["tol_used"] = max(r["tol_used"], used)
        if not diff <= allowed:
            r["n_bad"] += 1
    r["pass"] = r["n"] > 0 and r["n_bad"] == 0
    return r


def _torch():
    import torch  # noqa: WPS433  (lazy: the pure helpers above must work without it)
    return torch


_TORCH_DTYPE_NAMES = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}


def check_tensors(out, ref, dtype: str, ulps: float = 2.0, atol_scale: float = 1.0,
                  chunk: int = 1 << 26) -> Dict[str, Any]:
    """The check policy on torch tensors, in chunks so a 235M-element output fits easily."""
    torch = _torch()
    tol = tolerance(dtype, ulps, atol_scale)
    atol, rtol = tol["atol"], tol["rtol"]
    o_all = out.detach().reshape(-1)
    f_all = ref.detach().reshape(-1).to(device=o_all.device)
    if o_all.numel() != f_all.numel():
        raise ValueError(f"check: output has {o_all.numel()} elements, reference {f_all.numel()}")
    tdt = getattr(torch, _TORCH_DTYPE_NAMES[dtype])
    r = _empty_check(tol)
    r["n"] = int(o_all.numel())
    for start in range(0, r["n"], chunk):
        o = o_all[start:start + chunk].to(torch.float64)
        f = f_all[start:start + chunk].to(torch.float64).to(tdt).to(torch.float64)
        finite = torch.isfinite(o) & torch.isfinite(f)
        n_nonfinite = int((~finite).sum().item())
        diff = torch.where(finite, (o - f).abs(), torch.zeros_like(o))
        fz = torch.where(finite, f, torch.zeros_like(f))
        allowed = atol + rtol * fz.abs()
        used = torch.where(allowed > 0, diff / allowed.clamp_min(1e-300),
                           torch.where(diff == 0, torch.zeros_like(diff), torch.full_like(diff, math.inf)))
        bad = (~finite) | (diff > allowed)
        r["n_bad"] += int(bad.sum().item())
        r["n_nonfinite"] += n_nonfinite
        if diff.numel():
            r["max_abs"] = max(r["max_abs"], float(diff.max().item()))
            r["tol_used"] = max(r["tol_used"], float(used.max().item()))
            nz = fz != 0
            if bool(nz.any().item()):
                r["max_rel"] = max(r["max_rel"], float((diff[nz] / fz[nz].abs()).max().item()))
    r["pass"] = r["n"] > 0 and r["n_bad"] == 0
    return r


def _git(args: List[str]) -> Optional[str]:
    try:
        p = subprocess.run(["git", "-C", REPO_ROOT] + args, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    return p.stdout.strip() if p.returncode == 0 else None


def build_info() -> Dict[str, Any]:
    """{commit, dirty}: $LABS_COMMIT / $LABS_DIRTY, else git (tracked changes only), else unknown."""
    commit = os.environ.get("LABS_COMMIT") or _git(["rev-parse", "HEAD"]) or "unknown"
    dirty_env = os.environ.get("LABS_DIRTY")
    if dirty_env:
        dirty = dirty_env not in ("0", "false")
    elif commit != "unknown":
        dirty = bool(_git(["status", "--porcelain", "--untracked-files=no"]))
    else:
        dirty = False
    info: Dict[str, Any] = {"commit": commit, "dirty": dirty, "backend": "python"}
    try:
        torch = _torch()
        info["torch"] = torch.__version__
        info["torch_cuda"] = torch.version.cuda
    except ImportError:
        pass
    info["python"] = sys.version.split()[0]
    return info


def command_line(argv: Optional[List[str]] = None) -> str:
    """`python3 scripts/vendor/NN_x.py ...` without --journal, so a rerun can add its own."""
    argv = list(sys.argv if argv is None else argv)
    script = argv[0] if argv else ""
    absolute = os.path.abspath(script)
    if absolute.startswith(REPO_ROOT + os.sep):
        script = os.path.relpath(absolute, REPO_ROOT)
    rest: List[str] = []
    skip = False
    for a in argv[1:]:
        if skip:
            skip = False
            continue
        if a == "--journal":
            skip = True
            continue
        if a.startswith("--journal="):
            continue
        rest.append(a)
    return shlex.join(["python3", script] + rest)


class VendorSession:
    """One vendor script's run: one run id, one GPU, one journal."""

    def __init__(self, lab: str, journal: Optional[str] = None, quick: bool = False):
        self.lab = lab
        self.journal = None if journal in (None, "", "-") else journal
        self.quick = quick
        self.run_id = _journal.new_run_id()
        self.cmd = command_line()
        self.invocation = shlex.join([sys.executable] + sys.argv)
        self.policy = dict(_QUICK if quick else _FULL)
        self.last_event_overhead_ms: Optional[float] = None
        self.failures: List[str] = []
        self.skips: List[str] = []
        self.rows: List[Dict[str, Any]] = []
        self._gpu: Optional[Dict[str, Any]] = None
        self._flush_buf = None
        self._flush_sink = None
        self._flush_value = 0
        self._build = build_info()
        if self.journal:
            _journal.ensure_writable(self.journal)

    # ---- the GPU -----------------------------------------------------------------------
    def _props(self):
        torch = _torch()
        if not torch.cuda.is_available():
            raise RuntimeError("no GPU: PyTorch sees no CUDA/HIP device, so vendor timing cannot run")
        return torch.cuda.get_device_properties(torch.cuda.current_device())

    def l2_bytes(self) -> int:
        size = getattr(self._props(), "L2_cache_size", 0)
        return int(size) if size else 128 << 20  # unknown: assume large, flushing more is safe

    def _flush_l2(self) -> None:
        """Writes 2x the L2 size so no line of the previous sample's data survives, then reads
        it back so L2 is left holding clean lines: otherwise the timed kernel would pay for
        writing back ~one L2 of dirty flush data (the C++ harness does the same, l2.hpp)."""
        torch = _torch()
        if self._flush_buf is None:
            self._flush_buf = torch.empty(2 * self.l2_bytes() // 4, dtype=torch.int32, device="cuda")
            self._flush_sink = torch.empty((), dtype=torch.int32, device="cuda")
        self._flush_value ^= 1
        self._flush_buf.fill_(self._flush_value)
        torch.amax(self._flush_buf, dim=0, out=self._flush_sink)  # a read-only pass

    def _event_overhead_ms(self, reps: int = 50) -> float:
        torch = _torch()
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        vals = []
        for _ in range(reps):
            a.record()
            b.record()
            b.synchronize()
            vals.append(a.elapsed_time(b))
        return statistics.median(vals)

    def time(self, fn: Callable[[], Any], l2: str = "cold") -> Dict[str, Any]:
        """Times fn() (one iteration) with CUDA events; returns {median,p10,p90,min,n} in ms."""
        if l2 not in ("cold", "warm"):
            raise ValueError(f"l2: unknown '{l2}' (valid: cold, warm)")
        torch = _torch()
        self._props()
        p = self.policy
        cold = l2 == "cold"
        # Warm-up by time: module load, lazy init, allocator growth and clock ramp stay out.
        t0 = time.perf_counter()
        calls = 0
        dispatch_s = 0.0
        while calls < 2 or (time.perf_counter() - t0) * 1e3 < p["warmup_ms"]:
            d0 = time.perf_counter()
            fn()
            dispatch_s = max(dispatch_s, time.perf_counter() - d0) if calls else 0.0
            torch.cuda.synchronize()
            calls += 1
        # Keep the GPU busy while Python queues the sample (the C++ harness holds the stream
        # with a memory wait instead): otherwise the start event fires while Python is still
        # dispatching and a short kernel's time includes interpreter overhead. The spin runs
        # before the start event, so it is never timed. ~2 GHz: cycles = seconds * 2e9.
        spin_cycles = int(min(2 * dispatch_s + 20e-6, 5e-3) * 2e9)
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        samples: List[float] = []
        total = 0.0
        while True:
            if cold:
                self._flush_l2()  # outside the events
            if hasattr(torch.cuda, "_sleep"):
                torch.cuda._sleep(spin_cycles)
            start.record()
            fn()
            end.record()
            end.synchronize()
            ms = float(start.elapsed_time(end))
            samples.append(ms)
            total += ms
            n = len(samples)
            if n >= p["max_samples"]:
                break
            if n >= p["min_samples"] and (rel_std_error(samples) < p["rel_noise"] or total >= p["max_total_ms"]):
                break
        self.last_event_overhead_ms = self._event_overhead_ms()
        return summarize(samples)

    def count_kernels(self, fn: Callable[[], Any]) -> Optional[int]:
        """Kernels launched by one call of fn, from torch.profiler; None if unavailable."""
        try:
            torch = _torch()
            from torch.profiler import ProfilerActivity, profile
            fn()  # lazy initialisation outside the profiled call
            torch.cuda.synchronize()
            with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
                fn()
                torch.cuda.synchronize()
            cuda = torch.autograd.DeviceType.CUDA
            n = 0
            for e in prof.events():
                if getattr(e, "device_type", None) != cuda or getattr(e, "is_user_annotation", False):
                    continue  # CPU-side events and record_function ranges are not kernels
                name = (getattr(e, "name", "") or "").lower()
                if name.startswith("memcpy") or name.startswith("memset"):
                    continue
                n += 1
            return n
        except Exception as e:  # profiler missing or unsupported here: "not counted"
            print(f"[vendor] count_kernels: not counted ({type(e).__name__}: {e})", file=sys.stderr)
            return None

    def gpu(self) -> Dict[str, Any]:
        """{name, cc, sms, copy_gbps, l2_bytes, ...}, measured once per session."""
        if self._gpu is not None:
            return self._gpu
        torch = _torch()
        pr = self._props()
        name = str(pr.name)
        info: Dict[str, Any] = {
            "name": name,
            "cc": f"{pr.major}.{pr.minor}",
            "sms": int(pr.multi_processor_count),
            "l2_bytes": self.l2_bytes(),
            "mem_bytes": int(pr.total_memory),
            "runtime": torch.version.hip or torch.version.cuda,
            "backend": "hip" if torch.version.hip else "cuda",
        }
        uuid = getattr(pr, "uuid", None)
        info["uuid"] = str(uuid) if uuid is not None else None
        info["driver"] = self._driver_version()
        copy_gbps, source = self._copy_ceiling(name)
        info["copy_gbps"] = copy_gbps
        info["copy_gbps_source"] = source
        self._gpu = info
        return info

    @staticmethod
    def _driver_version() -> Optional[str]:
        try:
            p = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                               capture_output=True, text=True, timeout=20)
            if p.returncode == 0 and p.stdout.strip():
                return p.stdout.strip().splitlines()[0].strip()
        except (OSError, subprocess.SubprocessError):
            pass
        return None

    def _copy_ceiling(self, name: str):
        """Measured device copy GB/s from lab-00's cache, else a quick torch copy probe."""
        path = os.path.join(cache_dir(), f"ceilings-{gpu_slug(name)}.json")
        try:
            with open(path, "r", encoding="utf-8") as f:
                c = json.load(f)
            v = c.get("copy_gbps")
            if isinstance(v, (int, float)) and v > 0:
                return float(v), f"{path} ({c.get('source') or 'lab-00'})"
        except (OSError, ValueError):
            pass
        print(f"[vendor] no ceilings cache at {path}: probing copy bandwidth with torch "
              "(run lab-00-machine for the full set)")
        return self._probe_copy_gbps(), "torch copy probe: 1 GiB -> 1 GiB, cold L2"

    def _probe_copy_gbps(self) -> float:
        torch = _torch()
        nbytes = 1 << 30
        src = torch.empty(nbytes, dtype=torch.uint8, device="cuda").fill_(0x3C)
        dst = torch.empty_like(src)
        saved, saved_overhead = self.policy, self.last_event_overhead_ms
        self.policy = dict(_QUICK)
        self.policy["min_samples"] = 10
        try:
            t = self.time(lambda: dst.copy_(src), l2="cold")
        finally:
            # the probe runs inside append(): keep the measured variant's event overhead
            self.policy, self.last_event_overhead_ms = saved, saved_overhead
        del src, dst
        return 2.0 * nbytes / (t["median"] * 1e-3) / 1e9  # read + write

    # ---- checking and rows -------------------------------------------------------------
    @staticmethod
    def check(out, ref, dtype: str = "bf16", ulps: float = 2.0, atol_scale: float = 1.0) -> Dict[str, Any]:
        """|out - ref| <= atol + rtol |ref| with ref rounded to dtype first; non-finite fails."""
        if hasattr(out, "detach") and hasattr(ref, "detach"):
            return check_tensors(out, ref, dtype, ulps, atol_scale)
        if hasattr(out, "detach"):
            out = out.detach().reshape(-1).double().cpu().tolist()
        if hasattr(ref, "detach"):
            ref = ref.detach().reshape(-1).double().cpu().tolist()
        return check_sequences(out, ref, dtype, ulps, atol_scale)

    def _profile_commands(self, variant: str) -> Dict[str, str]:
        tag = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{self.lab}-{variant}")
        return {
            "nsys": f"nsys profile --trace=cuda,nvtx -o vendor-{tag} {self.cmd}",
            "ncu": f"ncu --target-processes all --set full -o vendor-{tag} {self.cmd}",
        }

    def append(self, variant: str, producer: str, workload: Dict[str, Any], l2: str,
               time_ms: Dict[str, Any], bytes: float, flops: float, check: Dict[str, Any],
               launches: Optional[int] = None, extra: Optional[Dict[str, Any]] = None) -> Optional[Dict[str, Any]]:
        """Builds, prints and (unless journal is "-"/None) appends one vendor row."""
        wl = _workload_text(workload)
        if not check or check.get("pass") is not True:
            self.failures.append(f"{variant} {wl} l2={l2}")
            print(f"FAIL {variant} {wl} l2={l2}: check failed "
                  f"(n_bad={check.get('n_bad') if check else '?'}, max_abs={check.get('max_abs') if check else '?'}); "
                  "no row written")
            return None
        med = float(time_ms["median"])
        bytes, flops = float(bytes or 0), float(flops or 0)  # plain floats for JSON
        # null where the model has no bytes or FLOPs, as the C++ rows do
        gbps = bytes / (med * 1e-3) / 1e9 if med > 0 and bytes > 0 else None
        tflops = flops / (med * 1e-3) / 1e12 if med > 0 and flops > 0 else None
        gpu = self.gpu()
        copy = gpu.get("copy_gbps") or 0.0
        sheet = datasheet_gbps(gpu["name"])
        row: Dict[str, Any] = {
            "schema": _journal.SCHEMA,
            "run": self.run_id,
            "time": _journal.now_utc_iso(),
            "lab": self.lab,
            "variant": variant,
            "kind": "vendor",
            "producer": producer,
            "workload": dict(workload),
            "l2": l2,
            "time_ms": {k: time_ms[k] for k in ("median", "p10", "p90", "min", "n")},
            "bytes": bytes,
            "flops": flops,
            "gbps": gbps,
            "tflops": tflops,
            "pct_copy_bw": 100.0 * gbps / copy if gbps and copy > 0 else None,
            "pct_datasheet_bw": 100.0 * gbps / sheet if gbps and sheet else None,
            "check": dict(check),
            "launches": launches,
            "gpu": gpu,
            "build": self._build,
            "cmd": self.cmd,
            "invocation": self.invocation,
            "profile": self._profile_commands(variant),
            "event_overhead_ms": self.last_event_overhead_ms,
            "quick": self.quick,
        }
        for k, v in (extra or {}).items():
            if k in _journal.FIXED_KEYS:
                raise ValueError(f"extra: '{k}' is a fixed journal key and cannot be overridden")
            row[k] = v
        _journal.validate_row(row)
        if self.journal:
            _journal.append_row(self.journal, row)
        self.rows.append(row)
        pct = f"{row['pct_copy_bw']:.1f}% of copy" if row["pct_copy_bw"] is not None else "no copy ceiling"
        tf = f" {tflops:.2f} TFLOP/s" if tflops else ""
        bw = f"{gbps:,.0f} GB/s ({pct})" if gbps else "no byte model"
        print(f"{variant:<26} {wl:<34} l2={l2:<4} median {med:.4f} ms "
              f"[p10 {time_ms['p10']:.4f} p90 {time_ms['p90']:.4f}, n={time_ms['n']}] "
              f"{bw}{tf} launches={launches if launches is not None else '-'} "
              f"check ok ({100.0 * check.get('tol_used', 0.0):.0f}% of tolerance)", flush=True)
        return row

    def skip(self, variant: str, reason: str) -> None:
        self.skips.append(f"{variant}: {reason}")
        print(f"SKIP {variant}: {reason}", flush=True)

    def finish(self) -> int:
        where = self.journal if self.journal else "not written (--journal -)"
        print(f"[vendor] {self.lab}: {len(self.rows)} rows, {len(self.skips)} skipped, "
              f"{len(self.failures)} failed checks; journal: {where}")
        for s in self.skips:
            print(f"  skipped  {s}")
        for f in self.failures:
            print(f"  FAILED   {f}")
        return 0 if not self.failures else 1


def _workload_text(workload: Dict[str, Any]) -> str:
    sizes = " ".join(f"{k}={v}" for k, v in workload.items() if k != "dtype")
    return f"{sizes} {workload.get('dtype', '')}".strip()
