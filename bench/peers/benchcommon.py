# SPDX-License-Identifier: MIT
"""What the peer benchmarks share with qpgpool-bench: options, workloads, histogram, JSON output.

Keep in step with bench/driver.cpp and bench/histogram.h: same workload names, same SQL, same
measurement (warm-up, then every operation that completes inside the measured window counts), same
histogram layout, same JSON keys.
"""

import argparse
import asyncio
import datetime
import json
import math
import os
import resource
import shlex
import sys
import time

# name -> (kind, sql with $n placeholders, args, expected rows or -1, setup, teardown)
# "%(table)s" in SQL is the per-process table name.
PG_TYPE_SQL = (
    "select typname, typnamespace, typowner, typlen, typbyval, typcategory, typispreferred, "
    "typisdefined, typdelim, typrelid, typelem, typarray from pg_type where typtypmod = $1 and "
    "typisdefined = $2"
)
COPY_ROW = (10, 11, 10, "TESTTESTTEST", 10.333, 12341234, "123412341234")
COPY_COLUMNS = ("a", "b", "c", "d", "e", "f", "g")
BATCH4_ROW = (10, "TESTTESTTEST", 10.333, datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc))
INSERT_TABLE_SETUP = (
    "DROP TABLE IF EXISTS %(table)s; "
    "CREATE TABLE %(table)s(a int, b int, c int, d text, e float, f int, g text);"
)

