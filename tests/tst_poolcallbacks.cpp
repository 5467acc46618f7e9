// SPDX-License-Identifier: MIT
// The one-shot helpers with a callback instead of a future (Pool::fetchValue(sql, args, context,
// onReply) and friends): the value or a typed error exactly once, in the context's thread, never
// after the context is gone, and the connection back in the pool before the callback runs. Then
// the same forms on a held PooledConnection and on a Connection.
#include <QPg/pool.h>

#include "await.h"
#include "pooltest.h"
#include "testserver.h"

#include <QtCore/QRegularExpression>
#include <QtCore/QThread>
#include <QtCore/QTimer>
#include <QtTest/QTest>

#include <memory>

using namespace std::chrono_literals;
using namespace Qt::Literals::StringLiterals;
using namespace QPgTest;

class tst_PoolCallbacks : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void valuesArriveOnce();
    void errorsAreTyped();
    void connectionIsIdleWhenCallbackRuns();
    void callbackMayQueryAgain();
    void destroyedContextIsNotCalled();
    void waitsForABusyPool();
    void otherThreadGetsItsReplyInItsThread();
    void poolDestroyedWhileWaitingReportsClosed();
    void immediateFailureArrivesAfterTheCall();
    void throwingCallbackLeavesThePoolWhole();
    void contextInAnotherThreadDestroyedWhileRepliesArrive();
    void handleCallbacksRunOnItsConnection();
    void handleCallbackErrorsAreTypedAndTheHandleGoesOn();
    void releasedHandleFailsAfterTheCall();
    void handleCallbackInAnotherThread();
    void handleCallbackOfDestroyedContextIsNotCalled();
    void connectionCallbacks();
};

void tst_PoolCallbacks::valuesArriveOnce()
{
    auto pool = openPool(poolOptions(1, 2));
    QObject context;
    int calls = 0;
    QVariant value;
    pool->fetchValue(u"SELECT $1::int + 1"_s, {41}, &context, [&](QPg::Reply<QVariant> reply) {
        ++calls;
        value = reply.value();
    });
    QTRY_COMPARE_WITH_TIMEOUT(calls, 1, 10000);
    QCOMPARE(value.toInt(), 42);

    QPg::RecordList rows;
    pool->fetch(u"SELECT g FROM generate_series(1, 3) g"_s, {}, &context,
                [&](QPg::Reply<QPg::RecordList> reply) { rows = std::move(reply).value(); });
    QTRY_COMPARE_WITH_TIMEOUT(rows.size(), 3, 10000);
    QCOMPARE(rows.at(2).value(0).toInt(), 3);

    QString tag;
    pool->execute(u"SELECT 1"_s, {}, &context, [&](QPg::Reply<QString> reply) { tag = reply.value(); });
    QTRY_COMPARE_WITH_TIMEOUT(tag, u"SELECT 1"_s, 10000);

    std::optional<QPg::Record> row;
    pool->fetchRow(u"SELECT 7 AS seven"_s, {}, &context, [&](QPg::Reply<QPg::Record> reply) { row = reply.value(); });
    QTRY_VERIFY_WITH_TIMEOUT(row.has_value(), 10000);
    QCOMPARE(row->value(u"seven"_s).toInt(), 7);
    QCOMPARE(calls, 1);
}

