#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The qpgpool-bench workloads on asyncpg's pool (Debian python3-asyncpg; run with /usr/bin/python3).

One operation is one pool call: pool.fetch() / pool.fetchval(), or acquire + copy_records_to_table /
executemany + release for copy and batch, or a bare acquire + release. asyncpg decodes every value
inside fetch. Its pool sends its reset query on every release (that is asyncpg's behaviour).
"""

import asyncio
import sys

import asyncpg

import benchcommon as bc


async def run_workload(name, args, admin, connect):
    w = bc.WORKLOADS[name]
    table = bc.table_name(name)
    if w.get("setup"):
        await admin.execute(bc.sql_of(name, "setup"))
    pool = await asyncpg.create_pool(min_size=args.connections, max_size=args.connections, **connect)
    sql = bc.sql_of(name)
    params = w["args"]
    kind = w["kind"]
    try:
        if kind == "rows":
            async def op():
                return len(await pool.fetch(sql, *params))
        elif kind == "value":
            async def op():
                await pool.fetchval(sql, *params)
                return 1
        elif kind == "acquire_release":
            async def op():
                c = await pool.acquire()
                await pool.release(c)
                return 0
        elif kind == "copy":
            records = [bc.COPY_ROW] * w["rows"]

            async def op():
                async with pool.acquire() as c:
                    await c.copy_records_to_table(table, records=records, columns=bc.COPY_COLUMNS)
                return len(records)
        elif kind == "batch":
            records = [w.get("row", bc.COPY_ROW)] * w["rows"]

            async def op():
                async with pool.acquire() as c:
                    await c.executemany(sql, records)
                return len(records)
        result = await bc.drive(name, args, op)
    finally:
        await pool.close()
    if w.get("teardown"):
        await admin.execute(bc.sql_of(name, "teardown"))
    return result


async def main():
    args = bc.parse_args(__doc__)
    loop_name = getattr(main, "loop_name", "asyncio")
    if args.dsn.startswith(("postgres://", "postgresql://")):
        connect = {"dsn": args.dsn}
    else:
        p = bc.dsn_parameters(args.dsn)
        connect = {k: v for k, v in {
            "host": p.get("host"), "port": int(p["port"]) if "port" in p else None, "user": p.get("user"),
            "password": p.get("password"), "database": p.get("dbname"),
        }.items() if v is not None}
    admin = await asyncpg.connect(**connect)
    status = 0
    details = "asyncpg %s, %s" % (asyncpg.__version__, loop_name)
    for name in args.workloads:
        try:
            result = await run_workload(name, args, admin, connect)
        except Exception as e:  # noqa: BLE001 - reported as the workload's error
            result = bc.Result(name)
            result.status, result.errors, result.first_error = "error", 1, "%s: %s" % (type(e).__name__, e)
        status |= bc.report(result, "asyncpg", args, details)
    await admin.close()
    return status


if __name__ == "__main__":
    main.loop_name = bc.pick_event_loop()
    sys.exit(asyncio.run(main()))
