// SPDX-License-Identifier: MIT
// QPg::Connection against the test run's private PostgreSQL server.
#include <QPg/connection.h>

#include "await.h"
#include "openconnection.h"
#include "testserver.h"

#include <QtCore/QCryptographicHash>
#include <QtCore/QElapsedTimer>
#include <QtCore/QSize>
#include <QtNetwork/QTcpServer>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace std::chrono_literals;
using namespace Qt::Literals::StringLiterals;
using namespace QPgTest;

namespace {

// Counts the ticks of a 20 ms timer and the longest gap between two of them.
class LoopWatch
{
public:
    LoopWatch()
    {
        m_timer.setTimerType(Qt::PreciseTimer);
        m_timer.setInterval(20);
        QObject::connect(&m_timer, &QTimer::timeout, [this] {
            m_maxGap = std::max(m_maxGap, m_sinceLast.restart());
            ++m_ticks;
        });
        m_sinceLast.start();
        m_timer.start();
    }
    qint64 maxGapMs() const { return m_maxGap; }
    int ticks() const { return m_ticks; }

private:
    QTimer m_timer;
    QElapsedTimer m_sinceLast;
    qint64 m_maxGap = 0;
    int m_ticks = 0;
};

// A TCP port with nothing listening on it.
quint16 closedPort()
{
    QTcpServer server;
    server.listen(QHostAddress::LocalHost, 0);
    const quint16 port = server.serverPort();
    server.close();
    return port;
}

} // namespace

class tst_Connection : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void connectsAndReportsSession();
    void connectsWithUriAndParameters();
    void connectsThroughHostName();
    void connectsThroughSecondHost();
    void appliesServerSettings();
    void executeReturnsStatus();
    void executeRunsScript();
    void fetchReturnsRows();
    void fetchRowAndValueWithoutRows();
    void fetchesLargeResult();
    void queuesOperationsInOrder();
    void parametersAreNeverSpliced();
    void errorsCarryServerFields();
    void errorsMapToClasses_data();
    void errorsMapToClasses();
    void failedQueryLeavesConnectionUsable();
    void timeoutCancelsAndConnectionStaysUsable();
    void cancelStopsRunningCommand();
    void terminatedBackendReportsLoss();
    void idleConnectionNoticesServerClose();
    void closedPortFailsFast();
    void wrongPasswordIsInvalidPassword();
    void invalidDsnIsInterfaceError();
    void listenNotify();
    void noticesAreSignalled();
    void closeWaitsForQueuedWork();
    void terminateFailsPendingWork();
    void copyThroughQueryMethodIsRejected();
    void loopKeepsRunningDuringLongQuery();
    void loopKeepsRunningDuringLargeResult();
    void loopKeepsRunningDuringUnansweredConnect();
};

void tst_Connection::connectsAndReportsSession()
{
    QPg::Connection con(dsn());
    QSignalSpy states(&con, &QPg::Connection::stateChanged);
    QCOMPARE(con.state(), QPg::Connection::State::Disconnected);
    await(con.open());
    QCOMPARE(con.state(), QPg::Connection::State::Ready);
    QCOMPARE(states.count(), 2); // Connecting, Ready
    QVERIFY(con.backendPid() > 0);
    QVERIFY(con.serverVersion() >= 150000);
    QCOMPARE(con.parameterStatus(u"application_name"_s), u"qpgpool"_s);
    QVERIFY(con.parameterStatus(u"DateStyle"_s).startsWith(u"ISO"));
    QCOMPARE(con.transactionStatus(), QPg::Connection::TransactionStatus::Idle);
    QCOMPARE(await(con.fetchValue(u"SELECT pg_backend_pid()"_s)).toInt(), con.backendPid());
}

