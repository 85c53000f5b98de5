"""vendor_harness: the check policy on plain Python numbers (torch absent), the statistics,
and a whole session against a fake torch (no GPU needed)."""
import importlib
import json
import math
import os
import sys
import tempfile
import types
import unittest
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "scripts", "vendor"))

import vendor_harness as vh  # noqa: E402
from pylabs import journal  # noqa: E402

try:
    import torch  # noqa: F401
    HAVE_TORCH = True
except ImportError:
    HAVE_TORCH = False


class CheckPolicyTest(unittest.TestCase):
    def test_tolerance_from_dtype(self):
        self.assertEqual(vh.tolerance("bf16"), {"rtol": 2 * 2.0 ** -8, "atol": 2 * 2.0 ** -8})
        self.assertEqual(vh.tolerance("fp16", ulps=4, atol_scale=0.5)["atol"], 4 * 2.0 ** -11 * 0.5)
        self.assertEqual(vh.tolerance("fp32")["rtol"], 2 * 2.0 ** -24)
        with self.assertRaisesRegex(ValueError, "valid: fp32, fp16, bf16"):
            vh.tolerance("int8")

    def test_exact_output_passes_with_zero_tolerance_used(self):
        r = vh.VendorSession.check([1.0, -2.5, 0.0], [1.0, -2.5, 0.0], dtype="fp32")
        self.assertTrue(r["pass"])
        self.assertEqual(r["tol_used"], 0.0)
        self.assertEqual(r["n"], 3)

    def test_reference_is_rounded_to_the_output_dtype_first(self):
        # 1 + 2^-9 rounds to 1.0 in bf16 (ties to even), so an output of exactly 1.0 is exact
        r = vh.check_sequences([1.0], [1.0 + 2.0 ** -9], "bf16", ulps=0.001)
        self.assertTrue(r["pass"])
        self.assertEqual(r["max_abs"], 0.0)
        self.assertEqual(vh._round_bf16(1.0 + 3 * 2.0 ** -9), 1.0 + 2.0 ** -7)
        self.assertEqual(vh._round_fp16(1.0 + 2.0 ** -12), 1.0)
        self.assertEqual(vh._round_fp16(70000.0), math.inf)

    def test_error_beyond_tolerance_fails_and_reports_tol_used(self):
        rtol = 2 * 2.0 ** -8
        ok = vh.check_sequences([1.0 + 0.5 * rtol * 2], [1.0], "bf16")  # |d| = rtol, allowed 2 rtol
        self.assertTrue(ok["pass"])
        self.assertAlmostEqual(ok["tol_used"], 0.5)
        bad = vh.check_sequences([1.0, 1.1], [1.0, 1.0], "bf16")
        self.assertFalse(bad["pass"])
        self.assertEqual(bad["n_bad"], 1)
        self.assertGreater(bad["tol_used"], 1.0)

    def test_nan_and_inf_always_fail(self):
        for value in (math.nan, math.inf, -math.inf):
            r = vh.check_sequences([1.0, value], [1.0, 1.0], "fp32")
            self.assertFalse(r["pass"])
            self.assertEqual(r["n_nonfinite"], 1)
        r = vh.check_sequences([1.0], [math.nan], "fp32")  # a broken oracle passes nothing
        self.assertFalse(r["pass"])

    def test_empty_and_mismatched_inputs(self):
        self.assertFalse(vh.check_sequences([], [], "fp32")["pass"])
        with self.assertRaises(ValueError):
            vh.check_sequences([1.0], [1.0, 2.0], "fp32")

    @unittest.skipUnless(HAVE_TORCH, "torch not installed")
    def test_torch_path_agrees_with_the_pure_python_path(self):
        import torch
        g = torch.Generator().manual_seed(1)
        ref = torch.randn(4097, generator=g, dtype=torch.float64) * 3
        for dt, tdt in (("bf16", torch.bfloat16), ("fp16", torch.float16), ("fp32", torch.float32)):
            out = (ref * (1 + 1e-3 * torch.randn(4097, generator=g, dtype=torch.float64))).to(tdt)
            a = vh.check_tensors(out, ref, dt, chunk=1000)
            b = vh.check_sequences(out.double().tolist(), ref.tolist(), dt)
            self.assertEqual(a["pass"], b["pass"], dt)
            self.assertEqual(a["n_bad"], b["n_bad"], dt)
            self.assertAlmostEqual(a["tol_used"], b["tol_used"], places=9)
            self.assertAlmostEqual(a["max_abs"], b["max_abs"], places=12)
        out = ref.to(torch.bfloat16).clone()
        out[7] = float("nan")
        self.assertFalse(vh.VendorSession.check(out, ref, dtype="bf16")["pass"])


