// SPDX-License-Identifier: MIT
// Batches (executeMany/fetchMany) and COPY against the test run's PostgreSQL server.
#include <QPg/connection.h>

#include "await.h"
#include "privatecluster.h"
#include "testserver.h"

#include <QtCore/QBuffer>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QTemporaryDir>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <malloc.h>

using namespace std::chrono_literals;
using namespace Qt::Literals::StringLiterals;
using namespace QPgTest;

namespace {

std::unique_ptr<QPg::Connection> openConnection()
{
    auto con = std::make_unique<QPg::Connection>(dsn());
    await(con->open());
    return con;
}

QByteArray readFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return QByteArray("<cannot read ") + path.toUtf8() + '>';
    return file.readAll();
}

// What psql's \copy writes for the same table and options: the reference COPY output.
QByteArray psqlCopy(const QString &copyCommand, const QString &path)
{
    QString error;
    QByteArray out;
    if (!QPg::Dev::PrivateCluster::runPsql(dsn(), {u"-X"_s, u"-q"_s, u"-c"_s, copyCommand.arg(path)}, &out, &error))
        qFatal("psql failed: %s", qPrintable(error));
    return readFile(path);
}

const QString awkwardTable = u"CREATE TABLE awkward (id int, txt text, bin bytea, num numeric, note text);"
                             u"INSERT INTO awkward VALUES"
                             u" (1, 'plain', '\\x00ff', 1.5, 'x'),"
                             u" (2, 'comma, and \"quotes\"', '\\x', -0.000001, NULL),"
                             u" (3, E'new\\nline and\\ttab', NULL, 12345678901234567890.123, ''),"
                             u" (4, E'back\\\\slash ; semi | pipe', '\\x5c6e', NULL, 'Zürich ✓ 日本 😀'),"
                             u" (5, '', '\\x0a0d09', 0, E'\\r carriage');"_s;

// A line of /proc/self/status in KiB ("VmRSS", "VmHWM").
qint64 statusKiB(const QByteArray &field)
{
    QFile status(u"/proc/self/status"_s);
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith(QByteArray(field + ':')))
            return line.mid(field.size() + 1).trimmed().split(' ').first().toLongLong();
    }
    return -1;
}

// Starts measuring the peak resident size from now: free heap goes back to the system, so that
// memory earlier tests freed is not reused unseen, and the kernel's high-water mark is reset.
bool resetPeakResident()
{
    malloc_trim(0);
    QFile clear(u"/proc/self/clear_refs"_s);
    return clear.open(QIODevice::WriteOnly) && clear.write("5") == 1;
}

} // namespace

class tst_Copy : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void executeManyInsertsAllRows();
    void executeManyIsAtomic();
    void executeManyRejectsBadRows();
    void executeManyMillionRowsInBoundedMemory();
    void executeManyFailingRowInBigBatchLeavesTableUnchanged();
    void fetchManyReturnsRowsOfEachExecution();
    void copyOutMatchesPsql_data();
    void copyOutMatchesPsql();
    void copyFromQueryToDeviceAndCallback();
    void copyInImportsFileWrittenByPsql();
    void copyInFromAsyncSource();
    void malformedCsvIsRejectedWithLineAndTableUnchanged();
    void failingSourceLeavesTableUnchanged();
    void cancelledCopyStopsOnServer();
    void copyRecordsToTable();
    void copyMillionRecords();
    void copyWrongTypedValueLeavesTableUnchanged();
    void copyProgressIsSignalled();
    void cursorFetchesInChunks();
    void cursorKeepsCallersTransaction();
    void cursorReportsQueryError();
    void streamsTwoMillionRowsInBoundedMemory();

private:
    std::unique_ptr<QPg::Connection> m_con;
    QTemporaryDir m_dir;
};

void tst_Copy::init()
{
    m_con = openConnection();
    await(m_con->execute(u"DROP TABLE IF EXISTS awkward, items, target, pairs; "_s + awkwardTable
                         + u"CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, qty int, price float8);"
                           u"CREATE TABLE target (LIKE awkward)"_s));
}

