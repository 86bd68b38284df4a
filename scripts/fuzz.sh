#!/usr/bin/env bash
# Build the libFuzzer targets (fuzz/, clang, ASan + UBSan) in build-fuzz/ and
# run each, or the ones named, for a given time. Per target it prints the
# executions, executions per second, coverage (libFuzzer's cov/ft) and the
# crashes found; a crash, leak, timeout or sanitizer report fails the target,
# with the input saved and the command that reproduces it printed. Closes
# with "fuzz: N passed, N failed"; exits non-zero on any failure.
#
#   scripts/fuzz.sh [-t SECONDS] [-j JOBS] [TARGET...]
#
#   -t SECONDS  time per target (default 60, or FUZZ_TIME)
#   -j JOBS     targets run at once, 1 or 2 (default 1, or FUZZ_JOBS)
#   TARGET      decode defrag stream http ics rules capture (default: all)
#
# Corpora grow in build-fuzz/corpus/TARGET between runs; seeds are made by
# scripts/fuzz_seeds.py into build-fuzz/seeds/TARGET; inputs that once
# crashed stay in fuzz/regress/TARGET and are replayed at every start.
set -uo pipefail
cd "$(dirname "$0")/.."

ALL=(decode defrag stream http ics rules capture)
time_s=${FUZZ_TIME:-60}
jobs=${FUZZ_JOBS:-1}
while getopts "t:j:h" o; do
  case $o in
    t) time_s=$OPTARG ;;
    j) jobs=$OPTARG ;;
    *) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
targets=("$@")
((${#targets[@]})) || targets=("${ALL[@]}")
for t in "${targets[@]}"; do
  [[ " ${ALL[*]} " == *" $t "* ]] || { echo "fuzz: unknown target '$t' (${ALL[*]})" >&2; exit 2; }
done
[[ $time_s =~ ^[0-9]+$ && $time_s -gt 0 ]] || { echo "fuzz: -t wants seconds" >&2; exit 2; }
[[ $jobs == 1 || $jobs == 2 ]] || { echo "fuzz: -j is 1 or 2" >&2; exit 2; }

dir=build-fuzz
werror=OFF
[[ -n "${CI:-}" ]] && werror=ON
command -v clang >/dev/null || { echo "fuzz: clang not found (scripts/deps.sh installs it)" >&2; exit 1; }
if ! { cmake -S . -B "$dir" -DCMAKE_C_COMPILER=clang -DPS_FUZZ=ON -DPS_TESTS=OFF \
         -DPS_WERROR="$werror" >/dev/null &&
       nice cmake --build "$dir" --target fuzz_all -j 2 >"$dir/build.log" 2>&1; }; then
  tail -30 "$dir/build.log" 2>/dev/null
  echo "fuzz: build failed"
  echo "fuzz: 0 passed, ${#targets[@]} failed"
  exit 1
fi
/usr/bin/python3 scripts/fuzz_seeds.py "$dir/seeds" >/dev/null || { echo "fuzz: seeds failed"; exit 1; }

declare -A DICT=([http]=http [ics]=ics [rules]=rules)
declare -A MAXLEN=([rules]=4096 [capture]=65536)
# Seconds an input may take. Building the detection engine compiles the
# input's rules with Hyperscan, which takes seconds for a long pcre under
# ASan; the engine does that once at start, so only a minute means a hang.
declare -A TIMEOUT=([rules]=60)

# Run one target; its summary goes to $dir/logs/TARGET.result.
run_target() {
  local t=$1
  local bin=$dir/fuzz/fuzz_$t corpus=$dir/corpus/$t art=$dir/artifacts/$t/
  local log=$dir/logs/$t.log
  mkdir -p "$corpus" "$art" "$dir/logs"
  local args=(-max_total_time="$time_s" -timeout="${TIMEOUT[$t]:-10}" -rss_limit_mb=2048 -print_final_stats=1
              -artifact_prefix="$art")
  [[ -n ${DICT[$t]:-} ]] && args+=(-dict="fuzz/dict/${DICT[$t]}.dict")
  [[ -n ${MAXLEN[$t]:-} ]] && args+=(-max_len="${MAXLEN[$t]}")
  local dirs=("$corpus" "$dir/seeds/$t")
  [[ -d fuzz/regress/$t ]] && dirs+=("fuzz/regress/$t")
  local start=$SECONDS
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} nice "$bin" "${args[@]}" "${dirs[@]}" >"$log" 2>&1
  local rc=$? took=$((SECONDS - start))
  local runs eps cov ft corp crash
  runs=$(sed -nE 's/^stat::number_of_executed_units: +([0-9]+).*/\1/p' "$log" | tail -1)
  eps=$(sed -nE 's/^stat::average_exec_per_sec: +([0-9]+).*/\1/p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  corp=$(grep -oE 'corp: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  crash=$(sed -nE 's/.*Test unit written to (.*)$/\1/p' "$log" | tail -1)
  {
    if [[ $rc -eq 0 && -z $crash ]]; then
      printf 'fuzz %-13s pass  %ss runs=%s exec/s=%s cov=%s ft=%s corpus=%s crashes=0\n' \
        "fuzz_$t" "$took" "${runs:-0}" "${eps:-0}" "${cov:-0}" "${ft:-0}" "${corp:-0}"
    else
      local what
      what=$(grep -m1 -oE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer|UndefinedBehaviorSanitizer)[^(]*|runtime error: .*|invariant broken: .*' "$log")
      printf 'fuzz %-13s FAIL  %ss runs=%s exec/s=%s cov=%s crashes=1 (exit %s)\n' \
        "fuzz_$t" "$took" "${runs:-0}" "${eps:-0}" "${cov:-0}" "$rc"
      echo "  what:      ${what:-see $log}"
      echo "  input:     ${crash:-none saved}"
      echo "  reproduce: $bin ${crash:-}"
      echo "  log:       $log"
    fi
  } >"$dir/logs/$t.result"
  [[ $rc -eq 0 && -z $crash ]]
}

passed=0
failed=0
pending=()
finish() {
  local t=$1
  cat "$dir/logs/$t.result"
  if grep -q ' pass ' "$dir/logs/$t.result"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}
for t in "${targets[@]}"; do
  rm -f "$dir/logs/$t.result"
  run_target "$t" &
  pending+=("$t:$!")
  if ((${#pending[@]} >= jobs)); then
    wait "${pending[0]#*:}"
    finish "${pending[0]%%:*}"
    pending=("${pending[@]:1}")
  fi
done
for p in "${pending[@]}"; do
  wait "${p#*:}"
  finish "${p%%:*}"
done
echo "fuzz: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