class StatsTest(unittest.TestCase):
    def test_percentiles_are_numpy_linear(self):
        s = vh.summarize([float(x) for x in range(1, 11)])
        self.assertEqual((s["median"], s["p10"], s["p90"], s["min"], s["n"]), (5.5, 1.9, 9.1, 1.0, 10))
        self.assertEqual(vh.summarize([2.0])["p90"], 2.0)

    def test_rel_std_error(self):
        self.assertEqual(vh.rel_std_error([1.0]), math.inf)
        self.assertEqual(vh.rel_std_error([1.0, 1.0, 1.0]), 0.0)

    def test_names_and_paths(self):
        self.assertEqual(vh.gpu_slug("NVIDIA H200"), "nvidia-h200")
        self.assertEqual(vh.gpu_slug("NVIDIA A100-SXM4-80GB"), "nvidia-a100-sxm4-80gb")
        self.assertEqual(vh.datasheet_gbps("NVIDIA H200"), 4800.0)
        self.assertEqual(vh.datasheet_gbps("NVIDIA H100 80GB HBM3"), 3350.0)
        self.assertIsNone(vh.datasheet_gbps("Fixture GPU"))
        with mock.patch.dict(os.environ, {"LABS_CACHE_DIR": "/c"}):
            self.assertEqual(vh.cache_dir(), "/c")
        with mock.patch.dict(os.environ, {"LABS_CACHE_DIR": "", "XDG_CACHE_HOME": "/x"}):
            self.assertEqual(vh.cache_dir(), "/x/llm-inference-labs")
        cmd = vh.command_line([os.path.join(vh.REPO_ROOT, "scripts/vendor/99_fixture.py"), "--quick",
                               "--journal", "/tmp/j.jsonl", "--journal=/x", "--rows", "7"])
        self.assertEqual(cmd, "python3 scripts/vendor/99_fixture.py --quick --rows 7")


def fake_torch(samples_ms):
    """Just enough of torch for VendorSession: events replay `samples_ms`."""
    t = types.ModuleType("torch")
    t.__version__ = "0.0-fixture"
    t.uint8 = "uint8"
    t.int32 = "int32"
    t.version = types.SimpleNamespace(cuda="13.0", hip=None)
    it = iter(samples_ms)
    flushes = []

    class Event:
        def __init__(self, enable_timing=False):
            pass

        def record(self):
            pass

        def synchronize(self):
            pass

        def elapsed_time(self, other):
            return next(it, 0.001)

    class Buf:
        def fill_(self, v):
            flushes.append(v)
            return self

    props = types.SimpleNamespace(name="Fixture GPU", major=9, minor=0, multi_processor_count=100,
                                  L2_cache_size=1 << 20, total_memory=1 << 30, uuid="GPU-fixture")
    t.cuda = types.SimpleNamespace(is_available=lambda: True, current_device=lambda: 0,
                                   get_device_properties=lambda d: props, synchronize=lambda: None,
                                   Event=Event)
    t.empty = lambda *n, dtype=None, device=None: Buf()
    reads = []
    t.amax = lambda buf, dim=0, out=None: reads.append(dim)  # the read-only pass after a flush
    t.flushes = flushes
    t.flush_reads = reads
    return t


class SessionTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.journal = os.path.join(self.dir.name, "j.jsonl")
        with open(os.path.join(self.dir.name, "ceilings-fixture-gpu.json"), "w") as f:
            json.dump({"copy_gbps": 1000.0, "source": "fixture"}, f)
        self.env = mock.patch.dict(os.environ, {"LABS_CACHE_DIR": self.dir.name, "LABS_COMMIT": "fixture",
                                                "LABS_DIRTY": "0"})
        self.env.start()

    def tearDown(self):
        self.env.stop()
        self.dir.cleanup()

    def session(self, samples, quick=False):
        t = fake_torch(samples)
        self.mods = mock.patch.dict(sys.modules, {"torch": t})
        self.mods.start()
        self.addCleanup(self.mods.stop)
        return vh.VendorSession("99-fixture", journal=self.journal, quick=quick), t

    def test_adaptive_stop_and_cold_flushes(self):
        samples = [1.0] * 50  # no noise: stops at the minimum sample count
        s, t = self.session(samples)
        calls = []
        tm = s.time(lambda: calls.append(1), l2="cold")
        self.assertEqual(tm["n"], 15)
        self.assertEqual(tm["median"], 1.0)
        self.assertEqual(len(t.flushes), 15)  # one flush per sample, none during warm-up
        self.assertEqual(len(t.flush_reads), 15)  # each flush is read back: L2 left clean
        s2, t2 = self.session([1.0, 3.0] * 100, quick=True)
        tm2 = s2.time(lambda: None, l2="warm")
        self.assertEqual(len(t2.flushes), 0)
        self.assertEqual(tm2["n"], 50)  # noisy: stops at quick mode's sample cap
        with self.assertRaisesRegex(ValueError, "valid: cold, warm"):
            s2.time(lambda: None, l2="tepid")

    def test_append_writes_a_valid_row_and_refuses_failed_checks(self):
        s, _ = self.session([0.5] * 50)
        tm = s.time(lambda: None, l2="cold")
        chk = s.check([1.0], [1.0], dtype="fp32")
        wl = {"rows": 7, "cols": 9, "dtype": "fp32"}
        row = s.append(variant="torch-fixture", producer="torch 0.0-fixture", workload=wl, l2="cold",
                       time_ms=tm, bytes=1e9, flops=0, check=chk, launches=1, extra={"backend": "x"})
        self.assertIsNotNone(row)
        bad = s.check([float("nan")], [1.0], dtype="fp32")
        self.assertIsNone(s.append(variant="torch-bad", producer="p", workload=wl, l2="cold", time_ms=tm,
                                   bytes=1e9, flops=0, check=bad))
        rows = journal.read_journal(self.journal)
        self.assertEqual(len(rows), 1)
        r = rows[0]
        self.assertEqual((r["kind"], r["lab"], r["workload"], r["backend"]), ("vendor", "99-fixture", wl, "x"))
        self.assertAlmostEqual(r["gbps"], 2000.0)
        self.assertAlmostEqual(r["pct_copy_bw"], 200.0)
        self.assertIsNone(r["tflops"])
        self.assertEqual(r["gpu"]["name"], "Fixture GPU")
        self.assertEqual(r["build"]["commit"], "fixture")
        self.assertFalse(r["build"]["dirty"])
        self.assertRegex(r["run"], r"^\d{8}T\d{6}Z-[0-9a-f]{4}$")
        self.assertEqual(s.finish(), 1)  # one failed check

    def test_extra_cannot_override_fixed_keys(self):
        s, _ = self.session([0.5] * 50)
        tm = s.time(lambda: None, l2="warm")
        with self.assertRaises(ValueError):
            s.append(variant="x", producer="p", workload={"dtype": "fp32"}, l2="warm", time_ms=tm, bytes=1,
                     flops=0, check=s.check([1.0], [1.0], "fp32"), extra={"gbps": 1})

    def test_print_only_journal(self):
        for j in (None, "-"):
            s = vh.VendorSession("99-fixture", journal=j)
            self.assertIsNone(s.journal)


if __name__ == "__main__":
    unittest.main()