void tst_Copy::cleanup()
{
    if (m_con && m_con->isReady())
        await(m_con->execute(u"DROP TABLE IF EXISTS awkward, items, target, pairs"_s));
    m_con.reset();
}

void tst_Copy::executeManyInsertsAllRows()
{
    QList<QVariantList> rows;
    for (int i = 0; i < 1000; ++i)
        rows.append({i, u"item %1"_s.arg(i), i % 7, i * 0.5});
    const qint64 before = m_con->queryCount();
    await(m_con->executeMany(u"INSERT INTO items VALUES ($1, $2, $3, $4)"_s, rows));
    QCOMPARE(m_con->queryCount(), before + 1); // one round trip
    QCOMPARE(await(m_con->fetchValue(u"SELECT count(*) FROM items"_s)).toLongLong(), 1000LL);
    QCOMPARE(await(m_con->fetchValue(u"SELECT name FROM items WHERE id = 999"_s)).toString(), u"item 999"_s);
    QCOMPARE(m_con->transactionStatus(), QPg::Connection::TransactionStatus::Idle);
    await(m_con->executeMany(u"INSERT INTO items VALUES ($1, $2, $3, $4)"_s, {})); // nothing to do
}

void tst_Copy::executeManyIsAtomic()
{
    QList<QVariantList> rows;
    for (int i = 0; i < 1000; ++i)
        rows.append({i == 500 ? 0 : i, u"item"_s, 1, 1.0}); // row 500 repeats id 0
    auto error = awaitError<QPg::UniqueViolationError>(m_con->executeMany(u"INSERT INTO items VALUES ($1, $2, $3, $4)"_s, rows));
    QVERIFY(error);
    QCOMPARE(await(m_con->fetchValue(u"SELECT count(*) FROM items"_s)).toLongLong(), 0LL);
    QCOMPARE(m_con->transactionStatus(), QPg::Connection::TransactionStatus::Idle);
    // The connection is back in normal mode.
    QCOMPARE(await(m_con->fetchValue(u"SELECT 1"_s)).toInt(), 1);
}

void tst_Copy::executeManyRejectsBadRows()
{
    QVERIFY(awaitError<QPg::InterfaceError>(m_con->executeMany(u"INSERT INTO items VALUES ($1, $2, $3, $4)"_s,
                                                              {{1, u"a"_s, 1, 1.0}, {2, QVariant::fromValue(QSize(1, 1)), 1, 1.0}})));
    QVERIFY(awaitError<QPg::InterfaceError>(m_con->executeMany(u"COPY items FROM STDIN"_s, {{1}})));
    QCOMPARE(await(m_con->fetchValue(u"SELECT count(*) FROM items"_s)).toLongLong(), 0LL);
}

void tst_Copy::executeManyMillionRowsInBoundedMemory()
{
    await(m_con->execute(u"CREATE TABLE pairs (a int, b int8)"_s));
    QList<QVariantList> rows;
    rows.reserve(1000000);
    for (int i = 0; i < 1000000; ++i)
        rows.append({i, qint64(i % 1000)});
    QVERIFY(resetPeakResident());
    const qint64 before = statusKiB("VmHWM");
    QVERIFY(before > 0);
    await(m_con->executeMany(u"INSERT INTO pairs VALUES ($1, $2)"_s, rows), 300000);
    const qint64 growth = statusKiB("VmHWM") - before;
    QCOMPARE(await(m_con->fetchValue(u"SELECT count(*) FROM pairs"_s)).toLongLong(), 1000000LL);
    QCOMPARE(await(m_con->fetchValue(u"SELECT sum(b) FROM pairs"_s)).toLongLong(), 1000LL * 999 / 2 * 1000);
    // The rows are encoded and handed to libpq as the socket drains. Encoding them all first took
    // about 200 bytes a row (a vector of two encoded parameters, each with its own buffer) and
    // libpq's buffer then held every row's Bind and Execute (about 60 bytes more): 250 MB and up
    // for this batch, far above the bound.
#if defined(__SANITIZE_ADDRESS__)
    const qint64 limitKiB = 160 * 1024; // shadow memory and a (reduced) quarantine come on top
#else
    const qint64 limitKiB = 48 * 1024;
#endif
    qInfo("peak resident size grew by %lld KiB", growth);
    QVERIFY2(growth < limitKiB, qPrintable(u"the peak grew by %1 KiB"_s.arg(growth)));
    QCOMPARE(m_con->transactionStatus(), QPg::Connection::TransactionStatus::Idle);
}

