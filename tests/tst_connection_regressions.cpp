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
};

QTEST_MAIN(tst_ConnectionRegressions)
#include "tst_connection_regressions.moc"
