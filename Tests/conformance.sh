#!/usr/bin/env bash
# Byte-for-byte comparison of `repay batch` with a conformance directory
# (NAME.csv, NAME.rc, NAME.schedule.csv, NAME.summary.csv).
#   bash Tests/conformance.sh .build/release/repay fixtures/conformance
# For NAME=bad only the summary's id and status columns are compared for
# error rows (the wording of an error message is free); everything else is
# compared byte for byte.
set -u
repay=$1; dir=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0; n=0
for input in "$dir"/*.csv; do
  name=$(basename "$input" .csv)
  case "$name" in *.schedule|*.summary) continue ;; esac
  [ -f "$dir/$name.rc" ] || continue
  n=$((n + 1))
  want=$(tr -d '[:space:]' < "$dir/$name.rc")
  "$repay" batch "$input" --schedule "$tmp/$name.s" --summary "$tmp/$name.m" --quiet 2>/dev/null
  got=$?
  if [ "$got" != "$want" ]; then echo "FAIL $name: exit $got, expected $want"; fail=$((fail + 1)); continue; fi
  if [ "$want" = 2 ]; then
    if [ -e "$tmp/$name.s" ] || [ -e "$tmp/$name.m" ]; then echo "FAIL $name: output written for an unusable file"; fail=$((fail + 1)); fi
    echo "ok   $name"; continue
  fi
  if ! cmp -s "$dir/$name.schedule.csv" "$tmp/$name.s"; then echo "FAIL $name: schedule differs"; diff "$dir/$name.schedule.csv" "$tmp/$name.s" | head -5; fail=$((fail + 1)); continue; fi
  if [ "$name" = bad ]; then
    # compare everything but the error text
    if ! diff <(sed -E 's/^([^,]*,error),.*/\1/' "$dir/$name.summary.csv") <(sed -E 's/^([^,]*,error),.*/\1/' "$tmp/$name.m") >/dev/null; then
      echo "FAIL $name: summary differs"; fail=$((fail + 1)); continue
    fi
  elif ! cmp -s "$dir/$name.summary.csv" "$tmp/$name.m"; then
    echo "FAIL $name: summary differs"; diff "$dir/$name.summary.csv" "$tmp/$name.m" | head -5; fail=$((fail + 1)); continue
  fi
  echo "ok   $name"
done
echo "$((n - fail)) passed, $fail failed"
[ "$fail" = 0 ]
