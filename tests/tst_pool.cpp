// SPDX-License-Identifier: MIT
// QPg::Pool against real PostgreSQL servers: the scenarios of asyncpg's pool tests, plus the places
// where QPgPool deliberately behaves better.
#include <QPg/pool.h>

#include "await.h"
#include "pooltest.h"
#include "privatecluster.h"
#include "testserver.h"

#include <QtCore/QBuffer>
#include <QtCore/QElapsedTimer>
#include <QtCore/QThread>
#include <QtNetwork/QTcpServer>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace std::chrono_literals;
using namespace Qt::Literals::StringLiterals;
using namespace QPgTest;

namespace {

void terminateBackend(int pid)
{
    QPg::Connection admin(dsn());
    await(admin.open());
    QVERIFY(await(admin.fetchValue(u"SELECT pg_terminate_backend($1)"_s, pid)).toBool());
}

} // namespace

class tst_Pool : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void opensMinSizeAndReportsSizes();
    void invalidSizesAreRejected();
    void failsFastWhenServerIsDownAtOpen();
    void wrongPasswordFailsOpenAndLeavesNothing();
    void fiftyCallersShareTenConnections();
    void hookCounts();
    void releaseInsideTransactionRollsBack();
    void doubleReleaseIsHarmless();
    void releaseFuturesAreIndependent();
    void foreignReleaseIsInterfaceError();
    void useAfterReleaseIsReleasedError();
    void handleReleasesOnDestruction();
    void tryAcquireTakesOnlyAFreeIdleConnection();
    void tryAcquireLeavesSetupHooksToAcquire();
    void smartResetSkipsRoundTripUnlessSessionChanged();
    void alwaysResetRunsAsyncpgQuery();
    void expireWhileAcquiredClosesAtRelease();
    void setConnectArgsAndExpire();
    void cancelQueryByConnectionId();
    void idleLifetimeClosesDownToFloor();
    void floorRefillsAfterBrokenConnection();
    void maxQueriesRecycles();
    void terminatedAcquiredConnectionHeals();
    void disconnectClassErrorEvicts();
    void acquireTimeoutWhenExhausted();
    void fifoOrderOfHundredWaiters();
    void cancelledAndTimedOutAcquiresLeakNothing();
    void closeWaitsForRelease();
    void closeTimeoutTerminates();
    void terminateFailsWaitersAndQueries();
    void callsFromSecondThread();
    void statsAndConnectionInfo();
    void leakDetection();
    void serverRestartUnderLivePool();
};

void tst_Pool::opensMinSizeAndReportsSizes()
{
    auto pool = openPool(poolOptions(3, 5));
    QCOMPARE(pool->size(), 3);
    QCOMPARE(pool->idleSize(), 3);
    QCOMPARE(pool->minSize(), 3);
    QCOMPARE(pool->maxSize(), 5);
    QCOMPARE(pool->waitingCount(), 0);
    QVERIFY(pool->isOpen());
    QVERIFY(!pool->isClosing());
    QCOMPARE(await(pool->fetchValue(u"SELECT $1::int + 1"_s, 41)).toInt(), 42);
    QCOMPARE(await(pool->execute(u"SELECT 1"_s)), u"SELECT 1"_s);
    QCOMPARE(await(pool->fetch(u"SELECT generate_series(1, 3)"_s)).size(), 3);
    QCOMPARE(await(pool->fetchRow(u"SELECT 1 AS a"_s)).value(u"a").toInt(), 1);
    // Batches and COPY through the pool.
    await(pool->execute(u"CREATE TEMP TABLE IF NOT EXISTS pooled (v int)"_s));
    await(pool->execute(u"DROP TABLE IF EXISTS pool_batch; CREATE TABLE pool_batch (v int)"_s));
    await(pool->executeMany(u"INSERT INTO pool_batch VALUES ($1)"_s, {{1}, {2}, {3}}));
    QCOMPARE(await(pool->fetchMany(u"SELECT $1::int * 10"_s, {{1}, {2}})).size(), 2);
    QCOMPARE(await(pool->copyRecordsToTable(u"pool_batch"_s, {{4}, {5}})), 2);
    QByteArray copied;
    QCOMPARE(await(pool->copyFromTable(u"pool_batch"_s, QPg::CopyOutput([&copied](const QByteArray &c) { copied += c; }))), 5);
    QCOMPARE(copied, QByteArray("1\n2\n3\n4\n5\n"));
    QCOMPARE(await(pool->copyFromQuery(u"SELECT 1"_s, QPg::CopyOutput([](const QByteArray &) {}))), 1);
    QBuffer input;
    input.setData("6\n");
    input.open(QIODevice::ReadOnly);
    QCOMPARE(await(pool->copyToTable(u"pool_batch"_s, &input)), 1);
    await(pool->execute(u"DROP TABLE pool_batch"_s));
    QCOMPARE(pool->idleSize(), 3);

    await(pool->close());
    QVERIFY(pool->isClosing());
    QCOMPARE(pool->size(), 0);
    QVERIFY(awaitError<QPg::PoolClosedError>(pool->acquire()));
}

