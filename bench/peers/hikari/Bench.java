// SPDX-License-Identifier: MIT
// The qpgpool-bench workloads on HikariCP with pgjdbc (Debian libhikaricp-java and
// libpostgresql-jdbc-java on OpenJDK 17), compiled into the work directory by bench/run-benchmarks.sh.
//
// M threads (--concurrency) share one HikariCP pool of N connections (--connections). One operation
// is one borrow: getConnection, a PreparedStatement executed with every column read through
// getObject() (getInt() for fetchval), close. copy is pgjdbc's CopyManager fed the rows as COPY text
// formatted per operation (pgjdbc has no row-object COPY); batch is addBatch() per row and one
// executeBatch(), which pgjdbc pipelines. pgjdbc caches statements per connection and switches to a
// named server-side statement after prepareThreshold (5) uses. The measurement and JSON keys are
// those of bench/peers/benchcommon.py; client CPU is the JVM's process CPU time (user + system).

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.StringReader;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.postgresql.PGConnection;

public final class Bench {
    interface Op { int run(HikariDataSource ds) throws Exception; }

    record Workload(String kind, String sql, Object[] args, int rows, Object[] row, String setup, String teardown) {}

    static final String INSERT_TABLE_SETUP = "DROP TABLE IF EXISTS %1$s; "
            + "CREATE TABLE %1$s(a int, b int, c int, d text, e float, f int, g text);";
    static final String DROP = "DROP TABLE IF EXISTS %1$s";
    static final Object[] NONE = {};
    static final Object[] COPY_ROW = {10, 11, 10, "TESTTESTTEST", 10.333, 12341234, "123412341234"};
    static final Map<String, Workload> WORKLOADS = new LinkedHashMap<>();
    static {
        WORKLOADS.put("pg_type", new Workload("rows", "select typname, typnamespace, typowner, typlen, typbyval, "
                + "typcategory, typispreferred, typisdefined, typdelim, typrelid, typelem, typarray from pg_type "
                + "where typtypmod = $1 and typisdefined = $2", new Object[] {-1, true}, -1, null, null, null));
        WORKLOADS.put("generate_series", new Workload("rows", "SELECT i FROM generate_series(1, $1) AS i",
                new Object[] {1000}, 1000, null, null, null));
        WORKLOADS.put("bytea", new Workload("rows", "SELECT * FROM %1$s", NONE, 100, null,
                "DROP TABLE IF EXISTS %1$s; CREATE TABLE %1$s(b bytea); INSERT INTO %1$s(b) "
                        + "(SELECT repeat('a', 1000)::bytea FROM generate_series(1, 100));", DROP));
        WORKLOADS.put("arrays", new Workload("rows", "SELECT * FROM %1$s", NONE, 100, null,
                "DROP TABLE IF EXISTS %1$s; CREATE TABLE %1$s(a int[]); INSERT INTO %1$s(a) (SELECT (SELECT "
                        + "array_agg(i) FROM generate_series(1, 100) as s(i)) FROM generate_series(1, 100));", DROP));
        WORKLOADS.put("copy", new Workload("copy", "COPY %1$s (a, b, c, d, e, f, g) FROM STDIN", NONE, 10000,
                COPY_ROW, INSERT_TABLE_SETUP, DROP));
        WORKLOADS.put("batch", new Workload("batch", "INSERT INTO %1$s (a, b, c, d, e, f, g) VALUES "
                + "($1, $2, $3, $4, $5, $6, $7)", NONE, 1000, COPY_ROW, INSERT_TABLE_SETUP, DROP));
        WORKLOADS.put("batch4", new Workload("batch", "INSERT INTO %1$s (a, b, c, d) VALUES ($1, $2, $3, $4)", NONE,
                1000, new Object[] {10, "TESTTESTTEST", 10.333, OffsetDateTime.of(2020, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC)},
                "DROP TABLE IF EXISTS %1$s; CREATE TABLE %1$s(a int, b text, c float8, d timestamptz);", DROP));
        WORKLOADS.put("oneplusone", new Workload("rows", "SELECT 1+1", NONE, 1, null, null, null));
        WORKLOADS.put("acquire_release", new Workload("acquire_release", null, NONE, 0, null, null, null));
        WORKLOADS.put("fetchval", new Workload("value", "SELECT 1", NONE, 1, null, null, null));
        WORKLOADS.put("series4", new Workload("rows",
                "SELECT i, i::text, i::float8, now() FROM generate_series(1, 1000) i", NONE, 1000, null, null, null));
    }

