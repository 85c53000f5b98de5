#!/usr/bin/env bash
# Sets up, builds and runs every lab in course order through `labs/lab run all`.
# With a GPU: measures and appends rows to results/journal.jsonl, then renders the report.
# Without one: runs each lab's CPU reference checks and shows the recorded results.
# Usage: scripts/run-all.sh [--quick] [extra `lab run` flags]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export LABS_BUILD="build/$(cat .preset-chosen)"
labs/lab run all "$@"
