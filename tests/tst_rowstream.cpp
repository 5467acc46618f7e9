// SPDX-License-Identifier: MIT
// Connection::streamRows(): a query's rows in chunks as the server sends them (single-row mode),
// against the test run's PostgreSQL server.
#include <QPg/connection.h>
#include <QPg/pool.h>

#include "await.h"
#include "openconnection.h"
#include "testserver.h"

#include <QtCore/QFutureWatcher>
#include <QtCore/QThread>
#include <QtTest/QTest>

using namespace Qt::Literals::StringLiterals;
using namespace QPgTest;

namespace {

// What a stream handed over, and in which thread.
struct Received
{
    int chunks = 0;
    int largestChunk = 0;
    QList<qint64> values; // column 0 of every row, in order
    bool afterFinish = false; // a chunk came after the future had finished
    bool wrongThread = false;
};

std::function<void(QPg::RecordList &&)> collectInto(Received &received, const QFuture<QPg::Record> *future = nullptr)
{
    QThread *expected = QThread::currentThread();
    return [&received, future, expected](QPg::RecordList &&rows) {
        ++received.chunks;
        received.largestChunk = std::max(received.largestChunk, int(rows.size()));
        received.afterFinish = received.afterFinish || (future && future->isFinished());
        received.wrongThread = received.wrongThread || QThread::currentThread() != expected;
        for (const QPg::Record &row : rows)
            received.values.append(row.size() > 0 ? row.value(0).toLongLong() : -1);
    };
}

} // namespace

class tst_RowStream : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void streamsEveryRowInOrderBeforeTheEnd();
    void emptyResultStillNamesItsColumns();
    void decodesTypesAndNulls();
    void binaryAndTextGiveTheSameValues();
    void rowsWithoutColumns();
    void slowQueryRowsArriveWhileItRuns();
    void failureMidStreamIsTypedAndConnectionStaysUsable();
    void invalidSqlIsAServerError();
    void cancellingTheFutureStopsTheServer();
    void contextDestroyedStopsDeliveries();
    void pooledConnectionDeliversInCallersThread();

private:
    std::unique_ptr<QPg::Connection> m_con;
};

void tst_RowStream::init()
{
    m_con = openConnection();
}

void tst_RowStream::cleanup()
{
    m_con.reset();
}

void tst_RowStream::streamsEveryRowInOrderBeforeTheEnd()
{
    Received received;
    QObject context;
    QFuture<QPg::Record> future;
    future = m_con->streamRows(u"SELECT g, md5(g::text) AS hash FROM generate_series(1, 100000) g"_s, {}, &context,
                               collectInto(received, &future), 1000);
    const QPg::Record header = await(future, 60000);
    QCOMPARE(header.columnNames(), QStringList({u"g"_s, u"hash"_s}));
    QCOMPARE(received.values.size(), 100000);
    for (int i = 0; i < received.values.size(); ++i)
        QCOMPARE(received.values.at(i), qint64(i + 1));
    QVERIFY(received.chunks >= 100);
    QVERIFY2(received.largestChunk <= 1000, qPrintable(QString::number(received.largestChunk)));
    QVERIFY(!received.afterFinish);
    // No cursor and no transaction were left behind.
    QCOMPARE(m_con->transactionStatus(), QPg::Connection::TransactionStatus::Idle);
    QCOMPARE(await(m_con->fetchValue(u"SELECT count(*) FROM pg_cursors WHERE name <> ''"_s)).toLongLong(), 0LL);
}

void tst_RowStream::emptyResultStillNamesItsColumns()
{
    Received received;
    QObject context;
    const QPg::Record header = await(m_con->streamRows(u"SELECT 1 AS a, 'x'::text AS b WHERE $1"_s, {false},
                                                       &context, collectInto(received)));
    QCOMPARE(received.chunks, 0);
    QCOMPARE(header.columnNames(), QStringList({u"a"_s, u"b"_s}));
}

void tst_RowStream::decodesTypesAndNulls()
{
    QPg::RecordList rows;
    QObject context;
    await(m_con->streamRows(u"SELECT $1::int AS i, NULL::text AS n, 'Zürich ✓'::text AS t, 1.5::float8 AS f"_s, {42},
                            &context, [&](QPg::RecordList &&chunk) { rows += chunk; }));
    QCOMPARE(rows.size(), 1);
    const QPg::Record &row = rows.first();
    QCOMPARE(row.value(0).typeId(), QMetaType::Int);
    QCOMPARE(row.value(0).toInt(), 42);
    QVERIFY(row.isNull(1));
    QVERIFY(!row.isNull(2));
    QCOMPARE(row.value(u"t").toString(), u"Zürich ✓"_s);
    QCOMPARE(row.value(3).toDouble(), 1.5);
}

