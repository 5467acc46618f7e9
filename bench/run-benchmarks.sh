#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every benchmark workload on QPgPool, pgx's pgxpool (Go), HikariCP with pgjdbc (Java), asyncpg,
# psycopg_pool and pgbench against one private PostgreSQL server and prints the comparison table
# (docs/BENCHMARKS.md). Every implementation reports ops/s and its own client CPU µs per operation.
#
#   bench/run-benchmarks.sh [--quick] [--rounds N] [--duration S] [--warmup S] [--workload a,b]
#
# Implementations run one at a time and alternate per workload (ours, pgx, hikari, asyncpg, psycopg,
# pgbench, ours, pgx, ... for each round), so drift of the machine hits all of them. Full: 3 rounds
# of 2.5 s after a 1 s warm-up (about 15 minutes on 2 cores with all six); --quick: 2 rounds of
# 0.7 s (under 4).
#
# Environment: QPG_BUILD_DIR (default build/, as run-tests.sh), QPG_BENCH_BIN (a prebuilt
# qpgpool-bench; nothing is built then), QPG_BENCH_DSN (an outside server instead of a private one),
# QPG_BENCH_ARGS (more options for qpgpool-bench, e.g. --callbacks).
# The Go and Java peers come from bench/install-peers.sh (called here) and are built offline into the
# work directory; a peer whose toolchain or library is missing is skipped with a message.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

rounds=3 duration=2.5 warmup=1 mode=full
workloads="pg_type,generate_series,bytea,arrays,copy,batch,batch4,oneplusone,acquire_release,fetchval,fetchval@100/10,series4"
while [ $# -gt 0 ]; do
    case $1 in
        --quick) rounds=2 duration=0.7 warmup=0.2 mode=quick ;;
        --rounds) rounds=$2; shift ;;
        --duration) duration=$2; shift ;;
        --warmup) warmup=$2; shift ;;
        --workload) workloads=$2; shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "run-benchmarks: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

python=/usr/bin/python3 # the Debian interpreter that has python3-asyncpg and python3-psycopg-pool
peers=bench/peers
build_dir=${QPG_BUILD_DIR:-build}
bench=${QPG_BENCH_BIN:-$build_dir/bench/qpgpool-bench}

if [ -z "${QPG_BENCH_BIN:-}" ]; then
    if [ ! -f "$build_dir/CMakeCache.txt" ]; then
        echo "run-benchmarks: configuring $build_dir (RelWithDebInfo)"
        cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQPG_WERROR=ON >/dev/null || exit 1
    fi
    build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build_dir/CMakeCache.txt")
    case $build_type in
        Release|RelWithDebInfo|MinSizeRel) ;;
        *) echo "run-benchmarks: warning: $build_dir is a '$build_type' build; numbers will be low" >&2 ;;
    esac
    cmake --build "$build_dir" --target qpgpool-bench || {
        echo "run-benchmarks: building qpgpool-bench failed (is add_subdirectory(bench) in CMakeLists.txt?)" >&2
        exit 1
    }
fi
[ -x "$bench" ] || { echo "run-benchmarks: $bench not found" >&2; exit 1; }

work=$(mktemp -d /tmp/qpgpool-bench.XXXXXX)
state=$work/pgcluster.state
stop_cluster() {
    [ -f "$state" ] && "$bench" --stop-cluster "$state"
    rm -rf "$work"
}
trap stop_cluster EXIT
trap 'exit 130' INT TERM

bench/install-peers.sh || echo "run-benchmarks: bench/install-peers.sh failed; missing peers are skipped" >&2

impls=(qpgpool)
# pgxpool, built in GOPATH mode from Debian's /usr/share/gocode: offline, no module proxy.
pgx_bin=$work/pgx-bench
if ! command -v go >/dev/null || [ ! -d /usr/share/gocode/src/github.com/jackc/pgx/v4 ]; then
    echo "run-benchmarks: pgx skipped (no go or golang-github-jackc-pgx-v4-dev; run bench/install-peers.sh)" >&2
elif GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=$work/gocache GOPROXY=off GOFLAGS= \
        go build -o "$pgx_bin" ./$peers/pgx 2>"$work/build.log"; then
    impls+=(pgx)
else
    echo "run-benchmarks: pgx skipped (build failed):" >&2
    tail -n 5 "$work/build.log" >&2
