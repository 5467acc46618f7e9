// SPDX-License-Identifier: MIT

// The qpgpool-bench workloads on pgx v4's pgxpool (Debian golang-github-jackc-pgx-v4-dev), built
// offline in GOPATH mode by bench/run-benchmarks.sh.
//
// M goroutines (--concurrency) share one pgxpool of N connections (--connections). One operation is
// one pool call: Query with every value decoded through Rows.Values(), QueryRow().Scan() for
// fetchval, Acquire + CopyFrom or Acquire + SendBatch (one queued INSERT per row, pgx's pipelined
// executemany) + Release for copy and batch, or a bare Acquire + Release. pgx prepares and caches
// statements by default, as our pool does. The measurement and JSON keys are those of
// bench/peers/benchcommon.py.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v4"
	"github.com/jackc/pgx/v4/pgxpool"
)

type workload struct {
	kind     string // rows, value, acquire_release, copy, batch
	sql      string // "%[1]s" is the per-process table name
	args     []interface{}
	rows     int // expected rows, -1: any but none
	row      []interface{}
	setup    string
	teardown string
}

const insertTableSetup = "DROP TABLE IF EXISTS %[1]s; " +
	"CREATE TABLE %[1]s(a int, b int, c int, d text, e float, f int, g text);"
const dropTable = "DROP TABLE IF EXISTS %[1]s"

var copyRow = []interface{}{int32(10), int32(11), int32(10), "TESTTESTTEST", 10.333, int32(12341234), "123412341234"}
var copyColumns = []string{"a", "b", "c", "d", "e", "f", "g"}

var workloads = map[string]workload{
	"pg_type": {kind: "rows", sql: "select typname, typnamespace, typowner, typlen, typbyval, typcategory, " +
		"typispreferred, typisdefined, typdelim, typrelid, typelem, typarray from pg_type where typtypmod = $1 " +
		"and typisdefined = $2", args: []interface{}{int32(-1), true}, rows: -1},
	"generate_series": {kind: "rows", sql: "SELECT i FROM generate_series(1, $1) AS i",
		args: []interface{}{int32(1000)}, rows: 1000},
	"bytea": {kind: "rows", sql: "SELECT * FROM %[1]s", rows: 100,
		setup: "DROP TABLE IF EXISTS %[1]s; CREATE TABLE %[1]s(b bytea); " +
			"INSERT INTO %[1]s(b) (SELECT repeat('a', 1000)::bytea FROM generate_series(1, 100));",
		teardown: dropTable},
	"arrays": {kind: "rows", sql: "SELECT * FROM %[1]s", rows: 100,
		setup: "DROP TABLE IF EXISTS %[1]s; CREATE TABLE %[1]s(a int[]); " +
			"INSERT INTO %[1]s(a) (SELECT (SELECT array_agg(i) FROM generate_series(1, 100) as s(i)) " +
			"FROM generate_series(1, 100));",
		teardown: dropTable},
	"copy": {kind: "copy", rows: 10000, row: copyRow, setup: insertTableSetup, teardown: dropTable},
	"batch": {kind: "batch", sql: "INSERT INTO %[1]s (a, b, c, d, e, f, g) VALUES ($1, $2, $3, $4, $5, $6, $7)",
		rows: 1000, row: copyRow, setup: insertTableSetup, teardown: dropTable},
	"batch4": {kind: "batch", sql: "INSERT INTO %[1]s (a, b, c, d) VALUES ($1, $2, $3, $4)", rows: 1000,
		row:      []interface{}{int32(10), "TESTTESTTEST", 10.333, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)},
		setup:    "DROP TABLE IF EXISTS %[1]s; CREATE TABLE %[1]s(a int, b text, c float8, d timestamptz);",
		teardown: dropTable},
	"oneplusone":      {kind: "rows", sql: "SELECT 1+1", rows: 1},
	"acquire_release": {kind: "acquire_release"},
	"fetchval":        {kind: "value", sql: "SELECT 1", rows: 1},
	"series4": {kind: "rows", sql: "SELECT i, i::text, i::float8, now() FROM generate_series(1, 1000) i",
		rows: 1000},
}

type settings struct {
	dsn                      string
	duration, warmup         float64
	concurrency, connections int
	json                     bool
}

type result struct {
	workload   string
	status     string
	seconds    float64
	ops, rows  int64
	errors     int64
	firstError string
	latency    histogram
	callerOps  []int64
	cpuUs      float64
}

func tableName(name string) string { return fmt.Sprintf("_qpgbench_%s_%d", name, os.Getpid()) }

// cpuUs is the user + system CPU time of this process so far, in microseconds.
func cpuUs() float64 {
	var u syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return float64(u.Utime.Nano()+u.Stime.Nano()) / 1e3
}