void tst_Pool::invalidSizesAreRejected()
{
    QPg::Pool pool(poolOptions(5, 2));
    QVERIFY(awaitError<QPg::InterfaceError>(pool.open()));
}

void tst_Pool::failsFastWhenServerIsDownAtOpen()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    const quint16 port = probe.serverPort();
    probe.close();
    QPg::Pool pool(poolOptions(2, 4, u"host=127.0.0.1 port=%1 user=postgres connect_timeout=5"_s.arg(port)));
    QElapsedTimer elapsed;
    elapsed.start();
    QVERIFY(awaitError<QPg::ConnectionError>(pool.open()));
    QVERIFY(elapsed.elapsed() < 3000);
    QCOMPARE(pool.size(), 0);
    QVERIFY(!pool.isOpen());
}

void tst_Pool::wrongPasswordFailsOpenAndLeavesNothing()
{
    QPg::Pool pool(poolOptions(3, 3, passwordDsnWith(u"wrong"_s)));
    QSignalSpy failures(&pool, &QPg::Pool::connectFailed);
    QVERIFY(awaitError<QPg::InvalidPasswordError>(pool.open()));
    QCOMPARE(failures.count(), 1); // the first connection failed alone: no storm of attempts
    QCOMPARE(pool.size(), 0);
    // The failed open can be retried once the arguments are fixed.
    QPg::ConnectOptions fixed;
    fixed.dsn = passwordDsn();
    pool.setConnectArgs(fixed);
    await(pool.open());
    QCOMPARE(pool.size(), 3);
}

void tst_Pool::fiftyCallersShareTenConnections()
{
    auto pool = openPool(poolOptions(2, 10));
    int maxSeen = 0;
    connect(pool.get(), &QPg::Pool::countsChanged, this, [&maxSeen](int size) { maxSeen = std::max(maxSeen, size); });
    QList<QFuture<QVariant>> results;
    for (int i = 0; i < 50; ++i)
        results.append(pool->fetchValue(u"SELECT $1::int FROM pg_sleep(0.02)"_s, i));
    for (int i = 0; i < 50; ++i)
        QCOMPARE(await(results[i]).toInt(), i);
    QVERIFY(maxSeen <= 10);
    QCOMPARE(pool->size(), 10);
    QCOMPARE(pool->stats().acquires, 50u);
    QVERIFY(pool->stats().acquiresWaited > 0);
}

void tst_Pool::hookCounts()
{
    int connects = 0, inits = 0, setups = 0, resets = 0;
    QPg::PoolOptions options = poolOptions(2, 5);
    options.connectionFactory = [&connects](const QPg::ConnectOptions &o) {
        ++connects;
        return new QPg::Connection(o);
    };
    options.init = [&inits](QPg::Connection *c) {
        ++inits;
        // A temporary table is session state that survives every reset policy but DISCARD ALL.
        return c->execute(u"CREATE TEMP TABLE init_marker AS SELECT 'initialised'::text AS v"_s).then([](const QString &) {});
    };
    options.setup = [&setups](QPg::Connection *) {
        ++setups;
        return QtFuture::makeReadyFuture();
    };
    options.reset = [&resets](QPg::Connection *) {
        ++resets;
        return QtFuture::makeReadyFuture();
    };
    auto pool = openPool(options);
    QList<QFuture<void>> users;
    for (int i = 0; i < 10; ++i) {
        users.append(pool->acquire().then(pool.get(), [](QPg::PooledConnection con) {
            return con.fetchValue(u"SELECT v FROM init_marker, pg_sleep(0.05)"_s)
                .then([con](const QVariant &name) {
                    QCOMPARE(name.toString(), u"initialised"_s);
                    con.release();
                });
        }).unwrap());
    }
    for (auto &u : users)
        await(u);
    QTRY_COMPARE(resets, 10);
    QCOMPARE(connects, 5);
    QCOMPARE(inits, 5);
    QCOMPARE(setups, 10);
}

