#!/usr/bin/env bash
# One call on the lent GPU box (see docs/method.md "Measuring on a lent GPU"): build the cuda
# preset with every core, run the GPU tests, then the labs and the vendor scripts, writing
# journal rows and logs under $OUT. The rows are appended to results/journal.jsonl back on
# the development machine, unchanged, and committed.
#   LABS_COMMIT=<sha> LABS_DIRTY=0 bash scripts/gpu/session.sh <step>...
# Pass the sha as a literal taken on the development machine after committing (`git rev-parse
# HEAD` there), not as $(git rev-parse HEAD) on the box: on 2026-12-01 the box's copy of .git
# still named the previous commit while its files were the new one's, so 796 rows carried the
# wrong commit (they were taken back and re-measured). Without LABS_COMMIT the script stops.
# Steps: env, build, tests, tests:<regex>, sanitize:<exe args>, profile:<name> <regex> <exe args>,
#        srcprofile:<name> <regex> <exe args>, lab:<NN> [lab args],
#        vendor:<script.py> [args], pack
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/labs-out}
mkdir -p "$OUT"
export LABS_CACHE_DIR="$OUT"          # the ceilings cache comes back with the results
export LABS_JOURNAL="$OUT/journal.jsonl"
export PYTHONUNBUFFERED=1
export LABS_BUILD=build/cuda
J="$OUT/journal.jsonl"
log() { echo "== $(date +%T) $*"; }
if ! [[ "${LABS_COMMIT:-}" =~ ^[0-9a-f]{40}$ ]]; then
  echo "session.sh: set LABS_COMMIT to the full sha of the committed tree (see the header)"; exit 2
fi
box_head=$(git rev-parse HEAD 2>/dev/null || echo none)
[ "$box_head" = "$LABS_COMMIT" ] || echo "session.sh: note: this copy's git says $box_head; rows will carry LABS_COMMIT=$LABS_COMMIT"