void tst_Connection::connectsWithUriAndParameters()
{
    auto probe = openConnection();
    const QString port = await(probe->fetchValue(u"SHOW port"_s)).toString();

    QPg::Connection uri(u"postgresql://postgres@127.0.0.1:%1/qpgtest?application_name=from-uri"_s.arg(port));
    await(uri.open());
    QCOMPARE(await(uri.fetchValue(u"SELECT current_setting('application_name')"_s)).toString(), u"from-uri"_s);

    QPg::ConnectOptions options;
    options.parameters = {{u"host"_s, u"127.0.0.1"_s}, {u"port"_s, port}, {u"user"_s, u"postgres"_s},
                          {u"dbname"_s, u"postgres"_s}};
    options.applicationName = u"params-app"_s;
    auto byParams = openConnection(options);
    QCOMPARE(await(byParams->fetchValue(u"SELECT current_database()"_s)).toString(), u"postgres"_s);
    QCOMPARE(byParams->parameterStatus(u"application_name"_s), u"params-app"_s);
}

void tst_Connection::connectsThroughHostName()
{
    auto probe = openConnection();
    const QString port = await(probe->fetchValue(u"SHOW port"_s)).toString();
    QPg::ConnectOptions options = QPg::ConnectOptions::fromDsn(dsn());
    options.parameters = {{u"host"_s, u"localhost"_s}, {u"port"_s, port}}; // resolved by QHostInfo
    auto con = openConnection(options);
    QCOMPARE(await(con->fetchValue(u"SELECT 1"_s)).toInt(), 1);
}

void tst_Connection::connectsThroughSecondHost()
{
    // libpq moves to the second host on a new socket; the notifiers must follow it.
    auto probe = openConnection();
    const QString port = await(probe->fetchValue(u"SHOW port"_s)).toString();
    QPg::ConnectOptions options = QPg::ConnectOptions::fromDsn(dsn());
    options.parameters = {{u"host"_s, u"127.0.0.1,127.0.0.1"_s},
                          {u"port"_s, u"%1,%2"_s.arg(closedPort()).arg(port)}};
    auto con = openConnection(options);
    QCOMPARE(await(con->fetchValue(u"SELECT 42"_s)).toInt(), 42);
}

void tst_Connection::appliesServerSettings()
{
    QPg::ConnectOptions options = QPg::ConnectOptions::fromDsn(dsn());
    options.serverSettings = {{u"search_path"_s, u"pg_catalog, public"_s}, {u"work_mem"_s, u"5MB"_s}};
    options.keepalivesIdle = 30s;
    options.keepalivesInterval = 5s;
    options.keepalivesCount = 3;
    options.tcpUserTimeout = 10s;
    auto con = openConnection(options);
    QCOMPARE(await(con->fetchValue(u"SHOW search_path"_s)).toString(), u"pg_catalog, public"_s);
    QCOMPARE(await(con->fetchValue(u"SHOW work_mem"_s)).toString(), u"5MB"_s);
}

void tst_Connection::executeReturnsStatus()
{
    auto con = openConnection();
    QCOMPARE(await(con->execute(u"CREATE TEMP TABLE t (id int PRIMARY KEY, name text)"_s)), u"CREATE TABLE"_s);
    QCOMPARE(await(con->execute(u"INSERT INTO t VALUES ($1, $2)"_s, 1, u"one"_s)), u"INSERT 0 1"_s);
    QCOMPARE(await(con->execute(u"INSERT INTO t SELECT g, g::text FROM generate_series(2, 10) g"_s)),
             u"INSERT 0 9"_s);
    QCOMPARE(await(con->execute(u"UPDATE t SET name = $1 WHERE id > $2"_s, u"big"_s, 5)), u"UPDATE 5"_s);
    QCOMPARE(await(con->execute(u"DELETE FROM t WHERE id = $1"_s, 99)), u"DELETE 0"_s);
}

