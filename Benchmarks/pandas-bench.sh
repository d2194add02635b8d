#!/usr/bin/env bash
# End-to-end figures for `repay batch` against pandas + numpy-financial, with peak RSS
# (not a timed test; takes a few minutes). Run by `PANDAS=1 bash Benchmarks/batch-bench.sh`
# after the ref_batch table, or on its own:
#
#   bash Benchmarks/pandas-bench.sh
#
# 1. Builds repay (release) unless REPAY points at a binary.
# 2. Generates deterministic loan books with Benchmarks/make-loans.py (seed 42):
#    LOANS_12 12-month annuities (default 1,000,000) and LOANS_360 360-month
#    annuities (default 100,000: 36M schedule lines, 2.7 GB of CSV; set
#    LOANS_360=1000000 for 27 GB if the disk has room).
# 3. Runs `repay batch IN --schedule OUT --summary OUT` at --jobs 1 and 2 (JOBS),
#    wall time and peak RSS from /usr/bin/time, outputs checked identical.
# 4. Does the same job the way a Python user would (Benchmarks/batch-py.py: pandas
#    read_csv, vectorized numpy-financial pmt/ipmt/ppmt, to_csv) on PY_LOANS_12
#    (default: all) and PY_LOANS_360 (default 20,000: pandas holds the whole
#    schedule in memory) loans, and prints the loans/s ratio.
# 5. Peak RSS on a RSS_ROWS-row input (default 10,000,000 12-month loans; 0 skips).
#
# Environment: REPAY, SCRATCH (swift build --scratch-path, default .build),
# WORK (default /tmp/repay-bench; about 5 GB free needed with the defaults, the
# 10M-row step writes 9 GB and deletes it), JOBS ("1 2"), and the counts above.
# pandas and numpy-financial are pip-installed (--user) if missing.
set -euo pipefail
cd "$(dirname "$0")/.."

LOANS_12=${LOANS_12:-1000000}
LOANS_360=${LOANS_360:-100000}
PY_LOANS_12=${PY_LOANS_12:-$LOANS_12}
PY_LOANS_360=${PY_LOANS_360:-20000}
RSS_ROWS=${RSS_ROWS:-10000000}
JOBS=${JOBS:-"1 2"}
WORK=${WORK:-/tmp/repay-bench}
source Benchmarks/common.sh
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
if ! python3 -c "import pandas, numpy_financial" 2>/dev/null; then
  echo "== pip install pandas numpy-financial" >&2
  python3 -m pip install --quiet pandas numpy-financial >&2 || python3 -m pip install --quiet --user pandas numpy-financial >&2
fi

mkdir -p "$WORK"
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
cores=$(nproc)
mem=$(free -g | awk '/^Mem:/ {print $2}')
echo "machine: $cpu, $cores cores, ${mem} GiB RAM; $(uname -sr); $(date -u +%Y-%m-%d)"
echo "repay: $REPAY; swift: $(swift --version 2>/dev/null | head -1)"
echo "python: $(python3 -c 'import sys, pandas, numpy, numpy_financial as f; print(sys.version.split()[0], "pandas", pandas.__version__, "numpy", numpy.__version__, "numpy-financial", f.__version__)')"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews the figures)"
echo

gen() {  # gen ROWS TERM -> path
  local f="$WORK/loans-$2m-$1.csv"
  [ -s "$f" ] || python3 Benchmarks/make-loans.py --rows "$1" --term "$2" --seed 42 -o "$f"
  echo "$f"
}

# measure CMD... -> sets SEC (wall seconds) and RSS (peak KiB)
measure() {
  local t="$WORK/time.txt"
  /usr/bin/time -f "%e %M" -o "$t" "$@"
  read -r SEC RSS < "$t"
}

ratio() { python3 -c "print(f'{$1 / $2:,.0f}')"; }
mib() { python3 -c "print(f'{$1 / 1024:.0f}')"; }

rows_md=()
py_rate_12=""; py_rate_360=""

