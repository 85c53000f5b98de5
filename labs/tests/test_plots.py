"""Plots: drawn from the fixture journal when matplotlib is present; deterministic bytes."""
import os
import tempfile
import unittest

from tests.fixtures import fixture_rows, write_journal
from pylabs import journal, plots

try:
    import matplotlib  # noqa: F401
    HAVE_MPL = True
except ImportError:
    HAVE_MPL = False


class PlotDataTest(unittest.TestCase):
    """The data behind the plots, testable without matplotlib."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = write_journal(os.path.join(self.dir.name, "j.jsonl"), fixture_rows())
        self.rows = journal.read_journal(self.path)

    def tearDown(self):
        self.dir.cleanup()

    def test_bar_panels_use_cold_rows_largest_first_and_hide_failed_numbers(self):
        gpu, panels = plots.bar_panels(self.rows, "99-fixture")
        self.assertEqual(gpu, "Fixture GPU")
        self.assertTrue(panels[0][0].startswith("rows=16384 cols=14336 bf16"))
        bars = dict((label, value) for label, value, _ in panels[0][2])
        self.assertIsNone(bars["v2"])  # check failed: no number
        self.assertEqual(panels[0][1], "% of measured copy bandwidth")

    def test_roofs_and_points(self):
        bw, peak = plots._ceiling_rows(self.rows, "Fixture GPU")
        self.assertAlmostEqual(bw, 1000.0)          # 2e9 B / 2 ms
        self.assertAlmostEqual(peak, 2 * 8192.0 ** 3 / 1e-3 / 1e12)
        pts = plots.roofline_points(self.rows, "Fixture GPU")
        self.assertTrue(pts and all(p[0] == "04-fixture-w4a16" for p in pts))

    def test_speedup_vs_m_over_cublas(self):
        gpu, l2, series = plots.speedup_series(self.rows, "04-fixture-w4a16")
        self.assertEqual(l2, "cold")
        ms = [m for m, _ in series[(14336, 4096)]["v1"]]
        self.assertEqual(ms, [1.0, 16.0, 256.0])
        m1 = series[(14336, 4096)]["v1"][0][1]
        self.assertAlmostEqual(m1, (0.04 * (1 + 1 / 128)) / (0.02 * (1 + 1 / 64)))


def read(path):
    with open(path, "rb") as f:
        return f.read()


@unittest.skipUnless(HAVE_MPL, "matplotlib not installed for this python3")
class PlotFilesTest(unittest.TestCase):
    def test_svgs_are_written_and_identical_when_redrawn(self):
        with tempfile.TemporaryDirectory() as d:
            j = write_journal(os.path.join(d, "j.jsonl"), fixture_rows())
            out = os.path.join(d, "plots")
            first = plots.render_all(j, out)
            names = sorted(os.path.basename(p) for p in first)
            self.assertIn("99-fixture-bars.svg", names)
            self.assertIn("roofline.svg", names)
            self.assertIn("04-fixture-w4a16-speedup-vs-m.svg", names)
            before = {p: read(p) for p in first}
            plots.render_all(j, out)
            for p, data in before.items():
                self.assertEqual(read(p), data, p)
                self.assertNotIn(b"<dc:date>", data)


if __name__ == "__main__":
    unittest.main()
