import os
import tempfile
import unittest

from tests.fixtures import fixture_rows, row, write_journal
from pylabs import journal, reproduce as rp


def tm(median, p10, p90):
    return {"median": median, "p10": p10, "p90": p90, "min": p10, "n": 20}


class DecideTest(unittest.TestCase):
    def test_inside_the_recorded_band_is_same(self):
        self.assertEqual(rp.decide(tm(1.0, 0.95, 1.05), tm(1.04, 1.03, 1.05)).word, "SAME")

    def test_band_is_widened_by_the_new_runs_spread(self):
        # 1.08 is above the recorded p90 (1.05), but the new run's own spread above its median
        # (p90 - median = 0.04) widens the top of the band to 1.09
        self.assertEqual(rp.decide(tm(1.0, 0.95, 1.05), tm(1.08, 1.03, 1.12)).word, "SAME")
        self.assertEqual(rp.decide(tm(1.0, 0.95, 1.05), tm(1.08, 1.07, 1.09)).word, "SLOWER")

    def test_faster_and_slower_give_the_ratio(self):
        v = rp.decide(tm(1.0, 0.99, 1.01), tm(0.5, 0.49, 0.51))
        self.assertEqual(v.word, "FASTER")
        self.assertAlmostEqual(v.ratio, 2.0)
        v = rp.decide(tm(1.0, 0.99, 1.01), tm(1.5, 1.49, 1.51))
        self.assertEqual(v.word, "SLOWER")
        self.assertAlmostEqual(v.ratio, 1.5)
        self.assertIn("1.50× slower", rp.describe(v))


class ReproduceTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "journal.jsonl")
        write_journal(self.path, fixture_rows())
        self.rows = journal.read_journal(self.path)
        self.logs = []

    def tearDown(self):
        self.dir.cleanup()

    def test_find_by_line_run_and_variant(self):
        self.assertEqual(rp.find_rows(self.rows, "4", "j")[0]["variant"], "v3")
        self.assertEqual(len(rp.find_rows(self.rows, "20000102T000000Z-f1x1", "j")), 1)
        hits = rp.find_rows(self.rows, "20000101T000000Z-f1x0:v0", "j")
        self.assertTrue(hits and all(r["variant"] == "v0" for r in hits))

    def test_lookup_errors_say_what_exists(self):
        with self.assertRaisesRegex(rp.LookupFailed, r"lines 1\.\.\d+"):
            rp.find_rows(self.rows, "9999", "j")
        with self.assertRaisesRegex(rp.LookupFailed, "valid: .*v0"):
            rp.find_rows(self.rows, "20000101T000000Z-f1x0:v9", "j")
        with self.assertRaisesRegex(rp.LookupFailed, "newest runs"):
            rp.find_rows(self.rows, "nope", "j")

    def fake_runner(self, new_median, rc=0):
        def run(argv, cwd):
            self.assertEqual(argv[-2], "--journal")
            if rc == 0:
                old = [r for r in self.rows if r.line == 4][0]
                new = dict(old)
                new["time_ms"] = tm(new_median, new_median * 0.99, new_median * 1.01)
                journal.append_row(argv[-1], new)
            return rc
        return run

    def test_rerun_same_faster_slower(self):
        target = [r for r in self.rows if r.line == 4]  # v3 small cold, 1.0 ms [0.98, 1.02]
        for median, word in ((1.0, "SAME"), (0.5, "FASTER"), (2.0, "SLOWER")):
            self.logs.clear()
            code = rp.reproduce(target, root=self.dir.name, runner=self.fake_runner(median), log=self.logs.append)
            self.assertEqual(code, 0)
            self.assertTrue(any(line.strip().startswith(word) for line in self.logs), self.logs)

    def test_no_gpu_is_said_plainly(self):
        target = [r for r in self.rows if r.line == 4]
        code = rp.reproduce(target, root=self.dir.name, runner=self.fake_runner(1.0, rc=77), log=self.logs.append)
        self.assertEqual(code, 77)
        self.assertTrue(any("no GPU" in line for line in self.logs))

    def test_published_rows_are_refused(self):
        pub = [r for r in self.rows if r["kind"] == "published"]
        code = rp.reproduce(pub, root=self.dir.name, runner=self.fake_runner(1.0), log=self.logs.append)
        self.assertEqual(code, 2)
        self.assertTrue(any("published" in line for line in self.logs))

    def test_missing_executable_names_the_build_command(self):
        target = [r for r in self.rows if r.line == 4]
        code = rp.reproduce(target, root=self.dir.name, log=self.logs.append)  # real runner, nothing built
        self.assertEqual(code, 1)
        self.assertTrue(any("cmake --preset" in line for line in self.logs))


if __name__ == "__main__":
    unittest.main()