for term in 12 360; do
  loans=$([ "$term" = 12 ] && echo "$LOANS_12" || echo "$LOANS_360")
  in=$(gen "$loans" "$term")
  for j in $JOBS; do
    set +e
    measure "$REPAY" batch "$in" --schedule "$WORK/s-$j.csv" --summary "$WORK/m-$j.csv" --jobs "$j" --quiet
    rc=$?
    set -e
    [ "$rc" = 0 ] || { echo "repay batch failed (exit $rc)" >&2; exit 1; }
    # A long, high-rate annuity can end a period or two early (SPEC §3), so count the lines.
    lines=$(($(wc -l < "$WORK/s-$j.csv") - 1))
    [ "$(($(wc -l < "$WORK/m-$j.csv") - 1))" = "$loans" ] || { echo "expected $loans summary lines" >&2; exit 1; }
    if [ "$j" != "$(echo $JOBS | cut -d' ' -f1)" ]; then
      first=$(echo $JOBS | cut -d' ' -f1)
      cmp -s "$WORK/s-$first.csv" "$WORK/s-$j.csv" && cmp -s "$WORK/m-$first.csv" "$WORK/m-$j.csv" \
        || { echo "output differs between --jobs $first and --jobs $j" >&2; exit 1; }
    fi
    echo "repay   ${term}m  jobs $j: $loans loans in ${SEC}s = $(ratio "$loans" "$SEC") loans/s, $(ratio "$lines" "$SEC") rows/s, peak RSS $(mib "$RSS") MiB"
    rows_md+=("| repay batch, --jobs $j | $term | $(ratio "$loans" 1) | $SEC | $(ratio "$loans" "$SEC") | $(ratio "$lines" "$SEC") | $(mib "$RSS") |")
    eval "rate_${term}_$j=\$(python3 -c \"print($loans / $SEC)\")"
  done
  # Same run with the schedule thrown away: how much of the time is writing 70+ bytes a line.
  jl=$(echo $JOBS | awk '{print $NF}')
  measure "$REPAY" batch "$in" --schedule /dev/null --summary /dev/null --jobs "$jl" --quiet
  echo "repay   ${term}m  jobs $jl, outputs to /dev/null: ${SEC}s = $(ratio "$loans" "$SEC") loans/s"
  rows_md+=("| repay batch, --jobs $jl, outputs to /dev/null | $term | $(ratio "$loans" 1) | $SEC | $(ratio "$loans" "$SEC") | $(ratio "$lines" "$SEC") | $(mib "$RSS") |")
  rm -f "$WORK"/s-*.csv "$WORK"/m-*.csv

  pyloans=$([ "$term" = 12 ] && echo "$PY_LOANS_12" || echo "$PY_LOANS_360")
  pyin="$in"
  if [ "$pyloans" != "$loans" ]; then pyin=$(gen "$pyloans" "$term"); fi
  measure python3 Benchmarks/batch-py.py "$pyin" "$WORK/py-s.csv" "$WORK/py-m.csv"
  pylines=$((pyloans * term))
  echo "python  ${term}m  (pandas + numpy-financial, 1 core): $pyloans loans in ${SEC}s = $(ratio "$pyloans" "$SEC") loans/s, $(ratio "$pylines" "$SEC") rows/s, peak RSS $(mib "$RSS") MiB"
  rows_md+=("| Python: pandas + numpy-financial | $term | $(ratio "$pyloans" 1) | $SEC | $(ratio "$pyloans" "$SEC") | $(ratio "$pylines" "$SEC") | $(mib "$RSS") |")
  eval "py_rate_$term=\$(python3 -c \"print($pyloans / $SEC)\")"
  rm -f "$WORK/py-s.csv" "$WORK/py-m.csv"
  echo
done

for term in 12 360; do
  py=$(eval echo "\$py_rate_$term")
  for j in $JOBS; do
    r=$(eval echo "\$rate_${term}_$j")
    echo "ratio ${term}m: repay --jobs $j / Python = $(python3 -c "print(f'{$r / $py:.1f}x')")"
  done
done
echo

if [ "$RSS_ROWS" != 0 ]; then
  big=$(gen "$RSS_ROWS" 12)
  measure "$REPAY" batch "$big" --schedule "$WORK/big-s.csv" --summary "$WORK/big-m.csv" --quiet
  echo "peak RSS, $RSS_ROWS rows ($(du -h "$big" | cut -f1) in, $(du -ch "$WORK"/big-[sm].csv | tail -1 | cut -f1) out), default --jobs: $(mib "$RSS") MiB ($RSS KiB), ${SEC}s"
  rm -f "$WORK/big-s.csv" "$WORK/big-m.csv"
  echo
fi

echo "Markdown:"
echo
echo "| run | term (months) | loans | seconds | loans/s | schedule rows/s | peak RSS (MiB) |"
echo "|---|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows_md[@]}"