void tst_PoolCallbacks::errorsAreTyped()
{
    auto pool = openPool(poolOptions(1, 1));
    QObject context;
    std::optional<QPg::Reply<QVariant>> failed;
    pool->fetchValue(u"SELECT 1/0"_s, {}, &context, [&](QPg::Reply<QVariant> reply) { failed = std::move(reply); });
    QTRY_VERIFY_WITH_TIMEOUT(failed.has_value(), 10000);
    QVERIFY(!failed->isValid());
    QVERIFY(failed->error());
    try {
        failed->value();
        QFAIL("value() of a failed reply must throw");
    } catch (const QPg::ServerError &e) {
        QCOMPARE(e.sqlState(), u"22012"_s); // division_by_zero
    }
    // A conversion error is reported the same way: column 3 of a one-column result.
    std::optional<QPg::Reply<QVariant>> outOfRange;
    QPg::QueryOptions third;
    third.column = 3;
    pool->fetchValue(u"SELECT 1"_s, {}, &context, [&](QPg::Reply<QVariant> reply) { outOfRange = std::move(reply); },
                     third);
    QTRY_VERIFY_WITH_TIMEOUT(outOfRange.has_value(), 10000);
    QVERIFY_THROWS_EXCEPTION(QPg::InterfaceError, outOfRange->value());
    // The pool is whole afterwards.
    QCOMPARE(await(pool->fetchValue(u"SELECT 5"_s)).toInt(), 5);
    QCOMPARE(pool->idleSize(), 1);
}

void tst_PoolCallbacks::connectionIsIdleWhenCallbackRuns()
{
    auto pool = openPool(poolOptions(1, 1));
    QObject context;
    int idleSeen = -1;
    bool called = false;
    pool->fetchValue(u"SELECT 1"_s, {}, &context, [&](QPg::Reply<QVariant>) {
        idleSeen = pool->idleSize();
        called = true;
    });
    QCOMPARE(pool->idleSize(), 0); // taken at once from the idle set
    QTRY_VERIFY_WITH_TIMEOUT(called, 10000);
    QCOMPARE(idleSeen, 1);
}

void tst_PoolCallbacks::callbackMayQueryAgain()
{
    // A chain of calls, each issued from inside the previous callback (inside the pool's own
    // completion): every one runs, on the same single connection.
    auto pool = openPool(poolOptions(1, 1));
    QObject context;
    int done = 0;
    std::function<void(QPg::Reply<QVariant>)> next = [&](QPg::Reply<QVariant> reply) {
        QCOMPARE(reply.value().toInt(), done);
        if (++done < 50)
            pool->fetchValue(u"SELECT $1::int"_s, {done}, &context, next);
    };
    pool->fetchValue(u"SELECT $1::int"_s, {0}, &context, next);
    QTRY_COMPARE_WITH_TIMEOUT(done, 50, 20000);
    QCOMPARE(pool->size(), 1);
    QCOMPARE(pool->idleSize(), 1);
}

void tst_PoolCallbacks::destroyedContextIsNotCalled()
{
    auto pool = openPool(poolOptions(1, 1));
    bool called = false;
    {
        QObject context;
        pool->fetchValue(u"SELECT pg_sleep(0.05)"_s, {}, &context, [&](QPg::Reply<QVariant>) { called = true; });
    }
    // The query still runs to its end and gives the connection back.
    QTRY_COMPARE_WITH_TIMEOUT(pool->idleSize(), 1, 10000);
    QCOMPARE(await(pool->fetchValue(u"SELECT 3"_s)).toInt(), 3);
    QVERIFY(!called);
}

void tst_PoolCallbacks::waitsForABusyPool()
{
    auto pool = openPool(poolOptions(1, 1));
    QObject context;
    QPg::PooledConnection held = await(pool->acquire());
    QVariant value;
    pool->fetchValue(u"SELECT 9"_s, {}, &context, [&](QPg::Reply<QVariant> reply) { value = reply.value(); });
    QCOMPARE(pool->stats().waiting, 1);
    QVERIFY(!value.isValid());
    await(held.release());
    QTRY_COMPARE_WITH_TIMEOUT(value.toInt(), 9, 10000);

    // A wait that times out reports AcquireTimeoutError.
    held = await(pool->acquire());
    QPg::AcquireOptions quick;
    quick.timeout = 50ms;
    std::optional<QPg::Reply<QVariant>> timedOut;
    pool->fetchValue(u"SELECT 1"_s, {}, &context, [&](QPg::Reply<QVariant> reply) { timedOut = std::move(reply); },
                     {}, quick);
    QTRY_VERIFY_WITH_TIMEOUT(timedOut.has_value(), 10000);
    QVERIFY_THROWS_EXCEPTION(QPg::AcquireTimeoutError, timedOut->value());
    await(held.release());
}