void tst_Pool::releaseInsideTransactionRollsBack()
{
    auto pool = openPool(poolOptions(1, 1));
    await(pool->execute(u"CREATE TABLE IF NOT EXISTS pool_tx (v int)"_s));
    await(pool->execute(u"TRUNCATE pool_tx"_s));
    {
        QPg::PooledConnection con = await(pool->acquire());
        await(con.execute(u"BEGIN"_s));
        await(con.execute(u"INSERT INTO pool_tx VALUES (1)"_s));
        QCOMPARE(con.connection()->transactionStatus(), QPg::Connection::TransactionStatus::InTransaction);
        await(con.release());
    }
    QPg::PooledConnection again = await(pool->acquire());
    QCOMPARE(again.connection()->transactionStatus(), QPg::Connection::TransactionStatus::Idle);
    QCOMPARE(await(again.fetchValue(u"SELECT count(*) FROM pool_tx"_s)).toLongLong(), 0LL);
    await(again.release());
    await(pool->execute(u"DROP TABLE pool_tx"_s));
}

void tst_Pool::doubleReleaseIsHarmless()
{
    auto pool = openPool(poolOptions(1, 2));
    QPg::PooledConnection con = await(pool->acquire());
    await(con.release());
    await(con.release());
    await(pool->release(con));
    QCOMPARE(pool->idleSize(), 1);
    QCOMPARE(pool->size(), 1);
}

// Release futures are finished when they are returned. What one caller does to its future must not
// show in another's, whether that one was obtained before or after: in Qt 6.4 cancelling a copy
// of a finished future marks every copy, and then() on a cancelled future never runs.
void tst_Pool::releaseFuturesAreIndependent()
{
    auto pool = openPool(poolOptions(3, 3));
    QPg::PooledConnection first = await(pool->acquire());
    QPg::PooledConnection second = await(pool->acquire());
    QPg::PooledConnection third = await(pool->acquire());
    QFuture<void> firstRelease = first.release();
    QFuture<void> secondRelease = second.release(); // obtained before the cancel below
    QVERIFY(firstRelease.isFinished());
    QVERIFY(secondRelease.isFinished());
    firstRelease.cancel();
    firstRelease.suspend();
    QFuture<void> thirdRelease = third.release(); // and after it
    for (QFuture<void> *other : {&secondRelease, &thirdRelease}) {
        QVERIFY(!other->isCanceled());
        QVERIFY(!other->isSuspending());
        bool continued = false;
        other->then([&continued] { continued = true; });
        QVERIFY(continued);
    }
    // Released twice, and through the pool: the same holds.
    QVERIFY(!first.release().isCanceled());
    QVERIFY(!pool->release(second).isCanceled());
    QCOMPARE(pool->idleSize(), 3);
}

void tst_Pool::foreignReleaseIsInterfaceError()
{
    auto first = openPool(poolOptions(1, 1));
    auto second = openPool(poolOptions(1, 1));
    QPg::PooledConnection con = await(first->acquire());
    QVERIFY(awaitError<QPg::InterfaceError>(second->release(con)));
    QVERIFY(awaitError<QPg::InterfaceError>(second->release(QPg::PooledConnection())));
    QVERIFY(!con.isReleased());
    await(first->release(con));
}

void tst_Pool::useAfterReleaseIsReleasedError()
{
    auto pool = openPool(poolOptions(1, 1));
    QPg::PooledConnection con = await(pool->acquire());
    QPg::PooledConnection copy = con;
    await(con.release());
    QVERIFY(copy.isReleased());
    QVERIFY(!copy.connection());
    auto error = awaitError<QPg::ConnectionReleasedError>(copy.fetchValue(u"SELECT 1"_s));
    QVERIFY(error);
    QVERIFY(error->message().contains(u"released back to the pool"));
}

void tst_Pool::handleReleasesOnDestruction()
{
    auto pool = openPool(poolOptions(1, 1));
    {
        QPg::PooledConnection con = await(pool->acquire());
        QCOMPARE(pool->idleSize(), 0);
    }
    QTRY_COMPARE(pool->idleSize(), 1);
}

