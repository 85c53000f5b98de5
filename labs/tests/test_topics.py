import os
import tempfile
import unittest
from unittest import mock

from pylabs import progress, topics


class TopicsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.root = self.dir.name
        for name in ("10-later", "01-fused-gelu", "00-machine", "notes", "2-bad"):
            os.makedirs(os.path.join(self.root, "topics", name))
        k = os.path.join(self.root, "topics", "01-fused-gelu", "kernels")
        os.makedirs(k)
        files = {"v0_unfused.cu": "/// @file v0_unfused.cu\n/// Unfused: one kernel per op.\n",
                 "v10_late.cu": "/// @file v10_late.cu Late version\n",
                 "v2_fused.cu": "// no doxygen header\n",
                 "helper.cu": "/// @file helper.cu not a version\n"}
        for n, text in files.items():
            with open(os.path.join(k, n), "w") as f:
                f.write(text)

    def tearDown(self):
        self.dir.cleanup()

    def test_course_order_and_names(self):
        ts = topics.discover_topics(self.root)
        self.assertEqual([t.name for t in ts], ["00-machine", "01-fused-gelu", "10-later"])
        self.assertEqual(ts[1].exe_name, "lab-01-fused-gelu")

    def test_resolve_accepts_number_name_and_slug(self):
        ts = topics.discover_topics(self.root)
        for arg in ("01", "1", "01-fused-gelu", "fused-gelu"):
            self.assertEqual([t.name for t in topics.resolve_topics(arg, ts)], ["01-fused-gelu"])
        self.assertEqual(len(topics.resolve_topics("all", ts)), 3)
        with self.assertRaisesRegex(topics.UsageError, "valid: all, 00-machine, 01-fused-gelu, 10-later"):
            topics.resolve_topics("gelu", ts)

    def test_versions_from_sources(self):
        t = topics.resolve_topics("01", topics.discover_topics(self.root))[0]
        vs = topics.versions_from_sources(t)
        self.assertEqual([(v.id, v.idea) for v in vs],
                         [("v0", "Unfused: one kernel per op."), ("v2", "fused"), ("v10", "Late version")])

    def test_list_output_formats(self):
        self.assertEqual(len(topics._parse_list_output('[{"id":"v0"},{"id":"v1"}]')), 2)
        self.assertEqual(len(topics._parse_list_output('{"versions":[{"id":"v0"}]}')), 1)
        self.assertEqual(len(topics._parse_list_output('{"id":"v0"}\n{"id":"v1"}\n')), 2)
        self.assertIsNone(topics._parse_list_output("v0 unfused\n"))

    @mock.patch.dict(os.environ, {}, clear=False)
    def test_build_folder_choice(self):
        os.environ.pop("LABS_BUILD", None)  # the GPU session script exports it
        self.assertIsNone(topics.find_build(self.root))
        os.makedirs(os.path.join(self.root, "build", "cpu"))
        self.assertEqual(topics.find_build(self.root).preset, "cpu")
        os.makedirs(os.path.join(self.root, "build", "cuda"))
        self.assertEqual(topics.find_build(self.root).preset, "cuda")
        with mock.patch.dict(os.environ, {"LABS_BUILD": os.path.join(self.root, "build", "cpu")}):
            self.assertEqual(topics.find_build(self.root).preset, "cpu")
        self.assertIsNone(topics.find_build(self.root, os.path.join(self.root, "nope")))

    def test_progress_estimates_from_the_previous_run(self):
        state = progress.DurationState(self.root)
        p = progress.Progress(["00-machine", "01-fused-gelu"], state, "full")
        self.assertIn("remaining unknown", p.line(0, "lab"))
        state.put("00-machine", "full", 30)
        state.put("01-fused-gelu", "full", 95)
        again = progress.DurationState(self.root)  # read back from the state file
        p = progress.Progress(["00-machine", "01-fused-gelu"], again, "full")
        self.assertIn("1/2 00-machine (lab)", p.line(0, "lab"))
        self.assertIn("remaining ~2m05s", p.line(0, "lab"))
        self.assertIn("remaining ~1m35s", p.line(1, "vendor"))
        self.assertEqual(progress.format_duration(3725), "1h02m")


if __name__ == "__main__":
    unittest.main()