void tst_Connection::executeRunsScript()
{
    auto con = openConnection();
    const QString tag = await(con->execute(
        u"CREATE TEMP TABLE s (v int); INSERT INTO s VALUES (1), (2); INSERT INTO s VALUES (3)"_s));
    QCOMPARE(tag, u"INSERT 0 1"_s);
    QCOMPARE(await(con->fetchValue(u"SELECT sum(v) FROM s"_s)).toLongLong(), 6);
    // A failing statement stops the script; the statements before it ran in the same implicit
    // transaction, so nothing is kept.
    QVERIFY(awaitError<QPg::DivisionByZeroError>(con->execute(u"INSERT INTO s VALUES (4); SELECT 1/0; INSERT INTO s VALUES (5)"_s)));
    QCOMPARE(await(con->fetchValue(u"SELECT count(*) FROM s"_s)).toLongLong(), 3);
}

void tst_Connection::fetchReturnsRows()
{
    auto con = openConnection();
    const QPg::RecordList rows = await(con->fetch(
        u"SELECT g AS id, 'n' || g AS name, NULL::text AS nothing, '' AS empty FROM generate_series(1, $1) g"_s, 3));
    QCOMPARE(rows.size(), 3);
    QCOMPARE(rows[0].columnNames(), (QStringList{u"id"_s, u"name"_s, u"nothing"_s, u"empty"_s}));
    QCOMPARE(rows[2][0].toInt(), 3);
    QCOMPARE(rows[2][u"name"].toString(), u"n3"_s);
    QVERIFY(rows[0][u"nothing"].isNull());
    QVERIFY(rows[0].isNull(2));
    QVERIFY(!rows[0][u"empty"].isNull());
    QCOMPARE(rows[0][u"empty"].toString(), QString(u""_s));
    QVERIFY(!rows[0].value(u"missing").isValid());
    QCOMPARE(rows[0].columnTypeName(0), u"int4"_s);
    QCOMPARE(rows[1].toVariantMap().value(u"name"_s).toString(), u"n2"_s);
    QCOMPARE(rows[1].toJsonObject().value(u"id"_s).toInt(), 2);
    QVERIFY(rows[1].toJsonObject().value(u"nothing"_s).isNull());

    const QPg::Record row = await(con->fetchRow(u"SELECT 1 AS a, 2 AS b"_s));
    QVERIFY(row.isValid());
    QCOMPARE(row.size(), 2);
    QCOMPARE(await(con->fetchValue(u"SELECT 1, 'second'"_s, {}, {.column = 1})).toString(), u"second"_s);
    QVERIFY(awaitError<QPg::InterfaceError>(con->fetchValue(u"SELECT 1"_s, {}, {.column = 3})));
}

void tst_Connection::fetchRowAndValueWithoutRows()
{
    auto con = openConnection();
    QVERIFY(!await(con->fetchRow(u"SELECT 1 WHERE false"_s)).isValid());
    // The "no row" record still names the result's columns, and has no values.
    const QPg::Record none = await(con->fetchRow(u"SELECT 1 AS a, 2 AS b WHERE false"_s));
    QCOMPARE(none.columnNames(), QStringList({u"a"_s, u"b"_s}));
    QVERIFY(none.values().isEmpty());
    QVERIFY(!none.value(0).isValid());
    QVERIFY(!await(con->fetchValue(u"SELECT 1 WHERE false"_s)).isValid());
    QVERIFY(await(con->fetchValue(u"SELECT NULL"_s)).isNull());
    QVERIFY(await(con->fetchValue(u"SELECT NULL"_s)).isValid());
    QVERIFY(await(con->fetch(u"SELECT 1 WHERE false"_s)).isEmpty());
}

void tst_Connection::fetchesLargeResult()
{
    auto con = openConnection();
    const QPg::RecordList rows = await(con->fetch(
        u"SELECT g, md5(g::text) FROM generate_series(1, 100000) g"_s));
    QCOMPARE(rows.size(), 100000);
    qlonglong sum = 0;
    for (const QPg::Record &r : rows)
        sum += r.value(0).toLongLong();
    QCOMPARE(sum, 100000LL * 100001 / 2);
    QCOMPARE(rows.last().value(1).toString(), QString::fromLatin1(QCryptographicHash::hash("100000", QCryptographicHash::Md5).toHex()));
}

