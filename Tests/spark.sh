#!/usr/bin/env bash
# The batch on Apache Spark (issue 11): bindings/python/tests/test_spark.py runs
# repaykernel.spark in local[2] and compares its outputs, collected and sorted,
# with `repay batch` on the conformance files, byte for byte.
#   bash Tests/spark.sh
# Python: the virtual environment of Tests/capi.sh (.build/python-venv, or
# $CAPI_SCRATCH/python-venv) when it exists, else python3. It needs pytest,
# pyspark with pyarrow and pandas (pip install 'pyspark[sql]'; .ci/run installs
# them into that environment) and java 17+. When one is missing the tests are
# skipped, and the output says which and why.
# Last line: "spark: passed", "spark: skipped (...)" or "spark: FAILED"; exit
# status non-zero only on a failure.
set -u
cd "$(dirname "$0")/.."
root=$PWD
bin="$root/${CAPI_SCRATCH:-.build}/release"
py="$root/${CAPI_SCRATCH:-.build}/python-venv/bin/python"
"$py" -c '' 2>/dev/null || py=python3
out=$(mktemp); trap 'rm -f "$out"' EXIT

if [ ! -f "$bin/librepaykernel.so" ] || [ ! -x "$bin/repay" ]; then
  echo "spark: FAILED ($bin/librepaykernel.so or repay missing: run swift build -c release)"; exit 1
fi
if ! "$py" -c 'import pytest' 2>/dev/null; then
  echo "spark: skipped (pytest is not installed for $py)"; exit 0
fi
# The package from this checkout (bindings/python) and the library just built.
PYTHONPATH="$root/bindings/python" REPAYKERNEL_LIB="$bin/librepaykernel.so" REPAY="$bin/repay" \
  "$py" -m pytest -q -rs -p no:cacheprovider -W ignore::FutureWarning bindings/python/tests/test_spark.py \
  > "$out" 2>&1
rc=$?
grep -v '^\[Stage ' "$out" | tail -40
# A module skipped as a whole (no pyspark, no java) is pytest's exit status 5, "no tests collected".
if [ $rc = 5 ] && grep -q '^SKIPPED' "$out"; then
  echo "spark: skipped ($(grep -m1 '^SKIPPED' "$out" | sed 's/^SKIPPED \[[0-9]*\] [^ ]*: //'))"
elif [ $rc != 0 ]; then
  echo "spark: FAILED"; exit 1
else
  echo "spark: passed ($(tail -1 "$out" | sed 's/^=* *//; s/ *=*$//'))"
fi
