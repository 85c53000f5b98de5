#!/usr/bin/env bash
# The project's test command: sets up (installs what is missing, builds), then runs every
# ctest of the chosen preset. GPU tests and the labs' --check-only runs skip (exit 77)
# when no GPU answers; CPU tests, the labs' CPU reference checks and the Python tests run.
# Usage: scripts/test.sh [--preset cpu|cuda|hip]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh "$@"
preset=$(cat .preset-chosen)
ctest --preset "$preset" --output-on-failure -j "$(nproc)"