void tst_Connection::queuesOperationsInOrder()
{
    auto con = openConnection();
    QList<QFuture<QVariant>> futures;
    for (int i = 0; i < 50; ++i)
        futures.append(con->fetchValue(u"SELECT $1::int"_s, i));
    QVERIFY(con->pendingOperations() > 1);
    QVERIFY(con->isBusy());
    // A failure in the middle does not disturb the others.
    auto bad = con->fetchValue(u"SELECT 1/0"_s);
    futures.append(con->fetchValue(u"SELECT $1::int"_s, 50));
    QList<int> order;
    for (auto &f : futures)
        f.then([&order](const QVariant &v) { order.append(v.toInt()); });
    QVERIFY(awaitError<QPg::DivisionByZeroError>(bad));
    for (int i = 0; i <= 50; ++i)
        QCOMPARE(await(futures[i]).toInt(), i);
    QTRY_COMPARE(order.size(), 51);
    for (int i = 0; i <= 50; ++i)
        QCOMPARE(order[i], i);
    QTRY_VERIFY(!con->isBusy());
}

void tst_Connection::parametersAreNeverSpliced()
{
    auto con = openConnection();
    await(con->execute(u"CREATE TEMP TABLE inj (v text)"_s));
    const QString evil = u"'); DROP TABLE inj; --"_s;
    await(con->execute(u"INSERT INTO inj VALUES ($1)"_s, evil));
    QCOMPARE(await(con->fetchValue(u"SELECT v FROM inj"_s)).toString(), evil);
    QCOMPARE(await(con->fetchValue(u"SELECT $1::text || $2::text"_s, u"$2"_s, u"x"_s)).toString(), u"$2x"_s);
}

void tst_Connection::errorsCarryServerFields()
{
    auto con = openConnection();
    await(con->execute(u"CREATE TEMP TABLE parent (id int PRIMARY KEY);"
                       u"CREATE TEMP TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent(id),"
                       u" name text NOT NULL, qty int CHECK (qty > 0));"
                       u"INSERT INTO parent VALUES (1); INSERT INTO child VALUES (1, 1, 'a', 1)"_s));

    auto unique = awaitError<QPg::UniqueViolationError>(con->execute(u"INSERT INTO parent VALUES ($1)"_s, 1));
    QVERIFY(unique);
    QCOMPARE(unique->sqlState(), u"23505"_s);
    QCOMPARE(unique->severity(), u"ERROR"_s);
    QCOMPARE(unique->tableName(), u"parent"_s);
    QCOMPARE(unique->constraintName(), u"parent_pkey"_s);
    QVERIFY(unique->detail().contains(u"(id)=(1)"));
    QVERIFY(!unique->schemaName().isEmpty());

    auto fk = awaitError<QPg::ForeignKeyViolationError>(con->execute(u"INSERT INTO child VALUES (2, 7, 'b', 1)"_s));
    QVERIFY(fk);
    QCOMPARE(fk->constraintName(), u"child_parent_id_fkey"_s);

    auto notNull = awaitError<QPg::NotNullViolationError>(con->execute(u"INSERT INTO child VALUES (3, 1, NULL, 1)"_s));
    QVERIFY(notNull);
    QCOMPARE(notNull->columnName(), u"name"_s);

    auto check = awaitError<QPg::CheckViolationError>(con->execute(u"INSERT INTO child VALUES (4, 1, 'c', 0)"_s));
    QVERIFY(check);
    QCOMPARE(check->constraintName(), u"child_qty_check"_s);
    // Subclasses are caught through their SQLSTATE class and the common base.
    QVERIFY(awaitError<QPg::IntegrityConstraintViolationError>(con->execute(u"INSERT INTO child VALUES (4, 1, 'c', 0)"_s)));
    QVERIFY(awaitError<QPg::ServerError>(con->execute(u"INSERT INTO child VALUES (4, 1, 'c', 0)"_s)));

    auto syntax = awaitError<QPg::SqlSyntaxError>(con->execute(u"SELEC 1"_s));
    QVERIFY(syntax);
    QCOMPARE(syntax->position(), 1);
    QCOMPARE(syntax->sqlState(), u"42601"_s);

    auto table = awaitError<QPg::UndefinedTableError>(con->fetch(u"SELECT * FROM no_such_table"_s));
    QVERIFY(table);
    QCOMPARE(table->position(), 15);
    QVERIFY(awaitError<QPg::UndefinedColumnError>(con->fetch(u"SELECT no_such_column FROM parent"_s)));

    auto hinted = awaitError<QPg::RaiseExceptionError>(con->execute(
        u"DO $$ BEGIN RAISE EXCEPTION 'custom' USING DETAIL = 'the detail', HINT = 'the hint'; END $$"_s));
    QVERIFY(hinted);
    QCOMPARE(hinted->message(), u"custom"_s);
    QCOMPARE(hinted->detail(), u"the detail"_s);
    QCOMPARE(hinted->hint(), u"the hint"_s);
}