for step in "$@"; do
  case "$step" in
    env)
      log env
      { nvidia-smi; nvcc --version; cmake --version; ninja --version; python3 -c 'import torch; print("torch", torch.__version__, torch.version.cuda)';
        ls /usr/include | grep -E "doctest|benchmark|nlohmann|CLI|fmt"; ls /usr/local/include 2>/dev/null | head; } > "$OUT/env.log" 2>&1
      tail -n 25 "$OUT/env.log" ;;
    build)
      log build
      cmake --preset cuda -DCMAKE_CUDA_ARCHITECTURES=90 > "$OUT/configure.log" 2>&1 || { tail -n 40 "$OUT/configure.log"; exit 1; }
      cmake --build --preset cuda -j 16 -- -k 0 > "$OUT/build.log" 2>&1 || grep -E "error|FAILED" "$OUT/build.log" | head -40
      log built ;;
    tests)
      log tests
      ctest --preset cuda -j 4 --timeout 300 > "$OUT/ctest.log" 2>&1; tail -n 25 "$OUT/ctest.log" ;;
    tests:*)
      # tests:<regex> -- only the ctests whose names match (e.g. tests:04 for one topic)
      log "tests ${step#tests:}"
      ctest --preset cuda -j 4 --timeout 300 -R "${step#tests:}" > "$OUT/ctest.log" 2>&1; tail -n 25 "$OUT/ctest.log" ;;
    sanitize:*)
      # sanitize:<exe> <args> -- memcheck and racecheck of one lab at a small shape;
      # SANITIZE_TOOLS="memcheck racecheck synccheck initcheck" adds the other two, and memcheck
      # then also runs with --leak-check full (device allocations never freed).
      IFS=' ' read -r -a a <<< "${step#sanitize:}"
      for tool in ${SANITIZE_TOOLS:-memcheck racecheck}; do
        extra=()
        [ "$tool" = memcheck ] && [ -n "${SANITIZE_TOOLS:-}" ] && extra=(--leak-check full)
        log "compute-sanitizer $tool ${extra[*]} ${a[*]}"
        timeout 200 compute-sanitizer --tool "$tool" "${extra[@]}" --error-exitcode 9 "${a[@]}" > "$OUT/sanitize-$tool-$(basename "${a[0]}").log" 2>&1
        echo "compute-sanitizer --tool $tool ${extra[*]} ${a[*]}: exit $?" | tee -a "$OUT/sanitize.log"
        tail -n 3 "$OUT/sanitize-$tool-$(basename "${a[0]}").log"
      done ;;
    profile:*)
      # profile:<name> <kernel-regex> <exe> <args>: Nsight Compute on the lab's --profile run
      # (one checked iteration), clocks left alone, a few sections; text report under $OUT.
      IFS=' ' read -r -a a <<< "${step#profile:}"
      log "ncu ${a[0]}"
      timeout 240 ncu --clock-control none -k "regex:${a[1]}" -c 2 --section SpeedOfLight --section MemoryWorkloadAnalysis \
        --section Occupancy --section LaunchStats --section WarpStateStats --section SchedulerStats "${a[@]:2}" --profile --journal - > "$OUT/ncu-${a[0]}.log" 2>&1
      echo "exit $?"; grep -E "DRAM Throughput|Duration|Achieved Occupancy|Registers Per|Warp Cycles Per Issued|Waves Per SM|No Eligible" "$OUT/ncu-${a[0]}.log" | head -n 20 ;;
    srcprofile:*)
      # srcprofile:<name> <kernel-regex> <exe> <args>: ncu --set full with the source view, then the
      # per-SASS-instruction stall samples as CSV (sass-<name>.csv.log, packed with the logs) and
      # the details page; the report itself is deleted (it is large and one file of the eight).
      IFS=' ' read -r -a a <<< "${step#srcprofile:}"
      log "ncu source view ${a[0]}"
      timeout 240 ncu --clock-control none -k "regex:${a[1]}" -c 1 --set full --import-source yes -o "$OUT/${a[0]}" \
        "${a[@]:2}" --profile --journal - > "$OUT/ncu-${a[0]}.log" 2>&1
      echo "exit $?"
      ncu -i "$OUT/${a[0]}.ncu-rep" --page details > "$OUT/details-${a[0]}.log" 2>&1
      ncu -i "$OUT/${a[0]}.ncu-rep" --page source --csv --print-source sass > "$OUT/sass-${a[0]}.csv.log" 2>&1
      rm -f "$OUT/${a[0]}.ncu-rep"
      grep -E "Duration|DRAM Throughput|Issue Slots Busy|Executed Instructions  |Achieved Occupancy|Registers Per|Waves" "$OUT/details-${a[0]}.log" ;;
    lab:*)
      IFS=' ' read -r -a a <<< "${step#lab:}"
      exe=$(ls build/cuda/topics/${a[0]}*/lab-${a[0]}* 2>/dev/null | head -n 1)
      log "lab $exe ${a[*]:1}"
      lab_log="$OUT/lab-${a[0]}-$(date +%H%M%S).log"  # one log per lab step, several per topic allowed
      "$exe" "${a[@]:1}" --journal "$J" > "$lab_log" 2>&1
      echo "exit $?"; grep -E "FAIL|error|PASS|gate" "$lab_log" | head -n 20; tail -n 2 "$lab_log" ;;
    vendor:*)
      IFS=' ' read -r -a a <<< "${step#vendor:}"
      log "vendor ${a[*]}"
      python3 "scripts/vendor/${a[0]}" "${a[@]:1}" --journal "$J" > "$OUT/vendor-${a[0]%.py}.log" 2>&1
      echo "exit $?"; grep -E "FAIL|Error|error" "$OUT/vendor-${a[0]%.py}.log" | head -n 10; tail -n 2 "$OUT/vendor-${a[0]%.py}.log" ;;
    pack)
      # At most 8 files come back from the box: logs travel as one archive.
      (cd "$OUT" && ls *.log >/dev/null 2>&1 && tar czf "logs-$(date +%H%M%S).tgz" *.log && rm -f *.log) ;;
    *) echo "session.sh: unknown step '$step'"; exit 2 ;;
  esac
done
log done