WORKLOADS = {
    "pg_type": dict(kind="rows", sql=PG_TYPE_SQL, args=[-1, True], rows=-1),
    "generate_series": dict(kind="rows", sql="SELECT i FROM generate_series(1, $1) AS i", args=[1000], rows=1000),
    "bytea": dict(
        kind="rows", sql="SELECT * FROM %(table)s", args=[], rows=100,
        setup="DROP TABLE IF EXISTS %(table)s; CREATE TABLE %(table)s(b bytea); "
              "INSERT INTO %(table)s(b) (SELECT repeat('a', 1000)::bytea FROM generate_series(1, 100));",
        teardown="DROP TABLE IF EXISTS %(table)s"),
    "arrays": dict(
        kind="rows", sql="SELECT * FROM %(table)s", args=[], rows=100,
        setup="DROP TABLE IF EXISTS %(table)s; CREATE TABLE %(table)s(a int[]); "
              "INSERT INTO %(table)s(a) (SELECT (SELECT array_agg(i) FROM generate_series(1, 100) as s(i)) "
              "FROM generate_series(1, 100));",
        teardown="DROP TABLE IF EXISTS %(table)s"),
    "copy": dict(kind="copy", sql=None, args=[], rows=10000, setup=INSERT_TABLE_SETUP,
                 teardown="DROP TABLE IF EXISTS %(table)s"),
    "batch": dict(kind="batch",
                  sql="INSERT INTO %(table)s (a, b, c, d, e, f, g) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                  args=[], rows=1000, setup=INSERT_TABLE_SETUP, teardown="DROP TABLE IF EXISTS %(table)s"),
    # The data-path issue's target: executemany of 1000 four-column rows (not in MagicStack's set).
    "batch4": dict(kind="batch", sql="INSERT INTO %(table)s (a, b, c, d) VALUES ($1, $2, $3, $4)", args=[],
                   rows=1000, row=BATCH4_ROW,
                   setup="DROP TABLE IF EXISTS %(table)s; "
                         "CREATE TABLE %(table)s(a int, b text, c float8, d timestamptz);",
                   teardown="DROP TABLE IF EXISTS %(table)s"),
    "oneplusone": dict(kind="rows", sql="SELECT 1+1", args=[], rows=1),
    "acquire_release": dict(kind="acquire_release", sql=None, args=[], rows=0),
    "fetchval": dict(kind="value", sql="SELECT 1", args=[], rows=1),
    "series4": dict(kind="rows", sql="SELECT i, i::text, i::float8, now() FROM generate_series(1, 1000) i",
                    args=[], rows=1000),
}


def table_name(workload):
    return "_qpgbench_%s_%d" % (workload, os.getpid())


def sql_of(workload, key="sql"):
    text = WORKLOADS[workload].get(key)
    return text % {"table": table_name(workload)} if text else text


def parse_args(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--dsn", default=os.environ.get("QPG_BENCH_DSN", ""),
                   help="libpq connection string (key=value or URI); default $QPG_BENCH_DSN")
    p.add_argument("--state-file", help="read the DSN from a private cluster's state file")
    p.add_argument("--duration", type=float, default=30.0, help="measured seconds per workload (30)")
    p.add_argument("--warmup", type=float, default=5.0, help="warm-up seconds per workload (5)")
    p.add_argument("--concurrency", type=int, default=10, help="concurrent callers M (10)")
    p.add_argument("--connections", type=int, default=10, help="pool size N (10)")
    p.add_argument("--workload", action="append", help="workloads, comma-separated (all)")
    p.add_argument("--json", action="store_true", help="one JSON object per workload and line")
    p.add_argument("--smoke", action="store_true", help="each workload 0.3 s without warm-up")
    p.add_argument("--list", action="store_true", help="list the workloads")
    args = p.parse_args()
    if args.list:
        for name in WORKLOADS:
            print(name)
        sys.exit(0)
    if args.smoke:
        args.duration, args.warmup = 0.3, 0.0
    if args.state_file:
        args.dsn = read_state_file(args.state_file)["DSN"]
    if not args.dsn:
        p.error("no server: give --dsn or --state-file, or set QPG_BENCH_DSN")
    names = []
    for value in args.workload or [",".join(WORKLOADS)]:
        for name in value.split(","):
            name = name.strip()
            if name and name not in WORKLOADS:
                p.error("unknown workload %s (see --list)" % name)
            if name:
                names.append(name)
    args.workloads = names
    return args


def read_state_file(path):
    values = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                values[key] = value
    return values


def dsn_parameters(dsn):
    """key=value libpq string -> dict (asyncpg takes URIs only)."""
    params = {}
    for token in shlex.split(dsn):
        key, _, value = token.partition("=")
        params[key.strip()] = value
    return params


class Histogram:
    """bench/histogram.h in Python: exact below 128 ns, then 64 buckets per power of two."""

    SUB = 64
    LINEAR = 128
    OCTAVES = 40

    def __init__(self):
        self.counts = [0] * (self.LINEAR + self.OCTAVES * self.SUB)
        self.total = 0
        self.sum = 0
        self.min = None
        self.max = 0

    def bucket_of(self, ns):
        if ns < self.LINEAR:
            return max(ns, 0)
        shift = ns.bit_length() - 7
        return min(self.LINEAR + (shift - 1) * self.SUB + ((ns >> shift) - self.SUB), len(self.counts) - 1)

    def bucket_middle(self, index):
        if index < self.LINEAR:
            return float(index)
        shift = (index - self.LINEAR) // self.SUB + 1
        lower = ((index - self.LINEAR) % self.SUB + self.SUB) << shift
        return lower + (1 << shift) / 2.0

    def add(self, ns):
        self.counts[self.bucket_of(ns)] += 1
        self.total += 1
        self.sum += ns
        self.min = ns if self.min is None else min(self.min, ns)
        self.max = max(self.max, ns)

    def percentile(self, fraction):
        if not self.total:
            return 0.0
        rank = max(math.ceil(fraction * self.total), 1)
        seen = 0
        for i, c in enumerate(self.counts):
            seen += c
            if seen >= rank:
                return min(max(self.bucket_middle(i), self.min), self.max)
        return float(self.max)


class Result:
    def __init__(self, workload):
        self.workload = workload
        self.status = "ok"
        self.note = None
        self.seconds = 0.0
        self.ops = 0
        self.rows = 0
        self.errors = 0
        self.first_error = None
        self.latency = Histogram()
        self.caller_ops = []
        self.cpu_us = 0.0  # user + system time of this process inside the measured window

    def to_json(self, implementation, args, details, concurrency=None, connections=None):
        s = self.seconds
        ms = lambda ns: ns / 1e6  # noqa: E731
        h = self.latency
        o = {
            "implementation": implementation,
            "workload": self.workload,
            "status": self.status,
            "concurrency": concurrency if concurrency is not None else args.concurrency,
            "connections": connections if connections is not None else args.connections,
            "duration_s": s,
            "warmup_s": args.warmup,
            "ops": self.ops,
            "rows": self.rows,
            "errors": self.errors,
            "ops_per_s": self.ops / s if s > 0 else 0.0,
            "rows_per_s": self.rows / s if s > 0 else 0.0,
            "cpu_us_per_op": self.cpu_us / self.ops if self.ops else 0.0,
            "latency_ms": {
                "min": ms(h.min or 0), "mean": ms(h.sum / h.total if h.total else 0),
                "p50": ms(h.percentile(0.5)), "p90": ms(h.percentile(0.9)), "p99": ms(h.percentile(0.99)),
                "p99_9": ms(h.percentile(0.999)), "max": ms(h.max),
            },
            "caller_ops_min": min(self.caller_ops) if self.caller_ops else 0,
            "caller_ops_max": max(self.caller_ops) if self.caller_ops else 0,
            "details": details,
        }
        if self.note:
            o["note"] = self.note
        if self.first_error:
            o["error"] = self.first_error
        return o


def report(result, implementation, args, details, **kw):
    o = result.to_json(implementation, args, details, **kw)
    if args.json:
        print(json.dumps(o), flush=True)
    elif result.status == "n/a":
        print("%-16s n/a (%s)" % (result.workload, result.note), flush=True)
    else:
        line = "%-16s %.0f ops/s  %.0f rows/s  p50 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  (%d callers / %d connections, %d ops)" % (
            result.workload, o["ops_per_s"], o["rows_per_s"], o["latency_ms"]["p50"], o["latency_ms"]["p99"],
            o["latency_ms"]["p99_9"], o["concurrency"], o["connections"], result.ops)
        if result.errors:
            line += "  ERRORS: %d (%s)" % (result.errors, result.first_error)
        print(line, flush=True)
    return 1 if result.status == "error" else 0


def cpu_us(who=resource.RUSAGE_SELF):
    """User + system CPU time so far, in microseconds (getrusage)."""
    usage = resource.getrusage(who)
    return (usage.ru_utime + usage.ru_stime) * 1e6


async def drive(workload, args, op):
    """Runs args.concurrency callers of op() (a coroutine giving the row count) until the deadline."""
    result = Result(workload)
    expected = WORKLOADS[workload]["rows"]
    kind = WORKLOADS[workload]["kind"]
    clock = time.perf_counter_ns
    measure_from = clock() + int(args.warmup * 1e9)
    stop_at = measure_from + int(args.duration * 1e9)
    result.caller_ops = [0] * args.concurrency
    # Client CPU of the measured window, sampled at its edges by timers, or by the callers when an
    # operation that never suspends keeps the timers from running.
    loop = asyncio.get_running_loop()
    cpu_from, cpu_to = [], []

    def mark(samples):
        if not samples:
            samples.append(cpu_us())

    loop.call_later(args.warmup, mark, cpu_from)
    loop.call_later(args.warmup + args.duration, mark, cpu_to)

    async def caller(index):
        while True:
            start = clock()
            if start >= measure_from and not cpu_from:
                mark(cpu_from)
            if start >= stop_at or result.errors > 1000:
                mark(cpu_to)
                return
            try:
                rows = await op()
            except Exception as e:  # noqa: BLE001 - counted and reported
                result.errors += 1
                result.first_error = result.first_error or "%s: %s" % (type(e).__name__, e)
                continue
            end = clock()
            if kind == "rows" and (rows != expected if expected >= 0 else rows <= 0):
                result.errors += 1
                result.first_error = result.first_error or "expected %d rows, got %d" % (expected, rows)
            elif measure_from <= end <= stop_at:
                result.ops += 1
                result.rows += rows
                result.latency.add(end - start)
                result.caller_ops[index] += 1

    await asyncio.gather(*(caller(i) for i in range(args.concurrency)))
    # The callers may all have stopped just before the end timer ran.
    mark(cpu_from)
    mark(cpu_to)
    result.cpu_us = cpu_to[0] - cpu_from[0]
    result.seconds = (stop_at - measure_from) / 1e9
    if result.errors:
        result.status = "error"
    return result


def pick_event_loop():
    """uvloop when installed (as in MagicStack's harness), else asyncio's default loop."""
    try:
        import uvloop  # noqa: PLC0415
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        return "uvloop " + uvloop.__version__
    except ImportError:
        return "asyncio"