// Outside a transaction a stream asks for binary rows when every column can be decoded from
// binary; inside one it streams text. The values are the same either way, and a statement that
// cannot be described (a trailing comment, an array of a type without a binary decoder) still runs.
void tst_RowStream::binaryAndTextGiveTheSameValues()
{
    const QString sql = u"SELECT g, g::numeric / 7 AS n, g::int8 * 1000000007 AS big, g::float8 / 3 AS f, "
                        u"timestamptz '2026-01-01 12:00+00' + g * interval '1 hour' AS t, date '2026-01-01' + g AS d, "
                        u"CASE WHEN g % 3 = 0 THEN NULL ELSE md5(g::text) END AS h, g % 2 = 0 AS b, "
                        u"ARRAY[g, g + 1] AS a, gen_random_uuid() IS NOT NULL AS u, decode('00ff', 'hex') AS bytes, "
                        u"g * interval '1 day 3 hours 4.5 seconds' AS i, jsonb_build_object('g', g) AS j, "
                        u"'{\"a\": [1, 2]}'::json AS js, '192.168.0.1/24'::inet AS ip, '10.0.0.0/8'::cidr AS net, "
                        u"time '12:34:56.789' AS tm, timetz '12:34:56+02' AS tz, timestamp '2026-02-03 04:05:06.5' AS ts, "
                        u"'6ba7b810-9dad-11d1-80b4-00c04fd430c8'::uuid AS uid, 'v'::varchar(5) AS vc, 'c'::char(3) AS ch, "
                        u"'nm'::name AS nm, 26::oid AS o, g::float4 / 3 AS f4, g::int2 AS i2, 'NaN'::numeric AS nan, "
                        u"ARRAY['x', NULL, 'y'] AS ta "
                        u"FROM generate_series(1, 3000) g"_s;
    const auto read = [this](const QString &statement, const QVariantList &args = {}) {
        QList<QVariantList> values;
        QObject context;
        await(m_con->streamRows(statement, args, &context, [&values](QPg::RecordList &&rows) {
            for (const QPg::Record &row : rows) {
                QVariantList v;
                for (int c = 0; c < row.size(); ++c)
                    v.append(row.value(c));
                values.append(v);
            }
        }, 1000));
        return values;
    };
    const QList<QVariantList> outside = read(sql);
    await(m_con->execute(u"BEGIN"_s));
    const QList<QVariantList> inside = read(sql);
    await(m_con->execute(u"COMMIT"_s));
    // Not described (the subquery around it would end at the semicolon): text, also outside.
    const QList<QVariantList> undescribed = read(sql + u";  -- a comment at the end"_s);
    QCOMPARE(outside.size(), 3000);
    QCOMPARE(inside, outside);
    QCOMPARE(undescribed, outside);
    QVERIFY(outside.at(2).at(6).isNull());
    QCOMPARE(outside.at(1).at(4).toDateTime().toUTC(), QDateTime(QDate(2026, 1, 1), QTime(14, 0), Qt::UTC));
    QCOMPARE(outside.at(0).at(2).toLongLong(), 1000000007LL);
    QCOMPARE(outside.at(0).at(10).toByteArray(), QByteArray("\x00\xff", 2));
    // Arguments reach both the describing statement and the stream.
    QCOMPARE(read(u"SELECT $1::int + g FROM generate_series(1, 2) g"_s, {40}),
             QList<QVariantList>({QVariantList{41}, QVariantList{42}}));
}

void tst_RowStream::rowsWithoutColumns()
{
    Received received;
    QObject context;
    const QPg::Record header = await(m_con->streamRows(u"SELECT FROM generate_series(1, 3)"_s, {}, &context,
                                                       collectInto(received)));
    QCOMPARE(received.values, QList<qint64>({-1, -1, -1}));
    QCOMPARE(header.size(), 0);
}

