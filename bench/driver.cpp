// SPDX-License-Identifier: MIT
// qpgpool-bench: the workloads of MagicStack/pgbench plus pool workloads, run through QPg::Pool.
//
// M callers (--concurrency) share one pool of N connections (--connections); every caller is a
// callback chain on this one thread's event loop, as the pool is single-threaded by design. One
// operation is one pool call (acquire, query, release) with every value of the result read through
// Record::value(), because our records decode lazily while asyncpg and psycopg decode inside fetch;
// copy and batch are Pool::copyRecordsToTable() and Pool::executeMany(). An operation counts when it
// completes inside the measured window, after the warm-up.
// Output: a line per workload, or JSON lines (--json) in the format of bench/peers/*.py.

#include "benchserver.h"
#include "histogram.h"

#include <QPg/connection.h>
#include <QPg/copy.h>
#include <QPg/errors.h>
#include <QPg/pool.h>
#include <QPg/record.h>

#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>
#include <QtCore/QDateTime>
#include <QtCore/QEventLoop>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QLoggingCategory>
#include <QtCore/QTextStream>
#include <QtCore/QThread>
#include <QtCore/QTimer>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <utility>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;
using namespace QPgBench;

namespace {

QTextStream &out()
{
    static QTextStream stream(stdout);
    return stream;
}

QTextStream &err()
{
    static QTextStream stream(stderr);
    return stream;
}

qint64 nowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

enum class Kind {
    Rows,           // pool.fetch(), every value read
    Value,          // pool.fetchValue()
    AcquireRelease, // pool.acquire() then release(), nothing run
    Copy,           // pool.copyRecordsToTable() of expectedRows copies of args
    Batch,          // pool.executeMany() with expectedRows copies of args
    Unsupported,
};

struct Workload
{
    QString name;
    Kind kind;
    QString sql;
    QVariantList args;
    qint64 expectedRows = -1; // -1: any number above zero (pg_type depends on the server version)
    QString setup;            // %1 is the table name
    QString teardown;
    QString note;
};

// MagicStack's row for 5-copyfrom and 6-batch.
QVariantList copyRow()
{
    return {10, 11, 10, u"TESTTESTTEST"_s, 10.333, 12341234, u"123412341234"_s};
}

// The table the setup of a workload creates; unique per process so parallel runs do not collide.
QString tableName(const QString &workload)
{
    return u"_qpgbench_%1_%2"_s.arg(workload).arg(::getpid());
}

const QList<Workload> &workloads()
{
    static const QList<Workload> list = {
        {u"pg_type"_s, Kind::Rows,
         u"select typname, typnamespace, typowner, typlen, typbyval, typcategory, typispreferred, "
         "typisdefined, typdelim, typrelid, typelem, typarray from pg_type where typtypmod = $1 and "
         "typisdefined = $2"_s,
         {-1, true}, -1, {}, {}, {}},
        {u"generate_series"_s, Kind::Rows, u"SELECT i FROM generate_series(1, $1) AS i"_s, {1000}, 1000, {}, {}, {}},
        {u"bytea"_s, Kind::Rows, u"SELECT * FROM %1"_s, {}, 100,
         u"DROP TABLE IF EXISTS %1; CREATE TABLE %1(b bytea); "
         "INSERT INTO %1(b) (SELECT repeat('a', 1000)::bytea FROM generate_series(1, 100));"_s,
         u"DROP TABLE IF EXISTS %1"_s, {}},
        {u"arrays"_s, Kind::Rows, u"SELECT * FROM %1"_s, {}, 100,
         u"DROP TABLE IF EXISTS %1; CREATE TABLE %1(a int[]); "
         "INSERT INTO %1(a) (SELECT (SELECT array_agg(i) FROM generate_series(1, 100) as s(i)) "
         "FROM generate_series(1, 100));"_s,
         u"DROP TABLE IF EXISTS %1"_s, {}},
        {u"copy"_s, Kind::Copy, u"%1"_s, copyRow(), 10000,
         u"DROP TABLE IF EXISTS %1; CREATE TABLE %1(a int, b int, c int, d text, e float, f int, g text);"_s,
         u"DROP TABLE IF EXISTS %1"_s, {}},
        {u"batch"_s, Kind::Batch, u"INSERT INTO %1 (a, b, c, d, e, f, g) VALUES ($1, $2, $3, $4, $5, $6, $7)"_s,
         copyRow(), 1000,
         u"DROP TABLE IF EXISTS %1; CREATE TABLE %1(a int, b int, c int, d text, e float, f int, g text);"_s,
         u"DROP TABLE IF EXISTS %1"_s, {}},
        // The data-path issue's target: executemany of 1000 four-column rows.
        {u"batch4"_s, Kind::Batch, u"INSERT INTO %1 (a, b, c, d) VALUES ($1, $2, $3, $4)"_s,
         {10, u"TESTTESTTEST"_s, 10.333, QVariant::fromValue(QDateTime(QDate(2020, 1, 1), QTime(0, 0), Qt::UTC))},
         1000, u"DROP TABLE IF EXISTS %1; CREATE TABLE %1(a int, b text, c float8, d timestamptz);"_s,
         u"DROP TABLE IF EXISTS %1"_s, {}},
        {u"oneplusone"_s, Kind::Rows, u"SELECT 1+1"_s, {}, 1, {}, {}, {}},
        {u"acquire_release"_s, Kind::AcquireRelease, {}, {}, 0, {}, {}, {}},
        {u"fetchval"_s, Kind::Value, u"SELECT 1"_s, {}, 1, {}, {}, {}},
        {u"series4"_s, Kind::Rows, u"SELECT i, i::text, i::float8, now() FROM generate_series(1, 1000) i"_s, {}, 1000,
         {}, {}, {}},
    };
    return list;
}

const Workload *findWorkload(const QString &name)
{
    for (const Workload &w : workloads()) {
        if (w.name == name)
            return &w;
    }
    return nullptr;
}

// Spins the event loop until future is done; result() then rethrows its error.
template<typename T>
T await(QFuture<T> future)
{
    while (!future.isFinished())
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
    if constexpr (std::is_void_v<T>)
        future.waitForFinished();
    else
        return future.result();
}

QString errorText(const std::exception_ptr &error)
{
    try {
        std::rethrow_exception(error);
    } catch (const QPg::Error &e) {
        return e.message();
    } catch (const std::exception &e) {
        return QString::fromUtf8(e.what());
    } catch (...) {
        return u"unknown error"_s;
    }
}

// User + system CPU time of this process so far, in microseconds.
double processCpuUs()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto us = [](const timeval &t) { return double(t.tv_sec) * 1e6 + double(t.tv_usec); };
    return us(usage.ru_utime) + us(usage.ru_stime);
}