    static String dsn = System.getenv().getOrDefault("QPG_BENCH_DSN", "");
    static double duration = 30, warmup = 5;
    static int concurrency = 10, connections = 10;
    static boolean json;

    static String table(String name) { return "_qpgbench_" + name + "_" + ProcessHandle.current().pid(); }

    /** libpq key=value string -> JDBC URL and properties (pgjdbc speaks TCP only). */
    static String jdbcUrl(Properties props) {
        Map<String, String> p = new HashMap<>();
        for (String token : dsn.trim().split("\\s+")) {
            int eq = token.indexOf('=');
            if (eq > 0) p.put(token.substring(0, eq), token.substring(eq + 1).replaceAll("^'|'$", ""));
        }
        if (p.containsKey("user")) props.setProperty("user", p.get("user"));
        if (p.containsKey("password")) props.setProperty("password", p.get("password"));
        return "jdbc:postgresql://" + p.getOrDefault("host", "localhost") + ":" + p.getOrDefault("port", "5432")
                + "/" + p.getOrDefault("dbname", p.getOrDefault("user", "postgres"));
    }

    static double cpuUs() {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        return os.getProcessCpuTime() / 1e3;
    }

    static void bind(PreparedStatement ps, Object[] values) throws Exception {
        for (int i = 0; i < values.length; ++i) ps.setObject(i + 1, values[i]);
    }

