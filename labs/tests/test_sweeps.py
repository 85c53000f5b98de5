"""Topic 00's copy-size sweep read back from the journal: the points, the floor, the
interpolated copy time at a size, and the copy-vs-size plot. Synthetic rows only (lab
"00-fixture-machine", GPU "Fixture GPU")."""
import math
import os
import tempfile
import unittest

from tests.fixtures import row, write_journal
from pylabs import compare, journal, plots, sweeps

try:
    import matplotlib  # noqa: F401
    HAVE_MPL = True
except ImportError:
    HAVE_MPL = False

LAB = "00-fixture-machine"
GPU = "Fixture GPU"
KIB = 1024


def sweep_row(variant, buffer_bytes, median, **kw):
    """A sweep row as lab-00-machine writes it: bytes moved = 2 x buffer."""
    wl = {"op": "d2d-copy", "bytes_per_buffer": buffer_bytes, "dtype": "fp32"}
    return row(variant, median, lab=LAB, workload=wl, bytes_=2.0 * buffer_bytes, **kw)


def read_row(buffer_bytes, median, **kw):
    """A read-sweep row as lab-00-machine writes it: bytes moved = bytes read = 1 x buffer."""
    wl = {"op": "d2d-read", "bytes_per_buffer": buffer_bytes, "dtype": "fp32"}
    return row("read-kernel-sweep", median, lab=LAB, workload=wl, bytes_=1.0 * buffer_bytes, **kw)


def floor_row(median, l2="cold", **kw):
    wl = {"op": "empty-kernel", "kernels": 1, "dtype": "none"}
    return row(f"floor-empty-{l2}", median, lab=LAB, workload=wl, l2=l2, bytes_=0.0, **kw)


# memcpy: 256 KiB -> 0.008 ms, 512 KiB -> 0.010 ms, 1 MiB -> 0.016 ms (moved: 512 KiB, 1 MiB, 2 MiB)
MEMCPY = ((256 * KIB, 0.008), (512 * KIB, 0.010), (1024 * KIB, 0.016))


def base_rows():
    rows = [sweep_row("d2d-copy-sweep", b, ms) for b, ms in MEMCPY]
    rows += [sweep_row("d2d-copy-kernel-sweep", b, ms * 2) for b, ms in MEMCPY]
    rows += [read_row(b, ms / 2) for b, ms in MEMCPY]
    rows.append(floor_row(0.005))
    rows.append(floor_row(0.002, l2="warm"))
    rows.append(row("d2d-copy-hbm", 2.0, lab=LAB, workload={"op": "d2d-copy", "bytes_per_buffer": 1 << 30,
                                                              "dtype": "fp32"}, bytes_=2.0e9))
    return rows


class SweepTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def read(self, rows):
        path = os.path.join(self.dir.name, f"j{len(os.listdir(self.dir.name))}.jsonl")
        return journal.read_journal(write_journal(path, rows))

    def test_points_are_bytes_moved_and_median_in_increasing_size(self):
        rows = self.read(list(reversed(base_rows())))
        self.assertEqual(sweeps.sweep_points(rows, GPU), [(2.0 * b, ms) for b, ms in MEMCPY])
        kernel = sweeps.sweep_points(rows, GPU, sweeps.KERNEL_SWEEP)
        self.assertEqual([ms for _, ms in kernel], [0.016, 0.020, 0.032])
        read = sweeps.sweep_points(rows, GPU, sweeps.READ_SWEEP)  # x = bytes read, not 2 x buffer
        self.assertEqual(read, [(1.0 * b, ms / 2) for b, ms in MEMCPY])

    def test_read_time_is_the_read_sweep_at_bytes_read(self):
        rows = self.read(base_rows())
        for b, ms in MEMCPY:  # read rows: x = 1 x buffer, median = ms / 2
            self.assertEqual(sweeps.read_time_at_bytes(rows, GPU, 1.0 * b), ms / 2)
        mid = math.sqrt(256 * KIB * 512 * KIB)
        self.assertAlmostEqual(sweeps.read_time_at_bytes(rows, GPU, mid), math.sqrt(0.004 * 0.005), places=12)
        self.assertIsNone(sweeps.read_time_at_bytes(rows, GPU, 2048 * KIB))  # past the largest size
        self.assertIsNone(sweeps.read_time_at_bytes(rows, "Another GPU", 512 * KIB))

    def test_compare_adds_the_read_ceiling_only_for_read_bound_topics(self):
        wl = {"B": 1, "S": 4096, "dtype": "bf16"}
        attn = [row("v1", 0.010, lab="02-fixture-attn", workload=wl, bytes_=512 * KIB),
                row("v0", 0.020, lab="02-fixture-attn", workload=wl, bytes_=512 * KIB)]
        gelu = [row("v1", 0.010, lab="01-fixture-gelu", workload=wl, bytes_=512 * KIB)]
        rows = self.read(base_rows() + attn + gelu)
        lines = compare.compare_lines(rows, "02-fixture-attn", {})
        ceiling = [l for l in lines if "pure read" in l]
        self.assertEqual(len(ceiling), 1)
        self.assertIn("5.00 µs", ceiling[0])  # the 512 KiB read row: 0.010 / 2 ms
        self.assertIn("50% of its speed", ceiling[0])  # the best (v1, 10 µs), not v0
        self.assertFalse([l for l in compare.compare_lines(rows, "01-fixture-gelu", {}) if "pure read" in l])
        warm = self.read(base_rows() + [row("v1", 0.010, lab="02-fixture-attn", workload=wl, bytes_=512 * KIB,
                                            l2="warm")])
        self.assertFalse([l for l in compare.compare_lines(warm, "02-fixture-attn", {}) if "pure read" in l])
        far = self.read(base_rows() + [row("v1", 0.010, lab="02-fixture-attn", workload=wl, bytes_=64e9)])
        self.assertFalse([l for l in compare.compare_lines(far, "02-fixture-attn", {}) if "pure read" in l])

    def test_copy_time_is_exact_at_a_measured_size(self):
        rows = self.read(base_rows())
        for b, ms in MEMCPY:
            self.assertEqual(sweeps.copy_time_at_bytes(rows, GPU, 2.0 * b), ms)

    def test_copy_time_is_log_log_linear_between_sizes(self):
        rows = self.read(base_rows())
        # Halfway in log(bytes) between 512 KiB and 1 MiB moved: the geometric mean of the times.
        mid = math.sqrt(512 * KIB * 1024 * KIB)
        self.assertAlmostEqual(sweeps.copy_time_at_bytes(rows, GPU, mid), math.sqrt(0.008 * 0.010), places=12)
        # A quarter of the way (log) between 1 MiB and 2 MiB moved.
        x = 2 ** 20.25
        want = math.exp(math.log(0.010) + 0.25 * (math.log(0.016) - math.log(0.010)))
        self.assertAlmostEqual(sweeps.copy_time_at_bytes(rows, GPU, x), want, places=12)
        # Linear in log-log is not linear: the straight-line value would be larger here.
        self.assertLess(sweeps.copy_time_at_bytes(rows, GPU, mid), (0.008 + 0.010) / 2)

    def test_none_outside_the_measured_range_without_rows_or_on_another_gpu(self):
        rows = self.read(base_rows())
        self.assertIsNone(sweeps.copy_time_at_bytes(rows, GPU, 512 * KIB - 1))
        self.assertIsNone(sweeps.copy_time_at_bytes(rows, GPU, 2 * 1024 * KIB + 1))
        self.assertIsNone(sweeps.copy_time_at_bytes(rows, GPU, 0))
        self.assertIsNone(sweeps.copy_time_at_bytes(rows, GPU, float("nan")))
        self.assertIsNone(sweeps.copy_time_at_bytes(rows, "Another GPU", 1024 * KIB))
        self.assertIsNone(sweeps.copy_time_at_bytes([], GPU, 1024 * KIB))
        only_kernel = self.read([sweep_row("d2d-copy-kernel-sweep", b, ms) for b, ms in MEMCPY])
        self.assertIsNone(sweeps.copy_time_at_bytes(only_kernel, GPU, 1024 * KIB))

    def test_newest_row_per_size_wins_and_failed_or_warm_rows_are_ignored(self):
        rows = base_rows()
        rows.append(sweep_row("d2d-copy-sweep", 512 * KIB, 0.012, run="20000102T000000Z-f1x1"))
        rows.append(sweep_row("d2d-copy-sweep", 1024 * KIB, 0.777, passed=False, run="20000103T000000Z-f1x2"))
        rows.append(sweep_row("d2d-copy-sweep", 256 * KIB, 0.001, l2="warm"))
        rows = self.read(rows)
        self.assertEqual(sweeps.copy_time_at_bytes(rows, GPU, 1024 * KIB), 0.012)
        self.assertEqual(sweeps.copy_time_at_bytes(rows, GPU, 512 * KIB), 0.008)
        # The newest 1 MiB row failed its check: the range now ends at 1 MiB moved.
        self.assertIsNone(sweeps.copy_time_at_bytes(rows, GPU, 2 * 1024 * KIB))

    def test_floor_is_the_cold_empty_kernel(self):
        rows = self.read(base_rows())
        self.assertEqual(sweeps.floor_ms(rows, GPU), 0.005)
        self.assertIsNone(sweeps.floor_ms(rows, "Another GPU"))

    def test_plot_data_and_bars_leave_the_sweep_out(self):
        rows = self.read(base_rows())
        gpu, series, floor, copy_gbps = plots.copy_vs_size_data(rows, LAB)
        self.assertEqual(gpu, GPU)
        self.assertEqual(set(series), {"d2d-copy-sweep", "d2d-copy-kernel-sweep", "read-kernel-sweep"})
        self.assertEqual(floor, 0.005)
        self.assertAlmostEqual(copy_gbps, 1000.0)  # 2e9 B / 2 ms
        _, panels = plots.bar_panels(rows, LAB)
        labels = {label for _, _, bars in panels for label, _, _ in bars}
        self.assertNotIn("d2d-copy-sweep", labels)
        self.assertNotIn("d2d-copy-kernel-sweep", labels)
        self.assertNotIn("read-kernel-sweep", labels)
        self.assertIn("d2d-copy-hbm", labels)

    @unittest.skipUnless(HAVE_MPL, "matplotlib not installed for this python3")
    def test_the_plot_is_written_listed_and_deterministic(self):
        path = write_journal(os.path.join(self.dir.name, "j.jsonl"), base_rows())
        out = os.path.join(self.dir.name, "plots")
        written = plots.render_all(path, out)
        want = os.path.join(out, plots.copy_vs_size_name(LAB))
        self.assertIn(want, written)
        self.assertEqual(os.path.basename(want), "00-fixture-machine-copy-vs-size.svg")
        self.assertIn(want, plots.existing_plots(out, [LAB])[LAB])
        with open(want, "rb") as f:
            first = f.read()
        plots.render_all(path, out)
        with open(want, "rb") as f:
            self.assertEqual(f.read(), first)

    def test_no_sweep_rows_no_plot(self):
        rows = self.read([floor_row(0.005)])
        self.assertEqual(plots.copy_vs_size_data(rows, LAB)[1], {})
        self.assertIsNone(plots.plot_copy_vs_size(rows, LAB, os.path.join(self.dir.name, "none.svg")))


if __name__ == "__main__":
    unittest.main()