void tst_Connection::errorsMapToClasses_data()
{
    QTest::addColumn<QString>("sqlState");
    QTest::addColumn<QString>("expectedType");
    QTest::newRow("serialization") << u"40001"_s << u"SerializationFailureError"_s;
    QTest::newRow("deadlock") << u"40P01"_s << u"DeadlockDetectedError"_s;
    QTest::newRow("canceled") << u"57014"_s << u"QueryCanceledError"_s;
    QTest::newRow("privilege") << u"42501"_s << u"InsufficientPrivilegeError"_s;
    QTest::newRow("too many connections") << u"53300"_s << u"TooManyConnectionsError"_s;
    QTest::newRow("invalid password") << u"28P01"_s << u"InvalidPasswordError"_s;
    QTest::newRow("class 22 fallback") << u"22023"_s << u"DataError"_s;
    QTest::newRow("class 42 fallback") << u"42P10"_s << u"SyntaxErrorOrAccessRuleViolationError"_s;
    QTest::newRow("unknown class") << u"HV000"_s << u"ServerError"_s;
}

void tst_Connection::errorsMapToClasses()
{
    QFETCH(QString, sqlState);
    QFETCH(QString, expectedType);
    auto con = openConnection();
    auto future = con->execute(u"DO $$ BEGIN RAISE EXCEPTION 'raised' USING ERRCODE = '%1'; END $$"_s.arg(sqlState));
    auto error = awaitError<QPg::ServerError>(future);
    QVERIFY(error);
    QCOMPARE(error->sqlState(), sqlState);
    QString actual;
    try {
        future.waitForFinished();
    } catch (const QPg::SerializationFailureError &) { actual = u"SerializationFailureError"_s;
    } catch (const QPg::DeadlockDetectedError &) { actual = u"DeadlockDetectedError"_s;
    } catch (const QPg::QueryCanceledError &) { actual = u"QueryCanceledError"_s;
    } catch (const QPg::InsufficientPrivilegeError &) { actual = u"InsufficientPrivilegeError"_s;
    } catch (const QPg::TooManyConnectionsError &) { actual = u"TooManyConnectionsError"_s;
    } catch (const QPg::InvalidPasswordError &) { actual = u"InvalidPasswordError"_s;
    } catch (const QPg::DataError &) { actual = u"DataError"_s;
    } catch (const QPg::SyntaxErrorOrAccessRuleViolationError &) { actual = u"SyntaxErrorOrAccessRuleViolationError"_s;
    } catch (const QPg::ServerError &) { actual = u"ServerError"_s;
    }
    QCOMPARE(actual, expectedType);
    QVERIFY(con->isReady());
}

void tst_Connection::failedQueryLeavesConnectionUsable()
{
    auto con = openConnection();
    QVERIFY(awaitError<QPg::ServerError>(con->fetch(u"SELECT * FROM nowhere"_s)));
    QCOMPARE(await(con->fetchValue(u"SELECT 7"_s)).toInt(), 7);
    // Unsupported parameter types fail before anything is sent.
    QVERIFY(awaitError<QPg::InterfaceError>(con->fetchValue(u"SELECT $1"_s, QVariantList{QVariant::fromValue(QSize(1, 2))})));
    QCOMPARE(await(con->fetchValue(u"SELECT 8"_s)).toInt(), 8);
}

