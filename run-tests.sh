#!/usr/bin/env bash
# Builds QPgPool and runs the test suite twice:
#   build/       RelWithDebInfo, warnings are errors
#   build-asan/  Debug with AddressSanitizer (+ LeakSanitizer) and UndefinedBehaviorSanitizer
# Each ctest run starts its own private PostgreSQL server (CTest fixture "pgcluster") and removes it
# afterwards. Works from a fresh clone, as root or as an ordinary user (sudo only for apt).
# Exit status: non-zero when any configure, build or test step failed.
set -uo pipefail
cd "$(dirname "$0")"

./installer/install-deps.sh || { echo "run-tests: installing dependencies failed" >&2; exit 1; }

jobs=$(nproc)
export CTEST_OUTPUT_ON_FAILURE=1
# LeakSanitizer works here (it needs ptrace-like thread suspension, which this sandbox allows).
# A smaller quarantine than the 256 MB default, so the bounded-memory tests measure the code, not ASan.
export ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:quarantine_size_mb=32
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

declare -A summary
passed_total=0
failed_total=0
status=0

# A build directory made by another generator cannot be reused with Ninja: start it afresh.
prepare_build_dir() {
    local dir=$1
    if [ -f "$dir/CMakeCache.txt" ] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$dir/CMakeCache.txt"; then
        echo "run-tests: $dir was configured with another generator, reconfiguring"
        rm -rf "$dir/CMakeCache.txt" "$dir/CMakeFiles"
    fi
}

# run_suite <name> <build dir> <cmake arguments...>
run_suite() {
    local name=$1 dir=$2
    shift 2
    echo
    echo "=== $name: configure $dir"
    prepare_build_dir "$dir"
    if ! cmake -S . -B "$dir" -G Ninja "$@"; then
        summary[$name]="configure failed"
        return 1
    fi
    echo "=== $name: build"
    # Keep going past a broken target, so the tests that did build still run (the rest show as
    # "Not Run" and fail the suite).
    local build_failed=0
    cmake --build "$dir" --parallel "$jobs" -- -k 0 || build_failed=1
    echo "=== $name: test"
    local log="$dir/ctest.log"
    # Tests share one server through the fixture, so running two at a time is fine.
    ctest --test-dir "$dir" --output-on-failure --no-tests=error -j2 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    # The fixture's cleanup normally stops the server; a killed run may leave it behind.
    local state="$dir/tests/pgcluster.state"
    if [ -f "$state" ] && [ -x "$dir/tests/harness/qpg-cluster" ]; then
        "$dir/tests/harness/qpg-cluster" stop "$state" || true
    fi
    local line
    line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
    summary[$name]=${line:-"ctest printed no summary (exit code $rc)"}
    if [ "$build_failed" -ne 0 ]; then
        summary[$name]="BUILD FAILED; ${summary[$name]}"
        rc=1
    fi
    if [[ $line =~ ([0-9]+)\ tests?\ failed\ out\ of\ ([0-9]+) ]]; then
        failed_total=$((failed_total + BASH_REMATCH[1]))
        passed_total=$((passed_total + BASH_REMATCH[2] - BASH_REMATCH[1]))
    fi
    return "$rc"
}

run_suite release build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQPG_WERROR=ON || status=1
run_suite asan build-asan -DCMAKE_BUILD_TYPE=Debug -DQPG_SANITIZE=ON || status=1

echo
echo "=== Summary"
echo "release (build/):         ${summary[release]}"
echo "asan+ubsan (build-asan/): ${summary[asan]}"
[ "$status" -eq 0 ] && echo "run-tests: OK" || echo "run-tests: FAILED"
echo "tests: $passed_total passed, $failed_total failed"
exit "$status"