void tst_Copy::executeManyFailingRowInBigBatchLeavesTableUnchanged()
{
    await(m_con->execute(u"CREATE TABLE pairs (a int PRIMARY KEY, b int8)"_s));
    QList<QVariantList> rows;
    for (int i = 0; i < 200000; ++i)
        rows.append({i == 150000 ? 7 : i, qint64(i)}); // row 150000 repeats a = 7
    // Most rows are on the server before the failing one: it rolls them all back.
    QVERIFY(awaitError<QPg::UniqueViolationError>(m_con->executeMany(u"INSERT INTO pairs VALUES ($1, $2)"_s, rows), 120000));
    QCOMPARE(await(m_con->fetchValue(u"SELECT count(*) FROM pairs"_s)).toLongLong(), 0LL);
    QCOMPARE(m_con->transactionStatus(), QPg::Connection::TransactionStatus::Idle);

    // A value that fails to encode only when its row is sent (a custom codec that refuses it):
    // the rows already sent are rolled back too, and the error names the row.
    await(m_con->setTypeCodec(
        u"int8"_s, QMetaType::fromType<double>(),
        [](const QVariant &v) {
            if (v.toDouble() < 0)
                throw QPg::InterfaceError(u"negative amounts are refused"_s);
            return QByteArray::number(qRound64(v.toDouble()));
        },
        [](const QByteArray &text) { return QVariant(text.toDouble()); }));
    rows.clear();
    for (int i = 0; i < 200000; ++i)
        rows.append({i, i == 170000 ? -1.0 : double(i)});
    auto error = awaitError<QPg::InterfaceError>(m_con->executeMany(u"INSERT INTO pairs VALUES ($1, $2)"_s, rows), 120000);
    QVERIFY(error);
    QVERIFY2(QString::fromUtf8(error->what()).contains(u"row 170000: negative amounts are refused"_s), error->what());
    QCOMPARE(await(m_con->fetchValue(u"SELECT count(*) FROM pairs"_s)).toLongLong(), 0LL);
    QCOMPARE(m_con->transactionStatus(), QPg::Connection::TransactionStatus::Idle);
    // The same rows without the refused value all go in.
    rows[170000][1] = 1.0;
    await(m_con->executeMany(u"INSERT INTO pairs VALUES ($1, $2)"_s, rows), 120000);
    QCOMPARE(await(m_con->fetchValue(u"SELECT count(*) FROM pairs"_s)).toLongLong(), 200000LL);
}

void tst_Copy::fetchManyReturnsRowsOfEachExecution()
{
    const QPg::RecordList rows = await(m_con->fetchMany(u"SELECT $1::int AS n, $1::int * 2 AS twice"_s,
                                                        {{1}, {2}, {3}}));
    QCOMPARE(rows.size(), 3);
    QCOMPARE(rows[2][u"twice"].toInt(), 6);
    const QPg::RecordList inserted = await(m_con->fetchMany(
        u"INSERT INTO items VALUES ($1, $2, 0, 0) RETURNING id"_s, {{10, u"a"_s}, {11, u"b"_s}}));
    QCOMPARE(inserted.size(), 2);
    QCOMPARE(inserted[1][0].toInt(), 11);
}

