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
            QPg::PoolOptions options = QPg::PoolOptions::fromDsn(dsn());
            options.minSize = 1;
            options.maxSize = 1;
            QPg::Pool pool(options);
            await(pool.open());
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
            QPg::PoolOptions options = QPg::PoolOptions::fromDsn(dsn());
            options.minSize = 1;
            options.maxSize = 1;
            QPg::Pool pool(options);
            await(pool.open());
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
};

QTEST_MAIN(tst_ConnectionRegressions)
#include "tst_connection_regressions.moc"
