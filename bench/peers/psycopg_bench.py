#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The qpgpool-bench workloads on psycopg 3's AsyncConnectionPool (Debian python3-psycopg-pool; run
with /usr/bin/python3).

Connections are autocommit, as in MagicStack's psycopg runner, so no BEGIN/COMMIT is added to any
operation. One operation is `async with pool.connection()` around execute + fetchall / fetchone,
cursor.copy (text COPY, row by row) or executemany, or nothing (bare acquire + release). psycopg_pool
sends nothing on release by default (reset is an opt-in callback).
"""

import asyncio
import re
import sys

import psycopg
import psycopg_pool

import benchcommon as bc


def to_psycopg(sql):
    """$n placeholders -> %s (the workloads use each parameter once, in order)."""
    return re.sub(r"\$\d+", "%s", sql) if sql else sql


async def run_workload(name, args, admin):
    w = bc.WORKLOADS[name]
    table = bc.table_name(name)
    if w.get("setup"):
        await admin.execute(bc.sql_of(name, "setup"))
    pool = psycopg_pool.AsyncConnectionPool(args.dsn, min_size=args.connections, max_size=args.connections,
                                            kwargs={"autocommit": True}, open=False)
    await pool.open(wait=True)
    sql = to_psycopg(bc.sql_of(name))
    params = w["args"] or None
    kind = w["kind"]
    try:
        if kind == "rows":
            async def op():
                async with pool.connection() as c:
                    cur = await c.execute(sql, params)
                    return len(await cur.fetchall())
        elif kind == "value":
            async def op():
                async with pool.connection() as c:
                    cur = await c.execute(sql, params)
                    (await cur.fetchone())[0]
                    return 1
        elif kind == "acquire_release":
            async def op():
                async with pool.connection():
                    pass
                return 0
        elif kind == "copy":
            copy_sql = "COPY %s(%s) FROM STDIN" % (table, ", ".join(bc.COPY_COLUMNS))
            count = w["rows"]

            async def op():
                async with pool.connection() as c:
                    async with c.cursor() as cur:
                        async with cur.copy(copy_sql) as copy:
                            for _ in range(count):
                                await copy.write_row(bc.COPY_ROW)
                return count
        elif kind == "batch":
            records = [w.get("row", bc.COPY_ROW)] * w["rows"]

            async def op():
                async with pool.connection() as c:
                    async with c.cursor() as cur:
                        await cur.executemany(sql, records)
                return len(records)
        result = await bc.drive(name, args, op)
    finally:
        await pool.close()
    if w.get("teardown"):
        await admin.execute(bc.sql_of(name, "teardown"))
    return result


async def main():
    args = bc.parse_args(__doc__)
    admin = await psycopg.AsyncConnection.connect(args.dsn, autocommit=True)
    status = 0
    details = "psycopg %s, psycopg_pool %s, %s" % (psycopg.__version__, psycopg_pool.__version__,
                                                  getattr(main, "loop_name", "asyncio"))
    for name in args.workloads:
        try:
            result = await run_workload(name, args, admin)
        except Exception as e:  # noqa: BLE001 - reported as the workload's error
            result = bc.Result(name)
            result.status, result.errors, result.first_error = "error", 1, "%s: %s" % (type(e).__name__, e)
        status |= bc.report(result, "psycopg", args, details)
    await admin.close()
    return status


if __name__ == "__main__":
    main.loop_name = bc.pick_event_loop()
    sys.exit(asyncio.run(main()))