void tst_Pool::tryAcquireTakesOnlyAFreeIdleConnection()
{
    auto pool = openPool(poolOptions(1, 2));
    std::optional<QPg::PooledConnection> now = pool->tryAcquire({.tag = u"fast"_s});
    QVERIFY(now.has_value());
    QCOMPARE(pool->idleSize(), 0);
    QCOMPARE(pool->stats().acquires, 1u);
    QCOMPARE(pool->connectionInfo().constFirst().holder, u"fast"_s);
    QCOMPARE(await(now->fetchValue(u"SELECT 41 + 1"_s)).toInt(), 42);
    // Below maxSize but nothing idle: tryAcquire does not open a connection, acquire() would.
    QVERIFY(!pool->tryAcquire());
    QCOMPARE(pool->size(), 1);

    // A queued waiter gets the released connection; tryAcquire never takes it first.
    QPg::PooledConnection second = await(pool->acquire());
    QFuture<QPg::PooledConnection> waiting = pool->acquire();
    QCOMPARE(pool->waitingCount(), 1);
    now.reset(); // the last handle: the connection goes back at once, on this thread
    QVERIFY(!pool->tryAcquire());
    QPg::PooledConnection handedOn = await(waiting);
    await(second.release());
    await(handedOn.release());
    QCOMPARE(pool->idleSize(), 2);

    // Dropping the handle gives the connection back synchronously.
    {
        std::optional<QPg::PooledConnection> dropped = pool->tryAcquire();
        QVERIFY(dropped);
        QCOMPARE(pool->idleSize(), 1);
    }
    QCOMPARE(pool->idleSize(), 2);

    // Only on the pool's thread.
    std::optional<bool> fromWorker;
    std::unique_ptr<QThread> worker(QThread::create([&] { fromWorker = pool->tryAcquire().has_value(); }));
    worker->start();
    QVERIFY(worker->wait(10000));
    QCOMPARE(fromWorker, std::optional<bool>(false));

    await(pool->close());
    QVERIFY(!pool->tryAcquire());
}

void tst_Pool::tryAcquireLeavesSetupHooksToAcquire()
{
    QPg::PoolOptions options = poolOptions(1, 1);
    int setups = 0;
    options.setup = [&setups](QPg::Connection *) {
        ++setups;
        return QtFuture::makeReadyFuture();
    };
    auto pool = openPool(options);
    QVERIFY(!pool->tryAcquire()); // the hook runs asynchronously: only acquire() can wait for it
    QCOMPARE(pool->idleSize(), 1);
    await(await(pool->acquire()).release());
    QCOMPARE(setups, 1);
}

void tst_Pool::smartResetSkipsRoundTripUnlessSessionChanged()
{
    auto pool = openPool(poolOptions(1, 1));
    QPg::PooledConnection con = await(pool->acquire());
    QPg::Connection *raw = con.connection();
    await(con.fetchValue(u"SELECT 1"_s));
    const qint64 before = raw->queryCount();
    await(con.release());
    QCOMPARE(raw->queryCount(), before); // nothing changed the session: no reset round trip

    con = await(pool->acquire());
    await(con.execute(u"SET work_mem = '7MB'"_s));
    await(con.release());
    QCOMPARE(raw->queryCount(), before + 2); // the SET and the reset query
    con = await(pool->acquire());
    QCOMPARE(con.connection(), raw);
    QVERIFY(await(con.fetchValue(u"SHOW work_mem"_s)).toString() != u"7MB"_s);
}

void tst_Pool::alwaysResetRunsAsyncpgQuery()
{
    QPg::PoolOptions options = poolOptions(1, 1);
    options.resetPolicy = QPg::ResetPolicy::Always;
    auto pool = openPool(options);
    QPg::PooledConnection con = await(pool->acquire());
    QPg::Connection *raw = con.connection();
    // Advisory locks are session state no command tag reveals; the reset releases them.
    await(con.fetchValue(u"SELECT pg_advisory_lock(4242)"_s));
    const qint64 before = raw->queryCount();
    await(con.release());
    QCOMPARE(raw->queryCount(), before + 1);
    QPg::Connection other(dsn());
    await(other.open());
    QVERIFY(await(other.fetchValue(u"SELECT pg_try_advisory_lock(4242)"_s)).toBool());
}