void tst_Connection::timeoutCancelsAndConnectionStaysUsable()
{
    QPg::ConnectOptions options = QPg::ConnectOptions::fromDsn(dsn());
    options.commandTimeout = 10s;
    auto con = openConnection(options);
    QElapsedTimer elapsed;
    elapsed.start();
    auto slow = con->fetchValue(u"SELECT pg_sleep(30)"_s, {}, {.timeout = 300ms});
    auto next = con->fetchValue(u"SELECT 'after'"_s); // queued behind the slow one
    auto timeout = awaitError<QPg::TimeoutError>(slow);
    QVERIFY(timeout);
    QVERIFY2(elapsed.elapsed() < 10000, "the cancel did not stop the query on the server");
    QCOMPARE(await(next).toString(), u"after"_s);
    QVERIFY(con->isReady());
    QCOMPARE(con->transactionStatus(), QPg::Connection::TransactionStatus::Idle);

    // The connection's default timeout applies when the call names none.
    con->setCommandTimeout(200ms);
    QVERIFY(awaitError<QPg::TimeoutError>(con->execute(u"SELECT pg_sleep(30)"_s)));
    QCOMPARE(await(con->fetchValue(u"SELECT 3"_s)).toInt(), 3);
}

void tst_Connection::cancelStopsRunningCommand()
{
    auto con = openConnection();
    QVERIFY(!con->cancel()); // nothing runs
    QElapsedTimer elapsed;
    elapsed.start();
    auto slow = con->fetchValue(u"SELECT pg_sleep(30)"_s);
    auto next = con->fetchValue(u"SELECT 'next'"_s);
    // A cancel that reaches the server before the query starts is ignored: wait until it runs.
    auto admin = openConnection();
    QTRY_COMPARE(await(admin->fetchValue(u"SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND state = 'active'"_s,
                                         con->backendPid())).toLongLong(), 1LL);
    QVERIFY(con->cancel());
    QVERIFY(awaitError<QPg::QueryCanceledError>(slow));
    QVERIFY(elapsed.elapsed() < 10000);
    QCOMPARE(await(next).toString(), u"next"_s); // the queue carries on
}

void tst_Connection::terminatedBackendReportsLoss()
{
    auto admin = openConnection();
    auto con = openConnection();
    QSignalSpy lost(con.get(), &QPg::Connection::connectionLost);
    auto running = con->fetchValue(u"SELECT pg_sleep(30)"_s);
    auto queued = con->fetchValue(u"SELECT 1"_s);
    QTRY_COMPARE(await(admin->fetchValue(u"SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND state = 'active'"_s,
                                         con->backendPid())).toLongLong(), 1LL);
    QVERIFY(await(admin->fetchValue(u"SELECT pg_terminate_backend($1)"_s, con->backendPid())).toBool());
    QVERIFY(awaitError<QPg::ConnectionLostError>(running));
    QVERIFY(awaitError<QPg::ConnectionLostError>(queued));
    QCOMPARE(lost.count(), 1);
    QCOMPARE(con->state(), QPg::Connection::State::Closed);
    QVERIFY(awaitError<QPg::InterfaceError>(con->fetchValue(u"SELECT 1"_s)));
}

void tst_Connection::idleConnectionNoticesServerClose()
{
    auto admin = openConnection();
    auto con = openConnection();
    QSignalSpy lost(con.get(), &QPg::Connection::connectionLost);
    QVERIFY(await(admin->fetchValue(u"SELECT pg_terminate_backend($1)"_s, con->backendPid())).toBool());
    QTRY_COMPARE_WITH_TIMEOUT(lost.count(), 1, 10000); // may arrive while the admin query is awaited
    QCOMPARE(con->state(), QPg::Connection::State::Closed);
}

