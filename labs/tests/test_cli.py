"""The `lab` command line: one-line errors naming the argument and the accepted values (exit 2)."""
import os
import subprocess
import sys
import tempfile
import unittest

from tests.fixtures import fixture_rows, write_journal

LAB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lab")


def lab(*args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([sys.executable, LAB] + list(args), capture_output=True, text=True, env=e, timeout=120)
    return p.returncode, p.stdout, p.stderr


class CliTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.journal = os.path.join(self.dir.name, "j.jsonl")
        write_journal(self.journal, fixture_rows())

    def tearDown(self):
        self.dir.cleanup()

    def assertUsageError(self, result, *needles):
        code, out, err = result
        self.assertEqual(code, 2, err)
        lines = err.strip().splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertTrue(lines[0].startswith("lab: error: "), err)
        for n in needles:
            self.assertIn(n, lines[0])

    def test_help(self):
        code, out, _ = lab("--help")
        self.assertEqual(code, 0)
        for c in ("list", "run", "report", "compare", "reproduce"):
            self.assertIn(c, out)

    def test_unknown_command_lists_the_commands(self):
        self.assertUsageError(lab("frobnicate"), "frobnicate", "list", "reproduce")

    def test_unknown_topic_lists_the_topics(self):
        self.assertUsageError(lab("run", "no-such-topic"), "topic", "no-such-topic", "valid: all")

    def test_missing_topic(self):
        self.assertUsageError(lab("run"), "topic: missing", "valid: all")

    def test_unknown_option(self):
        self.assertUsageError(lab("report", "--colour"), "--colour")

    def test_passthrough_only_for_run(self):
        self.assertUsageError(lab("report", "--", "--variant", "v3"), "--")

    def test_reproduce_unknown_run_names_the_newest_runs(self):
        self.assertUsageError(lab("reproduce", "nope", "--journal", self.journal), "nope", "newest runs")

    def test_reproduce_bad_line(self):
        self.assertUsageError(lab("reproduce", "99999", "--journal", self.journal), "line 99999")

    def test_malformed_journal_is_reported_with_its_line(self):
        with open(self.journal, "a") as f:
            f.write("{not json\n")
        n = len(fixture_rows()) + 1
        code, _, err = lab("reproduce", "1", "--journal", self.journal)
        self.assertEqual(code, 1)
        self.assertIn(f"j.jsonl:{n}: malformed journal line", err)

    def test_report_refuses_dash_journal(self):
        self.assertUsageError(lab("report", "--journal", "-"), "--journal")


if __name__ == "__main__":
    unittest.main()
