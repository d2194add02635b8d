#!/usr/bin/env bash
# Builds the DocC documentation of the RepaymentKernel library (swift-docc-plugin,
# only part of the package when DOCC=1) and fails on any documentation warning.
#   bash Tests/docs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! DOCC=1 swift package generate-documentation --target RepaymentKernel >"$log" 2>&1; then
  cat "$log"; echo "docs: the documentation did not build"; exit 1
fi
warnings=$(grep -c "warning:" "$log" || true)
if [ "$warnings" != 0 ]; then
  grep -A3 "warning:" "$log"
  echo "docs: $warnings warnings"
  exit 1
fi
echo "docs: built without warnings ($(grep -o '/[^ ]*RepaymentKernel.doccarchive' "$log" | head -n 1))"