void tst_PoolCallbacks::otherThreadGetsItsReplyInItsThread()
{
    auto pool = openPool(poolOptions(1, 2));
    QThread worker;
    worker.start();
    QObject context; // lives in the worker thread
    context.moveToThread(&worker);
    std::atomic<QThread *> calledIn = nullptr;
    std::atomic<int> value = 0;
    // Called from the worker thread, as an application's worker would.
    QMetaObject::invokeMethod(&context, [&] {
        pool->fetchValue(u"SELECT 11"_s, {}, &context, [&](QPg::Reply<QVariant> reply) {
            value = reply.value().toInt();
            calledIn = QThread::currentThread();
        });
    });
    QTRY_COMPARE_WITH_TIMEOUT(value.load(), 11, 10000);
    QCOMPARE(calledIn.load(), &worker);
    worker.quit();
    QVERIFY(worker.wait(10000));
}

void tst_PoolCallbacks::poolDestroyedWhileWaitingReportsClosed()
{
    auto pool = openPool(poolOptions(1, 1));
    QObject context;
    QPg::PooledConnection held = await(pool->acquire());
    std::optional<QPg::Reply<QVariant>> reply;
    int calls = 0;
    pool->fetchValue(u"SELECT 1"_s, {}, &context, [&](QPg::Reply<QVariant> r) {
        ++calls;
        reply = std::move(r);
    });
    pool.reset(); // terminates: the waiter fails
    QTRY_VERIFY_WITH_TIMEOUT(reply.has_value(), 10000);
    QVERIFY_THROWS_EXCEPTION(QPg::PoolClosedError, reply->value());
    QCoreApplication::processEvents();
    QCOMPARE(calls, 1);
}

void tst_PoolCallbacks::immediateFailureArrivesAfterTheCall()
{
    // A call that fails before anything is sent (the pool is closed) must not call back from
    // inside the call that made it: the caller may not have finished its own bookkeeping.
    auto pool = openPool(poolOptions(1, 1));
    await(pool->close());
    QObject context;
    std::optional<QPg::Reply<QVariant>> reply;
    pool->fetchValue(u"SELECT 1"_s, {}, &context, [&](QPg::Reply<QVariant> r) { reply = std::move(r); });
    QVERIFY(!reply.has_value());
    QTRY_VERIFY_WITH_TIMEOUT(reply.has_value(), 10000);
    QVERIFY_THROWS_EXCEPTION(QPg::PoolClosedError, reply->value());
}

void tst_PoolCallbacks::throwingCallbackLeavesThePoolWhole()
{
    // An exception out of a callback (here: value() of a failed reply, unchecked) must not unwind
    // through the connection's result handling; it is logged, and the pool goes on.
    auto pool = openPool(poolOptions(1, 1));
    QObject context;
    int calls = 0;
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"callback threw.*division by zero"_s));
    pool->fetchValue(u"SELECT 1/0"_s, {}, &context, [&](QPg::Reply<QVariant> reply) {
        ++calls;
        (void)reply.value(); // throws ServerError
    });
    QTRY_COMPARE_WITH_TIMEOUT(calls, 1, 10000);
    QCOMPARE(await(pool->fetchValue(u"SELECT 4"_s)).toInt(), 4);
    QCOMPARE(pool->idleSize(), 1);
    QCOMPARE(pool->size(), 1);
}

