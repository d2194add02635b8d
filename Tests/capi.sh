#!/usr/bin/env bash
# The C API and its clients (issue 5):
#   bash Tests/capi.sh
# Builds the release products (librepaykernel.so, librepaykernel-static.a),
# compiles the C examples with gcc against Sources/CRepayKernel/include/repaykernel.h,
# runs them (conformance through rk_run_csv, the robustness test with 100k
# random requests and random payment histories with bad items), links the static library, pip-installs the Python
# package (bindings/python) into a virtual environment under .build/ and runs
# its pytest tests there (but test_spark.py, which Tests/spark.sh runs), and valgrind when it is installed.
# Last line: "capi: N passed, M failed"; exit status non-zero on any failure.
#
# CAPI_SCRATCH=.build-capi uses a separate build directory (for development
# next to other builds); by default it is the shared .build/.
# CAPI_RANDOM sets the number of random requests (default 100000).
set -u
cd "$(dirname "$0")/.."
root=$PWD
passed=0; failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
finish() {
  echo "capi: $passed passed, $failed failed"
  [ "$failed" = 0 ]
  exit
}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

echo "== build (release)"
if [ -n "${CAPI_SCRATCH:-}" ]; then
  swift build -c release --scratch-path "$CAPI_SCRATCH" || { fail "swift build"; finish; }
  bin="$root/$CAPI_SCRATCH/release"
else
  swift build -c release || { fail "swift build"; finish; }
  bin="$root/.build/release"
fi
so="$bin/librepaykernel.so"; ar="$bin/librepaykernel-static.a"
inc="$root/Sources/CRepayKernel/include"
[ -f "$so" ] && pass "librepaykernel.so built" || { fail "librepaykernel.so missing in $bin"; finish; }
[ -f "$ar" ] && pass "librepaykernel-static.a built" || fail "librepaykernel-static.a missing in $bin"

echo "== header"
printf '#include "repaykernel.h"\nint main(void) { return RK_OK; }\n' > "$tmp/h.c"
if gcc -std=c99 -Wall -Wextra -Werror -pedantic -I"$inc" -c "$tmp/h.c" -o "$tmp/h.o"; then pass "header compiles as C99 (-pedantic -Werror)"; else fail "header as C99"; fi
if command -v g++ >/dev/null; then
  cp "$tmp/h.c" "$tmp/h.cpp"
  if g++ -Wall -Werror -I"$inc" -c "$tmp/h.cpp" -o "$tmp/hpp.o"; then pass "header compiles as C++"; else fail "header as C++"; fi
fi
if grep -q 'double\|float' <(sed 's|/\*.*\*/||; s|^ \*.*||' "$inc/repaykernel.h"); then fail "a double or float in the ABI"; else pass "no double/float in the ABI"; fi
# Every function the header declares is exported by the shared library, and nothing else named rk_.
declared=$(grep -oE '^[a-z].*\brk_[a-z0-9_]+\(' "$inc/repaykernel.h" | grep -oE 'rk_[a-z0-9_]+\($' | tr -d '(' | sort -u)
exported=$(nm -D --defined-only "$so" | awk '$2 == "T" && $3 ~ /^rk_/ { print $3 }' | sort -u)
if [ -n "$declared" ] && [ "$declared" = "$exported" ]; then
  pass "all $(echo "$declared" | wc -l) declared functions exported, no others"
else
  fail "declared vs exported functions differ:"; diff <(echo "$declared") <(echo "$exported") | head
fi

echo "== C examples (gcc)"
cflags=(-std=c11 -O2 -Wall -Wextra -Werror -I"$inc")
link=(-L"$bin" -lrepaykernel -Wl,-rpath,"$bin" -lpthread)
for ex in schedule_and_plan batch_csv robustness; do
  if gcc "${cflags[@]}" "examples/c/$ex.c" "${link[@]}" -o "$tmp/$ex"; then pass "compile examples/c/$ex.c"; else fail "compile examples/c/$ex.c"; fi
done

if "$tmp/schedule_and_plan" > "$tmp/sp.out" 2>&1 \
   && grep -q '^total payable 10661.86 (1066186 minor units' "$tmp/sp.out" \
   && grep -q '^     0  2024-06-20  down ' "$tmp/sp.out" \
   && grep -q "field 'principal': principal: more than 2 decimals" "$tmp/sp.out" \
   && grep -q '^rk_request_errcode: 2 (bad input)$' "$tmp/sp.out"; then
  pass "schedule_and_plan prints the schedule, the plan and a field error with its code"
