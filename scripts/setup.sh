#!/usr/bin/env bash
# Installs what the build needs on Debian/Ubuntu (only what is missing) and configures +
# builds the best preset for this machine: cuda when nvcc is found, else cpu.
# Usage: scripts/setup.sh [--hip] [--preset cpu|cuda|hip] [--no-build]
# Says what it did. Needs root (or sudo) only when something must be installed.
set -euo pipefail
cd "$(dirname "$0")/.."

want_hip=0 preset="" build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --hip) want_hip=1 ;;
    --preset) preset="${2:-}"; shift ;;
    --no-build) build=0 ;;
    -h|--help) sed -n 2,6p "$0"; exit 0 ;;
    *) echo "setup.sh: error: unknown argument '$1' (valid: --hip, --preset cpu|cuda|hip, --no-build)" >&2; exit 2 ;;
  esac
  shift
done
case "$preset" in ""|cpu|cuda|hip) ;; *) echo "setup.sh: error: --preset: unknown '$preset' (valid: cpu, cuda, hip)" >&2; exit 2 ;; esac

# Debian package -> a file that proves it (or an equivalent install) is present.
declare -A need=(
  [cmake]=/usr/bin/cmake [ninja-build]=ninja [g++]=g++ [python3]=python3
  [doctest-dev]=doctest/doctest.h [libbenchmark-dev]=benchmark/benchmark.h
  [nlohmann-json3-dev]=nlohmann/json.hpp [libcli11-dev]=CLI/CLI.hpp [libfmt-dev]=fmt/format.h
  [doxygen]=doxygen [python3-matplotlib]=matplotlib
)
[ "$want_hip" = 1 ] || [ "$preset" = hip ] && need[hipcc]=hipcc && need[libamdhip64-dev]=hip/hip_runtime.h

present() {  # $1 = probe: a command, a header under an include dir, or a python module
  case "$1" in
    */*.h|*/*.hpp) for d in /usr/include /usr/local/include /opt/*/include; do [ -e "$d/$1" ] && return 0; done
                   # also headers shipped inside Python packages' CMake installs (the GPU box)
                   [ -n "$(find / -path /proc -prune -o -path "*/include/$1" -print -quit 2>/dev/null)" ] ;;
    matplotlib) python3 -c 'import matplotlib' 2>/dev/null || /usr/bin/python3 -c 'import matplotlib' 2>/dev/null ;;
    /*) [ -x "$1" ] || command -v "$(basename "$1")" >/dev/null ;;
    *) command -v "$1" >/dev/null ;;
  esac
}

missing=()
for pkg in "${!need[@]}"; do present "${need[$pkg]}" || missing+=("$pkg"); done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all dependencies present"
elif command -v apt-get >/dev/null; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "setup: installing with apt-get: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "setup: installed ${missing[*]}"
else
  echo "setup: missing ${missing[*]} and no apt-get here: install them with your package manager" >&2
  exit 1
fi

if [ -z "$preset" ]; then
  if command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ]; then preset=cuda; else preset=cpu; fi
fi
[ "$preset" = cuda ] && ! command -v nvcc >/dev/null && export PATH="/usr/local/cuda/bin:$PATH"
echo "setup: preset $preset"
echo "$preset" > .preset-chosen 2>/dev/null || true
if [ "$build" = 1 ]; then
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$(nproc)"
  echo "setup: built build/$preset"
fi