void tst_PoolCallbacks::contextInAnotherThreadDestroyedWhileRepliesArrive()
{
    // Contexts in a worker thread are destroyed there while their replies are on the way from the
    // pool's thread. No callback may run once its context is gone, and the pool's thread must never
    // touch a destroyed context (ASan would see it): a reply reaches such a context only through a
    // queued connection made when the request was made. A stress test: the race is narrow.
    auto pool = openPool(poolOptions(2, 2));
    const quint64 queriesBefore = pool->stats().queries;
    QThread worker;
    worker.start();
    QObject workerAnchor;
    workerAnchor.moveToThread(&worker);
    constexpr int Requests = 300;
    std::atomic<int> calls = 0;
    std::atomic<int> callsAfterDestruction = 0;
    for (int i = 0; i < Requests; ++i) {
        QMetaObject::invokeMethod(&workerAnchor, [&, i] {
            auto *context = new QObject;
            auto gone = std::make_shared<bool>(false); // read and written in the worker thread only
            QObject::connect(context, &QObject::destroyed, [gone] { *gone = true; });
            pool->fetchValue(u"SELECT $1::int"_s, {i}, context, [&, gone](QPg::Reply<QVariant>) {
                ++calls;
                if (*gone)
                    ++callsAfterDestruction;
            });
            // Gone at once, after one event-loop pass, or after a millisecond or two: around the
            // time the reply comes.
            if (i % 3 == 0)
                delete context;
            else
                QTimer::singleShot(i % 3 - 1, context, [context] { context->deleteLater(); });
        });
    }
    // Every request has reached the pool and run before the worker stops.
    QTRY_COMPARE_WITH_TIMEOUT(pool->stats().queries, queriesBefore + Requests, 30000);
    QTRY_COMPARE_WITH_TIMEOUT(pool->idleSize(), 2, 10000);
    QMetaObject::invokeMethod(&workerAnchor, [] {}, Qt::BlockingQueuedConnection); // drain the worker
    worker.quit();
    QVERIFY(worker.wait(10000));
    QCOMPARE(callsAfterDestruction.load(), 0);
    QVERIFY(calls.load() < Requests); // the contexts deleted at once never hear back
}

// On a held connection: the same session (a transaction the handle opened sees its own work), the
// callback after the call has returned, and once.
void tst_PoolCallbacks::handleCallbacksRunOnItsConnection()
{
    auto pool = openPool(poolOptions(1, 2));
    QPg::PooledConnection con = await(pool->acquire());
    const int pid = await(con.fetchValue(u"SELECT pg_backend_pid()"_s)).toInt();
    QObject context;
    bool returned = false;
    int calls = 0;
    QVariant seenPid;
    con.fetchValue(u"SELECT pg_backend_pid()"_s, {}, &context, [&](QPg::Reply<QVariant> reply) {
        QVERIFY(returned);
        ++calls;
        seenPid = reply.value();
    });
    returned = true;
    QTRY_COMPARE_WITH_TIMEOUT(calls, 1, 10000);
    QCOMPARE(seenPid.toInt(), pid);

    QString tag;
    con.execute(u"BEGIN; CREATE TEMP TABLE cb_handle(v int); INSERT INTO cb_handle VALUES (1), (2)"_s, {}, &context,
                [&](QPg::Reply<QString> reply) { tag = reply.value(); });
    QTRY_COMPARE_WITH_TIMEOUT(tag, u"INSERT 0 2"_s, 10000);
    QPg::RecordList rows;
    con.fetch(u"SELECT v FROM cb_handle ORDER BY v"_s, {}, &context,
              [&](QPg::Reply<QPg::RecordList> reply) { rows = reply.value(); });
    QTRY_COMPARE_WITH_TIMEOUT(rows.size(), 2, 10000);
    std::optional<QPg::Record> row;
    con.fetchRow(u"SELECT sum(v) AS total FROM cb_handle"_s, {}, &context,
                 [&](QPg::Reply<QPg::Record> reply) { row = reply.value(); });
    QTRY_VERIFY_WITH_TIMEOUT(row.has_value(), 10000);
    QCOMPARE(row->value(u"total"_s).toInt(), 3);
    await(con.execute(u"ROLLBACK"_s));
    await(con.release());
    QCOMPARE(calls, 1);
}