    static Op operation(Workload w, String table) {
        String sql = w.sql() == null ? null : String.format(w.sql(), table).replaceAll("\\$[0-9]+", "?");
        switch (w.kind()) {
        case "rows":
            return ds -> {
                try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
                    bind(ps, w.args());
                    int n = 0;
                    try (ResultSet rs = ps.executeQuery()) {
                        int columns = rs.getMetaData().getColumnCount();
                        while (rs.next()) {
                            for (int i = 1; i <= columns; ++i) rs.getObject(i);
                            ++n;
                        }
                    }
                    return n;
                }
            };
        case "value":
            return ds -> {
                try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql);
                     ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    rs.getInt(1);
                    return 1;
                }
            };
        case "acquire_release":
            return ds -> {
                ds.getConnection().close();
                return 0;
            };
        case "copy":
            return ds -> {
                StringBuilder text = new StringBuilder(w.rows() * 48);
                for (int r = 0; r < w.rows(); ++r) {
                    for (int i = 0; i < w.row().length; ++i) text.append(i == 0 ? "" : "\t").append(w.row()[i]);
                    text.append('\n');
                }
                try (Connection c = ds.getConnection()) {
                    return (int) c.unwrap(PGConnection.class).getCopyAPI().copyIn(sql, new StringReader(text.toString()));
                }
            };
        case "batch":
            return ds -> {
                try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
                    for (int r = 0; r < w.rows(); ++r) {
                        bind(ps, w.row());
                        ps.addBatch();
                    }
                    return ps.executeBatch().length;
                }
            };
        default:
            throw new IllegalArgumentException(w.kind());
        }
    }

    /** bench/histogram.h: exact below 128 ns, then 64 buckets per power of two. */
    static final class Histogram {
        final long[] counts = new long[128 + 40 * 64];
        long total, sum, min = Long.MAX_VALUE, max;

        void add(long ns) {
            int i;
            if (ns < 128) {
                i = (int) Math.max(ns, 0);
            } else {
                int shift = 64 - Long.numberOfLeadingZeros(ns) - 7;
                i = (int) Math.min(128 + (shift - 1) * 64 + ((ns >> shift) - 64), counts.length - 1);
            }
            ++counts[i];
            ++total;
            sum += ns;
            min = Math.min(min, ns);
            max = Math.max(max, ns);
        }

        void merge(Histogram o) {
            for (int i = 0; i < counts.length; ++i) counts[i] += o.counts[i];
            total += o.total;
            sum += o.sum;
            min = Math.min(min, o.min);
            max = Math.max(max, o.max);
        }

        double percentile(double fraction) {
            if (total == 0) return 0;
            long rank = Math.max((long) Math.ceil(fraction * total), 1), seen = 0;
            for (int i = 0; i < counts.length; ++i) {
                seen += counts[i];
                if (seen >= rank) {
                    double middle = i;
                    if (i >= 128) {
                        int shift = (i - 128) / 64 + 1;
                        middle = (double) (((long) (i - 128) % 64 + 64) << shift) + (1L << shift) / 2.0;
                    }
                    return Math.min(Math.max(middle, min), max);
                }
            }
            return max;
        }
    }

    static final class Result {
        final String workload;
        String status = "ok", firstError;
        double seconds, cpuUs;
        long ops, rows, errors;
        final Histogram latency = new Histogram();
        long[] callerOps = new long[0];

        Result(String workload) { this.workload = workload; }
    }

    /** Runs concurrency threads of op until the deadline; operations completing in the window count. */
    static Result drive(String name, Workload w, HikariDataSource ds, Op op) throws Exception {
        Result r = new Result(name);
        r.callerOps = new long[concurrency];
        long measureFrom = System.nanoTime() + (long) (warmup * 1e9);
        long stopAt = measureFrom + (long) (duration * 1e9);
        // Client CPU of the measured window, sampled by timers at its edges.
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        double[] cpuFrom = new double[1];
        timer.schedule(() -> { cpuFrom[0] = cpuUs(); }, measureFrom - System.nanoTime(), TimeUnit.NANOSECONDS);
        var cpuTo = timer.schedule(Bench::cpuUs, stopAt - System.nanoTime(), TimeUnit.NANOSECONDS);
        List<Thread> threads = new ArrayList<>();
        for (int index = 0; index < concurrency; ++index) {
            final int caller = index;
            threads.add(new Thread(() -> {
                Histogram h = new Histogram();
                long ops = 0, rows = 0, errors = 0;
                String firstError = null;
                while (true) {
                    long start = System.nanoTime();
                    if (start - stopAt >= 0 || errors > 1000) break;
                    try {
                        int n = op.run(ds);
                        long end = System.nanoTime();
                        if (w.kind().equals("rows") && (w.rows() >= 0 ? n != w.rows() : n <= 0))
                            throw new IllegalStateException("expected " + w.rows() + " rows, got " + n);
                        if (end - measureFrom >= 0 && end - stopAt <= 0) {
                            ++ops;
                            rows += n;
                            h.add(end - start);
                        }
                    } catch (Exception e) {
                        ++errors;
                        if (firstError == null) firstError = e.getClass().getSimpleName() + ": " + e.getMessage();
                    }
                }
                synchronized (r) {
                    r.ops += ops;
                    r.rows += rows;
                    r.errors += errors;
                    r.callerOps[caller] = ops;
                    r.latency.merge(h);
                    if (r.firstError == null) r.firstError = firstError;
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) t.join();
        r.cpuUs = cpuTo.get() - cpuFrom[0];
        timer.shutdown();
        r.seconds = (stopAt - measureFrom) / 1e9;
        if (r.errors > 0) r.status = "error";
        return r;
    }

    static Result runWorkload(String name, Connection admin, String url, Properties props) throws Exception {
        Workload w = WORKLOADS.get(name);
        String table = table(name);
        if (w.setup() != null) {
            try (Statement s = admin.createStatement()) { s.execute(String.format(w.setup(), table)); }
        }
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setDataSourceProperties(props);
        config.setMaximumPoolSize(connections);
        config.setMinimumIdle(connections);
        Result r;
        try (HikariDataSource ds = new HikariDataSource(config)) {
            // HikariCP fills the pool in the background; wait for it as the other pools do before timing.
            List<Connection> held = new ArrayList<>();
            for (int i = 0; i < connections; ++i) held.add(ds.getConnection());
            for (Connection c : held) c.close();
            r = drive(name, w, ds, operation(w, table));
        }
        if (w.teardown() != null) {
            try (Statement s = admin.createStatement()) { s.execute(String.format(w.teardown(), table)); }
        }
        return r;
    }

    static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }

    static String toJson(Result r) {
        double s = r.seconds;
        Histogram h = r.latency;
        long minOps = Long.MAX_VALUE, maxOps = 0;
        for (long n : r.callerOps) { minOps = Math.min(minOps, n); maxOps = Math.max(maxOps, n); }
        if (r.callerOps.length == 0) minOps = 0;
        StringBuilder o = new StringBuilder("{");
        o.append("\"implementation\": \"hikari\", \"workload\": ").append(quote(r.workload))
                .append(", \"status\": ").append(quote(r.status))
                .append(", \"concurrency\": ").append(concurrency).append(", \"connections\": ").append(connections)
                .append(", \"duration_s\": ").append(s).append(", \"warmup_s\": ").append(warmup)
                .append(", \"ops\": ").append(r.ops).append(", \"rows\": ").append(r.rows)
                .append(", \"errors\": ").append(r.errors)
                .append(", \"ops_per_s\": ").append(s > 0 ? r.ops / s : 0.0)
                .append(", \"rows_per_s\": ").append(s > 0 ? r.rows / s : 0.0)
                .append(", \"cpu_us_per_op\": ").append(r.ops > 0 ? r.cpuUs / r.ops : 0.0)
                .append(", \"latency_ms\": {\"min\": ").append(h.total > 0 ? h.min / 1e6 : 0.0)
                .append(", \"mean\": ").append(h.total > 0 ? h.sum / 1e6 / h.total : 0.0)
                .append(", \"p50\": ").append(h.percentile(0.5) / 1e6)
                .append(", \"p90\": ").append(h.percentile(0.9) / 1e6)
                .append(", \"p99\": ").append(h.percentile(0.99) / 1e6)
                .append(", \"p99_9\": ").append(h.percentile(0.999) / 1e6)
                .append(", \"max\": ").append(h.max / 1e6).append("}")
                .append(", \"caller_ops_min\": ").append(minOps).append(", \"caller_ops_max\": ").append(maxOps)
                .append(", \"details\": ").append(quote("HikariCP " + HikariConfig.class.getPackage().getImplementationVersion()
                        + ", pgjdbc " + org.postgresql.util.DriverInfo.DRIVER_VERSION + ", Java " + Runtime.version()));
        if (r.firstError != null) o.append(", \"error\": ").append(quote(r.firstError));
        return o.append("}").toString();
    }

    public static void main(String[] argv) throws Exception {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < argv.length; ++i) {
            String a = argv[i];
            switch (a) {
            case "--json" -> json = true;
            case "--dsn" -> dsn = argv[++i];
            case "--duration" -> duration = Double.parseDouble(argv[++i]);
            case "--warmup" -> warmup = Double.parseDouble(argv[++i]);
            case "--concurrency" -> concurrency = Integer.parseInt(argv[++i]);
            case "--connections" -> connections = Integer.parseInt(argv[++i]);
            case "--workload" -> {
                for (String n : argv[++i].split(",")) {
                    if (n.isBlank()) continue;
                    if (!WORKLOADS.containsKey(n.trim())) {
                        System.err.println("hikari-bench: unknown workload " + n);
                        System.exit(2);
                    }
                    names.add(n.trim());
                }
            }
            default -> {
                System.err.println("hikari-bench: unknown option " + a);
                System.exit(2);
            }
            }
        }
        if (dsn.isEmpty()) {
            System.err.println("hikari-bench: no server: give --dsn or set QPG_BENCH_DSN");
            System.exit(2);
        }
        if (names.isEmpty()) names.addAll(WORKLOADS.keySet());
        Properties props = new Properties();
        String url = jdbcUrl(props);
        int status = 0;
        try (Connection admin = DriverManager.getConnection(url, props)) {
            for (String name : names) {
                Result r;
                try {
                    r = runWorkload(name, admin, url, props);
                } catch (Exception e) {
                    r = new Result(name);
                    r.status = "error";
                    r.errors = 1;
                    r.firstError = e.getClass().getSimpleName() + ": " + e.getMessage();
                }
                if (r.status.equals("error")) status = 1;
                if (json) {
                    System.out.println(toJson(r));
                } else {
                    System.out.printf("%-16s %.0f ops/s  %.1f µs CPU/op  p50 %.3f ms  p99 %.3f ms  errors %d %s%n",
                            name, r.seconds > 0 ? r.ops / r.seconds : 0.0, r.ops > 0 ? r.cpuUs / r.ops : 0.0,
                            r.latency.percentile(0.5) / 1e6, r.latency.percentile(0.99) / 1e6, r.errors,
                            r.firstError == null ? "" : r.firstError);
                }
            }
        }
        System.exit(status);
    }
}