void tst_Pool::expireWhileAcquiredClosesAtRelease()
{
    auto pool = openPool(poolOptions(2, 2));
    QSignalSpy closed(pool.get(), &QPg::Pool::connectionClosed);
    QPg::PooledConnection held = await(pool->acquire());
    const int heldPid = backendPid(held);
    pool->expireConnections();
    // The idle one is replaced at once; the held one keeps working until it comes back.
    QTRY_COMPARE(closed.count(), 1);
    QCOMPARE(closed.at(0).at(2).value<QPg::CloseReason>(), QPg::CloseReason::Expired);
    QCOMPARE(await(held.fetchValue(u"SELECT 1"_s)).toInt(), 1);
    await(held.release());
    QTRY_COMPARE(closed.count(), 2);
    QCOMPARE(closed.at(1).at(1).toInt(), heldPid);
    QTRY_COMPARE(pool->size(), 2);
    QPg::PooledConnection fresh = await(pool->acquire());
    QVERIFY(backendPid(fresh) != heldPid);
}

void tst_Pool::setConnectArgsAndExpire()
{
    auto pool = openPool(poolOptions(1, 1));
    QPg::ConnectOptions options = QPg::ConnectOptions::fromDsn(dsn());
    options.applicationName = u"second-args"_s;
    pool->setConnectArgs(options);
    QCOMPARE(await(pool->fetchValue(u"SELECT current_setting('application_name')"_s)).toString(), u"qpgpool"_s);
    pool->expireConnections();
    QTRY_COMPARE(await(pool->fetchValue(u"SELECT current_setting('application_name')"_s)).toString(), u"second-args"_s);
}

void tst_Pool::cancelQueryByConnectionId()
{
    auto pool = openPool(poolOptions(1, 1));
    QPg::PooledConnection held = await(pool->acquire());
    const quint64 id = pool->connectionInfo().at(0).id;
    QCOMPARE(await(pool->cancelQuery(id)), false); // nothing runs yet
    QFuture<QVariant> sleeping = held.fetchValue(u"SELECT pg_sleep(30)"_s);
    QTRY_VERIFY(!pool->connectionInfo().at(0).currentQuery.isEmpty());
    QElapsedTimer timer;
    timer.start();
    QCOMPARE(await(pool->cancelQuery(id)), true);
    QVERIFY(awaitError<QPg::QueryCanceledError>(sleeping, 10000).has_value());
    QVERIFY(timer.elapsed() < 10000);
    // The connection stays usable, and an unknown id is an error.
    QCOMPARE(await(held.fetchValue(u"SELECT 7"_s)).toInt(), 7);
    QVERIFY(awaitError<QPg::InterfaceError>(pool->cancelQuery(id + 1000)).has_value());
}

void tst_Pool::idleLifetimeClosesDownToFloor()
{
    QPg::PoolOptions options = poolOptions(1, 3);
    options.maxInactiveConnectionLifetime = 300ms;
    auto pool = openPool(options);
    QList<QPg::PooledConnection> held;
    for (int i = 0; i < 3; ++i)
        held.append(await(pool->acquire()));
    QCOMPARE(pool->size(), 3);
    for (auto &con : held)
        await(con.release());
    QSignalSpy closed(pool.get(), &QPg::Pool::connectionClosed);
    QTRY_COMPARE_WITH_TIMEOUT(pool->size(), 1, 5000);
    QCOMPARE(closed.count(), 2);
    QCOMPARE(closed.at(0).at(2).value<QPg::CloseReason>(), QPg::CloseReason::IdleTimeout);
    QTest::qWait(600); // the floor holds: the last connection is never reaped
    QCOMPARE(pool->size(), 1);
}

void tst_Pool::floorRefillsAfterBrokenConnection()
{
    auto pool = openPool(poolOptions(2, 4));
    QSignalSpy closed(pool.get(), &QPg::Pool::connectionClosed);
    QSignalSpy opened(pool.get(), &QPg::Pool::connectionOpened);
    const QList<QPg::ConnectionInfo> infos = pool->connectionInfo();
    QCOMPARE(infos.size(), 2);
    terminateBackend(infos.first().backendPid);
    QTRY_COMPARE_WITH_TIMEOUT(closed.count(), 1, 10000); // may arrive while terminateBackend() waits
    QCOMPARE(closed.at(0).at(2).value<QPg::CloseReason>(), QPg::CloseReason::Broken);
    QTRY_VERIFY(opened.count() >= 1);
    QTRY_COMPARE(pool->size(), 2);
    QCOMPARE(await(pool->fetchValue(u"SELECT 5"_s)).toInt(), 5);
}

