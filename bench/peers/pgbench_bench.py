#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The qpgpool-bench workloads pgbench can express, run by PostgreSQL's pgbench: the server ceiling.

pgbench -n -M prepared -c <connections> -j <jobs> -T <seconds> -f pgbench/<workload>.sql, over the
same DSN. pgbench has no pool: it runs one client per connection, so --concurrency is ignored and
reported as the number of connections. Latency percentiles come from its per-transaction log (-l,
microsecond resolution) through the same histogram as the other implementations. -T takes whole
seconds, so durations are rounded up to at least one second; warm-ups under half a second are
skipped.
"""

import glob
import math
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile

import psycopg

import benchcommon as bc

SCRIPTS = {
    "pg_type": "pg_type.sql",
    "generate_series": "generate_series.sql",
    "bytea": "bytea.sql",
    "arrays": "arrays.sql",
    "oneplusone": "oneplusone.sql",
    "fetchval": "select1.sql",
    "series4": "series4.sql",
}
# Tables named in the scripts; created here with the setup of the workload.
FIXED_TABLES = {"bytea": "_qpgbench_bytea_pgbench", "arrays": "_qpgbench_arrays_pgbench"}
HERE = os.path.dirname(os.path.abspath(__file__))


def pgbench_executable():
    for candidate in (os.environ.get("PGBENCH"), "/usr/lib/postgresql/15/bin/pgbench", shutil.which("pgbench")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def run_pgbench(exe, args, script, seconds, log_dir=None):
    cmd = [exe, "-n", "-M", "prepared", "-c", str(args.connections), "-j", str(min(args.jobs, args.connections)),
           "-T", str(seconds), "-f", script]
    if log_dir:
        cmd += ["-l", "--log-prefix", os.path.join(log_dir, "log")]
    cmd.append(args.dsn)  # pgbench expands a connection string given as the database name
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=log_dir or None)
    if proc.returncode != 0:
        raise RuntimeError("pgbench failed (%d): %s" % (proc.returncode, proc.stderr.strip()[-500:]))
    return proc.stdout


def run_workload(name, args, exe):
    result = bc.Result(name)
    if name not in SCRIPTS:
        result.status, result.note = "n/a", "pgbench cannot express it"
        return result
    w = bc.WORKLOADS[name]
    script = os.path.join(HERE, "pgbench", SCRIPTS[name])
    table = FIXED_TABLES.get(name)
    if table:
        with psycopg.connect(args.dsn, autocommit=True) as c:
            c.execute(w["setup"] % {"table": table})
    try:
        if args.warmup >= 0.5:
            run_pgbench(exe, args, script, max(1, round(args.warmup)))
        seconds = max(1, math.ceil(args.duration))
        with tempfile.TemporaryDirectory(prefix="qpgbench-pgbench-") as log_dir:
            # pgbench's own CPU: the measured run is a child of its own, so RUSAGE_CHILDREN grows by it.
            cpu_from = bc.cpu_us(resource.RUSAGE_CHILDREN)
            output = run_pgbench(exe, args, script, seconds, log_dir)
            result.cpu_us = bc.cpu_us(resource.RUSAGE_CHILDREN) - cpu_from
            m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", output)
            failed = re.search(r"number of failed transactions: (\d+)", output)
            # Log lines: client transaction latency_us script epoch_s epoch_us.
            for path in glob.glob(os.path.join(log_dir, "log*")):
                with open(path) as f:
                    for line in f:
                        fields = line.split()
                        if len(fields) >= 3:
                            result.latency.add(int(fields[2]) * 1000)
        tps = float(m.group(1)) if m else 0.0
        result.ops = result.latency.total
        result.seconds = result.ops / tps if tps > 0 else float(seconds)
        per_op = w["rows"]
        if per_op < 0:  # pg_type: whatever the server has
            with psycopg.connect(args.dsn) as c:
                per_op = c.execute("SELECT count(*) FROM (%s) q" % w["sql"].replace("$1", "-1").replace(
                    "$2", "true")).fetchone()[0]
        result.rows = result.ops * per_op
        if failed and int(failed.group(1)) > 0:
            result.status, result.errors = "error", int(failed.group(1))
            result.first_error = "%s failed transactions" % failed.group(1)
    finally:
        if table:
            with psycopg.connect(args.dsn, autocommit=True) as c:
                c.execute(w["teardown"] % {"table": table})
    return result


def main():
    # The common options, plus --jobs (pgbench threads).
    jobs = 2
    if "--jobs" in sys.argv:
        i = sys.argv.index("--jobs")
        jobs = int(sys.argv[i + 1])
        del sys.argv[i:i + 2]
    args = bc.parse_args(__doc__)
    args.jobs = jobs
    exe = pgbench_executable()
    if not exe:
        print("pgbench_bench: pgbench not found (Debian: postgresql-15)", file=sys.stderr)
        return 1
    version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.strip()
    status = 0
    for name in args.workloads:
        try:
            result = run_workload(name, args, exe)
        except Exception as e:  # noqa: BLE001 - reported as the workload's error
            result = bc.Result(name)
            result.status, result.errors, result.first_error = "error", 1, "%s: %s" % (type(e).__name__, e)
        details = "%s -M prepared -j %d" % (version, min(jobs, args.connections))
        status |= bc.report(result, "pgbench", args, details, concurrency=args.connections)
    return status


if __name__ == "__main__":
    sys.exit(main())