void tst_Copy::copyOutMatchesPsql_data()
{
    QTest::addColumn<QString>("withClause");
    QTest::addColumn<QPg::CopyOptions>("options");
    QTest::newRow("text") << QString() << QPg::CopyOptions{};
    QPg::CopyOptions csv;
    csv.format = QPg::CopyOptions::Format::Csv;
    csv.header = true;
    QTest::newRow("csv header") << u"WITH (FORMAT csv, HEADER true)"_s << csv;
    QPg::CopyOptions custom;
    custom.format = QPg::CopyOptions::Format::Csv;
    custom.delimiter = u";"_s;
    custom.null = u"<null>"_s;
    custom.quote = u"'"_s;
    custom.escape = u"\\"_s;
    custom.forceQuote = {u"txt"_s};
    QTest::newRow("csv custom") << u"WITH (FORMAT csv, DELIMITER ';', NULL '<null>', QUOTE '''', ESCAPE '\\', FORCE_QUOTE (txt))"_s
                                << custom;
    QPg::CopyOptions columns;
    columns.columns = {u"note"_s, u"id"_s};
    columns.delimiter = u"|"_s;
    QTest::newRow("text columns") << u"WITH (DELIMITER '|')"_s << columns;
}

void tst_Copy::copyOutMatchesPsql()
{
    QFETCH(QString, withClause);
    QFETCH(QPg::CopyOptions, options);
    const QString ours = m_dir.filePath(u"ours.out"_s);
    const QString theirs = m_dir.filePath(u"psql.out"_s);
    const QString columns = options.columns.isEmpty() ? QString() : u" ("_s + options.columns.join(u", ") + u')';
    const qint64 rows = await(m_con->copyFromTable(u"awkward"_s, ours, options));
    QCOMPARE(rows, 5);
    const QByteArray expected = psqlCopy(u"\\copy awkward"_s + columns + u" TO '%1' "_s + withClause, theirs);
    QVERIFY(!expected.isEmpty());
    QCOMPARE(readFile(ours), expected);
}

void tst_Copy::copyFromQueryToDeviceAndCallback()
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    QPg::CopyOptions csv;
    csv.format = QPg::CopyOptions::Format::Csv;
    QCOMPARE(await(m_con->copyFromQuery(u"SELECT id, txt FROM awkward WHERE id <= 2 ORDER BY id"_s, &buffer, csv)), 2);
    QCOMPARE(buffer.data(), QByteArray("1,plain\n2,\"comma, and \"\"quotes\"\"\"\n"));

    QList<QByteArray> chunks;
    QCOMPARE(await(m_con->copyFromQuery(u"SELECT g FROM generate_series(1, 3) g"_s,
                                        QPg::CopyOutput([&chunks](const QByteArray &c) { chunks.append(c); }))),
             3);
    QCOMPARE(chunks, (QList<QByteArray>{"1\n", "2\n", "3\n"}));
}

void tst_Copy::copyInImportsFileWrittenByPsql()
{
    // A CSV file written by another program (psql), imported and compared row by row.
    const QString path = m_dir.filePath(u"psql.csv"_s);
    psqlCopy(u"\\copy awkward TO '%1' WITH (FORMAT csv, HEADER true)"_s, path);
    QPg::CopyOptions csv;
    csv.format = QPg::CopyOptions::Format::Csv;
    csv.header = true;
    QCOMPARE(await(m_con->copyToTable(u"target"_s, path, csv)), 5);
    const QPg::RecordList differences = await(m_con->fetch(
        u"(SELECT * FROM awkward EXCEPT ALL SELECT * FROM target) UNION ALL (SELECT * FROM target EXCEPT ALL SELECT * FROM awkward)"_s));
    QCOMPARE(differences.size(), 0);
    QCOMPARE(await(m_con->fetchValue(u"SELECT count(*) FROM target"_s)).toLongLong(), 5LL);
    // NULL and empty string stay distinct.
    QVERIFY(await(m_con->fetchValue(u"SELECT note FROM target WHERE id = 2"_s)).isNull());
    QCOMPARE(await(m_con->fetchValue(u"SELECT note FROM target WHERE id = 3"_s)).toString(), QString(u""_s));
}