// The server sends what it has while the query still runs (its 8 kB buffer filled by the first
// branch), and the chunk goes to the caller without waiting to fill up or for the end.
void tst_RowStream::slowQueryRowsArriveWhileItRuns()
{
    Received received;
    QObject context;
    const QFuture<QPg::Record> future = m_con->streamRows(
        u"SELECT g, repeat('x', 1000) FROM generate_series(1, 50) g UNION ALL SELECT 0, '' FROM pg_sleep(60)"_s, {},
        &context, collectInto(received), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(received.values.size() >= 8, 10000);
    QVERIFY(!future.isFinished());
    QCOMPARE(received.values.first(), 1LL);
    QVERIFY(m_con->cancel());
    QVERIFY(awaitError<QPg::QueryCanceledError>(future).has_value());
    QCOMPARE(await(m_con->fetchValue(u"SELECT 7"_s)).toInt(), 7);
}

void tst_RowStream::failureMidStreamIsTypedAndConnectionStaysUsable()
{
    Received received;
    QObject context;
    const auto error = awaitError<QPg::ServerError>(m_con->streamRows(
        u"SELECT 1 / (5000 - g) FROM generate_series(1, 10000) g"_s, {}, &context, collectInto(received), 100));
    QVERIFY(error.has_value());
    QCOMPARE(error->sqlState(), u"22012"_s);
    QVERIFY(received.values.size() < 5000);
    QCOMPARE(await(m_con->fetchValue(u"SELECT 2"_s)).toInt(), 2);
    QCOMPARE(m_con->transactionStatus(), QPg::Connection::TransactionStatus::Idle);
}

void tst_RowStream::invalidSqlIsAServerError()
{
    QObject context;
    const auto error = awaitError<QPg::ServerError>(
        m_con->streamRows(u"SELECT nope FROM nowhere"_s, {}, &context, [](QPg::RecordList &&) {}));
    QVERIFY(error.has_value());
    QCOMPARE(error->sqlState(), u"42P01"_s);
    QCOMPARE(error->fields().position, 18);
    // Several statements cannot run as one streamed query.
    QVERIFY(awaitError<QPg::ServerError>(
                m_con->streamRows(u"SELECT 1; SELECT 2"_s, {}, &context, [](QPg::RecordList &&) {}))
                .has_value());
    QVERIFY(awaitError<QPg::InterfaceError>(
                m_con->streamRows(u"SELECT 1"_s, {}, &context, [](QPg::RecordList &&) {}, 0))
                .has_value());
    QVERIFY(awaitError<QPg::InterfaceError>(m_con->streamRows(u"SELECT 1"_s, {}, nullptr, [](QPg::RecordList &&) {}))
                .has_value());
}

// A hundred million rows take minutes to send: the connection is free again within the deadline
// only because the server stopped.
void tst_RowStream::cancellingTheFutureStopsTheServer()
{
    Received received;
    QObject context;
    QFuture<QPg::Record> future = m_con->streamRows(u"SELECT g FROM generate_series(1, 100000000) g"_s, {}, &context,
                                                    collectInto(received), 1000);
    QTRY_VERIFY_WITH_TIMEOUT(received.chunks > 0, 10000);
    future.cancel();
    QCOMPARE(await(m_con->fetchValue(u"SELECT 3"_s), 20000).toInt(), 3);
    QVERIFY(future.isCanceled());
    QVERIFY(received.values.size() < 10000000);
}

void tst_RowStream::contextDestroyedStopsDeliveries()
{
    Received received;
    auto context = std::make_unique<QObject>();
    const QFuture<QPg::Record> future = m_con->streamRows(u"SELECT g FROM generate_series(1, 300000) g"_s, {},
                                                          context.get(), collectInto(received), 1000);
    QTRY_VERIFY_WITH_TIMEOUT(received.chunks > 0, 10000);
    context.reset();
    const int chunksBefore = received.chunks;
    QVERIFY(waitFor(future, 60000));
    QVERIFY(future.isCanceled());
    QCOMPARE(received.chunks, chunksBefore);
    QCOMPARE(await(m_con->fetchValue(u"SELECT 4"_s)).toInt(), 4);
}

// The pool in a worker thread, the caller and its context in this one: the chunks and the end
// come here, in order.
void tst_RowStream::pooledConnectionDeliversInCallersThread()
{
    QThread worker;
    worker.start();
    QPg::PoolOptions options;
    options.connectOptions = QPg::ConnectOptions::fromDsn(dsn());
    options.minSize = 1;
    options.maxSize = 1;
    auto *pool = new QPg::Pool(options);
    pool->moveToThread(&worker);
    await(pool->open());
    {
        QPg::PooledConnection handle = await(pool->acquire());
        Received received;
        QObject context;
        QFuture<QPg::Record> future;
        future = handle.streamRows(u"SELECT g FROM generate_series(1, 20000) g"_s, {}, &context,
                                   collectInto(received, &future), 500);
        const QPg::Record header = await(future, 60000);
        QCOMPARE(header.columnNames(), QStringList({u"g"_s}));
        QCOMPARE(received.values.size(), 20000);
        QCOMPARE(received.values.last(), 20000LL);
        QVERIFY(!received.wrongThread);
        QVERIFY(!received.afterFinish);
        await(handle.release());
    }
    QMetaObject::invokeMethod(pool, [pool] { delete pool; }, Qt::BlockingQueuedConnection);
    worker.quit();
    worker.wait();
}

QTEST_MAIN(tst_RowStream)
#include "tst_rowstream.moc"
