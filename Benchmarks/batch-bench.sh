#!/usr/bin/env bash
# `repay batch` against ref_batch, the tight C program of ../shared/bench/ (issue 10: the goal
# is at least 0.8 of its speed per core). Not a timed test; takes a few minutes.
#
#   bash Benchmarks/batch-bench.sh
#
# 1. Builds repay (release) unless REPAY points at a binary, and ref_batch with
#    `gcc -O2 ... -lgmp -lpthread` into WORK.
# 2. Generates the inputs with ../shared/bench/gen_loans.py (seed 11): ROWS12 12-month
#    annuities (default 1,000,000) and ROWS360 360-month annuities (default 100,000).
# 3. For each input, RUNS rounds (default 3), the programs alternating within a round:
#      ref_batch -q -o /dev/null                                     one core (taskset -c CPU)
#      repay batch --jobs 1 --schedule /dev/null                      one core
#      repay batch --jobs 1 --schedule /dev/null --summary /dev/null  one core
#      repay batch --jobs 1 --schedule /dev/null                      unpinned (its reader and
#                                                                     writer may use the other core)
#      repay batch --jobs 2 --schedule /dev/null                      unpinned
#      ref_batch -j 2 -q -o /dev/null                                 unpinned
#    and prints medians: wall seconds, CPU seconds (user+sys), ratio = ref_batch / repay
#    (1.0 = as fast as the C program; the goal is >= 0.8 on one core), and the scaling of
#    --jobs 2 over --jobs 1. The machine is shared: the CPU-second ratio is the steadier
#    figure when other work competes for the core; both are printed.
# 4. With PANDAS=1, then runs Benchmarks/pandas-bench.sh (pandas + numpy-financial, peak RSS).
#
# Environment: REPAY, SCRATCH (default .build), REF_DIR (default ../shared/bench; Benchmarks/common.sh), WORK (default
# /tmp/repay-bench), ROWS12, ROWS360, RUNS, CPU (default 0), PANDAS.
# Byte-for-byte comparison with ref_batch's output: Benchmarks/compare-ref.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS12=${ROWS12:-1000000}
ROWS360=${ROWS360:-100000}
RUNS=${RUNS:-3}
CPU=${CPU:-0}
WORK=${WORK:-/tmp/repay-bench}
source Benchmarks/common.sh
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
command -v taskset >/dev/null || { echo "needs taskset (util-linux)" >&2; exit 2; }
mkdir -p "$WORK"
REF=$WORK/ref_batch
if [ ! -x "$REF" ] || [ "$REF_DIR/ref_batch.c" -nt "$REF" ]; then
  gcc -O2 -o "$REF" "$REF_DIR/ref_batch.c" -lgmp -lpthread
fi

gen() {  # gen ROWS TERM -> path
  local f="$WORK/gen-$2m-$1.csv"
  [ -s "$f" ] || python3 "$REF_DIR/gen_loans.py" "$1" --seed 11 --term "$2" -o "$f"
  echo "$f"
}

echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; $(uname -sr); $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "repay: $REPAY; $(swift --version 2>/dev/null | head -1); gcc: $(gcc -dumpfullversion)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews wall times)"
echo

TIMES=$WORK/times.txt
: > "$TIMES"
# run LABEL INPUT CMD... : one timed run, appended to TIMES as "label input wall cpu"
run() {
  local label=$1 input=$2; shift 2
  local t="$WORK/time.txt" rc=0
  /usr/bin/time -f "%e %U %S" -o "$t" "$@" || rc=$?
  # ref_batch and repay exit 0 when every row computed; anything else is a broken benchmark.
  [ "$rc" = 0 ] || { echo "failed (exit $rc): $*" >&2; exit 1; }
  read -r wall user sys < "$t"
  echo "$label $input $wall $(python3 -c "print($user + $sys)")" >> "$TIMES"
  printf '  %-28s %-8s wall %6.2fs  cpu %6.2fs\n' "$label" "$input" "$wall" "$(python3 -c "print($user + $sys)")" >&2
}

for term in 12 360; do
  rows=$([ "$term" = 12 ] && echo "$ROWS12" || echo "$ROWS360")
  in=$(gen "$rows" "$term")
  name="${term}m"
  echo "== $rows x $term-month annuities ($in), $RUNS rounds" >&2
  for r in $(seq "$RUNS"); do
    run ref1 "$name" taskset -c "$CPU" "$REF" -q -o /dev/null "$in"
    run repay1 "$name" taskset -c "$CPU" "$REPAY" batch "$in" --jobs 1 --schedule /dev/null --quiet
    run repay1sum "$name" taskset -c "$CPU" "$REPAY" batch "$in" --jobs 1 --schedule /dev/null --summary /dev/null --quiet
    run repay1free "$name" "$REPAY" batch "$in" --jobs 1 --schedule /dev/null --quiet
    run repay2 "$name" "$REPAY" batch "$in" --jobs 2 --schedule /dev/null --quiet
    run ref2 "$name" "$REF" -j 2 -q -o /dev/null "$in"
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

python3 - "$TIMES" "$ROWS12" "$ROWS360" <<'EOF'
import statistics, sys
from collections import defaultdict
runs = defaultdict(list)
for line in open(sys.argv[1]):
    label, inp, wall, cpu = line.split()
    runs[(label, inp)].append((float(wall), float(cpu)))
def med(label, inp, k):
    return statistics.median(x[k] for x in runs[(label, inp)])
rows = {"12m": int(sys.argv[2]), "360m": int(sys.argv[3])}
n = len(runs[("ref1", "12m")])
print(f"One core (taskset), outputs to /dev/null, medians of {n} alternated runs; ratio = ref_batch / repay (goal >= 0.8).")
print()
print("| input | repay outputs | ref_batch s (wall / cpu) | repay s (wall / cpu) | ratio (wall / cpu) |")
print("|---|---|---:|---:|---:|")
for inp in ("12m", "360m"):
    rw, rc = med("ref1", inp, 0), med("ref1", inp, 1)
    for label, what in (("repay1", "--schedule"), ("repay1sum", "--schedule --summary")):
        w, c = med(label, inp, 0), med(label, inp, 1)
        print(f"| {rows[inp]:,} x {inp[:-1]} months | {what} | {rw:.2f} / {rc:.2f} | {w:.2f} / {c:.2f} | {rw / w:.2f} / {rc / c:.2f} |")
print()
print("Scaling on both cores (wall, medians): --jobs 2 against --jobs 1 on one core and unpinned; ref_batch -j 2 against -j 1.")
print()
print("| input | repay --jobs 1, one core | --jobs 1 unpinned | --jobs 2 | scaling (vs one core / vs unpinned) | ref_batch -j 2 | ref_batch scaling | ratio at 2 jobs |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for inp in ("12m", "360m"):
    one, free, two = med("repay1", inp, 0), med("repay1free", inp, 0), med("repay2", inp, 0)
    r1, r2 = med("ref1", inp, 0), med("ref2", inp, 0)
    print(f"| {rows[inp]:,} x {inp[:-1]} months | {one:.2f} s | {free:.2f} s | {two:.2f} s | {one / two:.2f}x / {free / two:.2f}x | {r2:.2f} s | {r1 / r2:.2f}x | {r2 / two:.2f} |")
EOF

if [ "${PANDAS:-0}" = 1 ]; then
  echo
  REPAY=$REPAY WORK=$WORK bash Benchmarks/pandas-bench.sh
fi