void tst_Copy::copyInFromAsyncSource()
{
    QList<QByteArray> chunks = {"1\tone\t2\t0.5\n2\ttw", "o\t3\t1.5\n", "3\tthree\t\\N\t\\N\n"};
    int next = 0;
    QPg::CopyInput source([&chunks, &next]() -> QFuture<QByteArray> {
        // Each chunk arrives later, from the event loop.
        auto promise = std::make_shared<QPromise<QByteArray>>();
        promise->start();
        const QByteArray chunk = next < chunks.size() ? chunks[next++] : QByteArray();
        QTimer::singleShot(5, [promise, chunk] {
            promise->addResult(chunk);
            promise->finish();
        });
        return promise->future();
    });
    QCOMPARE(await(m_con->copyToTable(u"items"_s, source)), 3);
    QCOMPARE(await(m_con->fetchValue(u"SELECT string_agg(name, ',' ORDER BY id) FROM items"_s)).toString(), u"one,two,three"_s);
    QVERIFY(await(m_con->fetchValue(u"SELECT qty FROM items WHERE id = 3"_s)).isNull());
}

void tst_Copy::malformedCsvIsRejectedWithLineAndTableUnchanged()
{
    await(m_con->execute(u"INSERT INTO items VALUES (100, 'kept', 1, 1)"_s));
    const QString path = m_dir.filePath(u"bad.csv"_s);
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("id,name,qty,price\n1,a,1,1.0\n2,b,2,2.0\n3,c,not-a-number,3.0\n4,d,4,4.0\n");
    file.close();
    QPg::CopyOptions csv;
    csv.format = QPg::CopyOptions::Format::Csv;
    csv.header = true;
    auto error = awaitError<QPg::InvalidTextRepresentationError>(m_con->copyToTable(u"items"_s, path, csv));
    QVERIFY(error);
    QVERIFY2(error->context().contains(u"line 4"), qPrintable(error->context()));
    QCOMPARE(await(m_con->fetchValue(u"SELECT count(*) FROM items"_s)).toLongLong(), 1LL);
    QVERIFY(awaitError<QPg::InterfaceError>(m_con->copyToTable(u"items"_s, m_dir.filePath(u"missing.csv"_s), csv)));
}

void tst_Copy::failingSourceLeavesTableUnchanged()
{
    int calls = 0;
    QPg::CopyInput source([&calls]() -> QFuture<QByteArray> {
        if (++calls == 1)
            return QtFuture::makeReadyFuture(QByteArray("1\tone\t1\t1\n"));
        QPromise<QByteArray> promise;
        promise.start();
        promise.setException(QPg::Error(u"disk on fire"_s));
        promise.finish();
        return promise.future();
    });
    auto error = awaitError<QPg::InterfaceError>(m_con->copyToTable(u"items"_s, source));
    QVERIFY(error);
    QVERIFY(error->message().contains(u"disk on fire"));
    QCOMPARE(await(m_con->fetchValue(u"SELECT count(*) FROM items"_s)).toLongLong(), 0LL);
}

void tst_Copy::cancelledCopyStopsOnServer()
{
    // Every row sleeps in a trigger, so the data is all sent long before the server is done.
    await(m_con->execute(u"CREATE FUNCTION pg_temp.slow() RETURNS trigger LANGUAGE plpgsql AS"
                         u" $$ BEGIN PERFORM pg_sleep(10); RETURN NEW; END $$;"
                         u"CREATE TRIGGER slow BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION pg_temp.slow()"_s));
    QBuffer input;
    input.setData("1\tone\t1\t1\n2\ttwo\t2\t2\n");
    input.open(QIODevice::ReadOnly);
    QFuture<qint64> copy = m_con->copyToTable(u"items"_s, &input);
    auto admin = std::make_unique<QPg::Connection>(dsn());
    await(admin->open());
    QTRY_COMPARE(await(admin->fetchValue(u"SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND state = 'active'"_s,
                                         m_con->backendPid())).toLongLong(), 1LL);
    QElapsedTimer elapsed;
    elapsed.start();
    copy.cancel();
    QVERIFY(waitFor(copy));
    QVERIFY(copy.isCanceled());
    // The server stopped: the next command runs well before the 20 s the COPY would take.
    QCOMPARE(await(m_con->fetchValue(u"SELECT count(*) FROM items"_s)).toLongLong(), 0LL);
    QVERIFY2(elapsed.elapsed() < 8000, qPrintable(QString::number(elapsed.elapsed())));
    await(m_con->execute(u"DROP TRIGGER slow ON items"_s));
}

