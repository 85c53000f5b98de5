import os
import tempfile
import unittest

from tests.fixtures import FAILED_SENTINEL_MS, fixture_rows, row, write_journal
from pylabs import report

README = """# Fixture topic

Prose before.

<!-- results:begin -->
stale table
<!-- results:end -->

Prose after.
"""


class ReportTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.root = self.dir.name
        os.makedirs(os.path.join(self.root, "topics", "99-fixture"))
        os.makedirs(os.path.join(self.root, "topics", "98-no-markers"))
        with open(os.path.join(self.root, "topics", "99-fixture", "README.md"), "w") as f:
            f.write(README)
        with open(os.path.join(self.root, "topics", "98-no-markers", "README.md"), "w") as f:
            f.write("# No markers\n")
        self.journal = os.path.join(self.root, "results", "journal.jsonl")
        write_journal(self.journal, fixture_rows())
        self.logs = []

    def tearDown(self):
        self.dir.cleanup()

    def render(self):
        report.run_report(self.journal, root=self.root, make_plots=False, log=self.logs.append)
        with open(os.path.join(self.root, "results", "README.md"), encoding="utf-8") as f:
            return f.read()

    def table_line(self, page, variant_cell, workload="rows=1000 cols=3072", l2="cold", kind="lab"):
        for line in page.splitlines():
            cells = [c.strip() for c in line.strip("|").split("|")]
            if len(cells) > 5 and cells[0] == variant_cell and cells[2] == workload and cells[4] == l2 \
                    and cells[1].startswith(kind):
                return cells
        self.fail(f"no table line for {variant_cell} {workload} {l2}\n{page}")

    def test_page_says_generated_and_names_the_journal(self):
        page = self.render()
        self.assertIn("do not edit", page.lower())
        self.assertIn("results/journal.jsonl", page)
        self.assertIn("## 99-fixture: Fixture topic", page)

    def test_latest_row_and_speedups(self):
        page = self.render()
        v3 = self.table_line(page, "`v3`")
        header = list(report.MAIN_HEADER)
        self.assertEqual(v3[header.index("median ms")], "0.5000")
        self.assertEqual(v3[header.index("vs v0")], "16.00×")               # 8.0 / 0.5
        self.assertEqual(v3[header.index("vs best vendor")], "4.00× (torch-gelu)")  # 2.0 / 0.5
        self.assertEqual(v3[header.index("GB/s")], "2,000")                  # 1e9 B / 0.5 ms
        self.assertEqual(v3[header.index("% copy BW")], "200.0%")
        self.assertIn("[20000102T000000Z-f1x1](journal.jsonl#L", v3[header.index("run · commit")])
        self.assertIn("`01234567`", v3[header.index("run · commit")])
        big = self.table_line(page, "`v3`", "rows=16384 cols=14336")
        self.assertEqual(big[header.index("vs v0")], "8.00×")
        warm = self.table_line(page, "`v3`", l2="warm")
        self.assertEqual(warm[header.index("vs v0")], "—")  # no v0 measured warm

    def test_failed_check_is_never_shown_as_a_number(self):
        page = self.render()
        v2 = self.table_line(page, "`v2`")
        self.assertEqual(v2[report.MAIN_HEADER.index("median ms")], "check failed")
        self.assertNotIn(str(FAILED_SENTINEL_MS), page)
        self.assertNotIn(report.fmt_ms(FAILED_SENTINEL_MS), page)

    def test_published_rows_are_in_their_own_table(self):
        page = self.render()
        self.assertIn("Published figures", page)
        self.assertIn("Fixture et al., a made-up paper", page)
        self.assertIn("Fixture Published GPU", page)

    def test_topic_readme_block_is_replaced_between_markers_only(self):
        self.render()
        with open(os.path.join(self.root, "topics", "99-fixture", "README.md"), encoding="utf-8") as f:
            text = f.read()
        self.assertNotIn("stale table", text)
        self.assertTrue(text.startswith("# Fixture topic\n\nProse before.\n\n<!-- results:begin -->\n"))
        self.assertTrue(text.endswith("<!-- results:end -->\n\nProse after.\n"))
        self.assertIn("../../results/journal.jsonl#L", text)
        with open(os.path.join(self.root, "topics", "98-no-markers", "README.md"), encoding="utf-8") as f:
            self.assertEqual(f.read(), "# No markers\n")

    def test_rendering_twice_gives_identical_files(self):
        first = self.render()
        self.assertEqual(self.render(), first)
        self.assertTrue(any("unchanged" in line for line in self.logs))

    def test_throttled_rows_are_marked(self):
        write_journal(self.journal, [row("v1", 5.0, throttled=True)])
        page = self.render()
        self.assertIn("5.000 ⚠", page)
        self.assertIn("throttled", page)

    def test_commit_links_to_github_only_when_the_remote_is_there(self):
        r = row()
        self.assertEqual(report.Links(self.root, self.journal, self.root).commit(r), "`01234567`")
        linked = report.Links(self.root, self.journal, self.root, "https://github.com/o/r").commit(r)
        self.assertEqual(linked, "[`01234567`](https://github.com/o/r/commit/0123456789abcdef)")

    def test_replace_block_without_markers(self):
        self.assertIsNone(report.replace_block("no markers here", "x"))

    def test_number_formats(self):
        self.assertEqual(report.fmt_ms(12.3456), "12.35")
        self.assertEqual(report.fmt_ms(0.0042171), "0.004217")
        self.assertEqual(report.fmt_ms(None), "—")
        self.assertEqual(report.fmt_speedup(2.0), "2.00×")
        self.assertEqual(report.fmt_launches(None), "n/c")
        self.assertEqual(report.fmt_launches(-1), "n/c")
        self.assertEqual(report.fmt_launches(9), "9")


if __name__ == "__main__":
    unittest.main()
