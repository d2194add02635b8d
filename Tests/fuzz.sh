#!/usr/bin/env bash
# Fuzzing (libFuzzer + AddressSanitizer) of the kernel's input surfaces:
#
#   bash Tests/fuzz.sh SECONDS     run every target for SECONDS (after replaying its regressions)
#   bash Tests/fuzz.sh --corpus    rebuild Tests/Fuzz/Corpus/ from the fixtures and the inputs
#                                  the runs found (libFuzzer -merge=1 -use_counters=0: the smallest
#                                  set reaching the same edges)
#
# Targets (Tests/Fuzz/FuzzTargets, a package of its own, so `swift build` and
# `swift test` of the root package never build them), each checking properties:
#   FuzzCSV       CSVReader on arbitrary bytes: memory and chunked pipe reads agree; records re-serialised re-parse to themselves
#   FuzzBatchRow  a batch document end to end: one summary line per row; ok rows repay the principal / conserve the debt
#   FuzzJSON      rk_run_json: statuses, a JSON result per request, refusal exactly when a reference JSON reader refuses
#   FuzzParsers   amounts, rates, dates, whole numbers, booleans against a reference grammar; printed values re-parse
#   FuzzPayments  the payments cell against a reference grammar; replay conservation; prepaid schedules repay the principal
#
# Environment: FUZZ_TARGETS="FuzzCSV FuzzJSON" (a subset), FUZZ_TIMEOUT (seconds per
# input, default 25: a slower input is a finding), FUZZ_RSS_MB (default 2048),
# FUZZ_MAX_LEN (default 4096), FUZZ_JOBS (parallel processes per target, default 1),
# FUZZ_SCRATCH (build directory, default Tests/Fuzz/FuzzTargets/.build).
#
# A crash, a violated property, a timeout or an out-of-memory input stops its
# target and leaves the reproducer in Tests/Fuzz/Crashes/<Target>-crash-<sha1>
# (replay it: <bin>/<Target> FILE). Once fixed, move it to
# Tests/Fuzz/Regressions/<Target>/: every run replays those first.
# New inputs the runs find are kept in $FUZZ_SCRATCH/fuzz-corpus/<Target> (not committed).
#
# The last line is exactly "fuzz: N executions, M crashes"; the exit status is
# non-zero when M > 0 or the build fails.
set -u
cd "$(dirname "$0")/.."
root=$PWD
pkg=Tests/Fuzz/FuzzTargets
scratch=${FUZZ_SCRATCH:-$pkg/.build}
case "$scratch" in /*) ;; *) scratch="$root/$scratch" ;; esac
targets=${FUZZ_TARGETS:-"FuzzCSV FuzzBatchRow FuzzJSON FuzzParsers FuzzPayments"}
timeout_s=${FUZZ_TIMEOUT:-25}
rss=${FUZZ_RSS_MB:-2048}
max_len=${FUZZ_MAX_LEN:-4096}
jobs=${FUZZ_JOBS:-1}
mode=run
seconds=${1:-}
if [ "$seconds" = "--corpus" ]; then mode=corpus; seconds=0; fi
if [ "$mode" = run ] && ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
  echo "usage: bash Tests/fuzz.sh SECONDS | --corpus" >&2
  echo "fuzz: 0 executions, 0 crashes"
  exit 2
fi

# The Swift runtime's backtracer reads arbitrary memory after a crash, which ASan reports as a second error.
export SWIFT_BACKTRACE=enable=no

echo "== build (release, -sanitize=fuzzer,address)"
start=$(date +%s)
mkdir -p "$scratch"
if ! swift build -c release --package-path "$pkg" --scratch-path "$scratch" \
       -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld > "$scratch/build.log" 2>&1; then
  tail -30 "$scratch/build.log"
  echo "fuzz: 0 executions, 1 crashes (the fuzz targets do not build)"
  exit 1
fi
bin=$(swift build -c release --package-path "$pkg" --scratch-path "$scratch" --show-bin-path \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld)
echo "built in $(( $(date +%s) - start )) s: $bin"

mkdir -p Tests/Fuzz/Crashes
flags=(-timeout="$timeout_s" -rss_limit_mb="$rss" -max_len="$max_len" -print_final_stats=1)

if [ "$mode" = corpus ]; then
  seeds=$(mktemp -d); trap 'rm -rf "$seeds"' EXIT
  python3 Tests/Fuzz/make-seeds.py "$seeds"
  for t in $targets; do
    mkdir -p "$seeds/$t" "$scratch/fuzz-corpus/$t" "Tests/Fuzz/Regressions/$t" "Tests/Fuzz/Corpus/$t"
    fresh="$seeds/$t.merged"; mkdir -p "$fresh"
    # Edge coverage only (-use_counters=0): the smallest set reaching every edge, a few hundred KB in all.
    "$bin/$t" -merge=1 -use_counters=0 "${flags[@]}" "$fresh" Tests/Fuzz/Regressions/$t "Tests/Fuzz/Corpus/$t" \
      "$scratch/fuzz-corpus/$t" "$seeds/$t" > "$seeds/$t.log" 2>&1 || { tail -5 "$seeds/$t.log"; exit 1; }
    rm -rf "Tests/Fuzz/Corpus/$t"; mv "$fresh" "Tests/Fuzz/Corpus/$t"
    echo "$t: $(ls "Tests/Fuzz/Corpus/$t" | wc -l) inputs, $(du -sb "Tests/Fuzz/Corpus/$t" | cut -f1) bytes"
  done
  exit 0
fi

total=0; crashes=0
for t in $targets; do
  work="$scratch/fuzz-corpus/$t"
  mkdir -p "$work" "Tests/Fuzz/Corpus/$t"
  log="$scratch/fuzz-$t.log"
  # 1. The reproducers of bugs fixed before: each must now pass.
  regressions=(Tests/Fuzz/Regressions/$t/*)
  if [ -e "${regressions[0]}" ]; then
    if "$bin/$t" "${flags[@]}" "${regressions[@]}" > "$log.regressions" 2>&1; then
      echo "$t: ${#regressions[@]} regression inputs pass"
    else
      crashes=$((crashes + 1))
      echo "$t: a regression input fails again:"; grep -E "PROPERTY|ERROR|Running:" "$log.regressions" | tail -5
      continue
    fi
  fi
  [ "$seconds" = 0 ] && continue
  # 2. Fuzz, starting from the committed corpus; new inputs go to the work corpus.
  before=$(ls Tests/Fuzz/Crashes | wc -l)
  extra=()
  [ "$jobs" -gt 1 ] && extra=(-fork="$jobs" -ignore_crashes=0)
  # Tokens of the target's input language (column names, keywords, dates) for the mutator.
  [ -f "Tests/Fuzz/Dictionaries/$t.dict" ] && extra+=(-dict="Tests/Fuzz/Dictionaries/$t.dict")
  "$bin/$t" "${flags[@]}" "${extra[@]}" -max_total_time="$seconds" -artifact_prefix="Tests/Fuzz/Crashes/$t-" \
    "$work" "Tests/Fuzz/Corpus/$t" > "$log" 2>&1
  rc=$?
  n=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  if [ -z "$n" ]; then  # -fork prints its own totals
    n=$(grep -oE '#[0-9]+' "$log" | tr -d '#' | sort -n | tail -1)
  fi
  n=${n:-0}
  speed=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  total=$((total + n))
  after=$(ls Tests/Fuzz/Crashes | wc -l)
  if [ $rc != 0 ] || [ "$after" -gt "$before" ]; then
    crashes=$((crashes + 1))
    echo "$t: $n executions (${speed:-?}/s): CRASH (exit $rc)"
    grep -E "PROPERTY VIOLATED|ERROR: |Test unit written|SUMMARY" "$log" | head -6
  else
    echo "$t: $n executions (${speed:-?}/s), $(ls "$work" | wc -l) new inputs kept, no crash"
  fi
done
echo "fuzz: $total executions, $crashes crashes"
[ "$crashes" = 0 ]
