#!/usr/bin/env bash
# Soak run of the pool chaos test: builds tst_poolchaos (Debug, ASan+UBSan), starts a private
# PostgreSQL with qpg-cluster, runs random seeds until the seed count or the time is used up, stops the
# server again (also on failure or Ctrl-C). Every failing seed is printed with its replay command.
#
#   tests/soak/run-chaos-soak.sh [--seeds N] [--minutes M] [--seed-base B] [--mode same|hooks|thread|restart]
#                                [--build-dir DIR] [--no-sanitize] [--load]
# Defaults: 100000 seeds, 30 minutes, a random seed base, every mode in turn, build-chaos-soak/.
# --load runs other pool tests in a loop beside the soak, against the same server: timing bugs that
# a quiet machine hides show up under it (the restart mode's lost-before-adoption race failed 6 runs
# in 25 with it and never without).
# Exit status: 0 when every seed passed.
set -uo pipefail
cd "$(dirname "$0")/../.."

seeds=100000
minutes=30
seed_base=""
mode=""
build_dir=build-chaos-soak
sanitize=ON
load=0
while [ $# -gt 0 ]; do
    case $1 in
        --seeds) seeds=$2; shift 2 ;;
        --minutes) minutes=$2; shift 2 ;;
        --seed-base) seed_base=$2; shift 2 ;;
        --mode) mode=$2; shift 2 ;;
        --build-dir) build_dir=$2; shift 2 ;;
        --no-sanitize) sanitize=OFF; shift ;;
        --load) load=1; shift ;;
        *) echo "run-chaos-soak: unknown argument $1" >&2; exit 2 ;;
    esac
done

build_type=Debug
[ "$sanitize" = OFF ] && build_type=RelWithDebInfo
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=$build_type -DQPG_SANITIZE=$sanitize >/dev/null \
    || { echo "run-chaos-soak: configure failed" >&2; exit 1; }
load_tests=(tst_pool tst_poolcallbacks tst_poolregressions)
targets=(tst_poolchaos qpg-cluster)
[ "$load" = 1 ] && targets+=("${load_tests[@]}")
cmake --build "$build_dir" --parallel "$(nproc)" --target "${targets[@]}" \
    || { echo "run-chaos-soak: build failed" >&2; exit 1; }

state="$build_dir/tests/chaos-soak.state"
cluster="$build_dir/tests/harness/qpg-cluster"
"$cluster" start "$state" || { echo "run-chaos-soak: cannot start PostgreSQL" >&2; exit 1; }
load_pid=""
trap '[ -n "$load_pid" ] && { pkill -P "$load_pid"; kill "$load_pid"; } 2>/dev/null; "$cluster" stop "$state" >/dev/null 2>&1 || true' EXIT INT TERM

export QPG_TEST_STATE_FILE=$PWD/$state
export QT_QPA_PLATFORM=offscreen
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:quarantine_size_mb=32}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

args=(--seeds "$seeds" --minutes "$minutes")
[ -n "$seed_base" ] && args+=(--seed-base "$seed_base")
[ -n "$mode" ] && args+=(--mode "$mode")
log="$build_dir/chaos-soak-$(date +%Y%m%d-%H%M%S).log"
if [ "$load" = 1 ]; then
    # Until the soak ends (the trap kills the loop; the test running then ends with its cluster).
    ( while :; do for t in "${load_tests[@]}"; do "$build_dir/tests/$t" >/dev/null 2>&1; done; done ) &
    load_pid=$!
    echo "run-chaos-soak: load beside the soak: ${load_tests[*]} in a loop"
fi
echo "run-chaos-soak: ${args[*]} (log: $log)"
"$build_dir/tests/tst_poolchaos" "${args[@]}" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# A crash ends the run early: the last "chaos: mode M seed N" line names the seed that crashed.
if [ "$rc" -ne 0 ]; then
    last=$(grep -o 'chaos: mode [a-z]* seed [0-9]*' "$log" | tail -n 1)
    echo "run-chaos-soak: FAILED (exit $rc); last seed started: ${last:-none}"
    echo "replay: $build_dir/tests/tst_poolchaos --seed <N> --mode <M>  (QPG_TEST_STATE_FILE of a started cluster)"
fi
exit "$rc"
