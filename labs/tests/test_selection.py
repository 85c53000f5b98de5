import unittest

from tests.fixtures import BIG, SMALL, fixture_rows, row
from pylabs import journal, selection as sel


def load(rows):
    out = []
    for i, r in enumerate(rows, start=1):
        x = journal.Row(r)
        x.line = i
        out.append(x)
    return out


class SelectionTest(unittest.TestCase):
    def setUp(self):
        self.rows = load(fixture_rows())
        self.latest = sel.latest(self.rows)

    def find(self, variant, wl=SMALL, l2="cold", kind="lab"):
        hits = [r for r in self.latest if r["variant"] == variant and r["workload"] == wl
                and r["l2"] == l2 and r["kind"] == kind and r["lab"] == "99-fixture"]
        self.assertEqual(len(hits), 1, variant)
        return hits[0]

    def test_latest_keeps_the_newest_row_per_key(self):
        v3 = self.find("v3")
        self.assertEqual(v3["time_ms"]["median"], 0.5)
        self.assertEqual(v3["run"], "20000102T000000Z-f1x1")

    def test_speedup_vs_baseline(self):
        v3 = self.find("v3", BIG)
        base = sel.baseline_for(v3, self.latest)
        self.assertEqual(base["variant"], "v0")
        self.assertAlmostEqual(sel.speedup(base, v3), 400.0 / 50.0)

    def test_speedup_vs_best_vendor_picks_the_fastest_passing_vendor(self):
        v3 = self.find("v3", BIG)
        vendor = sel.best_vendor_for(v3, self.latest)
        self.assertEqual(vendor["variant"], "torch-gelu")
        self.assertAlmostEqual(sel.speedup(vendor, v3), 100.0 / 50.0)

    def test_baseline_must_match_l2_mode(self):
        warm = self.find("v3", SMALL, "warm")
        self.assertIsNone(sel.baseline_for(warm, self.latest))
        self.assertIsNone(sel.speedup(None, warm))

    def test_failed_rows_are_not_usable_and_get_no_speedup(self):
        v2 = self.find("v2")
        self.assertFalse(sel.usable(v2))
        self.assertIsNone(sel.speedup(sel.baseline_for(v2, self.latest), v2))

    def test_failed_baseline_is_not_used(self):
        rows = load([row("v0", 2.0, passed=False), row("v1", 1.0)])
        self.assertIsNone(sel.baseline_for(rows[1], rows))

    def test_other_gpu_is_not_compared(self):
        other = row("torch-gelu", 0.1, kind="vendor", workload=BIG)
        other["gpu"] = dict(other["gpu"], name="Other Fixture GPU")
        rows = load(fixture_rows() + [other])
        v3 = [r for r in rows if r["variant"] == "v3" and r["workload"] == BIG][0]
        self.assertEqual(sel.best_vendor_for(v3, rows)["gpu"]["name"], "Fixture GPU")

    def test_order_puts_versions_naturally_then_vendors(self):
        rows = load([row("v10"), row("torch"), row("v2"), row("v0", l2="warm"), row("v0")])
        rows[1]["kind"] = "vendor"
        names = [(r["variant"], r["l2"]) for r in sel.order_rows(rows)]
        self.assertEqual(names, [("v0", "cold"), ("v2", "cold"), ("v10", "cold"), ("torch", "cold"), ("v0", "warm")])

    def test_workload_filters(self):
        self.assertTrue(sel.matches_filters(BIG, {"rows": "16384", "dtype": "bf16"}))
        self.assertFalse(sel.matches_filters(BIG, {"rows": "1000"}))
        self.assertFalse(sel.matches_filters(BIG, {"M": "1"}))


if __name__ == "__main__":
    unittest.main()