else
  fail "schedule_and_plan"; head -20 "$tmp/sp.out"
fi
# The plan's debt breakdown (rk_result_debt): the penalty waived, before = waived + after, amount financed.
if grep -q '^penalty  *16\.67  *16\.67  *0\.00$' "$tmp/sp.out" \
   && grep -q '^overdue interest  *144\.09  *0\.00  *144\.09$' "$tmp/sp.out" \
   && grep -q '^total  *7781\.52  *16\.67  *7764\.85$' "$tmp/sp.out" \
   && grep -q '^amount financed 776485 minor units (RK_OK' "$tmp/sp.out"; then
  pass "schedule_and_plan prints the plan's debt before, waived and after"
else
  fail "schedule_and_plan debt breakdown"; grep -A8 "^debt" "$tmp/sp.out"
fi

# A plan replayed from its payments (SPEC §9.2): the ledger, the 0.86 penalty of 5 late days, days past due,
# accrued interest 20.07 (SPEC §9 worked by hand), and a bad item named by its number.
if grep -q '^2024-04-20  penalty      1       0\.86     0\.86 .*   5$' "$tmp/sp.out" \
   && grep -q '^2024-04-20  payment            519\.37     0\.86      0\.00     518\.51     0\.00       0\.00    9029\.64    0$' "$tmp/sp.out" \
   && grep -q '^2024-04-25  as_of  ' "$tmp/sp.out" \
   && grep -q '^days past due on as_of: 0 (RK_OK' "$tmp/sp.out" \
   && grep -q '^accrued interest on as_of: 20\.07$' "$tmp/sp.out" \
   && grep -q "field 'payments': payments: item 2: \"2024-04-31 519.37\": no such date" "$tmp/sp.out"; then
  pass "schedule_and_plan prints the ledger of a plan replayed from its payments"
else
  fail "schedule_and_plan ledger"; grep -A10 "^Ledger" "$tmp/sp.out"
fi

echo "== conformance through rk_run_csv (the same script as for the CLI)"
if bash Tests/conformance.sh "$tmp/batch_csv" fixtures/conformance > "$tmp/conf.out" 2>&1; then
  pass "conformance: $(tail -1 "$tmp/conf.out")"
else
  fail "conformance through rk_run_csv"; cat "$tmp/conf.out"