void tst_Copy::copyRecordsToTable()
{
    QPg::CopyOptions options;
    options.columns = {u"id"_s, u"txt"_s, u"bin"_s, u"num"_s, u"note"_s};
    const QList<QVariantList> records = {
        {1, u"tab\tand\nnewline \\ back"_s, QByteArray("\x00\x01", 2), u"1.25"_s, QVariant::fromValue(nullptr)},
        {2, u""_s, QByteArray(), 7, u"Zürich"_s},
    };
    QCOMPARE(await(m_con->copyRecordsToTable(u"target"_s, records, options)), 2);
    const QPg::Record first = await(m_con->fetchRow(u"SELECT * FROM target WHERE id = 1"_s));
    QCOMPARE(first[u"txt"].toString(), u"tab\tand\nnewline \\ back"_s);
    QCOMPARE(first[u"bin"].toByteArray(), QByteArray("\x00\x01", 2));
    QCOMPARE(first[u"num"].toString(), u"1.25"_s);
    QVERIFY(first[u"note"].isNull());
    QCOMPARE(await(m_con->fetchValue(u"SELECT note FROM target WHERE id = 2"_s)).toString(), u"Zürich"_s);

    options.where = u"id > 1"_s;
    QCOMPARE(await(m_con->copyRecordsToTable(u"target"_s, records, options)), 1);

    // A domain counts as its base type (binary COPY); an enum has no binary encoder (text COPY).
    await(m_con->execute(u"DROP TABLE IF EXISTS typed; DROP DOMAIN IF EXISTS positive; DROP TYPE IF EXISTS mood;"
                         u"CREATE DOMAIN positive AS int CHECK (VALUE > 0); CREATE TYPE mood AS ENUM ('sad', 'happy');"
                         u"CREATE TABLE typed (p positive, m mood)"_s));
    QCOMPARE(await(m_con->copyRecordsToTable(u"typed"_s, {{1, u"happy"_s}, {2, u"sad"_s}})), 2);
    QCOMPARE(await(m_con->fetchValue(u"SELECT string_agg(m::text, ',' ORDER BY p) FROM typed"_s)).toString(), u"happy,sad"_s);
    // A value the column cannot hold fails the whole COPY.
    QVERIFY(awaitError<QPg::CheckViolationError>(m_con->copyRecordsToTable(u"typed"_s, {{3, u"sad"_s}, {-1, u"sad"_s}})));
    QVERIFY(awaitError<QPg::InterfaceError>(m_con->copyRecordsToTable(u"items"_s, {{1, u"x"_s, u"not a number"_s, 1.0}})));
    QVERIFY(awaitError<QPg::InterfaceError>(m_con->copyRecordsToTable(u"items"_s, {{1}}, {.columns = {u"nope"_s}})));
    QCOMPARE(await(m_con->fetchValue(u"SELECT count(*) FROM typed"_s)).toLongLong(), 2LL);
    await(m_con->execute(u"DROP TABLE typed; DROP DOMAIN positive; DROP TYPE mood"_s));

    // The column types are remembered per table, and forgotten when the table changes: here on
    // this connection, then on another one (the failed COPY makes this connection look again).
    await(m_con->execute(u"CREATE TABLE evolving (a int)"_s));
    QCOMPARE(await(m_con->copyRecordsToTable(u"evolving"_s, {{1}})), 1);
    await(m_con->execute(u"ALTER TABLE evolving ADD COLUMN b text"_s));
    QCOMPARE(await(m_con->copyRecordsToTable(u"evolving"_s, {{2, u"two"_s}})), 1);
    QPg::Connection other(dsn());
    await(other.open());
    await(other.execute(u"ALTER TABLE evolving ALTER COLUMN a TYPE int8"_s));
    QVERIFY(awaitError<QPg::ServerError>(m_con->copyRecordsToTable(u"evolving"_s, {{3, u"three"_s}})));
    QCOMPARE(await(m_con->copyRecordsToTable(u"evolving"_s, {{3, u"three"_s}})), 1);
    QCOMPARE(await(m_con->fetchValue(u"SELECT sum(a) FROM evolving"_s)).toLongLong(), 6LL);
    await(m_con->execute(u"DROP TABLE evolving"_s));
}