struct Settings
{
    QString dsn;
    double duration = 30;
    double warmup = 5;
    int concurrency = 10;
    int connections = 10;
    // Independent pools, each on its own thread's event loop with its share of the callers and
    // connections: what running a pool's connections on several I/O threads could gain at most.
    int threads = 1;
    // Continue a caller from `future.then(this, …)`, which Qt runs at once inside the pool's
    // completion, instead of from a queued event (as QCoro's co_await and asyncio do).
    bool directContinuations = false;
    // Run fetch and fetchValue through the pool's callback form (no QFuture) instead.
    bool callbacks = false;
    QPg::ResetPolicy resetPolicy = QPg::ResetPolicy::Smart;
    QString resetPolicyName = u"smart"_s;
};

struct Result
{
    QString workload;
    QString status = u"ok"_s; // ok, n/a, error
    QString note;
    double seconds = 0;
    quint64 ops = 0;
    quint64 rows = 0;
    quint64 errors = 0;
    QString firstError;
    LatencyHistogram latency;
    quint64 callerOpsMin = 0;
    quint64 callerOpsMax = 0;
    double cpuUs = 0; // user + system time of this process inside the measured window
    QPg::PoolStats poolStats;
};

// Runs one workload: M callback chains over one pool until the deadline.
class Runner : public QObject
{
public:
    Runner(const Settings &settings, const Workload &workload)
        : m_settings(settings), m_workload(workload), m_sql(workload.sql.contains(u"%1")
                                                                  ? workload.sql.arg(tableName(workload.name))
                                                                  : workload.sql)
    {
        if (workload.kind == Kind::Copy || workload.kind == Kind::Batch) {
            m_records.fill(workload.args, workload.expectedRows);
            m_copyOptions.columns = QStringList{u"a"_s, u"b"_s, u"c"_s, u"d"_s, u"e"_s, u"f"_s, u"g"_s};
        }
    }