// operation returns a function doing one pool call and giving its row count.
func operation(pool *pgxpool.Pool, w workload, table string) func(context.Context) (int, error) {
	sql := w.sql
	if strings.Contains(sql, "%[1]s") {
		sql = fmt.Sprintf(sql, table)
	}
	switch w.kind {
	case "rows":
		return func(ctx context.Context) (int, error) {
			rows, err := pool.Query(ctx, sql, w.args...)
			if err != nil {
				return 0, err
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				if _, err := rows.Values(); err != nil {
					return n, err
				}
				n++
			}
			return n, rows.Err()
		}
	case "value":
		return func(ctx context.Context) (int, error) {
			var v int32
			return 1, pool.QueryRow(ctx, sql, w.args...).Scan(&v)
		}
	case "acquire_release":
		return func(ctx context.Context) (int, error) {
			c, err := pool.Acquire(ctx)
			if err != nil {
				return 0, err
			}
			c.Release()
			return 0, nil
		}
	case "copy":
		records := make([][]interface{}, w.rows)
		for i := range records {
			records[i] = w.row
		}
		return func(ctx context.Context) (int, error) {
			n, err := pool.CopyFrom(ctx, pgx.Identifier{table}, copyColumns, pgx.CopyFromRows(records))
			return int(n), err
		}
	case "batch":
		return func(ctx context.Context) (int, error) {
			c, err := pool.Acquire(ctx)
			if err != nil {
				return 0, err
			}
			defer c.Release()
			b := &pgx.Batch{}
			for i := 0; i < w.rows; i++ {
				b.Queue(sql, w.row...)
			}
			br := c.SendBatch(ctx, b)
			for i := 0; i < w.rows; i++ {
				if _, err := br.Exec(); err != nil {
					br.Close()
					return i, err
				}
			}
			return w.rows, br.Close()
		}
	}
	panic("unknown kind " + w.kind)
}

// drive runs s.concurrency callers of op until the deadline; operations that complete inside the
// measured window (after the warm-up) count.
func drive(name string, s settings, w workload, op func(context.Context) (int, error)) result {
	r := result{workload: name, status: "ok", callerOps: make([]int64, s.concurrency)}
	ctx := context.Background()
	measureFrom := time.Now().Add(time.Duration(s.warmup * 1e9))
	stopAt := measureFrom.Add(time.Duration(s.duration * 1e9))
	// Client CPU of the measured window, sampled by timers at its edges.
	var cpuFrom float64
	cpuDone := make(chan struct{})
	time.AfterFunc(time.Until(measureFrom), func() {
		cpuFrom = cpuUs()
		time.AfterFunc(time.Until(stopAt), func() { r.cpuUs = cpuUs() - cpuFrom; close(cpuDone) })
	})
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < s.concurrency; i++ {
		wg.Add(1)
		go func(index int) {
			defer wg.Done()
			var h histogram
			var ops, rows, errs int64
			var firstError string
			for {
				start := time.Now()
				if !start.Before(stopAt) || errs > 1000 {
					break
				}
				n, err := op(ctx)
				end := time.Now()
				if err == nil && w.kind == "rows" && ((w.rows >= 0 && n != w.rows) || (w.rows < 0 && n <= 0)) {
					err = fmt.Errorf("expected %d rows, got %d", w.rows, n)
				}
				if err != nil {
					errs++
					if firstError == "" {
						firstError = err.Error()
					}
				} else if !end.Before(measureFrom) && !end.After(stopAt) {
					ops++
					rows += int64(n)
					h.add(end.Sub(start).Nanoseconds())
				}
			}
			mu.Lock()
			defer mu.Unlock()
			r.ops += ops
			r.rows += rows
			r.errors += errs
			r.callerOps[index] = ops
			r.latency.merge(&h)
			if r.firstError == "" {
				r.firstError = firstError
			}
		}(i)
	}
	wg.Wait()
	<-cpuDone
	r.seconds = stopAt.Sub(measureFrom).Seconds()
	if r.errors > 0 {
		r.status = "error"
	}
	return r
}

func runWorkload(name string, s settings, admin *pgx.Conn) (r result, err error) {
	w := workloads[name]
	table := tableName(name)
	ctx := context.Background()
	if w.setup != "" {
		if _, err := admin.Exec(ctx, fmt.Sprintf(w.setup, table)); err != nil {
			return r, err
		}
	}
	config, err := pgxpool.ParseConfig(s.dsn)
	if err != nil {
		return r, err
	}
	config.MinConns = int32(s.connections)
	config.MaxConns = int32(s.connections)
	pool, err := pgxpool.ConnectConfig(ctx, config)
	if err != nil {
		return r, err
	}
	// pgxpool opens MinConns in the background; wait for them as the other pools do before timing.
	for pool.Stat().TotalConns() < int32(s.connections) {
		conns := make([]*pgxpool.Conn, 0, s.connections)
		for i := 0; i < s.connections; i++ {
			c, err := pool.Acquire(ctx)
			if err != nil {
				pool.Close()
				return r, err
			}
			conns = append(conns, c)
		}
		for _, c := range conns {
			c.Release()
		}
	}
	r = drive(name, s, w, operation(pool, w, table))
	pool.Close()
	if w.teardown != "" {
		if _, err := admin.Exec(ctx, fmt.Sprintf(w.teardown, table)); err != nil {
			return r, err
		}
	}
	return r, nil
}