void tst_Connection::closedPortFailsFast()
{
    QPg::ConnectOptions options;
    options.parameters = {{u"host"_s, u"127.0.0.1"_s}, {u"port"_s, QString::number(closedPort())},
                          {u"user"_s, u"postgres"_s}};
    QPg::Connection con(options);
    QElapsedTimer elapsed;
    elapsed.start();
    auto error = awaitError<QPg::ConnectionError>(con.open());
    QVERIFY(error);
    QVERIFY(elapsed.elapsed() < 5000);
    QVERIFY2(error->message().contains(u"refused"), qPrintable(error->message()));
    QCOMPARE(con.state(), QPg::Connection::State::Closed);
}

void tst_Connection::wrongPasswordIsInvalidPassword()
{
    QPg::Connection wrong(passwordDsnWith(u"not-the-password"_s));
    auto error = awaitError<QPg::InvalidPasswordError>(wrong.open());
    QVERIFY(error);
    QCOMPARE(error->sqlState(), u"28P01"_s);

    QPg::Connection right(passwordDsn());
    await(right.open());
    QCOMPARE(await(right.fetchValue(u"SELECT current_user"_s)).toString(), u"qpg_password"_s);
}

void tst_Connection::invalidDsnIsInterfaceError()
{
    QPg::Connection con(u"host=127.0.0.1 nonsense_keyword=1"_s);
    QVERIFY(awaitError<QPg::InterfaceError>(con.open()));
    QPg::Connection notOpened(dsn());
    QVERIFY(awaitError<QPg::InterfaceError>(notOpened.fetchValue(u"SELECT 1"_s)));
}

void tst_Connection::listenNotify()
{
    auto listener = openConnection();
    auto sender = openConnection();
    QList<QPg::Notification> received;
    await(listener->addListener(u"Jobs Channel"_s, [&received](const QPg::Notification &n) { received.append(n); }));
    QCOMPARE(listener->listenedChannels(), QStringList{u"Jobs Channel"_s});
    QSignalSpy signalled(listener.get(), &QPg::Connection::notification);

    await(sender->execute(u"SELECT pg_notify($1, $2)"_s, u"Jobs Channel"_s, u"payload ✓"_s));
    QTRY_COMPARE(received.size(), 1);
    QCOMPARE(received[0].channel, u"Jobs Channel"_s);
    QCOMPARE(received[0].payload, u"payload ✓"_s);
    QCOMPARE(received[0].processId, sender->backendPid());
    QCOMPARE(signalled.count(), 1);

    // A notification that arrives together with a query result is delivered too.
    await(listener->fetchValue(u"SELECT pg_notify('Jobs Channel', 'self'), repeat('x', 1000000)"_s));
    QTRY_COMPARE(received.size(), 2);
    QCOMPARE(received[1].processId, listener->backendPid());

    await(listener->removeListener(u"Jobs Channel"_s));
    await(sender->execute(u"SELECT pg_notify('Jobs Channel', 'ignored')"_s));
    await(listener->fetchValue(u"SELECT 1"_s)); // a round trip after the NOTIFY was sent
    QCOMPARE(received.size(), 2);
}

void tst_Connection::noticesAreSignalled()
{
    auto con = openConnection();
    QSignalSpy notices(con.get(), &QPg::Connection::notice);
    await(con->execute(u"DO $$ BEGIN RAISE NOTICE 'hello %', 42; RAISE WARNING 'careful'; END $$"_s));
    QTRY_COMPARE(notices.count(), 2);
    const auto first = notices.at(0).at(0).value<QPg::Notice>();
    QCOMPARE(first.message, u"hello 42"_s);
    QCOMPARE(first.severity, u"NOTICE"_s);
    QCOMPARE(notices.at(1).at(0).value<QPg::Notice>().severity, u"WARNING"_s);
}