void tst_Copy::copyMillionRecords()
{
    QList<QVariantList> records;
    records.reserve(1000000);
    for (int i = 0; i < 1000000; ++i)
        records.append({i, u"name"_s, i % 100, 0.25});
    QCOMPARE(await(m_con->copyRecordsToTable(u"items"_s, records), 120000), 1000000);
    QCOMPARE(await(m_con->fetchValue(u"SELECT count(*), sum(qty) FROM items"_s)).toLongLong(), 1000000LL);
}

void tst_Copy::copyWrongTypedValueLeavesTableUnchanged()
{
    // Far enough into the records that earlier chunks are on the server already.
    QList<QVariantList> records;
    for (int i = 0; i < 100000; ++i)
        records.append({i, u"name"_s, i % 100, 0.25});
    records[60000][2] = u"many"_s; // qty is int
    auto error = awaitError<QPg::InterfaceError>(m_con->copyRecordsToTable(u"items"_s, records), 60000);
    QVERIFY(error);
    QVERIFY2(QString::fromUtf8(error->what()).contains(u"record 60000, column 3: cannot encode \"many\" (QString) as PostgreSQL int4"_s),
             error->what());
    records[60000][2] = 2.5; // not an integer either
    error = awaitError<QPg::InterfaceError>(m_con->copyRecordsToTable(u"items"_s, records), 60000);
    QVERIFY(error);
    QVERIFY2(QString::fromUtf8(error->what()).contains(u"record 60000, column 3"_s), error->what());
    records[60000][3] = u"cheap"_s; // price is float8; column 3 still fails first
    records[60000][2] = 3;
    error = awaitError<QPg::InterfaceError>(m_con->copyRecordsToTable(u"items"_s, records), 60000);
    QVERIFY(error);
    QVERIFY2(QString::fromUtf8(error->what()).contains(u"record 60000, column 4"_s), error->what());
    QCOMPARE(await(m_con->fetchValue(u"SELECT count(*) FROM items"_s)).toLongLong(), 0LL);
    // Every typed column's own Qt type, a NULL, and values converted exactly.
    records[60000] = {60000, u"Zürich ✓ 😀"_s, QVariant(), u"2.5"_s};
    QCOMPARE(await(m_con->copyRecordsToTable(u"items"_s, records), 60000), 100000);
    const QPg::Record row = await(m_con->fetchRow(u"SELECT name, qty, price FROM items WHERE id = 60000"_s));
    QCOMPARE(row[0].toString(), u"Zürich ✓ 😀"_s);
    QVERIFY(row[1].isNull());
    QCOMPARE(row[2].toDouble(), 2.5);
    QCOMPARE(await(m_con->fetchValue(u"SELECT sum(qty) FROM items"_s)).toLongLong(), 4950LL * 1000);
}

void tst_Copy::copyProgressIsSignalled()
{
    QSignalSpy progress(m_con.get(), &QPg::Connection::copyProgress);
    QCOMPARE(await(m_con->copyFromQuery(u"SELECT g, repeat('x', 100) FROM generate_series(1, 20000) g"_s,
                                        QPg::CopyOutput([](const QByteArray &) {}))),
             20000);
    QVERIFY(progress.count() >= 1);
    QCOMPARE(progress.last().at(1).toLongLong(), 20000LL);
    QVERIFY(progress.last().at(0).toLongLong() > 2000000);
}

