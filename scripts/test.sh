#!/usr/bin/env bash
# Set up, build, and run the whole test suite: Criterion unit tests and the
# end-to-end tests, on the release build and again on an ASan+UBSan build,
# then every libFuzzer target for a minute (scripts/fuzz.sh).
# Closes with one line "total: N passed, N failed"; exits non-zero on any
# failure.
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh || exit 1
# The e2e tests need python3-jsonschema, which Debian installs for its own
# python3; prefer that interpreter over any other python3 on PATH.
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3

passed=0
failed=0

# Run each Criterion binary of a build dir; add its synthesis to the totals.
run_unit() {
  local dir=$1 label=$2
  for t in "$dir"/tests/test_*; do
    [[ -x "$t" ]] || continue
    local out
    out=$("$t" --jobs 1 2>&1)
    local rc=$?
    local line
    line=$(grep -E "Synthesis: Tested: [0-9]+" <<<"$out" | tail -1)
    local p f c
    p=$(sed -nE 's/.*Passing: ([0-9]+).*/\1/p' <<<"$line")
    f=$(sed -nE 's/.*Failing: ([0-9]+).*/\1/p' <<<"$line")
    c=$(sed -nE 's/.*Crashing: ([0-9]+).*/\1/p' <<<"$line")
    p=${p:-0}; f=${f:-0}; c=${c:-0}
    if [[ $rc -ne 0 && $((f + c)) -eq 0 ]]; then f=1; fi
    passed=$((passed + p))
    failed=$((failed + f + c))
    if [[ $rc -ne 0 ]]; then
      echo "$out" | grep -vE "^\[----\]|^\[====\] Running" | tail -40
    fi
    printf '%-10s %-28s %s passed, %s failed\n' "$label" "$(basename "$t")" "$p" "$((f + c))"
  done
}

# Run the e2e suite against one binary; add its closing line to the totals.
run_e2e() {
  local bin=$1 label=$2
  shift 2
  local log
  log=$(mktemp)
  PLAINSIGHT=$bin $PY tests/e2e/run.py "$@" | tee "$log" | sed "s/^/$label /"
  local line
  line=$(grep -E "^e2e: [0-9]+ passed, [0-9]+ failed" "$log" | tail -1)
  rm -f "$log"
  if [[ -z "$line" ]]; then
    failed=$((failed + 1))
    echo "$label e2e runner did not finish"
    return
  fi
  passed=$((passed + $(sed -nE 's/^e2e: ([0-9]+) passed.*/\1/p' <<<"$line")))
  failed=$((failed + $(sed -nE 's/.* ([0-9]+) failed.*/\1/p' <<<"$line")))
}

# Run every libFuzzer target for FUZZ_TIME seconds (60), two at a time;
# each target is one pass or one fail in the totals.
run_fuzz() {
  local log
  log=$(mktemp)
  scripts/fuzz.sh -t "${FUZZ_TIME:-60}" -j 2 | tee "$log"
  local line
  line=$(grep -E "^fuzz: [0-9]+ passed, [0-9]+ failed" "$log" | tail -1)
  rm -f "$log"
  if [[ -z "$line" ]]; then
    failed=$((failed + 1))
    echo "fuzz runner did not finish"
    return
  fi
  passed=$((passed + $(sed -nE 's/^fuzz: ([0-9]+) passed.*/\1/p' <<<"$line")))
  failed=$((failed + $(sed -nE 's/.* ([0-9]+) failed.*/\1/p' <<<"$line")))
}

echo "== release build"
if ! scripts/build.sh >/dev/null; then
  echo "release build failed"; scripts/build.sh 2>&1 | tail -30
  echo "total: $passed passed, $((failed + 1)) failed"; exit 1
fi
run_unit build release
run_e2e build/plainsight release

echo "== sanitizer build (ASan + UBSan)"
if ! BUILD_TYPE=Sanitize scripts/build.sh >/dev/null; then
  echo "sanitizer build failed"
  echo "total: $passed passed, $((failed + 1)) failed"; exit 1
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_unit build-sanitize asan
run_e2e build-sanitize/plainsight asan

echo "== fuzzing (libFuzzer + ASan + UBSan, ${FUZZ_TIME:-60}s per target)"
run_fuzz

echo "total: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
