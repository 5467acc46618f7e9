#!/usr/bin/env bash
# ThreadSanitizer run of the cross-thread pool tests: a pool in a worker thread used from the main
# thread (tst_PoolRegressions::crossThreadCallsAreSafe, and tst_poolchaos's cross-thread scenario when
# it is built). Not part of .ci/run: Debian's Qt is not built with TSan, so its internal locking is
# invisible to TSan; tests/tsan/suppressions.txt names what is suppressed for that reason, and why.
#
#   tests/tsan/run-tsan.sh [build dir, default build-tsan]
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
dir=${1:-build-tsan}
./installer/install-deps.sh || exit 1
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DQPG_TSAN=ON -DQPG_BUILD_BENCH=OFF \
    -DQPG_BUILD_EXAMPLES=OFF -DQPG_BUILD_QML=OFF >/dev/null || exit 1
cmake --build "$dir" --parallel "$(nproc)" --target tst_poolregressions qpg-cluster || exit 1
export TSAN_OPTIONS="suppressions=$PWD/tests/tsan/suppressions.txt halt_on_error=0 second_deadlock_stack=1 report_signal_unsafe=0"
ctest --test-dir "$dir" -R 'pgcluster' -E stop --output-on-failure >/dev/null || exit 1
status=0
QPG_TEST_STATE_FILE="$PWD/$dir/tests/pgcluster.state" "$dir/tests/tst_poolregressions" crossThreadCallsAreSafe 2>&1 | tee "$dir/tsan.log" || status=1
"$dir/tests/harness/qpg-cluster" stop "$dir/tests/pgcluster.state" || true
if grep -q "WARNING: ThreadSanitizer" "$dir/tsan.log"; then
    echo "run-tsan: ThreadSanitizer reported races (see $dir/tsan.log)"
    status=1
fi
exit "$status"