fi
# HikariCP + pgjdbc, compiled with javac against the jars of /usr/share/java.
java_cp=/usr/share/java/HikariCP.jar:/usr/share/java/postgresql.jar:/usr/share/java/slf4j-api.jar
if ! command -v javac >/dev/null || ! ls ${java_cp//:/ } >/dev/null 2>&1; then
    echo "run-benchmarks: hikari skipped (no javac, HikariCP, pgjdbc or slf4j; run bench/install-peers.sh)" >&2
elif javac -d "$work/java" -cp "$java_cp" $peers/hikari/Bench.java 2>"$work/build.log"; then
    impls+=(hikari)
    # slf4j-nop silences slf4j's "no binding" warning; HikariCP logs nothing we need.
    java_cp=$work/java:$java_cp:/usr/share/java/slf4j-nop.jar
else
    echo "run-benchmarks: hikari skipped (javac failed):" >&2
    tail -n 5 "$work/build.log" >&2
fi
for peer in asyncpg psycopg pgbench; do
    case $peer in
        asyncpg) check="import asyncpg" ;;
        psycopg) check="import psycopg_pool" ;;
        pgbench) check="import psycopg" ;;
    esac
    if "$python" -c "$check" 2>/dev/null; then
        impls+=("$peer")
    else
        echo "run-benchmarks: $peer skipped ($python cannot '$check'; run installer/install-deps.sh)" >&2
    fi
done

if [ -n "${QPG_BENCH_DSN:-}" ]; then
    dsn=$QPG_BENCH_DSN
else
    dsn=$("$bench" --start-cluster "$state") || { echo "run-benchmarks: starting PostgreSQL failed" >&2; exit 1; }
fi

results_dir=$build_dir/bench-results
mkdir -p "$results_dir"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
results=$results_dir/$stamp.tsv
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
server=$(/usr/lib/postgresql/15/bin/postgres --version 2>/dev/null || echo "PostgreSQL (version unknown)")
echo "run-benchmarks: $mode run, $rounds rounds x ${duration}s after ${warmup}s warm-up, 10 connections"
echo "  machine: $cpu, $(nproc) cores; server: $server over TCP loopback (private cluster)"
echo "  implementations: ${impls[*]}; results: $results"

started=$SECONDS
IFS=, read -r -a workload_list <<< "$workloads"
for spec in "${workload_list[@]}"; do
    # name[@M/N]: M callers sharing N connections (default 10/10)
    name=${spec%@*} concurrency=10 connections=10 label=$name
    if [[ $spec == *@*/* ]]; then
        mn=${spec#*@}
        concurrency=${mn%/*} connections=${mn#*/}
    fi
    [ "$name" = fetchval ] && label="fetchval $concurrency/$connections"
    for ((round = 1; round <= rounds; round++)); do
        for impl in "${impls[@]}"; do
            common=(--dsn "$dsn" --duration "$duration" --warmup "$warmup" --concurrency "$concurrency"
                    --connections "$connections" --workload "$name" --json)
            case $impl in
                # shellcheck disable=SC2206 # QPG_BENCH_ARGS is split into options on purpose
                qpgpool) cmd=("$bench" "${common[@]}" ${QPG_BENCH_ARGS:-}) ;;
                pgx) cmd=("$pgx_bin" "${common[@]}") ;;
                hikari) cmd=(java -cp "$java_cp" Bench "${common[@]}") ;;
                *) cmd=("$python" "$peers/${impl}_bench.py" "${common[@]}") ;;
            esac
            [ -t 2 ] && printf '  %-20s round %d/%d  %-8s\r' "$label" "$round" "$rounds" "$impl" >&2
            "${cmd[@]}" 2>"$work/stderr" | while IFS= read -r line; do
                printf '%s\t%s\t%s\n' "$label" "$round" "$line"
            done >>"$results"
            if grep -q . "$work/stderr"; then
                echo "run-benchmarks: $label / $impl wrote to stderr:" >&2
                tail -n 5 "$work/stderr" >&2
            fi
        done
    done
done
[ -t 2 ] && printf '%60s\r' '' >&2
echo "run-benchmarks: measured in $((SECONDS - started)) s"
echo
"$python" "$peers/report.py" --latency "$results" | tee "$results_dir/latest.md"
status=${PIPESTATUS[0]}
cp "$results" "$results_dir/latest.tsv"
exit "$status"
