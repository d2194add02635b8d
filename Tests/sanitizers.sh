#!/usr/bin/env bash
# The unit tests and the C API robustness program under the sanitizers:
#
#   bash Tests/sanitizers.sh                 address, then thread, then undefined
#   bash Tests/sanitizers.sh address thread  a subset
#
# address   swift test --sanitize=address (every Swift target instrumented; the
#           CLI the tests run is instrumented too), then examples/c/robustness.c
#           built with the toolchain's clang -fsanitize=address against the
#           instrumented librepaykernel.so (one ASan runtime: the toolchain's).
# thread    the same with ThreadSanitizer: the tests' parallel batch runs and
#           robustness.c's four threads sharing the library.
# undefined Swift has no UBSan (swiftc: "unsupported option '-sanitize=undefined'";
#           Swift code traps on overflow and out-of-bounds access by itself), so
#           UBSan covers the C side: robustness.c with -fsanitize=undefined
#           (-fno-sanitize-recover: any finding fails) against the plain library.
# GMP itself is the system's uninstrumented libgmp in every mode.
#
# Each mode builds into its own directory (.build-asan, .build-tsan, .build-ubsan),
# so the normal .build is untouched. It takes long (two debug builds and two
# test runs under instrumentation): a pre-release step, not a CI one.
# SANITIZER_RANDOM sets robustness.c's random requests (default 20000).
# Last line: "sanitizers: clean" or "sanitizers: N findings (...)"; exit status
# non-zero on any finding or failure.
set -u
cd "$(dirname "$0")/.."
root=$PWD
modes=("$@")
[ ${#modes[@]} = 0 ] && modes=(address thread undefined)
random=${SANITIZER_RANDOM:-20000}
clang="$(dirname "$(command -v swift)")/clang"
swiftlib=$(cd "$(dirname "$(command -v swift)")/../lib/swift/linux" && pwd)
inc="$root/Sources/CRepayKernel/include"
export SWIFT_BACKTRACE=enable=no   # the Swift backtracer would read memory ASan watches
findings=0; failed=()
note() { findings=$((findings + 1)); failed+=("$1"); echo "FINDING $1"; }
elapsed() { echo "$(( $(date +%s) - $1 )) s"; }

for mode in "${modes[@]}"; do
  start=$(date +%s)
  case "$mode" in
    address) scratch=.build-asan; flag=address; cflag=-fsanitize=address ;;
    # The toolchain's TSan runtime intercepts libdispatch, so a C program links it and the blocks runtime.
    thread) scratch=.build-tsan; flag=thread; cflag="-fsanitize=thread -L$swiftlib -ldispatch -lBlocksRuntime -Wl,-rpath,$swiftlib" ;;
    undefined) scratch=.build-ubsan; flag=""; cflag="-fsanitize=undefined -fno-sanitize-recover=all" ;;
    *) echo "unknown mode $mode (address, thread, undefined)"; exit 2 ;;
  esac
  log="$root/$scratch/sanitizers.log"
  mkdir -p "$scratch"
  echo "== $mode: build"
  if [ -n "$flag" ]; then
    if ! swift build --build-tests --sanitize="$flag" --scratch-path "$scratch" > "$log.build" 2>&1; then
      tail -20 "$log.build"; note "$mode: the instrumented build failed"; continue
    fi
    echo "== $mode: swift test ($(elapsed "$start") so far)"
    # Leaks inside XCTest and Foundation are suppressed (Tests/lsan.supp says which); robustness.c below has none.
    LSAN_OPTIONS="suppressions=$root/Tests/lsan.supp:print_suppressions=0" \
      swift test --skip-build --sanitize="$flag" --scratch-path "$scratch" > "$log.test" 2>&1
    rc=$?
    if grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|WARNING: ThreadSanitizer" "$log.test"; then
      note "$mode: swift test reports $(grep -cE "ERROR: (AddressSanitizer|LeakSanitizer)|WARNING: ThreadSanitizer" "$log.test") issues (see $log.test)"
      grep -E -A12 "ERROR: (AddressSanitizer|LeakSanitizer)|WARNING: ThreadSanitizer" "$log.test" | head -40
    elif [ $rc != 0 ]; then
      note "$mode: swift test failed (exit $rc, see $log.test)"
      grep -E "✘|error:|failed" "$log.test" | head -10
    else
      echo "swift test: $(grep -E "^✔ Test run|Executed .* tests" "$log.test" | tail -2 | tr '\n' ' ')"
    fi
  else
    swift build --scratch-path "$scratch" > "$log.build" 2>&1 || { tail -20 "$log.build"; note "$mode: build failed"; continue; }
  fi
  lib="$root/$scratch/debug"
  echo "== $mode: examples/c/robustness.c ($random random requests, 4 threads)"
  if ! "$clang" -std=c11 -O1 -g $cflag -fno-omit-frame-pointer -I"$inc" examples/c/robustness.c \
         -L"$lib" -lrepaykernel -Wl,-rpath,"$lib" -lpthread -o "$root/$scratch/robustness" > "$log.cc" 2>&1; then
    cat "$log.cc"; note "$mode: robustness.c does not build"; continue
  fi
  "$root/$scratch/robustness" "$random" 1 300 > "$log.robustness" 2>&1
  rc=$?
  if grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|WARNING: ThreadSanitizer|runtime error:" "$log.robustness"; then
    note "$mode: robustness reports $(grep -cE "ERROR: (AddressSanitizer|LeakSanitizer)|WARNING: ThreadSanitizer|runtime error:" "$log.robustness") issues (see $log.robustness)"
    grep -E -A12 "ERROR: (AddressSanitizer|LeakSanitizer)|WARNING: ThreadSanitizer|runtime error:" "$log.robustness" | head -40
  elif [ $rc != 0 ]; then
    note "$mode: robustness failed (exit $rc)"; tail -5 "$log.robustness"
  else
    tail -1 "$log.robustness"
  fi
  echo "== $mode: $(elapsed "$start")"
done

if [ "$findings" = 0 ]; then
  echo "sanitizers: clean (${modes[*]})"
else
  echo "sanitizers: $findings findings ($(IFS=';'; echo "${failed[*]}"))"
  exit 1
fi