    Result run()
    {
        m_result.workload = m_workload.name;
        QPg::PoolOptions options = QPg::PoolOptions::fromDsn(m_settings.dsn);
        options.minSize = m_settings.connections;
        options.maxSize = m_settings.connections;
        options.resetPolicy = m_settings.resetPolicy;
        QPg::Pool pool(options);
        m_pool = &pool;
        await(pool.open());

        m_callerOps.assign(size_t(m_settings.concurrency), 0);
        m_callerSlots.assign(size_t(m_settings.concurrency), {});
        m_measureFrom = nowNs() + qint64(m_settings.warmup * 1e9);
        m_stopAt = m_measureFrom + qint64(m_settings.duration * 1e9);
        m_active = m_settings.concurrency;
        // Client CPU of the measured window: sampled by timers at its edges, so the warm-up and
        // the pool's open and close stay out.
        const auto until = [](qint64 ns) {
            return std::chrono::ceil<std::chrono::milliseconds>(std::chrono::nanoseconds(ns - nowNs()));
        };
        QTimer::singleShot(until(m_measureFrom), Qt::PreciseTimer, this, [this] { m_cpuFrom = processCpuUs(); });
        QTimer::singleShot(until(m_stopAt), Qt::PreciseTimer, this, [this] { sampleCpuEnd(); });
        for (int caller = 0; caller < m_settings.concurrency; ++caller)
            QMetaObject::invokeMethod(this, [this, caller] { startOp(caller); }, Qt::QueuedConnection);
        m_loop.exec();
        sampleCpuEnd(); // the callers may all have stopped before the timer's millisecond came
        m_result.seconds = double(m_stopAt - m_measureFrom) / 1e9;
        m_result.poolStats = pool.stats();
        if (!m_callerOps.empty()) {
            const auto [min, max] = std::minmax_element(m_callerOps.begin(), m_callerOps.end());
            m_result.callerOpsMin = *min;
            m_result.callerOpsMax = *max;
        }
        await(pool.close());
        m_pool = nullptr;
        if (m_result.errors > 0)
            m_result.status = u"error"_s;
        return m_result;
    }

private:
    void sampleCpuEnd()
    {
        if (!std::exchange(m_cpuSampled, true))
            m_result.cpuUs = processCpuUs() - m_cpuFrom;
    }

    void startOp(int caller)
    {
        const qint64 start = nowNs();
        // Give up early when everything fails, rather than spinning through the whole duration.
        if (start >= m_stopAt || m_result.errors > 1000) {
            if (--m_active == 0)
                m_loop.quit();
            return;
        }
        if (m_settings.callbacks && (m_workload.kind == Kind::Rows || m_workload.kind == Kind::Value)) {
            startWithCallback(caller, start);
            return;
        }
        switch (m_workload.kind) {
        case Kind::Rows:
            continueWith(m_pool->fetch(m_sql, m_workload.args), caller, start,
                         [this](const QPg::RecordList &rows) { return readRows(rows); });
            break;
        case Kind::Value:
            continueWith(m_pool->fetchValue(m_sql, m_workload.args), caller, start,
                         [this](const QVariant &value) { return readValue(value); });
            break;
        case Kind::AcquireRelease:
            continueWith(m_pool->acquire(), caller, start, [this, caller, start](const QPg::PooledConnection &connection) {
                continueWith(connection.release(), caller, start, [] { return quint64(0); });
                return NoFinish;
            });
            break;
        case Kind::Copy:
            continueWith(m_pool->copyRecordsToTable(m_sql, m_records, m_copyOptions), caller, start,
                         [](qint64 rows) { return quint64(rows); });
            break;
        case Kind::Batch:
            continueWith(m_pool->executeMany(m_sql, m_records), caller, start,
                         [this] { return quint64(m_records.size()); });
            break;
        case Kind::Unsupported:
            break;
        }
    }

