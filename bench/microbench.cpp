// SPDX-License-Identifier: MIT
// qpgpool-microbench: Google Benchmark measurements of single pool and record operations.
//
// Server: QPG_BENCH_DSN, else the state file named by QPG_BENCH_STATE_FILE, else a private cluster
// started for this run. Decoding and encoding are private to the library, so they are measured
// through public paths: decoding through Record::value() on a fetched result (no caching there, each
// call decodes), encoding through a round trip with an array parameter of 1 and of 1000 elements
// (the difference over 999 is the cost per element, server parsing included).

#include "benchserver.h"

#include <QPg/connection.h>
#include <QPg/pool.h>
#include <QPg/record.h>
#include <QPg/timestamp.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QDateTime>
#include <QtCore/QEventLoop>
#include <QtCore/QUuid>

#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>

using namespace Qt::Literals::StringLiterals;

namespace {

QString g_dsn;

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

// One long-lived connection for the record benchmarks.
QPg::Connection &connection()
{
    static QPg::Connection *c = [] {
        auto *conn = new QPg::Connection(g_dsn);
        await(conn->open());
        return conn;
    }();
    return *c;
}

// An open pool of size connections, all idle.
std::unique_ptr<QPg::Pool> openPool(int size)
{
    QPg::PoolOptions options = QPg::PoolOptions::fromDsn(g_dsn);
    options.minSize = size;
    options.maxSize = size;
    auto pool = std::make_unique<QPg::Pool>(options);
    await(pool->open());
    return pool;
}

void acquireRelease(benchmark::State &state)
{
    const std::unique_ptr<QPg::Pool> pool = openPool(int(state.range(0)));
    for (auto _ : state) {
        QPg::PooledConnection c = await(pool->acquire());
        await(c.release());
    }
    await(pool->close());
}
BENCHMARK(acquireRelease)->Name("pool/acquire_release")->Arg(1)->Arg(10);

// The future-free fast path: tryAcquire() of an idle connection, given back by dropping the handle.
void tryAcquireRelease(benchmark::State &state)
{
    const std::unique_ptr<QPg::Pool> pool = openPool(int(state.range(0)));
    for (auto _ : state) {
        std::optional<QPg::PooledConnection> c = pool->tryAcquire();
        if (!c)
            state.SkipWithError("no idle connection");
    }
    await(pool->close());
}
BENCHMARK(tryAcquireRelease)->Name("pool/try_acquire_release")->Arg(1)->Arg(10);

void fetchValueRoundTrip(benchmark::State &state)
{
    const std::unique_ptr<QPg::Pool> pool = openPool(1);
    for (auto _ : state)
        benchmark::DoNotOptimize(await(pool->fetchValue(u"SELECT 1"_s)));
    await(pool->close());
}
BENCHMARK(fetchValueRoundTrip)->Name("pool/fetchValue_select1");

struct TypeCase
{
    const char *name;
    const char *expression; // of i, over generate_series(1, 1000)
};

const TypeCase typeCases[] = {
    {"bool", "i % 2 = 0"},
    {"int4", "i"},
    {"int8", "i::int8 * 1000000000"},
    {"float8", "i::float8 / 7"},
    {"numeric", "i::numeric / 7"},
    {"text", "'value ' || i"},
    {"bytea", "decode(repeat('ab', 50), 'hex')"},
    {"date", "date '2020-01-01' + i"},
    {"timestamptz", "timestamptz '2020-01-01 00:00:00+00' + i * interval '1 second'"},
    {"uuid", "md5(i::text)::uuid"},
    {"jsonb", "jsonb_build_object('a', i, 'b', 'text')"},
    {"int4[10]", "array_fill(i, array[10])"},
    {"null", "NULL::int4"},
};

void decodeType(benchmark::State &state, const TypeCase &type)
{
    const QPg::RecordList rows = await(connection().fetch(
        u"SELECT %1 AS v FROM generate_series(1, 1000) i"_s.arg(QString::fromLatin1(type.expression))));
    for (auto _ : state) {
        for (const QPg::Record &row : rows)
            benchmark::DoNotOptimize(row.value(0));
    }
    state.SetItemsProcessed(state.iterations() * rows.size());
}

const QPg::RecordList &pgTypeRows()
{
    static const QPg::RecordList rows = await(connection().fetch(
        u"select typname, typnamespace, typowner, typlen, typbyval, typcategory, typispreferred, "
        "typisdefined, typdelim, typrelid, typelem, typarray from pg_type where typtypmod = $1 and "
        "typisdefined = $2"_s,
        {-1, true}));
    return rows;
}

void recordByIndex(benchmark::State &state)
{
    const QPg::RecordList &rows = pgTypeRows();
    for (auto _ : state) {
        for (const QPg::Record &row : rows)
            benchmark::DoNotOptimize(row.value(11));
    }
    state.SetItemsProcessed(state.iterations() * rows.size());
}
BENCHMARK(recordByIndex)->Name("record/value_by_index");

void recordByName(benchmark::State &state)
{
    const QPg::RecordList &rows = pgTypeRows();
    for (auto _ : state) {
        for (const QPg::Record &row : rows)
            benchmark::DoNotOptimize(row.value(u"typarray"));
    }
    state.SetItemsProcessed(state.iterations() * rows.size());
}
BENCHMARK(recordByName)->Name("record/value_by_name");

void recordIndexOf(benchmark::State &state)
{
    const QPg::RecordList &rows = pgTypeRows();
    for (auto _ : state) {
        for (const QPg::Record &row : rows)
            benchmark::DoNotOptimize(row.indexOf(u"typarray"));
    }
    state.SetItemsProcessed(state.iterations() * rows.size());
}
BENCHMARK(recordIndexOf)->Name("record/index_of");

void recordToVariantMap(benchmark::State &state)
{
    const QPg::RecordList &rows = pgTypeRows();
    for (auto _ : state) {
        for (const QPg::Record &row : rows)
            benchmark::DoNotOptimize(row.toVariantMap());
    }
    state.SetItemsProcessed(state.iterations() * rows.size());
}
BENCHMARK(recordToVariantMap)->Name("record/to_variant_map");

// A pg_type row as a gadget, for fetchAs<T>'s mapping of columns to properties.
struct PgTypeRow
{
    Q_GADGET
    Q_PROPERTY(QString typname MEMBER typname)
    Q_PROPERTY(uint typnamespace MEMBER typnamespace)
    Q_PROPERTY(uint typowner MEMBER typowner)
    Q_PROPERTY(int typlen MEMBER typlen)
    Q_PROPERTY(bool typbyval MEMBER typbyval)
    Q_PROPERTY(QString typcategory MEMBER typcategory)
    Q_PROPERTY(bool typispreferred MEMBER typispreferred)
    Q_PROPERTY(bool typisdefined MEMBER typisdefined)
    Q_PROPERTY(QString typdelim MEMBER typdelim)
    Q_PROPERTY(uint typrelid MEMBER typrelid)
    Q_PROPERTY(uint typelem MEMBER typelem)
    Q_PROPERTY(uint typarray MEMBER typarray)
public:
    QString typname;
    uint typnamespace = 0;
    uint typowner = 0;
    int typlen = 0;
    bool typbyval = false;
    QString typcategory;
    bool typispreferred = false;
    bool typisdefined = false;
    QString typdelim;
    uint typrelid = 0;
    uint typelem = 0;
    uint typarray = 0;
};

void recordsAsGadgets(benchmark::State &state)
{
    const QPg::RecordList &rows = pgTypeRows();
    for (auto _ : state)
        benchmark::DoNotOptimize(QPg::recordsAs<PgTypeRow>(rows));
    state.SetItemsProcessed(state.iterations() * rows.size());
}
BENCHMARK(recordsAsGadgets)->Name("record/records_as");

struct ParamCase
{
    const char *name;
    const char *sqlType;
    QVariant (*make)(int i);
};

const ParamCase paramCases[] = {
    {"int4", "int4", [](int i) { return QVariant(i); }},
    {"int8", "int8", [](int i) { return QVariant(qlonglong(i) * 1000000000); }},
    {"float8", "float8", [](int i) { return QVariant(double(i) / 7); }},
    {"text", "text", [](int i) { return QVariant(u"value %1"_s.arg(i)); }},
    {"timestamptz", "timestamptz",
     [](int i) {
         return QVariant(QDateTime(QDate(2020, 1, 1), QTime(0, 0), Qt::UTC).addSecs(i));
     }},
    {"uuid", "uuid", [](int i) { return QVariant(QUuid::createUuidV5(QUuid(), QString::number(i))); }},
};

void encodeParameter(benchmark::State &state, const ParamCase &param)
{
    QVariantList list;
    for (int i = 0; i < state.range(0); ++i)
        list.append(param.make(i));
    const QString sql = u"SELECT cardinality($1::%1[])"_s.arg(QString::fromLatin1(param.sqlType));
    const QVariantList args{QVariant(list)};
    for (auto _ : state)
        benchmark::DoNotOptimize(await(connection().fetchValue(sql, args)));
    state.SetItemsProcessed(state.iterations() * state.range(0));
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QPgBench::BenchServer server;
    QString error;
    if (!server.resolve({}, {}, &error)) {
        std::fprintf(stderr, "qpgpool-microbench: no server: %s\n", qPrintable(error));
        return 1;
    }
    g_dsn = server.dsn();

    for (const TypeCase &type : typeCases)
        benchmark::RegisterBenchmark((std::string("decode/") + type.name).c_str(), decodeType, type);
    for (const ParamCase &param : paramCases) {
        benchmark::RegisterBenchmark((std::string("encode_array_param/") + param.name).c_str(), encodeParameter,
                                     param)
            ->Arg(1)
            ->Arg(1000);
    }

    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

#include "microbench.moc"
