#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Turns the results of run-benchmarks.sh into the comparison table.

Input lines: <row label> TAB <round> TAB <JSON object of a benchmark program>. Each cell is the
median over the rounds; a ratio is computed per round (ours and the peer ran back to back) and shown
as its median with the min-max spread over the rounds. A second table gives each implementation's
client CPU per operation (user + system time of its own process in the measured window / operations).
"""

import argparse
import json
import statistics
import sys

IMPLEMENTATIONS = ("qpgpool", "pgx", "hikari", "asyncpg", "psycopg", "pgbench")
HEADERS = {"qpgpool": "QPgPool", "pgx": "pgx", "hikari": "HikariCP", "asyncpg": "asyncpg", "psycopg": "psycopg",
           "pgbench": "pgbench"}
POOLS = IMPLEMENTATIONS[:5]  # pgbench has no pool, callers or latency per caller of its own


def fmt_rate(value):
    if value is None:
        return "—"
    if value >= 100000:
        return "%.0fk" % (value / 1000)
    if value >= 10000:
        return "%.1fk" % (value / 1000)
    if value >= 1000:
        return "%.2fk" % (value / 1000)
    return "%.0f" % value


def fmt_ratio(ratios):
    if not ratios:
        return "—"
    return "%.2f× (%.2f–%.2f)" % (statistics.median(ratios), min(ratios), max(ratios))


def load(path):
    rows = {}  # label -> impl -> round -> json
    order = []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            label, rnd, payload = line.split("\t", 2)
            try:
                o = json.loads(payload)
            except json.JSONDecodeError:
                continue
            if label not in rows:
                rows[label] = {}
                order.append(label)
            rows[label].setdefault(o["implementation"], {})[int(rnd)] = o
    return order, rows


def fmt_us(value):
    return "%.1f" % value if value < 100 else "%.0f" % value


def cell(results, key="ops_per_s", fmt=fmt_rate):
    """Median of key over the ok runs, 'n/a' or 'error'."""
    if not results:
        return None, "—"
    # A per-operation figure of a run that completed no operation is no measurement.
    ok = [o[key] for o in results.values() if o["status"] == "ok" and key in o and (o["ops"] or key == "ops_per_s")]
    if ok:
        return statistics.median(ok), fmt(statistics.median(ok))
    if all(o["status"] == "ok" for o in results.values()):
        return None, "—"  # ran, but reports no such value
    statuses = {o["status"] for o in results.values()}
    return None, ("n/a" if "n/a" in statuses else "error")


def ratios(ours, peer, key="ops_per_s"):
    out = []
    for rnd, o in (ours or {}).items():
        p = (peer or {}).get(rnd)
        if o["status"] == "ok" and p and p["status"] == "ok" and o.get(key) and p.get(key, 0) > 0:
            out.append(o[key] / p[key])
    return out


def markdown_table(header, lines):
    widths = [max(len(header[i]), *(len(l[i]) for l in lines)) for i in range(len(header))]
    def row(cells):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([row(header), sep] + [row(l) for l in lines])


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("results")
    p.add_argument("--latency", action="store_true", help="also print the latency table")
    args = p.parse_args()
    order, rows = load(args.results)

    header = ["workload"] + [HEADERS[i] + " ops/s" for i in IMPLEMENTATIONS] + [
        "ours/pgx", "ours/asyncpg", "ours/pgbench"]
    lines = []
    errors = []
    for label in order:
        r = rows[label]
        cells = [label]
        for impl in IMPLEMENTATIONS:
            cells.append(cell(r.get(impl))[1])
            for o in (r.get(impl) or {}).values():
                if o["status"] == "error":
                    errors.append("%s / %s: %s" % (label, impl, o.get("error", "?")))
        cells.append(fmt_ratio(ratios(r.get("qpgpool"), r.get("pgx"))))
        cells.append(fmt_ratio(ratios(r.get("qpgpool"), r.get("asyncpg"))))
        cells.append(fmt_ratio(ratios(r.get("qpgpool"), r.get("pgbench"))))
        lines.append(cells)
    print(markdown_table(header, lines))

    # Client CPU per operation: what each implementation spends of the shared cores.
    print()
    ch = ["workload"] + [HEADERS[i] + " µs/op" for i in IMPLEMENTATIONS] + ["ours/pgx CPU"]
    cl = []
    for label in order:
        r = rows[label]
        cl.append([label] + [cell(r.get(i), "cpu_us_per_op", fmt_us)[1] for i in IMPLEMENTATIONS]
                  + [fmt_ratio(ratios(r.get("qpgpool"), r.get("pgx"), "cpu_us_per_op"))])
    print(markdown_table(ch, cl))

    if args.latency:
        print()
        lh = ["workload"] + [HEADERS[i] + " p50 / p99 / p99.9 ms" for i in POOLS]
        ll = []
        for label in order:
            cells = [label]
            for impl in POOLS:
                ok = [o for o in (rows[label].get(impl) or {}).values() if o["status"] == "ok"]
                if not ok:
                    cells.append("—")
                    continue
                med = lambda k: statistics.median(o["latency_ms"][k] for o in ok)  # noqa: E731
                cells.append("%.3f / %.3f / %.3f" % (med("p50"), med("p99"), med("p99_9")))
            ll.append(cells)
        print(markdown_table(lh, ll))

        # Queue fairness where callers outnumber connections: completed operations per caller.
        fair = []
        for label in order:
            ours = [o for o in (rows[label].get("qpgpool") or {}).values() if o["status"] == "ok"]
            if not ours or ours[0]["concurrency"] <= ours[0]["connections"]:
                continue
            cells = [label]
            for impl in POOLS:
                ok = [o for o in (rows[label].get(impl) or {}).values() if o["status"] == "ok"]
                cells.append("%d–%d" % (statistics.median(o["caller_ops_min"] for o in ok),
                                        statistics.median(o["caller_ops_max"] for o in ok)) if ok else "—")
            waits = [o.get("acquire_wait_ms") for o in ours if o.get("acquire_wait_ms")]
            cells.append("%.3f / %.3f" % (statistics.median(w["p50"] for w in waits),
                                          statistics.median(w["p99"] for w in waits)) if waits else "—")
            fair.append(cells)
        if fair:
            print()
            print(markdown_table(["workload"] + [HEADERS[i] + " ops per caller, min–max" for i in POOLS]
                                 + ["QPgPool acquire wait p50 / p99 ms"], fair))

    if errors:
        print()
        print("Errors:")
        for e in sorted(set(errors)):
            print("  " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