    // Every value of every row is read, as the peers do.
    quint64 readRows(const QPg::RecordList &rows)
    {
        quint64 touched = 0;
        for (const QPg::Record &row : rows) {
            const int columns = row.size();
            for (int c = 0; c < columns; ++c)
                touched += row.value(c).isValid() ? 1 : 0;
        }
        m_sink += touched;
        return quint64(rows.size());
    }
    quint64 readValue(const QVariant &value)
    {
        m_sink += value.isValid() ? 1 : 0;
        return 1;
    }

    struct CallerSlot
    {
        int caller = 0;
        qint64 start = 0;
    };
    // --callbacks: the pool's callback form, whose callback runs inside the pool's completion. The
    // callback captures two pointers, which std::function stores without allocating.
    void startWithCallback(int caller, qint64 start)
    {
        CallerSlot *slot = &m_callerSlots[size_t(caller)];
        slot->caller = caller;
        slot->start = start;
        if (m_workload.kind == Kind::Rows) {
            m_pool->fetch(m_sql, m_workload.args, this, [this, slot](QPg::Reply<QPg::RecordList> reply) {
                finishReply(*slot, [&] { return readRows(reply.value()); });
            });
        } else {
            m_pool->fetchValue(m_sql, m_workload.args, this, [this, slot](QPg::Reply<QVariant> reply) {
                finishReply(*slot, [&] { return readValue(reply.value()); });
            });
        }
    }
    template<typename Read>
    void finishReply(const CallerSlot &slot, Read read)
    {
        quint64 rows = 0;
        std::exception_ptr error;
        try {
            rows = read(); // value() rethrows the call's error
        } catch (...) {
            error = std::current_exception();
        }
        if (error)
            failOp(slot.caller, error);
        else
            finishOp(slot.caller, slot.start, rows);
    }

    // What a step returns when it has handed the operation on to another step.
    static constexpr quint64 NoFinish = ~quint64(0);
    // Deepest chain of steps run at once before the callers yield to the event loop.
    static constexpr int MaxInlineDepth = 64;

    // Runs step with the future's result when the future is done, then finishes the caller's
    // operation with the rows step returns (or an error). A future that is already finished
    // continues at once, as `co_await` does under QCoro (its awaiter is ready then); otherwise the
    // result is handled from a queued event, as a QCoro await or an asyncio callback would, never
    // inside the pool's own code (--direct-continuations: from then(this, …), inside it). Inline
    // steps are bounded so that timers and sockets get their turn.
    template<typename T, typename Step>
    void continueWith(QFuture<T> future, int caller, qint64 start, Step step)
    {
        auto handle = [this, caller, start, step](QFuture<T> done) {
            ++m_inlineDepth;
            quint64 rows = NoFinish;
            std::exception_ptr error;
            try {
                if constexpr (std::is_void_v<T>) {
                    done.waitForFinished(); // rethrows
                    rows = step();
                } else {
                    rows = step(done.result());
                }
            } catch (...) {
                error = std::current_exception();
            }
            if (error)
                failOp(caller, error);
            else if (rows != NoFinish)
                finishOp(caller, start, rows);
            --m_inlineDepth;
        };
        if (future.isFinished() && m_inlineDepth < MaxInlineDepth) {
            handle(std::move(future));
            return;
        }
        if (m_settings.directContinuations && !future.isFinished()) {
            // Qt's own idiom: then(context, …) calls a continuation in its context's thread at once.
            future.then(this, [handle](QFuture<T> done) { handle(std::move(done)); });
            return;
        }
        future.then([this, handle](QFuture<T> done) {
            QMetaObject::invokeMethod(this, [handle, done] { handle(done); }, Qt::QueuedConnection);
        });
    }

