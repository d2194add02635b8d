# Sourced by the benchmark scripts (from the repository's root): the `repay` binary to time,
# and where the C reference lives.
#   REPAY    a repay binary; unset: `swift build -c release --scratch-path $SCRATCH` builds one
#   SCRATCH  the build directory (default .build)
#   REF_DIR  ref_batch.c and gen_loans.py (default ../shared/bench, the project's C reference)
SCRATCH=${SCRATCH:-.build}
REF_DIR=${REF_DIR:-../shared/bench}
if [ -z "${REPAY:-}" ]; then
  echo "== swift build -c release --scratch-path $SCRATCH" >&2
  swift build -c release --scratch-path "$SCRATCH" >&2
  REPAY=$SCRATCH/release/repay
fi
[ -x "$REPAY" ] || { echo "no repay binary at $REPAY" >&2; exit 2; }