void tst_Connection::closeWaitsForQueuedWork()
{
    auto con = openConnection();
    QSignalSpy closed(con.get(), &QPg::Connection::closed);
    auto first = con->fetchValue(u"SELECT pg_sleep(0.2), 1"_s, {}, {.column = 1});
    auto second = con->fetchValue(u"SELECT 2"_s);
    auto closing = con->close();
    QCOMPARE(con->state(), QPg::Connection::State::Closing);
    QVERIFY(awaitError<QPg::InterfaceError>(con->fetchValue(u"SELECT 3"_s)));
    await(closing);
    QCOMPARE(await(first).toInt(), 1);
    QCOMPARE(await(second).toInt(), 2);
    QCOMPARE(con->state(), QPg::Connection::State::Closed);
    QCOMPARE(closed.count(), 1);
    await(con->close()); // closing twice is harmless
}

void tst_Connection::terminateFailsPendingWork()
{
    auto con = openConnection();
    auto running = con->fetchValue(u"SELECT pg_sleep(30)"_s);
    auto queued = con->fetchValue(u"SELECT 1"_s);
    con->terminate();
    QCOMPARE(con->state(), QPg::Connection::State::Closed);
    QVERIFY(awaitError<QPg::ConnectionLostError>(running));
    QVERIFY(awaitError<QPg::ConnectionLostError>(queued));
}

void tst_Connection::copyThroughQueryMethodIsRejected()
{
    auto con = openConnection();
    QVERIFY(awaitError<QPg::InterfaceError>(con->execute(u"COPY (SELECT g FROM generate_series(1, 1000) g) TO STDOUT"_s)));
    QCOMPARE(await(con->fetchValue(u"SELECT 1"_s)).toInt(), 1);
    await(con->execute(u"CREATE TEMP TABLE c (v int)"_s));
    QVERIFY(awaitError<QPg::ServerError>(con->execute(u"COPY c FROM STDIN"_s)));
    QCOMPARE(await(con->fetchValue(u"SELECT count(*) FROM c"_s)).toLongLong(), 0LL);
}

void tst_Connection::loopKeepsRunningDuringLongQuery()
{
    auto con = openConnection();
    LoopWatch watch;
    await(con->fetchValue(u"SELECT pg_sleep(2)"_s));
    QVERIFY2(watch.ticks() >= 40, qPrintable(QString::number(watch.ticks())));
    QVERIFY2(watch.maxGapMs() < 250, qPrintable(QString::number(watch.maxGapMs())));
}

void tst_Connection::loopKeepsRunningDuringLargeResult()
{
    auto con = openConnection();
    LoopWatch watch;
    // About 80 MB of rows, as a COPY-sized export would be.
    const QPg::RecordList rows = await(con->fetch(
        u"SELECT g, repeat('x', 800) FROM generate_series(1, 100000) g"_s), 60000);
    QCOMPARE(rows.size(), 100000);
    QVERIFY2(watch.maxGapMs() < 250, qPrintable(QString::number(watch.maxGapMs())));
}

void tst_Connection::loopKeepsRunningDuringUnansweredConnect()
{
    // A server that accepts TCP connections (the kernel completes the handshake) and never answers.
    QTcpServer silent;
    QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
    QPg::ConnectOptions options;
    options.parameters = {{u"host"_s, u"127.0.0.1"_s}, {u"port"_s, QString::number(silent.serverPort())},
                          {u"user"_s, u"postgres"_s}, {u"sslmode"_s, u"disable"_s}};
    options.connectTimeout = 1500ms;
    QPg::Connection con(options);
    LoopWatch watch;
    QElapsedTimer elapsed;
    elapsed.start();
    QVERIFY(awaitError<QPg::TimeoutError>(con.open()));
    QVERIFY(elapsed.elapsed() >= 1400);
    QVERIFY(elapsed.elapsed() < 5000);
    QVERIFY2(watch.ticks() >= 50, qPrintable(QString::number(watch.ticks())));
    QVERIFY2(watch.maxGapMs() < 250, qPrintable(QString::number(watch.maxGapMs())));
}

QTEST_MAIN(tst_Connection)
#include "tst_connection.moc"
