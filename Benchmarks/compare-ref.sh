#!/usr/bin/env bash
# Byte-for-byte check of `repay batch --schedule` against ref_batch (../shared/bench/), the
# C reference of issue 10, on large generated inputs. Not part of the default test suite
# (it takes a minute or two and writes about 1 GB to WORK).
#
#   bash Benchmarks/compare-ref.sh
#
# Inputs from ../shared/bench/gen_loans.py: ROWS (default 1,000,000) 12-month and mixed-term
# (12/36/360) annuities with seed SEED (default 11), plus ROWS_BAD (default 100,000) rows
# with --bad 1000 malformed rows (the schedule of the good rows must still match; both
# programs exit 1). Every schedule is compared with cmp at --jobs 1 and --jobs 2.
#
# Environment: REPAY, SCRATCH, REF_DIR (Benchmarks/common.sh), WORK (default /tmp/repay-compare), ROWS, ROWS_BAD, SEED.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${ROWS:-1000000}
ROWS_BAD=${ROWS_BAD:-100000}
SEED=${SEED:-11}
WORK=${WORK:-/tmp/repay-compare}
source Benchmarks/common.sh
mkdir -p "$WORK"
REF=$WORK/ref_batch
gcc -O2 -o "$REF" "$REF_DIR/ref_batch.c" -lgmp -lpthread

fail=0
check() {  # check NAME ROWS EXPECTED_RC GEN_ARGS...
  local name=$1 rows=$2 want=$3; shift 3
  local in="$WORK/$name.csv"
  [ -s "$in" ] || python3 "$REF_DIR/gen_loans.py" "$rows" --seed "$SEED" "$@" -o "$in"
  local rc=0
  "$REF" -q -j 2 -o "$WORK/ref.csv" "$in" || rc=$?
  [ "$rc" = "$want" ] || { echo "$name: ref_batch exited $rc, expected $want" >&2; fail=1; return; }
  for j in 1 2; do
    rc=0
    "$REPAY" batch "$in" --jobs "$j" --schedule "$WORK/repay.csv" --quiet || rc=$?
    if [ "$rc" != "$want" ]; then
      echo "$name --jobs $j: repay exited $rc, expected $want" >&2; fail=1
    elif cmp "$WORK/ref.csv" "$WORK/repay.csv"; then
      echo "$name --jobs $j: identical ($(wc -l < "$WORK/ref.csv") lines, $(stat -c %s "$WORK/ref.csv") bytes)"
    else
      echo "$name --jobs $j: DIFFERENT" >&2; fail=1
    fi
  done
  rm -f "$WORK/ref.csv" "$WORK/repay.csv"
}

check "loans12-$ROWS" "$ROWS" 0 --term 12
check "mixed-$ROWS" "$ROWS" 0 --term mixed
check "bad-$ROWS_BAD" "$ROWS_BAD" 1 --term mixed --bad 1000
[ "$fail" = 0 ] && echo "compare-ref: all identical" || { echo "compare-ref: FAILED" >&2; exit 1; }
