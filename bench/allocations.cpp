// SPDX-License-Identifier: MIT
// qpgpool-allocations: heap allocations per operation (issue 11's "allocations per fetchValue"),
// counted by interposing malloc/calloc/realloc for the whole process: the library, Qt, libpq and
// libstdc++ (operator new ends in malloc) alike. Each operation runs alone on a warm pool, on the
// pool's thread, driven by the event loop exactly as an application drives it. A libpq-only loop
// running the same prepared statement gives the floor that libpq itself costs.
//
//   qpgpool-allocations [--iterations N] [--dsn DSN]
// Server: --dsn, QPG_BENCH_DSN, QPG_BENCH_STATE_FILE, else a private cluster started for the run.

#include "benchserver.h"

#include <QPg/connection.h>
#include <QPg/pool.h>

#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>
#include <QtCore/QEventLoop>

#include <libpq-fe.h>

#include <atomic>
#include <cstdio>
#include <functional>

extern "C" {
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t count, size_t size);
void *__libc_realloc(void *pointer, size_t size);
void __libc_free(void *pointer);
}

namespace {
std::atomic<unsigned long long> g_allocations{0};
} // namespace

// The executable's definitions take precedence over libc's for every shared library (ELF symbol
// interposition), so this counts Qt's, libpq's and the library's allocations too.
extern "C" void *malloc(size_t size)
{
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    return __libc_malloc(size);
}

extern "C" void *calloc(size_t count, size_t size)
{
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    return __libc_calloc(count, size);
}

extern "C" void *realloc(void *pointer, size_t size)
{
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    return __libc_realloc(pointer, size);
}

extern "C" void free(void *pointer)
{
    __libc_free(pointer);
}

using namespace Qt::Literals::StringLiterals;

namespace {

template<typename T>
void await(QFuture<T> future)
{
    while (!future.isFinished())
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
    future.waitForFinished(); // rethrows
}

// A SELECT 1 through target's callback form (Pool, PooledConnection or Connection), waited for.
template<typename Target>
void fetchValueWithCallback(Target &target, QObject *context)
{
    bool done = false;
    target.fetchValue(u"SELECT 1"_s, {}, context, [&done](QPg::Reply<QVariant> reply) {
        (void)reply.value();
        done = true;
    });
    while (!done)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
}

// Allocations per call of operation, after warm-up calls (statement cache, pool, Qt internals).
double perOperation(int iterations, const std::function<void()> &operation)
{
    for (int i = 0; i < 50; ++i)
        operation();
    const unsigned long long before = g_allocations.load();
    for (int i = 0; i < iterations; ++i)
        operation();
    return double(g_allocations.load() - before) / iterations;
}

void report(const char *name, double allocations)
{
    std::printf("%-60s %8.1f\n", name, allocations);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(u"Heap allocations (malloc, calloc, realloc) per operation"_s);
    parser.addHelpOption();
    const QCommandLineOption iterationsOption(u"iterations"_s, u"Operations per measurement (default 2000)."_s,
                                              u"N"_s, u"2000"_s);
    const QCommandLineOption dsnOption(u"dsn"_s, u"Server to use."_s, u"DSN"_s);
    parser.addOptions({iterationsOption, dsnOption});
    parser.process(app);
    const int iterations = qMax(1, parser.value(iterationsOption).toInt());

    QPgBench::BenchServer server;
    QString error;
    if (!server.resolve(parser.value(dsnOption), QString(), &error)) {
        std::fprintf(stderr, "qpgpool-allocations: %s\n", qPrintable(error));
        return 1;
    }

    std::printf("allocations per operation (malloc + calloc + realloc, whole process), %d operations each\n",
                iterations);

    // libpq's own floor: the same prepared statement, blocking, no event loop.
    {
        PGconn *conn = PQconnectdb(server.dsn().toUtf8().constData());
        if (PQstatus(conn) != CONNECTION_OK) {
            std::fprintf(stderr, "qpgpool-allocations: %s", PQerrorMessage(conn));
            return 1;
        }
        PQclear(PQprepare(conn, "s", "SELECT 1", 0, nullptr));
        report("libpq: PQexecPrepared(SELECT 1) + PQgetvalue", perOperation(iterations, [conn] {
                   PGresult *result = PQexecPrepared(conn, "s", 0, nullptr, nullptr, nullptr, 1);
                   (void)PQgetvalue(result, 0, 0);
                   PQclear(result);
               }));
        PQfinish(conn);
    }

    QPg::Connection connection(server.dsn());
    await(connection.open());
    report("Connection::fetchValue(\"SELECT 1\")",
           perOperation(iterations, [&] { await(connection.fetchValue(u"SELECT 1"_s)); }));

    report("Connection::fetchValue(\"SELECT 1\", context, callback)",
           perOperation(iterations, [&] { fetchValueWithCallback(connection, &app); }));

    QPg::PoolOptions options = QPg::PoolOptions::fromDsn(server.dsn());
    options.minSize = 1;
    options.maxSize = 1;
    QPg::Pool pool(options);
    await(pool.open());
    report("Pool::fetchValue(\"SELECT 1\")",
           perOperation(iterations, [&] { await(pool.fetchValue(u"SELECT 1"_s)); }));
    // The callback form: no future, the value handed over inside the pool's completion.
    report("Pool::fetchValue(\"SELECT 1\", context, callback)",
           perOperation(iterations, [&] { fetchValueWithCallback(pool, &app); }));
    {
        QFuture<QPg::PooledConnection> acquired = pool.acquire();
        await(acquired);
        QPg::PooledConnection held = acquired.result();
        acquired = {};
        report("PooledConnection::fetchValue(\"SELECT 1\", context, callback)",
               perOperation(iterations, [&] { fetchValueWithCallback(held, &app); }));
        await(held.release());
    }
    report("Pool::acquire() + release()", perOperation(iterations, [&] {
               QFuture<QPg::PooledConnection> acquired = pool.acquire();
               await(acquired);
               QPg::PooledConnection handle = acquired.result();
               acquired = {};
               await(handle.release());
           }));
    return 0;
}
