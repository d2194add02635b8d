#!/usr/bin/env bash
# The whole test suite: what the README's test command runs, and what CI runs.
#   bash Tests/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== build (release)"
swift build -c release

echo "== swift test (unit, property, golden, CLI tests)"
swift test

echo "== README examples (commands and Swift snippets)"
bash Tests/readme.sh

echo "== conformance (fixtures/conformance, a copy of ../shared/conformance)"
bash Tests/conformance.sh .build/release/repay fixtures/conformance
if [ -x ../shared/conformance/check.sh ]; then
  echo "== conformance (../shared/conformance/check.sh)"
  ../shared/conformance/check.sh .build/release/repay
fi
bash Tests/capi.sh

echo "== Spark (repaykernel.spark in local[2] against repay batch; skipped without pyspark or java)"
bash Tests/spark.sh

echo "== Swift example (examples/swift, a package depending on the kernel by path)"
bash Tests/swift-example.sh

echo "== DocC (the public API documented, no warnings)"
bash Tests/docs.sh