void tst_PoolCallbacks::handleCallbackErrorsAreTypedAndTheHandleGoesOn()
{
    auto pool = openPool(poolOptions(1, 1));
    QPg::PooledConnection con = await(pool->acquire());
    QObject context;
    std::optional<QPg::Reply<QVariant>> failed;
    con.fetchValue(u"SELECT 1/0"_s, {}, &context, [&](QPg::Reply<QVariant> reply) { failed = std::move(reply); });
    QTRY_VERIFY_WITH_TIMEOUT(failed.has_value(), 10000);
    try {
        failed->value();
        QFAIL("value() of a failed reply must throw");
    } catch (const QPg::ServerError &e) {
        QCOMPARE(e.sqlState(), u"22012"_s);
    }
    // Bad arguments fail through the callback too, never in the call.
    std::optional<QPg::Reply<QString>> badScript;
    con.execute(u"SELECT $1; SELECT 2"_s, {1}, &context, [&](QPg::Reply<QString> reply) { badScript = std::move(reply); });
    QVERIFY(!badScript.has_value());
    QTRY_VERIFY_WITH_TIMEOUT(badScript.has_value(), 10000);
    QVERIFY(!badScript->isValid());
    // Still held, still working.
    QVERIFY(!con.isReleased());
    QCOMPARE(pool->idleSize(), 0);
    QCOMPARE(await(con.fetchValue(u"SELECT 6"_s)).toInt(), 6);
}

void tst_PoolCallbacks::releasedHandleFailsAfterTheCall()
{
    auto pool = openPool(poolOptions(1, 1));
    QPg::PooledConnection con = await(pool->acquire());
    await(con.release());
    QObject context;
    std::optional<QPg::Reply<QVariant>> reply;
    con.fetchValue(u"SELECT 1"_s, {}, &context, [&](QPg::Reply<QVariant> r) { reply = std::move(r); });
    QVERIFY(!reply.has_value()); // queued, as every failure found in the call
    QTRY_VERIFY_WITH_TIMEOUT(reply.has_value(), 10000);
    QVERIFY_THROWS_EXCEPTION(QPg::ConnectionReleasedError, reply->value());

    // A handle that never held a connection, and one whose pool is gone.
    std::optional<QPg::Reply<QString>> empty;
    QPg::PooledConnection().execute(u"SELECT 1"_s, {}, &context, [&](QPg::Reply<QString> r) { empty = std::move(r); });
    QVERIFY(!empty.has_value());
    QTRY_VERIFY_WITH_TIMEOUT(empty.has_value(), 10000);
    QVERIFY_THROWS_EXCEPTION(QPg::ConnectionReleasedError, empty->value());
    QPg::PooledConnection orphan = await(pool->acquire());
    pool.reset();
    std::optional<QPg::Reply<QVariant>> orphaned;
    orphan.fetchValue(u"SELECT 1"_s, {}, &context, [&](QPg::Reply<QVariant> r) { orphaned = std::move(r); });
    QTRY_VERIFY_WITH_TIMEOUT(orphaned.has_value(), 10000);
    QVERIFY_THROWS_EXCEPTION(QPg::ConnectionReleasedError, orphaned->value());
}

// A handle used from a worker thread: the command runs in the pool's thread, the callback in the
// worker's.
void tst_PoolCallbacks::handleCallbackInAnotherThread()
{
    auto pool = openPool(poolOptions(1, 1));
    QPg::PooledConnection con = await(pool->acquire());
    QThread worker;
    worker.start();
    QObject context;
    context.moveToThread(&worker);
    std::atomic<QThread *> calledIn = nullptr;
    std::atomic<int> value = 0;
    QMetaObject::invokeMethod(&context, [&] {
        con.fetchValue(u"SELECT 12"_s, {}, &context, [&](QPg::Reply<QVariant> reply) {
            value = reply.value().toInt();
            calledIn = QThread::currentThread();
        });
    });
    QTRY_COMPARE_WITH_TIMEOUT(value.load(), 12, 10000);
    QCOMPARE(calledIn.load(), &worker);
    worker.quit();
    QVERIFY(worker.wait(10000));
}

