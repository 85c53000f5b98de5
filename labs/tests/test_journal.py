import json
import os
import tempfile
import unittest
from unittest import mock

from tests.fixtures import fixture_rows, row, write_journal
from pylabs import journal


class JournalTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "sub", "journal.jsonl")

    def tearDown(self):
        self.dir.cleanup()

    def test_round_trip_keeps_rows_and_line_numbers(self):
        rows = fixture_rows()
        write_journal(self.path, rows)
        back = journal.read_journal(self.path)
        self.assertEqual([dict(r) for r in back], rows)
        self.assertEqual([r.line for r in back], list(range(1, len(rows) + 1)))

    def test_each_append_is_one_write_of_one_line(self):
        calls = []
        real_write = os.write

        def spy(fd, data):
            calls.append(data)
            return real_write(fd, data)

        with mock.patch("pylabs.journal.os.write", side_effect=spy):
            journal.append_row(self.path, row())
        self.assertEqual(len(calls), 1)
        self.assertTrue(calls[0].endswith(b"\n"))
        self.assertEqual(calls[0].count(b"\n"), 1)

    def test_newline_inside_a_value_stays_escaped(self):
        journal.append_row(self.path, row(note="two\nlines"))
        with open(self.path, encoding="utf-8") as f:
            self.assertEqual(len(f.read().splitlines()), 1)
        self.assertEqual(journal.read_journal(self.path)[0]["note"], "two\nlines")

    def test_non_finite_numbers_are_written_as_null(self):
        journal.append_row(self.path, row(pct_datasheet_bw=float("nan")))
        self.assertIsNone(journal.read_journal(self.path)[0]["pct_datasheet_bw"])

    def test_malformed_line_is_rejected_with_its_line_number(self):
        write_journal(self.path, [row(), row()])
        with open(self.path, "a", encoding="utf-8") as f:
            f.write("\n")            # line 3: blank lines are allowed
            f.write('{"schema": 1, "run": \n')  # line 4: cut short
            f.write(json.dumps(row()) + "\n")
        with self.assertRaises(journal.JournalError) as ctx:
            journal.read_journal(self.path)
        self.assertEqual(ctx.exception.line, 4)
        self.assertIn(f"{self.path}:4:", str(ctx.exception))

    def test_row_missing_a_fixed_key_is_rejected(self):
        bad = row()
        del bad["time_ms"]
        os.makedirs(os.path.dirname(self.path))
        with open(self.path, "w", encoding="utf-8") as f:
            f.write(json.dumps(row()) + "\n" + json.dumps(bad) + "\n")
        with self.assertRaises(journal.JournalError) as ctx:
            journal.read_journal(self.path)
        self.assertEqual(ctx.exception.line, 2)
        self.assertIn("time_ms", str(ctx.exception))

    def test_bad_kind_and_missing_producer_are_rejected(self):
        with self.assertRaises(ValueError):
            journal.validate_row(row(kind="guess"))
        v = row(kind="vendor")
        del v["producer"]
        with self.assertRaises(ValueError):
            journal.validate_row(v)
        with self.assertRaises(ValueError):
            journal.append_row(self.path, v)
        self.assertFalse(os.path.exists(self.path) and os.path.getsize(self.path))

    def test_missing_journal_is_empty_unless_required(self):
        self.assertEqual(journal.read_journal(self.path), [])
        with self.assertRaises(FileNotFoundError):
            journal.read_journal(self.path, missing_ok=False)

    def test_run_id_and_time_formats(self):
        self.assertRegex(journal.new_run_id(), r"^\d{8}T\d{6}Z-[0-9a-f]{4}$")
        self.assertRegex(journal.now_utc_iso(), r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


if __name__ == "__main__":
    unittest.main()
