#!/usr/bin/env bash
# The pasteable Swift example (examples/swift) against its expected output:
#   bash Tests/swift-example.sh
# Builds examples/swift, a package that depends on RepaymentKernel by path
# (`.package(name: "RepaymentKernel", path: "../..")`), runs its LoanExample
# program and compares what it prints with examples/swift/expected-output.txt
# byte for byte. The expected file was written by running the program: it is
# checked against the kernel, which the golden files check independently.
# After a deliberate change of the numbers, regenerate it with
#   bash Tests/swift-example.sh --update
# Last line: "swift-example: ok" or "swift-example: FAIL ..."; exit status 0 only when ok.
set -u
cd "$(dirname "$0")/.."
example=examples/swift
expected=$example/expected-output.txt
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

if ! swift build --package-path "$example" --product LoanExample > "$tmp/build.log" 2>&1; then
  tail -30 "$tmp/build.log"
  echo "swift-example: FAIL (the example does not build)"; exit 1
fi
if grep -q "warning:" "$tmp/build.log"; then
  grep "warning:" "$tmp/build.log" | sort -u | head
  echo "swift-example: FAIL (the example builds with warnings)"; exit 1
fi
bin=$(swift build --package-path "$example" --product LoanExample --show-bin-path)/LoanExample
"$bin" > "$tmp/out.txt" 2> "$tmp/err.txt"; rc=$?
if [ $rc != 0 ]; then
  cat "$tmp/err.txt"
  echo "swift-example: FAIL (LoanExample exited with status $rc)"; exit 1
fi
if [ "${1:-}" = "--update" ]; then
  cp "$tmp/out.txt" "$expected"
  echo "swift-example: ok ($expected written, $(wc -l < "$expected") lines)"; exit 0
fi
if [ -s "$tmp/err.txt" ]; then
  cat "$tmp/err.txt"
  echo "swift-example: FAIL (LoanExample wrote to standard error)"; exit 1
fi
if cmp -s "$tmp/out.txt" "$expected"; then
  echo "swift-example: ok ($(wc -l < "$expected") lines as expected)"
else
  diff "$expected" "$tmp/out.txt" | head -40
  echo "swift-example: FAIL (output differs from $expected)"; exit 1
fi
