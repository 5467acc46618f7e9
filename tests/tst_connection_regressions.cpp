// SPDX-License-Identifier: MIT
// Regression tests for defects found in Connection, Transaction, Cursor, COPY and the connection
// parameters (issue 9). Each test failed before its fix.
#include <QPg/connection.h>
#include <QPg/pool.h>

#include "await.h"
#include "openconnection.h"
#include "testserver.h"

#include <QtCore/QBuffer>
#include <QtCore/QLoggingCategory>
#include <QtCore/QPointer>
#include <QtCore/QSize>
#include <QtCore/QUuid>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace std::chrono_literals;
using namespace Qt::Literals::StringLiterals;
using namespace QPgTest;

namespace {

// One connection, so the next holder gets the session the previous one released.
std::unique_ptr<QPg::Pool> openSingleConnectionPool()
{
    QPg::PoolOptions options = QPg::PoolOptions::fromDsn(dsn());
    options.minSize = 1;
    options.maxSize = 1;
    auto pool = std::make_unique<QPg::Pool>(options);
    await(pool->open());
    return pool;
}

// A sequential device that delivers data only when the test pushes it, like a slow pipe.
class TrickleDevice : public QIODevice
{
    Q_OBJECT
public:
    TrickleDevice() { open(QIODevice::ReadOnly); }
    bool isSequential() const override { return true; }
    qint64 bytesAvailable() const override { return m_data.size() + QIODevice::bytesAvailable(); }
    bool atEnd() const override { return m_finished && bytesAvailable() == 0; }
    void push(const QByteArray &data)
    {
        m_data += data;
        Q_EMIT readyRead();
    }
    int waiters() const
    {
        return receivers(SIGNAL(readyRead())) + receivers(SIGNAL(readChannelFinished()));
    }
    bool drained() const { return m_data.isEmpty(); }

protected:
    qint64 readData(char *data, qint64 maxSize) override
    {
        const qint64 n = std::min<qint64>(maxSize, m_data.size());
        memcpy(data, m_data.constData(), size_t(n));
        m_data.remove(0, n);
        return n;
    }
    qint64 writeData(const char *, qint64) override { return -1; }

private:
    QByteArray m_data;
    bool m_finished = false;
};

// Every message Qt logs while the handler is installed.
QStringList g_logged;
void captureMessage(QtMsgType, const QMessageLogContext &context, const QString &message)
{
    g_logged.append(QString::fromUtf8(context.category ? context.category : "") + u' ' + message);
}

} // namespace