    void finishOp(int caller, qint64 start, quint64 rows)
    {
        const qint64 end = nowNs();
        const qint64 expected = m_workload.expectedRows;
        const bool checked = m_workload.kind == Kind::Rows || m_workload.kind == Kind::Copy;
        const bool wrongRows = checked && (expected >= 0 ? qint64(rows) != expected : rows == 0);
        if (wrongRows) {
            ++m_result.errors;
            if (m_result.firstError.isEmpty())
                m_result.firstError = u"expected %1 rows, got %2"_s.arg(m_workload.expectedRows).arg(rows);
        } else if (end >= m_measureFrom && end <= m_stopAt) {
            ++m_result.ops;
            m_result.rows += rows;
            m_result.latency.add(end - start);
            ++m_callerOps[size_t(caller)];
        }
        startOp(caller);
    }

    void failOp(int caller, const std::exception_ptr &error)
    {
        ++m_result.errors;
        if (m_result.firstError.isEmpty())
            m_result.firstError = errorText(error);
        startOp(caller);
    }

    const Settings &m_settings;
    const Workload &m_workload;
    const QString m_sql;
    QList<QVariantList> m_records; // copy and batch: the same row expectedRows times
    QPg::CopyOptions m_copyOptions;
    QPg::Pool *m_pool = nullptr;
    QEventLoop m_loop;
    Result m_result;
    std::vector<quint64> m_callerOps;
    std::vector<CallerSlot> m_callerSlots;
    qint64 m_measureFrom = 0;
    qint64 m_stopAt = 0;
    double m_cpuFrom = 0;
    bool m_cpuSampled = false;
    int m_active = 0;
    int m_inlineDepth = 0;
    quint64 m_sink = 0;
};

// Runs the workload on settings.threads threads at once, each with its own pool and event loop and
// an even share of the callers and connections, and adds the results up. The client's CPU is the
// whole process's over the first thread's window (the windows start within microseconds).
Result runOnThreads(const Settings &settings, const Workload &workload)
{
    std::vector<Result> results(size_t(settings.threads));
    std::vector<std::unique_ptr<QThread>> threads;
    for (int t = 0; t < settings.threads; ++t) {
        Settings share = settings;
        const auto part = [&](int total) { return total / settings.threads + (t < total % settings.threads ? 1 : 0); };
        share.concurrency = part(settings.concurrency);
        share.connections = part(settings.connections);
        threads.emplace_back(QThread::create([share, &workload, &result = results[size_t(t)]] {
            result = Runner(share, workload).run();
        }));
        threads.back()->start();
    }
    for (auto &thread : threads)
        thread->wait();
    Result total = results.front();
    total.callerOpsMin = std::numeric_limits<quint64>::max();
    total.callerOpsMax = 0;
    total.ops = total.rows = total.errors = 0;
    total.latency.clear();
    for (const Result &r : results) {
        total.ops += r.ops;
        total.rows += r.rows;
        total.errors += r.errors;
        total.latency.merge(r.latency);
        total.callerOpsMin = std::min(total.callerOpsMin, r.callerOpsMin);
        total.callerOpsMax = std::max(total.callerOpsMax, r.callerOpsMax);
        if (total.firstError.isEmpty())
            total.firstError = r.firstError;
        if (r.status == u"error")
            total.status = r.status;
    }
    return total;
}

Result runWorkload(const Settings &settings, const Workload &workload, QPg::Connection *admin)
{
    if (workload.kind == Kind::Unsupported) {
        Result result;
        result.workload = workload.name;
        result.status = u"n/a"_s;
        result.note = workload.note;
        return result;
    }
    const QString table = tableName(workload.name);
    try {
        if (!workload.setup.isEmpty())
            await(admin->execute(workload.setup.arg(table)));
        Result result = settings.threads > 1 ? runOnThreads(settings, workload) : Runner(settings, workload).run();
        if (!workload.teardown.isEmpty())
            await(admin->execute(workload.teardown.arg(table)));
        return result;
    } catch (...) {
        Result result;
        result.workload = workload.name;
        result.status = u"error"_s;
        result.errors = 1;
        result.firstError = errorText(std::current_exception());
        return result;
    }
}