void tst_Pool::maxQueriesRecycles()
{
    QPg::PoolOptions options = poolOptions(1, 1);
    options.maxQueries = 3;
    auto pool = openPool(options);
    QList<int> pids;
    for (int i = 0; i < 6; ++i)
        pids.append(await(pool->fetchValue(u"SELECT pg_backend_pid()"_s)).toInt());
    QCOMPARE(pids[0], pids[2]);
    QVERIFY(pids[3] != pids[2]);
    QCOMPARE(pids[3], pids[5]);
    QCOMPARE(pool->stats().closedByReason[int(QPg::CloseReason::MaxQueries)], 2u); // after the 3rd and the 6th
}

void tst_Pool::terminatedAcquiredConnectionHeals()
{
    auto pool = openPool(poolOptions(1, 2));
    QPg::PooledConnection con = await(pool->acquire());
    const int pid = backendPid(con);
    QFuture<QVariant> running = con.fetchValue(u"SELECT pg_sleep(30)"_s);
    terminateBackend(pid);
    QVERIFY(awaitError<QPg::ConnectionLostError>(running));
    // The pool let go of the broken connection at once: the handle is released.
    QTRY_VERIFY(con.isReleased());
    QVERIFY(awaitError<QPg::ConnectionReleasedError>(con.fetchValue(u"SELECT 1"_s)));
    await(con.release()); // a no-op
    QCOMPARE(await(pool->fetchValue(u"SELECT 6"_s)).toInt(), 6);
    QTRY_COMPARE(pool->size(), 1);
}

void tst_Pool::disconnectClassErrorEvicts()
{
    auto pool = openPool(poolOptions(1, 1));
    QSignalSpy closed(pool.get(), &QPg::Pool::connectionClosed);
    const int before = await(pool->fetchValue(u"SELECT pg_backend_pid()"_s)).toInt();
    // A command failing with SQLSTATE class 08 leaves a session the pool no longer trusts.
    QVERIFY(awaitError<QPg::ConnectionExceptionError>(
        pool->execute(u"DO $$ BEGIN RAISE EXCEPTION 'link trouble' USING ERRCODE = '08006'; END $$"_s)));
    QTRY_COMPARE(closed.count(), 1);
    QCOMPARE(closed.at(0).at(2).value<QPg::CloseReason>(), QPg::CloseReason::Broken);
    QVERIFY(await(pool->fetchValue(u"SELECT pg_backend_pid()"_s)).toInt() != before);
    // Other errors keep the connection.
    QVERIFY(awaitError<QPg::DivisionByZeroError>(pool->execute(u"SELECT 1/0"_s)));
    QCOMPARE(closed.count(), 1);
}

void tst_Pool::acquireTimeoutWhenExhausted()
{
    auto pool = openPool(poolOptions(1, 1));
    QSignalSpy timedOut(pool.get(), &QPg::Pool::acquireTimedOut);
    QPg::PooledConnection held = await(pool->acquire());
    QElapsedTimer elapsed;
    elapsed.start();
    QVERIFY(awaitError<QPg::AcquireTimeoutError>(pool->acquire({.timeout = 150ms, .tag = u"impatient"_s})));
    QVERIFY(elapsed.elapsed() >= 140);
    QCOMPARE(timedOut.count(), 1);
    QCOMPARE(timedOut.at(0).at(0).toString(), u"impatient"_s);
    QCOMPARE(pool->stats().acquireTimeouts, 1u);
    // Pool helpers take the acquire timeout too.
    QVERIFY(awaitError<QPg::AcquireTimeoutError>(pool->fetchValue(u"SELECT 1"_s, {}, {}, {.timeout = 50ms})));
    await(held.release());
    QCOMPARE(pool->idleSize(), 1);
}

void tst_Pool::fifoOrderOfHundredWaiters()
{
    auto pool = openPool(poolOptions(10, 10));
    QList<QPg::PooledConnection> held;
    for (int i = 0; i < 10; ++i)
        held.append(await(pool->acquire()));
    QList<int> served;
    QList<QFuture<void>> done;
    for (int i = 0; i < 100; ++i) {
        done.append(pool->acquire().then(pool.get(), [&served, &pool, i](QPg::PooledConnection con) {
            served.append(i);
            con.release();
            // Whoever releases and asks again goes to the back of the queue.
            if (i < 10)
                pool->acquire().then(pool.get(), [](QPg::PooledConnection again) { again.release(); });
        }));
    }
    QCOMPARE(pool->waitingCount(), 100);
    for (auto &con : held)
        con.release();
    for (auto &f : done)
        await(f);
    QCOMPARE(served.size(), 100);
    for (int i = 0; i < 100; ++i)
        QCOMPARE(served[i], i);
    QTRY_COMPARE(pool->idleSize(), 10);
}