class tst_ConnectionRegressions : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Issue 9 #2: a row of the wrong length was found while the pipeline was written, after the
    // rows before it; the Sync still went out and committed them.
    void batchWithWrongRowLengthSendsNothing()
    {
        auto con = openConnection();
        await(con->execute(u"DROP TABLE IF EXISTS reg_batch; CREATE TABLE reg_batch (a int, b int)"_s));
        const QList<QVariantList> shortRow = {QVariantList{1, 2}, QVariantList{3, 4}, QVariantList{5}};
        QVERIFY(awaitError<QPg::InterfaceError>(con->executeMany(u"INSERT INTO reg_batch VALUES ($1, $2)"_s, shortRow)));
        const QList<QVariantList> longRow = {QVariantList{1, 2}, QVariantList{3, 4, 5}};
        QVERIFY(awaitError<QPg::InterfaceError>(
            con->fetchMany(u"INSERT INTO reg_batch VALUES ($1, $2) RETURNING a"_s, longRow)));
        const QList<QVariantList> unencodable = {QVariantList{1, 2}, QVariantList{3, QVariant::fromValue(QSize(1, 2))}};
        QVERIFY(awaitError<QPg::InterfaceError>(con->executeMany(u"INSERT INTO reg_batch VALUES ($1, $2)"_s, unencodable)));
        QCOMPARE(await(con->fetchValue(u"SELECT count(*) FROM reg_batch"_s)).toLongLong(), 0LL);
        QCOMPARE(con->queryCount(), 2); // the DDL and the count: no batch reached the server
        await(con->execute(u"DROP TABLE reg_batch"_s));
    }

    // Issue 9 #4/#21: a Transaction or Cursor outliving its pooled lease sent ROLLBACK, COMMIT or
    // CLOSE into the next holder's session. (Needs the pool to bump the lease epoch on release.)
    void transactionAndCursorAfterReleaseSendNothing()
    {
        try {
            const std::unique_ptr<QPg::Pool> owner = openSingleConnectionPool();
            QPg::Pool &pool = *owner;
            await(pool.execute(u"DROP TABLE IF EXISTS reg_release; CREATE TABLE reg_release (v text)"_s));

            QPg::PooledConnection first = await(pool.acquire());
            QPg::Connection *raw = first.connection();
            auto outer = std::make_unique<QPg::Transaction>(raw->transaction());
            await(outer->start());
            QPg::Transaction inner = raw->transaction();
            await(inner.start());
            QPg::Cursor cursor = raw->cursor(u"SELECT generate_series(1, 10)"_s);
            QCOMPARE(await(cursor.fetch(2)).size(), 2);
            await(first.release());

            // maxSize 1: the next holder gets the same session.
            QPg::PooledConnection second = await(pool.acquire());
            QCOMPARE(second.connection(), raw);
            QPg::Transaction mine = raw->transaction();
            await(mine.start());
            QVERIFY(!mine.isNested());
            await(second.execute(u"INSERT INTO reg_release VALUES ($1)"_s, {u"kept"_s}));
            const qint64 sent = raw->queryCount();

            QVERIFY(awaitError<QPg::ConnectionReleasedError>(inner.commit()));
            QVERIFY(awaitError<QPg::ConnectionReleasedError>(cursor.fetch(2)));
            QVERIFY(awaitError<QPg::ConnectionReleasedError>(cursor.close()));
            outer.reset(); // no ROLLBACK of the next holder's transaction
            QCOMPARE(raw->pendingOperations(), 0);
            QCOMPARE(raw->queryCount(), sent);

            await(mine.commit());
            QCOMPARE(await(second.fetchValue(u"SELECT count(*) FROM reg_release"_s)).toLongLong(), 1LL);
            await(second.execute(u"DROP TABLE reg_release"_s));
            await(second.release());
            await(pool.close());
        } catch (const std::exception &e) {
            QFAIL(e.what()); // keeps a failure here from aborting the other tests
        }
    }

    // A stream whose lease ended fails instead of reading the next holder's session.
    void streamAfterReleaseFails()
    {
        try {
            const std::unique_ptr<QPg::Pool> owner = openSingleConnectionPool();
            QPg::Pool &pool = *owner;
            QPg::PooledConnection first = await(pool.acquire());
            QPg::Connection *raw = first.connection();
            QFuture<void> released;
            QFuture<qint64> streamed = raw->stream(u"SELECT generate_series(1, 100)"_s, {},
                                                   [&](const QPg::RecordList &) {
                                                       if (!released.isValid())
                                                           released = first.release();
                                                       return true;
                                                   }, 10);
            QVERIFY(awaitError<QPg::ConnectionReleasedError>(streamed));
            await(released);
            QPg::PooledConnection second = await(pool.acquire());
            QCOMPARE(await(second.fetchValue(u"SELECT 1"_s)).toInt(), 1);
            QCOMPARE(second.connection()->transactionStatus(), QPg::Connection::TransactionStatus::Idle);
            await(second.release());
            await(pool.close());
        } catch (const std::exception &e) {
            QFAIL(e.what()); // keeps a failure here from aborting the other tests
        }
    }

    // Issue 9 #5: cursor() decided on BEGIN from the instantaneous status, which reads Active
    // whenever a command is queued: an unawaited query made it skip BEGIN (DECLARE: 25P01).
    void cursorAfterUnawaitedQueryOpensItsTransaction()
    {
        auto con = openConnection();
        QFuture<QString> before = con->execute(u"SELECT 1"_s);
        QPg::Cursor cursor = con->cursor(u"SELECT generate_series(1, 5)"_s);
        QCOMPARE(await(cursor.fetch(10)).size(), 5);
        await(cursor.close());
        await(before);
        QCOMPARE(con->transactionStatus(), QPg::Connection::TransactionStatus::Idle);

        // The same through stream().
        QFuture<QString> again = con->execute(u"SELECT 2"_s);
        QCOMPARE(await(con->stream(u"SELECT generate_series(1, 7)"_s, {}, [](const QPg::RecordList &) { return true; }, 3)),
                 7LL);
        await(again);
        QCOMPARE(con->transactionStatus(), QPg::Connection::TransactionStatus::Idle);
    }

    // An unawaited BEGIN: the cursor runs inside the caller's transaction and must not COMMIT it.
    void cursorAfterUnawaitedBeginKeepsCallersTransaction()
    {
        auto con = openConnection();
        QFuture<QString> begin = con->execute(u"BEGIN"_s);
        QPg::Cursor cursor = con->cursor(u"SELECT generate_series(1, 5)"_s);
        QCOMPARE(await(cursor.fetch(10)).size(), 5);
        await(cursor.close());
        await(begin);
        QCOMPARE(con->transactionStatus(), QPg::Connection::TransactionStatus::InTransaction);
        await(con->execute(u"ROLLBACK"_s));
    }

    // An unawaited COMMIT: the transaction is gone by the time DECLARE runs, so the cursor needs one.
    void cursorAfterUnawaitedCommitOpensItsTransaction()
    {
        auto con = openConnection();
        await(con->execute(u"BEGIN"_s));
        QFuture<QString> commit = con->execute(u"COMMIT"_s);
        QPg::Cursor cursor = con->cursor(u"SELECT generate_series(1, 5)"_s);
        QCOMPARE(await(cursor.fetch(10)).size(), 5);
        await(cursor.close());
        await(commit);
        QCOMPARE(con->transactionStatus(), QPg::Connection::TransactionStatus::Idle);
    }

    // Issue 9 #3: COPY from a sequential device connected readyRead with raw pointers to the
    // connection and the operation, one more connection per wait, never disconnected.
    void copyFromSlowDeviceEndsCleanlyOnTerminate()
    {
        auto con = openConnection();
        await(con->execute(u"DROP TABLE IF EXISTS reg_copy_slow; CREATE TABLE reg_copy_slow (v int)"_s));
        TrickleDevice device;
        device.push("1\n");
        QFuture<qint64> copy = con->copyToTable(u"reg_copy_slow"_s, QPg::CopyInput(&device));
        QTRY_VERIFY(device.drained() && device.waiters() > 0);
        for (int i = 2; i < 6; ++i) {
            device.push(QByteArray::number(i) + '\n');
            QTRY_VERIFY(device.drained());
        }
        QCOMPARE(device.waiters(), 2); // readyRead and readChannelFinished, once each
        con->terminate();
        QVERIFY(awaitError<QPg::ConnectionLostError>(copy));
        QCOMPARE(device.waiters(), 0);
        device.push("7\n"); // nothing listens any more
        QVERIFY(!device.drained());
        auto check = openConnection();
        QCOMPARE(await(check->fetchValue(u"SELECT count(*) FROM reg_copy_slow"_s)).toLongLong(), 0LL);
        await(check->execute(u"DROP TABLE reg_copy_slow"_s));
    }

    // The connection is deleted while the COPY waits for the device: a later readyRead must not
    // reach the freed connection (ASan).
    void copyFromSlowDeviceSurvivesConnectionDeletion()
    {
        auto con = openConnection();
        await(con->execute(u"CREATE TEMP TABLE reg_copy_gone (v int)"_s));
        TrickleDevice device;
        device.push("1\n");
        QFuture<qint64> copy = con->copyToTable(u"reg_copy_gone"_s, QPg::CopyInput(&device));
        QTRY_VERIFY(device.drained() && device.waiters() > 0);
        con.reset();
        QVERIFY(awaitError<QPg::ConnectionLostError>(copy));
        device.push("2\n");
        QCOMPARE(device.waiters(), 0);
    }

    // Issue 9 #18: the column lookup of copyRecordsToTable included generated columns, which
    // COPY cannot be given.
    void copyRecordsSkipsGeneratedColumns()
    {
        auto con = openConnection();
        await(con->execute(u"CREATE TEMP TABLE reg_generated (a int, doubled int GENERATED ALWAYS AS (a * 2) STORED, b text)"_s));
        QCOMPARE(await(con->copyRecordsToTable(u"reg_generated"_s, {QVariantList{1, u"x"_s}, QVariantList{2, u"y"_s}})), 2LL);
        QCOMPARE(await(con->fetchValue(u"SELECT sum(doubled) FROM reg_generated"_s)).toLongLong(), 6LL);
        QCOMPARE(await(con->fetchValue(u"SELECT string_agg(b, ',' ORDER BY a) FROM reg_generated"_s)).toString(), u"x,y"_s);
    }

    // Issue 9 #27: libpq's parse errors quote the text they choke on, password included, and that
    // text reached open()'s error, the pool's errors and the qpgpool.* log.
    void connectionStringErrorsHideThePassword()
    {
        const QStringList dsns = {
            u"postgresql://someone:pw%ZZs3cr3t@127.0.0.1/qpgtest"_s,
            u"postgresql://someone:pws3cr3t@[::1/qpgtest"_s,
            u"postgresql://someone@127.0.0.1/qpgtest?password=pw%ZZs3cr3t"_s,
            u"host=127.0.0.1 password=pw s3cr3t dbname=qpgtest"_s,
        };
        g_logged.clear();
        QLoggingCategory::setFilterRules(u"qpgpool.*=true"_s);
        const QtMessageHandler previous = qInstallMessageHandler(captureMessage);
        QStringList errors;
        for (const QString &text : dsns) {
            QPg::Connection con(text);
            const auto error = awaitError<QPg::InterfaceError>(con.open());
            QVERIFY2(error, qPrintable(text));
            errors.append(error->message());
            QPg::PoolOptions options = QPg::PoolOptions::fromDsn(text);
            options.minSize = 1;
            QPg::Pool pool(options);
            const auto poolError = awaitError<QPg::Error>(pool.open());
            QVERIFY(poolError);
            errors.append(poolError->message());
        }
        qInstallMessageHandler(previous);
        QLoggingCategory::setFilterRules(QString());
        for (const QString &error : std::as_const(errors)) {
            QVERIFY2(!error.contains(u"s3cr3t"), qPrintable(error));
            QVERIFY2(error.startsWith(u"invalid connection string"), qPrintable(error));
        }
        for (const QString &line : std::as_const(g_logged))
            QVERIFY2(!line.contains(u"s3cr3t"), qPrintable(line));
    }

    // Startup options are split on any whitespace, but only spaces were escaped: a tab or newline
    // in a server setting's value started another "-c" option.
    void serverSettingsCannotInjectOptions()
    {
        QPg::ConnectOptions options = QPg::ConnectOptions::fromDsn(dsn());
        const QString value = u"a\t-c\tsearch_path=evil\n-c\vwork_mem=77kB\r\f x\\y"_s;
        options.serverSettings.insert(u"qpg.regression"_s, value);
        options.serverSettings.insert(u"application_name"_s, u"app\t-c\tsearch_path=evil"_s);
        auto con = openConnection(options);
        QCOMPARE(await(con->fetchValue(u"SELECT current_setting('qpg.regression')"_s)).toString(), value);
        QVERIFY(!await(con->fetchValue(u"SHOW search_path"_s)).toString().contains(u"evil"));
        QVERIFY(await(con->fetchValue(u"SHOW work_mem"_s)).toString() != u"77kB");
        QVERIFY(await(con->fetchValue(u"SHOW application_name"_s)).toString().startsWith(u"app"));
    }

    // Issue 9 #15: a failed LISTEN left the channel registered, so addListener never issued
    // LISTEN again.
    void failedListenCanBeRetried()
    {
        auto con = openConnection();
        await(con->execute(u"BEGIN"_s));
        QVERIFY(awaitError<QPg::ServerError>(con->execute(u"SELECT 1/0"_s)));
        QVERIFY(awaitError<QPg::InFailedSqlTransactionError>(
            con->addListener(u"reg_chan"_s, [](const QPg::Notification &) {})));
        QVERIFY(!con->listenedChannels().contains(u"reg_chan"_s));
        await(con->execute(u"ROLLBACK"_s));
        QStringList payloads;
        await(con->addListener(u"reg_chan"_s, [&payloads](const QPg::Notification &n) { payloads.append(n.payload); }));
        await(con->execute(u"NOTIFY reg_chan, 'hello'"_s));
        QTRY_COMPARE(payloads, QStringList{u"hello"_s});
    }

    // Issue 9 #11: a stale plan met inside a transaction was never evicted, so the statement failed
    // in every later transaction; and it was recognised by its English message text only.
    void stalePlanInTransactionIsEvicted()
    {
        auto con = openConnection();
        await(con->execute(u"CREATE TEMP TABLE reg_stale (a int); INSERT INTO reg_stale VALUES (1)"_s));
        const QString select = u"SELECT * FROM reg_stale"_s;
        await(con->fetch(select));
        QCOMPARE(await(con->fetch(select)).size(), 1); // prepared and cached
        await(con->execute(u"ALTER TABLE reg_stale ADD COLUMN b int DEFAULT 2"_s));

        await(con->execute(u"BEGIN"_s));
        const auto stale = awaitError<QPg::FeatureNotSupportedError>(con->fetch(select));
        QVERIFY(stale);
        QCOMPARE(stale->sqlState(), u"0A000"_s);
        QCOMPARE(stale->fields().sourceFunction, u"RevalidateCachedQuery"_s); // what detection uses
        await(con->execute(u"ROLLBACK"_s));

        await(con->execute(u"BEGIN"_s));
        const QPg::RecordList rows = await(con->fetch(select));
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows.first().value(u"b"_s).toInt(), 2);
        await(con->execute(u"COMMIT"_s));
    }

    // Outside a transaction the stale plan is retried transparently, whatever lc_messages says
    // (this machine has no translated locale, so the language cannot be changed here; the check
    // no longer reads the text).
    void stalePlanRetriedOutsideTransaction()
    {
        auto con = openConnection();
        await(con->execute(u"CREATE TEMP TABLE reg_stale2 (a int); INSERT INTO reg_stale2 VALUES (1)"_s));
        const QString select = u"SELECT * FROM reg_stale2"_s;
        await(con->fetch(select));
        await(con->fetch(select));
        await(con->execute(u"ALTER TABLE reg_stale2 ADD COLUMN b int DEFAULT 3"_s));
        QCOMPARE(await(con->fetch(select)).first().value(u"b"_s).toInt(), 3);
    }

    // Issue 9 #17: the first run of a statement sends its parameters as text, later runs in binary;
    // every supported parameter type must come back the same both times.
    void parametersSameOnFirstAndCachedRun_data()
    {
        QTest::addColumn<QVariant>("value");
        QTest::newRow("bool") << QVariant(true);
        QTest::newRow("int2") << QVariant::fromValue(qint16(-7));
        QTest::newRow("int4") << QVariant(123456);
        QTest::newRow("int8") << QVariant(qint64(-9223372036854775807LL));
        QTest::newRow("float4") << QVariant(1.25f);
        QTest::newRow("float8") << QVariant(0.1);
        QTest::newRow("text") << QVariant(u"Zürich \"quoted\" \\ back"_s);
        QTest::newRow("bytea") << QVariant(QByteArray("\x00\xff\\x", 4));
        QTest::newRow("date") << QVariant(QDate(2024, 2, 29));
        QTest::newRow("time") << QVariant(QTime(23, 59, 59, 123));
        QTest::newRow("timestamptz") << QVariant(QDateTime(QDate(2024, 2, 29), QTime(12, 0, 0, 5), Qt::UTC));
        QTest::newRow("uuid") << QVariant(QUuid(u"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"_s));
        QTest::newRow("int4[]") << QVariant(QVariantList{1, 2, 3});
        QTest::newRow("text[]") << QVariant(QStringList{u"a"_s, u"b c"_s, u"{\"}"_s});
    }

    void parametersSameOnFirstAndCachedRun()
    {
        QFETCH(QVariant, value);
        auto con = openConnection();
        const QVariant first = await(con->fetchValue(u"SELECT $1"_s, {value}));  // prepared: text parameters
        const QVariant cached = await(con->fetchValue(u"SELECT $1"_s, {value})); // cached: binary parameters
        QCOMPARE(cached.metaType(), first.metaType());
        QCOMPARE(cached, first);
    }

    // A custom codec for a built-in type is used on every run, not only on the first: the cached
    // run re-encoded the parameter with the built-in binary encoder.
    void customCodecUsedOnCachedRun()
    {
        auto con = openConnection();
        // Amounts as double in the application, whole cents (int4) in the database.
        await(con->setTypeCodec(
            u"int4"_s, QMetaType::fromType<double>(),
            [](const QVariant &v) { return QByteArray::number(qRound(v.toDouble() * 100)); },
            [](const QByteArray &text) { return QVariant(text.toInt() / 100.0); }));
        for (int run = 0; run < 3; ++run) {
            // A whole amount is one the built-in int4 encoder would also take, as 12 instead of 1200.
            QCOMPARE(await(con->fetchValue(u"SELECT $1::int4"_s, {12.0})).toDouble(), 12.0);
            QCOMPARE(await(con->fetchValue(u"SELECT $1::int4 = 1200"_s, {12.0})).toBool(), true);
            QCOMPARE(await(con->fetchValue(u"SELECT $1::int4"_s, {12.34})).toDouble(), 12.34);
        }
    }

    // A connection destroyed while setTypeCodec() still looks the type up: its future ends
    // (cancelled) instead of running a continuation on the dead connection, which Qt 6.4's
    // then(context) asserts on in debug builds.
    void connectionDestroyedDuringTypeCodecLookup()
    {
        auto con = openConnection();
        QFuture<void> codec = con->setTypeCodec(u"point"_s, QMetaType(), {}, [](const QByteArray &t) { return QVariant(t); });
        QVERIFY(!codec.isFinished());
        con.reset();
        QTRY_VERIFY(codec.isFinished());
        QVERIFY(codec.isCanceled());
    }

    // Issue 9 #19: a statement still being prepared when the cache was cleared (setTypeCodec, a
    // stale plan elsewhere in the pool) was neither cached nor ever deallocated.
    void statementPreparedDuringCacheClearIsDeallocated()
    {
        auto con = openConnection();
        for (int i = 0; i < 6; ++i) {
            // The codec's cache clear runs while the next query's Prepare is on its way.
            QFuture<void> codec = con->setTypeCodec(u"point"_s, QMetaType(), {}, [](const QByteArray &t) { return QVariant(t); });
            QFuture<QVariant> value = con->fetchValue(u"SELECT $1::int + %1"_s.arg(i), {1});
            await(codec);
            QCOMPARE(await(value).toInt(), 1 + i);
        }
        await(con->fetchValue(u"SELECT $1::int * 2"_s, {1})); // its Prepare sends what is due for DEALLOCATE
        const qlonglong prepared = await(con->fetchValue(u"SELECT count(*) FROM pg_prepared_statements"_s)).toLongLong();
        QVERIFY2(prepared <= 3, qPrintable(QString::number(prepared)));
    }

    // Callbacks may delete the connection they run on: the dispatch that called them must not
    // touch it afterwards (ASan).
    void deletingConnectionFromResultCallback()
    {
        QPg::Connection *con = openConnection().release();
        QPointer<QPg::Connection> alive(con);
        QFuture<QVariant> first = con->fetchValue(u"SELECT 1"_s);
        QFuture<QVariant> queued = con->fetchValue(u"SELECT 2"_s);
        auto deleted = first.then([con](const QVariant &) { delete con; });
        QTRY_VERIFY(alive.isNull());
        QVERIFY(awaitError<QPg::ConnectionLostError>(queued));
        await(deleted);
    }

    void deletingConnectionFromErrorCallback()
    {
        QPg::Connection *con = openConnection().release();
        QPointer<QPg::Connection> alive(con);
        QFuture<QVariant> failing = con->fetchValue(u"SELECT 1/0"_s);
        QFuture<QVariant> queued = con->fetchValue(u"SELECT 2"_s);
        auto deleted = failing.onFailed([con] {
            delete con;
            return QVariant();
        });
        QTRY_VERIFY(alive.isNull());
        QVERIFY(awaitError<QPg::ConnectionLostError>(queued));
        await(deleted);
    }

    void deletingConnectionFromConnectionLost()
    {
        QPg::Connection *con = openConnection().release();
        QPointer<QPg::Connection> alive(con);
        QObject::connect(con, &QPg::Connection::connectionLost, con, [con] { delete con; });
        QFuture<QVariant> running = con->fetchValue(u"SELECT pg_sleep(30)"_s);
        QFuture<QVariant> queued = con->fetchValue(u"SELECT 2"_s);
        auto killer = openConnection();
        QTRY_VERIFY(await(killer->fetchValue(u"SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND state = 'active'"_s,
                                             {con->backendPid()})).toInt() == 1);
        await(killer->fetchValue(u"SELECT pg_terminate_backend($1)"_s, {con->backendPid()}));
        QTRY_VERIFY(alive.isNull());
        QVERIFY(awaitError<QPg::ConnectionLostError>(running));
        QVERIFY(awaitError<QPg::ConnectionLostError>(queued));
    }

    void deletingConnectionFromFailedOpen()
    {
        QPg::Connection *con = new QPg::Connection(withDsnParameter(dsn(), u"dbname"_s, u"no_such_database"_s));
        QPointer<QPg::Connection> alive(con);
        auto deleted = con->open().onFailed([con] { delete con; });
        QTRY_VERIFY(alive.isNull());
        await(deleted);
    }
};

QTEST_MAIN(tst_ConnectionRegressions)
#include "tst_connection_regressions.moc"