double ms(double ns)
{
    return ns / 1e6;
}

QJsonObject toJson(const Settings &settings, const Result &r)
{
    const double seconds = r.seconds > 0 ? r.seconds : 0;
    const double cpuUsPerOp = r.ops > 0 ? r.cpuUs / double(r.ops) : 0.0;
    QJsonObject o{
        {u"implementation"_s, u"qpgpool"_s},
        {u"workload"_s, r.workload},
        {u"status"_s, r.status},
        {u"concurrency"_s, settings.concurrency},
        {u"connections"_s, settings.connections},
        {u"duration_s"_s, seconds},
        {u"warmup_s"_s, settings.warmup},
        {u"ops"_s, double(r.ops)},
        {u"rows"_s, double(r.rows)},
        {u"errors"_s, double(r.errors)},
        {u"ops_per_s"_s, seconds > 0 ? double(r.ops) / seconds : 0.0},
        {u"rows_per_s"_s, seconds > 0 ? double(r.rows) / seconds : 0.0},
        {u"cpu_us_per_op"_s, cpuUsPerOp},
        {u"latency_ms"_s,
         QJsonObject{
             {u"min"_s, ms(double(r.latency.minNs()))},
             {u"mean"_s, ms(r.latency.meanNs())},
             {u"p50"_s, ms(r.latency.percentileNs(0.50))},
             {u"p90"_s, ms(r.latency.percentileNs(0.90))},
             {u"p99"_s, ms(r.latency.percentileNs(0.99))},
             {u"p99_9"_s, ms(r.latency.percentileNs(0.999))},
             {u"max"_s, ms(double(r.latency.maxNs()))},
         }},
        {u"caller_ops_min"_s, double(r.callerOpsMin)},
        {u"caller_ops_max"_s, double(r.callerOpsMax)},
        {u"acquire_wait_ms"_s,
         QJsonObject{{u"p50"_s, r.poolStats.acquireWaitP50Ms}, {u"p99"_s, r.poolStats.acquireWaitP99Ms}}},
        {u"details"_s, u"QPgPool %1, reset policy %2, %3 event dispatcher%4%5%6"_s.arg(
                           QStringLiteral(QPGPOOL_VERSION), settings.resetPolicyName,
                           !qEnvironmentVariableIsEmpty("QT_NO_GLIB") ? u"Qt's"_s : u"GLib's"_s,
                           settings.threads > 1 ? u", %1 threads"_s.arg(settings.threads) : QString(),
                           settings.directContinuations ? u", direct continuations"_s : QString(),
                           settings.callbacks ? u", callbacks"_s : QString())},
    };
    if (!r.note.isEmpty())
        o.insert(u"note"_s, r.note);
    if (!r.firstError.isEmpty())
        o.insert(u"error"_s, r.firstError);
    return o;
}

void printHuman(const Settings &settings, const Result &r)
{
    if (r.status == u"n/a") {
        out() << qSetFieldWidth(16) << Qt::left << r.workload << qSetFieldWidth(0) << u"n/a ("_s << r.note << u")\n"_s;
        return;
    }
    const double seconds = r.seconds > 0 ? r.seconds : 1;
    out() << qSetFieldWidth(16) << Qt::left << r.workload << qSetFieldWidth(0)
          << u"%1 ops/s  %2 rows/s  p50 %3 ms  p99 %4 ms  p99.9 %5 ms  (%6 callers / %7 connections, %8 ops)"_s
                 .arg(double(r.ops) / seconds, 0, 'f', 0)
                 .arg(double(r.rows) / seconds, 0, 'f', 0)
                 .arg(ms(r.latency.percentileNs(0.50)), 0, 'f', 3)
                 .arg(ms(r.latency.percentileNs(0.99)), 0, 'f', 3)
                 .arg(ms(r.latency.percentileNs(0.999)), 0, 'f', 3)
                 .arg(settings.concurrency)
                 .arg(settings.connections)
                 .arg(r.ops);
    if (r.errors)
        out() << u"  ERRORS: %1 (%2)"_s.arg(r.errors).arg(r.firstError);
    out() << u'\n';
    out().flush();
}

} // namespace