func toJSON(r result, s settings) map[string]interface{} {
	perS := func(n int64) float64 {
		if r.seconds <= 0 {
			return 0
		}
		return float64(n) / r.seconds
	}
	ms := func(ns float64) float64 { return ns / 1e6 }
	h := &r.latency
	minOps, maxOps := int64(0), int64(0)
	for i, n := range r.callerOps {
		if i == 0 || n < minOps {
			minOps = n
		}
		if n > maxOps {
			maxOps = n
		}
	}
	cpuPerOp := 0.0
	if r.ops > 0 {
		cpuPerOp = r.cpuUs / float64(r.ops)
	}
	o := map[string]interface{}{
		"implementation": "pgx",
		"workload":       r.workload,
		"status":         r.status,
		"concurrency":    s.concurrency,
		"connections":    s.connections,
		"duration_s":     r.seconds,
		"warmup_s":       s.warmup,
		"ops":            r.ops,
		"rows":           r.rows,
		"errors":         r.errors,
		"ops_per_s":      perS(r.ops),
		"rows_per_s":     perS(r.rows),
		"cpu_us_per_op":  cpuPerOp,
		"latency_ms": map[string]float64{
			"min": ms(float64(h.min)), "mean": ms(h.mean()), "p50": ms(h.percentile(0.5)),
			"p90": ms(h.percentile(0.9)), "p99": ms(h.percentile(0.99)), "p99_9": ms(h.percentile(0.999)),
			"max": ms(float64(h.max)),
		},
		"caller_ops_min": minOps,
		"caller_ops_max": maxOps,
		"details":        "pgx v4 pgxpool, " + runtime.Version(),
	}
	if r.firstError != "" {
		o["error"] = r.firstError
	}
	return o
}

func main() {
	var s settings
	var names string
	flag.StringVar(&s.dsn, "dsn", os.Getenv("QPG_BENCH_DSN"), "libpq connection string; default $QPG_BENCH_DSN")
	flag.Float64Var(&s.duration, "duration", 30, "measured seconds per workload")
	flag.Float64Var(&s.warmup, "warmup", 5, "warm-up seconds per workload")
	flag.IntVar(&s.concurrency, "concurrency", 10, "concurrent callers M")
	flag.IntVar(&s.connections, "connections", 10, "pool size N")
	flag.StringVar(&names, "workload", "", "workloads, comma-separated (all)")
	flag.BoolVar(&s.json, "json", false, "one JSON object per workload and line")
	flag.Parse()
	if s.dsn == "" {
		fmt.Fprintln(os.Stderr, "pgx-bench: no server: give --dsn or set QPG_BENCH_DSN")
		os.Exit(2)
	}
	var list []string
	for _, n := range strings.Split(names, ",") {
		if n = strings.TrimSpace(n); n == "" {
			continue
		} else if _, ok := workloads[n]; !ok {
			fmt.Fprintln(os.Stderr, "pgx-bench: unknown workload", n)
			os.Exit(2)
		}
		list = append(list, n)
	}
	if len(list) == 0 {
		for n := range workloads {
			list = append(list, n)
		}
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, s.dsn)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgx-bench:", err)
		os.Exit(1)
	}
	defer admin.Close(ctx)
	status := 0
	for _, name := range list {
		r, err := runWorkload(name, s, admin)
		if err != nil {
			r = result{workload: name, status: "error", errors: 1, firstError: err.Error()}
		}
		if r.status == "error" {
			status = 1
		}
		o := toJSON(r, s)
		if s.json {
			line, _ := json.Marshal(o)
			fmt.Println(string(line))
		} else {
			fmt.Printf("%-16s %.0f ops/s  %.1f µs CPU/op  p50 %.3f ms  p99 %.3f ms  errors %d %s\n", name,
				o["ops_per_s"], cpuPerOp(o), o["latency_ms"].(map[string]float64)["p50"],
				o["latency_ms"].(map[string]float64)["p99"], r.errors, r.firstError)
		}
	}
	os.Exit(status)
}

func cpuPerOp(o map[string]interface{}) float64 { return o["cpu_us_per_op"].(float64) }