void tst_PoolCallbacks::handleCallbackOfDestroyedContextIsNotCalled()
{
    auto pool = openPool(poolOptions(1, 1));
    QPg::PooledConnection con = await(pool->acquire());
    int calls = 0;
    {
        QObject context;
        con.fetchValue(u"SELECT pg_sleep(0.05)"_s, {}, &context, [&](QPg::Reply<QVariant>) { ++calls; });
    }
    // The command still runs to its end on the held connection; nobody is called.
    QCOMPARE(await(con.fetchValue(u"SELECT 3"_s)).toInt(), 3);
    QCoreApplication::processEvents();
    QCOMPARE(calls, 0);
}

// Connection's own callback forms, and a call from the wrong thread failing through the callback.
void tst_PoolCallbacks::connectionCallbacks()
{
    QPg::Connection connection(dsn());
    await(connection.open());
    QObject context;
    bool returned = false;
    QVariant value;
    connection.fetchValue(u"SELECT $1::text || 'b'"_s, {u"a"_s}, &context, [&](QPg::Reply<QVariant> reply) {
        QVERIFY(returned);
        value = reply.value();
    });
    returned = true;
    QTRY_COMPARE_WITH_TIMEOUT(value.toString(), u"ab"_s, 10000);
    std::optional<QPg::Reply<QPg::RecordList>> rows;
    connection.fetch(u"SELECT g FROM generate_series(1, 4) g"_s, {}, &context,
                     [&](QPg::Reply<QPg::RecordList> reply) { rows = std::move(reply); });
    QTRY_VERIFY_WITH_TIMEOUT(rows.has_value(), 10000);
    QCOMPARE(rows->value().size(), 4);

    QThread worker;
    worker.start();
    QObject workerContext;
    workerContext.moveToThread(&worker);
    std::atomic<bool> wrongThreadFailed = false;
    QMetaObject::invokeMethod(&workerContext, [&] {
        connection.fetchValue(u"SELECT 1"_s, {}, &workerContext, [&](QPg::Reply<QVariant> reply) {
            try {
                reply.value();
            } catch (const QPg::InterfaceError &) {
                wrongThreadFailed = true;
            }
        });
    });
    QTRY_VERIFY_WITH_TIMEOUT(wrongThreadFailed.load(), 10000);
    // The same call with a context of the connection's own thread: the failure found in the worker
    // reaches it there, queued.
    QThread *calledIn = nullptr;
    QMetaObject::invokeMethod(&workerContext, [&] {
        connection.fetchValue(u"SELECT 1"_s, {}, &context, [&](QPg::Reply<QVariant> reply) {
            QVERIFY_THROWS_EXCEPTION(QPg::InterfaceError, reply.value());
            calledIn = QThread::currentThread();
        });
    });
    QTRY_COMPARE_WITH_TIMEOUT(calledIn, QThread::currentThread(), 10000);
    worker.quit();
    QVERIFY(worker.wait(10000));

    // Closed: fails, after the call.
    connection.terminate();
    std::optional<QPg::Reply<QString>> closed;
    connection.execute(u"SELECT 1"_s, {}, &context, [&](QPg::Reply<QString> reply) { closed = std::move(reply); });
    QVERIFY(!closed.has_value());
    QTRY_VERIFY_WITH_TIMEOUT(closed.has_value(), 10000);
    QVERIFY_THROWS_EXCEPTION(QPg::InterfaceError, closed->value());
}

QTEST_GUILESS_MAIN(tst_PoolCallbacks)
#include "tst_poolcallbacks.moc"