void tst_Pool::cancelledAndTimedOutAcquiresLeakNothing()
{
    auto pool = openPool(poolOptions(1, 1));
    QPg::PooledConnection held = await(pool->acquire());
    QFuture<QPg::PooledConnection> cancelled = pool->acquire();
    cancelled.cancel();
    QFuture<QPg::PooledConnection> timed = pool->acquire({.timeout = 30ms});
    QFuture<QPg::PooledConnection> kept = pool->acquire();
    QVERIFY(awaitError<QPg::AcquireTimeoutError>(timed));
    await(held.release());
    // The cancelled waiter is skipped; the connection goes to the next live one.
    QPg::PooledConnection got = await(kept);
    QVERIFY(!got.isReleased());
    await(got.release());
    QTRY_COMPARE(pool->idleSize(), 1);

    // Timeouts racing with releases, at many moments.
    for (int i = 0; i < 20; ++i) {
        QPg::PooledConnection h = await(pool->acquire());
        QFuture<QPg::PooledConnection> racer = pool->acquire({.timeout = std::chrono::milliseconds(1 + i % 3)});
        QTimer::singleShot(i % 4, pool.get(), [h] { h.release(); });
        h = QPg::PooledConnection();
        QVERIFY(waitFor(racer));
        racer = QFuture<QPg::PooledConnection>(); // drop the result store's copy too
    }
    QTRY_COMPARE(pool->idleSize(), 1);
    QCOMPARE(pool->size(), 1);
}

void tst_Pool::closeWaitsForRelease()
{
    auto pool = openPool(poolOptions(2, 2));
    QSignalSpy closedSpy(pool.get(), &QPg::Pool::closed);
    QPg::PooledConnection held = await(pool->acquire());
    QPg::PooledConnection second = await(pool->acquire());
    QFuture<QPg::PooledConnection> waiter = pool->acquire();
    QFuture<void> closing = pool->close(0ms);
    QVERIFY(pool->isClosing());
    QVERIFY(awaitError<QPg::PoolClosedError>(waiter)); // waiters fail at once
    QVERIFY(awaitError<QPg::PoolClosedError>(pool->acquire()));
    QVERIFY(!waitFor(closing, 200));
    QCOMPARE(await(held.fetchValue(u"SELECT 1"_s)).toInt(), 1); // still usable until released
    await(held.release());
    QVERIFY(!waitFor(closing, 50));
    await(second.release());
    await(closing);
    QCOMPARE(closedSpy.count(), 1);
    QCOMPARE(pool->size(), 0);
}

void tst_Pool::closeTimeoutTerminates()
{
    auto pool = openPool(poolOptions(1, 1));
    QPg::PooledConnection held = await(pool->acquire());
    QElapsedTimer elapsed;
    elapsed.start();
    await(pool->close(200ms));
    QVERIFY(elapsed.elapsed() >= 190);
    QVERIFY(held.isReleased());
    QVERIFY(awaitError<QPg::ConnectionReleasedError>(held.fetchValue(u"SELECT 1"_s)));
}

void tst_Pool::terminateFailsWaitersAndQueries()
{
    auto pool = openPool(poolOptions(1, 1));
    QPg::PooledConnection held = await(pool->acquire());
    QFuture<QVariant> running = held.fetchValue(u"SELECT pg_sleep(30)"_s);
    QFuture<QPg::PooledConnection> waiter = pool->acquire();
    QVERIFY(!waitFor(running, 100));
    pool->terminate();
    QVERIFY(awaitError<QPg::PoolClosedError>(waiter));
    QVERIFY(awaitError<QPg::ConnectionLostError>(running));
    QVERIFY(pool->isClosing());
    QCOMPARE(pool->size(), 0);
    QVERIFY(awaitError<QPg::PoolClosedError>(pool->acquire()));
}