int main(int argc, char **argv)
{
    // Qt's own UNIX event dispatcher unless --glib: GLib's (Qt's default where GLib is installed)
    // writes to its eventfd for every posted event, a system call per queued continuation, where
    // Qt's wakes the loop once per pass. As asyncpg runs on uvloop, the loop an application would
    // pick for speed; QT_NO_GLIB set by the caller wins.
    const bool glib = std::any_of(argv + 1, argv + argc, [](const char *arg) { return qstrcmp(arg, "--glib") == 0; });
    if (!glib && !qEnvironmentVariableIsSet("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1");
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"qpgpool-bench"_s);
    // The setup's DROP TABLE IF EXISTS notices are no news.
    QLoggingCategory::setFilterRules(u"qpgpool.notice=false"_s);

    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Runs the MagicStack/pgbench workloads and the pool workloads through QPg::Pool."_s);
    parser.addHelpOption();
    const QCommandLineOption dsnOption(u"dsn"_s, u"libpq connection string of the server."_s, u"dsn"_s);
    const QCommandLineOption stateOption(u"state-file"_s,
                                         u"Read the DSN from a private cluster's state file."_s, u"file"_s);
    const QCommandLineOption durationOption(u"duration"_s, u"Measured seconds per workload (30)."_s, u"s"_s,
                                            u"30"_s);
    const QCommandLineOption warmupOption(u"warmup"_s, u"Warm-up seconds per workload (5)."_s, u"s"_s, u"5"_s);
    const QCommandLineOption concurrencyOption(u"concurrency"_s, u"Concurrent callers M (10)."_s, u"m"_s, u"10"_s);
    const QCommandLineOption connectionsOption(u"connections"_s, u"Pool size N (10)."_s, u"n"_s, u"10"_s);
    const QCommandLineOption threadsOption(u"threads"_s,
                                           u"Split the callers and connections over T pools, each on its own thread (1)."_s,
                                           u"t"_s, u"1"_s);
    const QCommandLineOption workloadOption(u"workload"_s, u"Workloads to run, comma-separated (all)."_s,
                                            u"names"_s);
    const QCommandLineOption resetOption(u"reset-policy"_s,
                                         u"smart (default), always (asyncpg's reset), discard, rollback."_s,
                                         u"policy"_s, u"smart"_s);
    const QCommandLineOption jsonOption(u"json"_s, u"One JSON object per workload and line."_s);
    const QCommandLineOption smokeOption(u"smoke"_s,
                                         u"Each workload for 0.3 s without warm-up; exit 0 when all ran."_s);
    const QCommandLineOption listOption(u"list"_s, u"List the workloads."_s);
    const QCommandLineOption glibOption(u"glib"_s, u"Run on GLib's event dispatcher instead of Qt's own."_s);
    const QCommandLineOption directOption(
        u"direct-continuations"_s,
        u"Continue each caller from future.then(context, …), at once inside the pool's completion, instead of a queued event."_s);
    const QCommandLineOption callbacksOption(
        u"callbacks"_s, u"Run fetch and fetchValue through the pool's callback form instead of futures."_s);
    const QCommandLineOption startOption(u"start-cluster"_s,
                                         u"Start a private PostgreSQL, write its state file, exit."_s, u"file"_s);
    const QCommandLineOption stopOption(u"stop-cluster"_s, u"Stop the cluster named by a state file."_s,
                                        u"file"_s);
    parser.addOptions({dsnOption, stateOption, durationOption, warmupOption, concurrencyOption, connectionsOption, threadsOption,
                       workloadOption, resetOption, jsonOption, smokeOption, listOption, glibOption, directOption, callbacksOption, startOption, stopOption});
    parser.process(app);

    if (parser.isSet(startOption))
        return BenchServer::startCluster(parser.value(startOption));
    if (parser.isSet(stopOption))
        return BenchServer::stopCluster(parser.value(stopOption));
    if (parser.isSet(listOption)) {
        for (const Workload &w : workloads())
            out() << w.name << (w.kind == Kind::Unsupported ? u"  (n/a: "_s + w.note + u')' : QString()) << u'\n';
        return 0;
    }

    Settings settings;
    bool ok = true;
    settings.duration = parser.value(durationOption).toDouble(&ok);
    bool ok2 = true, ok3 = true, ok4 = true;
    settings.warmup = parser.value(warmupOption).toDouble(&ok2);
    settings.concurrency = parser.value(concurrencyOption).toInt(&ok3);
    settings.connections = parser.value(connectionsOption).toInt(&ok4);
    bool ok5 = true;
    settings.threads = parser.value(threadsOption).toInt(&ok5);
    if (!ok || !ok2 || !ok3 || !ok4 || !ok5 || settings.duration <= 0 || settings.warmup < 0 || settings.concurrency < 1
        || settings.connections < 1 || settings.threads < 1 || settings.threads > settings.connections
        || settings.threads > settings.concurrency) {
        err() << "qpgpool-bench: bad --duration, --warmup, --concurrency, --connections or --threads" << Qt::endl;
        return 2;
    }
    if (parser.isSet(smokeOption)) {
        settings.duration = 0.3;
        settings.warmup = 0;
    }
    const QString policy = parser.value(resetOption);
    if (policy == u"smart")
        settings.resetPolicy = QPg::ResetPolicy::Smart;
    else if (policy == u"always")
        settings.resetPolicy = QPg::ResetPolicy::Always;
    else if (policy == u"discard")
        settings.resetPolicy = QPg::ResetPolicy::DiscardAll;
    else if (policy == u"rollback")
        settings.resetPolicy = QPg::ResetPolicy::RollbackOnly;
    else {
        err() << "qpgpool-bench: unknown --reset-policy " << policy << Qt::endl;
        return 2;
    }
    settings.resetPolicyName = policy;
    settings.directContinuations = parser.isSet(directOption);
    settings.callbacks = parser.isSet(callbacksOption);

    QList<const Workload *> selected;
    if (parser.isSet(workloadOption)) {
        for (const QString &value : parser.values(workloadOption)) {
            for (const QString &name : value.split(u',', Qt::SkipEmptyParts)) {
                const Workload *w = findWorkload(name.trimmed());
                if (!w) {
                    err() << "qpgpool-bench: unknown workload " << name << " (see --list)" << Qt::endl;
                    return 2;
                }
                selected.append(w);
            }
        }
    } else {
        for (const Workload &w : workloads())
            selected.append(&w);
    }

    BenchServer server;
    QString error;
    if (!server.resolve(parser.value(dsnOption), parser.value(stateOption), &error)) {
        err() << "qpgpool-bench: no server: " << error << Qt::endl;
        return 1;
    }
    settings.dsn = server.dsn();

    QPg::Connection admin(settings.dsn);
    try {
        await(admin.open());
    } catch (...) {
        err() << "qpgpool-bench: cannot connect to " << settings.dsn << ": " << errorText(std::current_exception())
              << Qt::endl;
        return 1;
    }

    const bool json = parser.isSet(jsonOption);
    int status = 0;
    for (const Workload *w : selected) {
        const Result result = runWorkload(settings, *w, &admin);
        if (result.status == u"error")
            status = 1;
        if (json) {
            out() << QJsonDocument(toJson(settings, result)).toJson(QJsonDocument::Compact) << u'\n';
            out().flush();
        } else {
            printHuman(settings, result);
        }
    }
    await(admin.close());
    return status;
}
