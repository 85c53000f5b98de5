"""The `lab` command line: list, run, report, compare, reproduce.

Bad input gets one line naming the argument and the accepted values, and exit code 2."""
from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional

from .journal import JournalError, default_journal_path, read_journal
from .topics import (REPO_ROOT, UsageError, discover_topics, find_build, lab_executable, relpath_from_root,
                     resolve_topics, versions_from_executable, versions_from_sources)

EPILOG = """examples:
  labs/lab list
  labs/lab run 01 --quick              (one topic, small shapes, few samples)
  labs/lab run all                     (every topic and its vendor scripts)
  labs/lab run 01 -- --variant v3 --dtype bf16   (arguments after -- go to the lab)
  labs/lab report                      (results/README.md, topic READMEs, results/plots/)
  labs/lab compare 01 --workload dtype=bf16
  labs/lab reproduce 20261121T113512Z-3f9a:v3   (or a journal line number)
"""


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2 (argparse's default prints the usage too)
        sys.stderr.write(f"lab: error: {message}\n")
        sys.exit(2)


def _journal_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--journal", metavar="PATH",
                   help="results journal (default: $LABS_JOURNAL or results/journal.jsonl)")


def build_parser() -> Parser:
    ap = Parser(prog="lab", description="LLM Inference Labs: run the labs, render and compare their results.",
                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", metavar="{list,run,report,compare,reproduce}", parser_class=Parser)
    sub.required = True

    p = sub.add_parser("list", help="topics in course order, their versions and journal rows")
    _journal_arg(p)
    p.add_argument("--build", metavar="DIR", help="build folder (default: $LABS_BUILD or build/cuda|hip|cpu)")

    p = sub.add_parser("run", help="run a topic's lab (and vendor scripts), or all of them",
                       description="Arguments after `--` are passed to each lab executable.")
    p.add_argument("topic", nargs="?",
                   help='"all", a number ("01"), a folder name ("01-fused-gelu") or a slug ("fused-gelu")')
    p.add_argument("--quick", action="store_true", help="small shapes and few samples (seconds)")
    p.add_argument("--check-only", action="store_true", help="correctness only: no timing, no journal rows")
    p.add_argument("--no-vendor", action="store_true", help="skip the PyTorch vendor scripts")
    p.add_argument("--build", metavar="DIR", help="build folder (default: $LABS_BUILD or build/cuda|hip|cpu)")
    _journal_arg(p)

    p = sub.add_parser("report", help="render results/README.md, topic README tables and plots")
    _journal_arg(p)
    p.add_argument("--no-plots", action="store_true", help="skip the SVG plots")
    p.add_argument("--out", metavar="FILE", help="page to write (default: results/README.md)")
    p.add_argument("--plots-dir", metavar="DIR", help="plot folder (default: results/plots)")
    p.add_argument("--no-topic-readmes", action="store_true", help="do not touch topics/*/README.md")

    p = sub.add_parser("compare", help="ours vs vendor vs published, side by side")
    p.add_argument("topic", nargs="?")
    p.add_argument("--workload", action="append", default=[], metavar="KEY=VALUE",
                   help="only workloads with this size or dtype (repeatable)")
    _journal_arg(p)

    p = sub.add_parser("reproduce", help="rerun recorded rows and say SAME / FASTER / SLOWER")
    p.add_argument("rows", nargs="+", metavar="ROW", help="a run id, run-id:variant, or a journal line number")
    _journal_arg(p)
    return ap


def _journal(args) -> str:
    j = args.journal or default_journal_path(REPO_ROOT)
    return j if j == "-" else os.path.abspath(j)


def cmd_list(args) -> int:
    topics = discover_topics(REPO_ROOT)
    if not topics:
        print("no topics found under topics/")
        return 0
    journal = _journal(args)
    rows = read_journal(journal) if journal != "-" else []
    build = find_build(REPO_ROOT, args.build)
    print(f"build: {relpath_from_root(build.path) if build else 'none (cmake --preset cuda && cmake --build --preset cuda)'}"
          f" · journal: {relpath_from_root(journal) if journal != '-' else '-'} ({len(rows)} rows)")
    for t in topics:
        n = sum(1 for r in rows if r["lab"] == t.name)
        exe = lab_executable(t, build) if build else None
        built = bool(exe and os.path.exists(exe))
        versions = versions_from_executable(exe) if built else None
        origin = "from the executable" if versions else "from kernels/"
        if not versions:
            versions = versions_from_sources(t)
        state = "lab built" if built else ("lab not built" if t.has_lab() else "no lab yet")
        print(f"\n{t.name}  ({n} journal rows; {state})")
        if not versions:
            print("    (no versions)")
        else:
            print(f"    versions ({origin}):")
        for v in versions or []:
            print(f"    {v.id:<6} {v.idea}")
    return 0


def _require_topic(arg: Optional[str], allow_all: bool) -> str:
    if arg:
        return arg
    names = ", ".join(t.name for t in discover_topics(REPO_ROOT)) or "none found under topics/"
    raise UsageError(f"topic: missing (valid: {'all, ' if allow_all else ''}{names}; or just the number or the slug)")


def cmd_run(args, extra: List[str]) -> int:
    from .run import run_topics
    topics = resolve_topics(_require_topic(args.topic, True), discover_topics(REPO_ROOT))
    build = find_build(REPO_ROOT, args.build)
    if args.build and build is None:
        raise UsageError(f"--build: '{args.build}' is not a folder")
    return run_topics(topics, build, _journal(args), args.quick, args.check_only, extra,
                      vendor=not args.no_vendor)


def cmd_report(args) -> int:
    from .report import run_report
    journal = _journal(args)
    if journal == "-":
        raise UsageError("--journal: '-' means no journal; give a path to a journal file")
    if not os.path.exists(journal):
        print(f"[lab] no journal at {relpath_from_root(journal)} yet: the report shows no rows "
              "(run `labs/lab run all` on a GPU machine to make some)")
    return run_report(journal, REPO_ROOT, out_path=args.out, plots_dir=args.plots_dir,
                      make_plots=not args.no_plots, update_topic_readmes=not args.no_topic_readmes)


def cmd_compare(args) -> int:
    from .compare import compare_lines, parse_filters
    arg = _require_topic(args.topic, False)
    topic = resolve_topics(arg, discover_topics(REPO_ROOT)) if arg != "all" else None
    if topic is None:
        raise UsageError("topic: 'all' is not accepted by compare (give one topic)")
    rows = read_journal(_journal(args))
    filters = parse_filters(args.workload, [r for r in rows if r["lab"] == topic[0].name])
    for line in compare_lines(rows, topic[0].name, filters):
        print(line)
    return 0


def cmd_reproduce(args) -> int:
    from .reproduce import LookupFailed, find_rows, reproduce
    journal = _journal(args)
    rows = read_journal(journal)
    wanted = []
    try:
        for spec in args.rows:
            wanted += [r for r in find_rows(rows, spec, relpath_from_root(journal)) if r not in wanted]
    except LookupFailed as e:
        raise UsageError(str(e)) from None
    return reproduce(wanted, REPO_ROOT)


def split_passthrough(argv: List[str]):
    """`lab run 01 --quick -- --variant v3`: everything after the first `--` goes to the lab."""
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1:]
    return argv, []


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    own, extra = split_passthrough(argv)
    args = build_parser().parse_args(own)
    try:
        if extra and args.command != "run":
            raise UsageError(f"--: extra arguments are only passed through by `lab run` (got: {' '.join(extra)})")
        if args.command == "list":
            return cmd_list(args)
        if args.command == "run":
            return cmd_run(args, extra)
        if args.command == "report":
            return cmd_report(args)
        if args.command == "compare":
            return cmd_compare(args)
        if args.command == "reproduce":
            return cmd_reproduce(args)
    except UsageError as e:
        sys.stderr.write(f"lab: error: {e}\n")
        return 2
    except JournalError as e:
        sys.stderr.write(f"lab: error: {e}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("\nlab: interrupted\n")
        return 130
    return 2