fi
if [ -x "$bin/repay" ]; then
  # Byte for byte against the CLI of the same build, error messages included.
  same=1
  for f in fixtures/conformance/*.csv; do
    case "$f" in *.schedule.csv|*.summary.csv) continue ;; esac
    "$bin/repay" batch "$f" --schedule "$tmp/cli.s" --summary "$tmp/cli.m" --quiet 2>/dev/null; a=$?
    "$tmp/batch_csv" batch "$f" --schedule "$tmp/c.s" --summary "$tmp/c.m" --quiet 2>/dev/null; b=$?
    if [ "$a" != "$b" ]; then same=0; echo "  $f: exit $b, the CLI $a"; fi
    if [ "$a" != 2 ] && ! { cmp -s "$tmp/cli.s" "$tmp/c.s" && cmp -s "$tmp/cli.m" "$tmp/c.m"; }; then same=0; echo "  $f: output differs from the CLI"; fi
    rm -f "$tmp"/cli.? "$tmp"/c.?
  done
  [ $same = 1 ] && pass "rk_run_csv == repay batch byte for byte, messages included" || fail "rk_run_csv differs from repay batch"
fi

echo "== static library (needs swiftrt.o)"
swiftlib=$(dirname "$(command -v swift)")/../lib/swift/linux
swiftlib=$(cd "$swiftlib" && pwd)
if [ -f "$ar" ] && gcc "${cflags[@]}" examples/c/schedule_and_plan.c "$ar" "$swiftlib/x86_64/swiftrt.o" \
     -L"$swiftlib" -lswiftCore -lswift_Concurrency -lswiftGlibc -lswiftDispatch -ldispatch -lgmp -lm -lpthread \
     -Wl,-rpath,"$swiftlib" -o "$tmp/sp_static" \
   && "$tmp/sp_static" > "$tmp/sp_static.out" 2>&1 && cmp -s "$tmp/sp.out" "$tmp/sp_static.out"; then
  pass "static link (librepaykernel-static.a + swiftrt.o) gives the same output"
else
  fail "static library link or run"
fi

echo "== robustness (NULLs, malformed strings, 10^40, random requests, threads)"
n=${CAPI_RANDOM:-100000}
"$tmp/robustness" "$n" 1 > "$tmp/rob.out" 2> "$tmp/rob.err"; rc=$?
cat "$tmp/rob.out"; head -30 "$tmp/rob.err"
if [ $rc = 0 ] && grep -q "^robustness: [0-9]* checks, 0 failed .* $n random requests.* [0-9]* payment histories ([1-9][0-9]* with a bad item)" "$tmp/rob.out"; then
  pass "robustness: $n random requests and random payment histories, the process survived, every check held"
else
  fail "robustness (exit $rc)"
fi

echo "== Python package (pip install ./bindings/python into a virtual environment, then pytest)"
# The venv sees the base interpreter's packages (pytest, where it is installed);
# the package itself is pip-installed into the venv, as the README tells a user.
venv="$root/${CAPI_SCRATCH:-.build}/python-venv"
py="$venv/bin/python"
if ! command -v python3 >/dev/null; then
  fail "python3 is not installed"
elif ! { "$py" -c '' 2>/dev/null || python3 -m venv --clear --system-site-packages "$venv" > "$tmp/venv.out" 2>&1; }; then
  fail "python3 -m venv (Debian: apt-get install python3-venv)"; tail -5 "$tmp/venv.out"
else
  "$py" -c 'import pytest' 2>/dev/null || "$py" -m pip install -q pytest > "$tmp/pip.out" 2>&1 || { cat "$tmp/pip.out"; }
  # Build offline with the venv's setuptools when it can; else pip fetches the build requirements.
  isolation=()
  "$py" -c 'import setuptools, wheel, sys; sys.exit(int(setuptools.__version__.split(".")[0]) < 61)' 2>/dev/null \
    && isolation=(--no-build-isolation)
  rm -rf bindings/python/build  # setuptools' staging area: stale files there would be packaged again
  if "$py" -m pip install -q --no-deps --force-reinstall "${isolation[@]}" ./bindings/python > "$tmp/pip.out" 2>&1; then
    pass "pip install ./bindings/python"
  else
    fail "pip install ./bindings/python"; tail -20 "$tmp/pip.out"
  fi
  where=$(cd "$tmp" && env -u REPAYKERNEL_LIB -u PYTHONPATH "$py" -c 'import repaykernel, sys; print(repaykernel.__file__)' 2>&1)
  case "$where" in
    "$venv"/*) pass "the venv imports the installed package ($where)" ;;
    *) fail "import repaykernel from the venv: $where" ;;
  esac
  if ! "$py" -c 'import pytest' 2>/dev/null; then
    fail "pytest is not installed (pip install pytest)"
  elif REPAYKERNEL_LIB="$so" "$py" -m pytest -q -p no:cacheprovider --ignore=bindings/python/tests/test_spark.py bindings/python/tests > "$tmp/py.out" 2>&1; then
    pass "pytest: $(tail -1 "$tmp/py.out")"
  else
    fail "pytest"; tail -30 "$tmp/py.out"
  fi
fi

echo "== valgrind"
if command -v valgrind >/dev/null; then
  vg() {
    local name=$1; shift
    if valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
         --log-file="$tmp/vg.$name" "$@" > /dev/null 2>&1; then
      pass "valgrind $name: no errors, 0 bytes definitely lost"
    else
      fail "valgrind $name"; grep -E "definitely|Invalid|uninitialised" "$tmp/vg.$name" | head -10
    fi
  }
  vg schedule_and_plan "$tmp/schedule_and_plan"
  vg batch_csv "$tmp/batch_csv" batch fixtures/conformance/classic.csv --schedule "$tmp/vg.s" --summary "$tmp/vg.m" --quiet
  vg robustness "$tmp/robustness" 2000 2 200
else
  echo "valgrind not installed: skipped (apt-get install valgrind to run it)"
fi

finish