void tst_Pool::callsFromSecondThread()
{
    auto pool = openPool(poolOptions(1, 2));
    std::atomic<int> value{0};
    std::atomic<bool> released{false};
    std::unique_ptr<QThread> worker(QThread::create([&] {
        // Blocking waits are fine on this worker: the pool's own thread keeps running.
        QFuture<QVariant> f = pool->fetchValue(u"SELECT $1::int * 2"_s, 21);
        f.waitForFinished();
        value = f.result().toInt();
        QFuture<QPg::PooledConnection> acquired = pool->acquire();
        acquired.waitForFinished();
        QPg::PooledConnection con = acquired.result();
        QFuture<QVariant> g = con.fetchValue(u"SELECT 7"_s);
        g.waitForFinished();
        value += g.result().toInt();
        con.release().waitForFinished();
        released = true;
    }));
    worker->start();
    QTRY_VERIFY_WITH_TIMEOUT(released.load(), 10000);
    worker->wait();
    QCOMPARE(value.load(), 49);
    QTRY_COMPARE(pool->idleSize(), pool->size());
}

void tst_Pool::statsAndConnectionInfo()
{
    auto pool = openPool(poolOptions(2, 3));
    QPg::PooledConnection con = await(pool->acquire({.tag = u"report-job"_s}));
    QFuture<QVariant> running = con.fetchValue(u"SELECT pg_sleep(0.3)"_s);
    QTRY_VERIFY(!pool->connectionInfo().isEmpty());
    const QList<QPg::ConnectionInfo> infos = pool->connectionInfo();
    QCOMPARE(infos.size(), 2);
    auto acquired = std::find_if(infos.begin(), infos.end(), [](const QPg::ConnectionInfo &i) {
        return i.state == QPg::ConnectionInfo::State::Acquired;
    });
    QVERIFY(acquired != infos.end());
    QCOMPARE(acquired->holder, u"report-job"_s);
    QCOMPARE(acquired->currentQuery, u"SELECT pg_sleep(0.3)"_s);
    QVERIFY(acquired->backendPid > 0);
    await(running);
    await(con.release());
    const QPg::PoolStats stats = pool->stats();
    QCOMPARE(stats.size, 2);
    QCOMPARE(stats.idle, 2);
    QCOMPARE(stats.active, 0);
    QCOMPARE(stats.acquires, 1u);
    QCOMPARE(stats.connectionsOpened, 2u);
    QVERIFY(stats.queries >= 1);
}

void tst_Pool::leakDetection()
{
    QPg::PoolOptions options = poolOptions(1, 1);
    options.leakThreshold = 100ms;
    auto pool = openPool(options);
    QSignalSpy leaked(pool.get(), &QPg::Pool::leakDetected);
    QSignalSpy returned(pool.get(), &QPg::Pool::leakReturned);
    QPg::PooledConnection con = await(pool->acquire({.tag = u"forgetful"_s}));
    QTRY_COMPARE_WITH_TIMEOUT(leaked.count(), 1, 5000);
    QCOMPARE(leaked.at(0).at(1).toString(), u"forgetful"_s);
    await(con.release());
    QCOMPARE(returned.count(), 1);
}

void tst_Pool::serverRestartUnderLivePool()
{
    // A server of this test's own, so stopping it disturbs no other test.
    QPg::Dev::PrivateCluster cluster;
    QString error;
    QVERIFY2(cluster.start(&error), qPrintable(error));
    QPg::PoolOptions options = poolOptions(2, 4, cluster.dsn());
    options.reconnectBackoffInitial = 50ms;
    options.reconnectBackoffMax = 200ms;
    auto pool = openPool(options);
    QCOMPARE(await(pool->fetchValue(u"SELECT 1"_s)).toInt(), 1);

    // Restart: idle connections die and are replaced without any caller seeing an error.
    QVERIFY2(cluster.restartServer(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(pool->stats().closedByReason[int(QPg::CloseReason::Broken)], 2u, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(pool->size(), 2, 10000);
    QCOMPARE(await(pool->fetchValue(u"SELECT 2"_s)).toInt(), 2);

    // Down: once nothing is open, acquires fail fast instead of waiting.
    QVERIFY2(cluster.stopServer(QPg::Dev::PrivateCluster::ShutdownMode::Fast, &error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(pool->size(), 0, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(pool->stats().connectFailures > 0, 10000);
    QElapsedTimer elapsed;
    elapsed.start();
    QVERIFY(awaitError<QPg::ConnectionError>(pool->fetchValue(u"SELECT 3"_s)));
    QVERIFY(elapsed.elapsed() < 2000);

    // Back: the background refill reconnects.
    QVERIFY2(cluster.startServer(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(pool->size(), 2, 15000);
    QCOMPARE(await(pool->fetchValue(u"SELECT 4"_s)).toInt(), 4);
    pool->terminate();
}

QTEST_MAIN(tst_Pool)
#include "tst_pool.moc"