void tst_Copy::cursorFetchesInChunks()
{
    QPg::Cursor cursor = m_con->cursor(u"SELECT g FROM generate_series(1, $1) g"_s, {25});
    QCOMPARE(await(cursor.fetch(10)).size(), 10);
    const QPg::RecordList second = await(cursor.fetch(10));
    QCOMPARE(second.first()[0].toInt(), 11);
    QVERIFY(!cursor.atEnd());
    QCOMPARE(await(cursor.fetch(10)).size(), 5);
    QVERIFY(cursor.atEnd());
    QCOMPARE(await(cursor.fetch(10)).size(), 0);
    await(m_con->execute(u"SELECT 1"_s)); // the cursor's own transaction has ended
    QCOMPARE(m_con->transactionStatus(), QPg::Connection::TransactionStatus::Idle);
}

void tst_Copy::cursorKeepsCallersTransaction()
{
    QPg::Transaction tx = m_con->transaction();
    await(tx.start());
    await(m_con->execute(u"INSERT INTO items VALUES (1, 'in tx', 1, 1)"_s));
    QPg::Cursor cursor = m_con->cursor(u"SELECT name FROM items"_s);
    QCOMPARE(await(cursor.fetch(100)).first()[0].toString(), u"in tx"_s);
    await(m_con->execute(u"SELECT 1"_s)); // after the cursor's CLOSE
    QCOMPARE(m_con->transactionStatus(), QPg::Connection::TransactionStatus::InTransaction);
    await(tx.rollback());
    QCOMPARE(await(m_con->fetchValue(u"SELECT count(*) FROM items"_s)).toLongLong(), 0LL);
}

void tst_Copy::cursorReportsQueryError()
{
    QPg::Cursor cursor = m_con->cursor(u"SELECT * FROM no_such_table"_s);
    auto error = awaitError<QPg::UndefinedTableError>(cursor.fetch(10));
    QVERIFY(error);
    QCOMPARE(error->position(), 15); // in the caller's SQL, not in the DECLARE around it
    QCOMPARE(await(m_con->fetchValue(u"SELECT 2"_s)).toInt(), 2);
    QCOMPARE(m_con->transactionStatus(), QPg::Connection::TransactionStatus::Idle);
}

void tst_Copy::streamsTwoMillionRowsInBoundedMemory()
{
    const qint64 before = statusKiB("VmRSS");
    qint64 peak = before;
    qint64 sum = 0;
    const qint64 rows = await(m_con->stream(u"SELECT g, repeat('x', 100) FROM generate_series(1, 2000000) g"_s, {},
                                            [&](const QPg::RecordList &chunk) {
                                                for (const QPg::Record &r : chunk)
                                                    sum += r.value(0).toLongLong();
                                                peak = std::max(peak, statusKiB("VmRSS"));
                                                return true;
                                            }, 20000), 300000);
    QCOMPARE(rows, 2000000LL);
    QCOMPARE(sum, 2000000LL * 2000001 / 2);
    // Held at once, the result would take well over 300 MB.
#if defined(__SANITIZE_ADDRESS__)
    const qint64 limitKiB = 160 * 1024; // shadow memory and a (reduced) quarantine come on top
#else
    const qint64 limitKiB = 64 * 1024;
#endif
    QVERIFY2(peak - before < limitKiB, qPrintable(u"grew by %1 KiB"_s.arg(peak - before)));
    QCOMPARE(m_con->transactionStatus(), QPg::Connection::TransactionStatus::Idle);

    // Stopping early closes the cursor.
    int chunks = 0;
    QCOMPARE(await(m_con->stream(u"SELECT generate_series(1, 1000)"_s, {}, [&](const QPg::RecordList &) {
                 return ++chunks < 2;
             }, 100)),
             200LL);
    await(m_con->execute(u"SELECT 1"_s));
    QCOMPARE(m_con->transactionStatus(), QPg::Connection::TransactionStatus::Idle);
}

QTEST_MAIN(tst_Copy)
#include "tst_copy.moc"
