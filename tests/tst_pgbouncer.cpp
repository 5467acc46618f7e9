// SPDX-License-Identifier: MIT
// The library behind a real PgBouncer 1.18 (transaction and session mode) in front of the test
// run's server.
#include <QPg/connection.h>
#include <QPg/pool.h>

#include "await.h"
#include "pgbouncer.h"
#include "privatecluster.h"
#include "testserver.h"

#include <QtCore/QBuffer>
#include <QtTest/QTest>

using namespace Qt::Literals::StringLiterals;
using namespace QPgTest;

namespace {

using Bouncer = QPg::Dev::PgBouncer;

// The backend PgBouncer forwards to: the run's private cluster, or one of our own when the run
// uses an outside server (PgBouncer must reach it as a trusted `postgres`).
struct Backend
{
    std::unique_ptr<QPg::Dev::PrivateCluster> own;
    int port = 0;

    bool start(QString *error)
    {
        if (isPrivateCluster()) {
            port = stateValue(u"PORT"_s).toInt();
            return port > 0;
        }
        own = std::make_unique<QPg::Dev::PrivateCluster>();
        if (!own->start(error))
            return false;
        port = own->port();
        return true;
    }
};

std::unique_ptr<Bouncer> startBouncer(int backendPort, Bouncer::PoolMode mode, int poolSize,
                                      const QStringList &ignoreStartupParameters = {})
{
    Bouncer::Config config;
    config.backendPort = backendPort;
    config.poolMode = mode;
    config.poolSize = poolSize;
    config.ignoreStartupParameters = ignoreStartupParameters;
    auto bouncer = std::make_unique<Bouncer>(config);
    QString error;
    if (!bouncer->start(&error))
        qFatal("cannot start pgbouncer: %s", qPrintable(error));
    return bouncer;
}

struct Tally
{
    int right = 0;
    int wrong = 0;  // a result that belongs to another statement, delivered as a success
    int failed = 0; // an error (acceptable: the caller knows)
    QString firstWrong;
    QString firstError;
};

// clients connections run rounds calls each, every call a statement distinct per client and
// round % distinct, checking its own result. Through a server connection shared by several
// clients, a statement run under another client's name would return that client's number.
Tally runDistinctStatements(const QPg::ConnectOptions &options, int clients, int rounds, int distinct)
{
    std::vector<std::unique_ptr<QPg::Connection>> connections;
    for (int c = 0; c < clients; ++c) {
        connections.push_back(std::make_unique<QPg::Connection>(options));
        await(connections.back()->open());
    }
    struct Call
    {
        QFuture<QVariant> future;
        qlonglong expected;
    };
    std::vector<Call> calls;
    for (int r = 0; r < rounds; ++r) {
        for (int c = 0; c < clients; ++c) {
            const int k = r % distinct;
            const qlonglong base = qlonglong(c) * 1'000'000 + qlonglong(k) * 1'000;
            const QString sql = u"SELECT $1::int8 + %1"_s.arg(base);
            calls.push_back({connections[size_t(c)]->fetchValue(sql, {r}), base + r});
        }
    }
    Tally tally;
    for (Call &call : calls) {
        if (!waitFor(call.future, 60'000))
            qFatal("a call through pgbouncer did not finish within 60 s");
        try {
            const qlonglong got = call.future.result().toLongLong();
            if (got == call.expected) {
                ++tally.right;
            } else {
                if (tally.firstWrong.isEmpty())
                    tally.firstWrong = u"expected %1, got %2"_s.arg(call.expected).arg(got);
                ++tally.wrong;
            }
        } catch (const QPg::Error &e) {
            if (tally.firstError.isEmpty())
                tally.firstError = e.message();
            ++tally.failed;
        }
    }
    return tally;
}

} // namespace

class tst_PgBouncer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void statementNamesDifferPerConnection();
    void sharedServerConnectionNeverGivesAnotherClientsResult();
    void presetSendsNoRefusedStartupParameter();
    void serverSettingsRefusedThroughPgBouncer();
    void transactionModeEveryApiWorks();
    void transactionModeRefusesListen();
    void sessionModeKeepsStatementCacheAndListen();

private:
    Backend m_backend;
};

void tst_PgBouncer::initTestCase()
{
    QString error;
    QVERIFY2(m_backend.start(&error), qPrintable(error));
}

// Two sessions that prepare the same SQL name their statements differently, so a server session
// shared through a pooler can never run one client's statement for another.
void tst_PgBouncer::statementNamesDifferPerConnection()
{
    QPg::Connection a(dsn());
    QPg::Connection b(dsn());
    await(a.open());
    await(b.open());
    const QString sql = u"SELECT $1::int + 1"_s;
    QCOMPARE(await(a.fetchValue(sql, {1})).toInt(), 2);
    QCOMPARE(await(b.fetchValue(sql, {1})).toInt(), 2);
    const QString nameSql = u"SELECT name FROM pg_prepared_statements WHERE statement = $1"_s;
    const QString nameA = await(a.fetchValue(nameSql, {sql})).toString();
    const QString nameB = await(b.fetchValue(nameSql, {sql})).toString();
    QVERIFY(!nameA.isEmpty());
    QVERIFY(!nameB.isEmpty());
    QVERIFY2(nameA != nameB, qPrintable(nameA));
}

// Issue 13 item 4: PgBouncer in transaction mode, the default statement cache, several clients on
// two server connections. Errors are acceptable there (the preset avoids them); another client's
// result delivered as a success never is.
void tst_PgBouncer::sharedServerConnectionNeverGivesAnotherClientsResult()
{
    // As the user ran it: PgBouncer told to drop the startup parameters it would refuse.
    auto bouncer = startBouncer(m_backend.port, Bouncer::PoolMode::Transaction, 2,
                                {u"options"_s, u"extra_float_digits"_s});
    const Tally tally = runDistinctStatements(QPg::ConnectOptions::fromDsn(bouncer->dsn()), 8, 150, 20);
    qInfo("right %d, wrong %d, failed %d; first error: %s", tally.right, tally.wrong, tally.failed,
          qPrintable(tally.firstError));
    QVERIFY2(tally.wrong == 0, qPrintable(u"%1 wrong results, first: %2"_s.arg(tally.wrong).arg(tally.firstWrong)));
    QVERIFY(tally.right > 0);
}

// PgBouncer refuses the "options" startup parameter the library sends for direct connections;
// the preset does not send it, and application_name still arrives.
void tst_PgBouncer::presetSendsNoRefusedStartupParameter()
{
    auto bouncer = startBouncer(m_backend.port, Bouncer::PoolMode::Transaction, 2);
    QPg::Connection direct(bouncer->dsn());
    auto refused = awaitError<QPg::Error>(direct.open());
    QVERIFY(refused);
    QVERIFY2(refused->message().contains(u"unsupported startup parameter"_s), qPrintable(refused->message()));

    QPg::ConnectOptions options = QPg::PoolOptions::forPgBouncer(bouncer->dsn(), QPg::PgBouncerMode::Transaction).connectOptions;
    options.applicationName = u"through bouncer"_s;
    QPg::Connection con(options);
    await(con.open());
    QCOMPARE(await(con.fetchValue(u"SELECT current_setting('application_name')"_s)).toString(), u"through bouncer"_s);
}

void tst_PgBouncer::serverSettingsRefusedThroughPgBouncer()
{
    auto bouncer = startBouncer(m_backend.port, Bouncer::PoolMode::Session, 2);
    QPg::ConnectOptions options = QPg::PoolOptions::forPgBouncer(bouncer->dsn(), QPg::PgBouncerMode::Session).connectOptions;
    options.serverSettings.insert(u"work_mem"_s, u"8MB"_s);
    QPg::Connection con(options);
    auto error = awaitError<QPg::InterfaceError>(con.open());
    QVERIFY(error);
    QVERIFY2(error->message().contains(u"work_mem"_s), qPrintable(error->message()));

    // application_name alone passes, as its own startup parameter.
    options.serverSettings = {{u"application_name"_s, u"named"_s}};
    QPg::Connection named(options);
    await(named.open());
    QCOMPARE(await(named.fetchValue(u"SELECT current_setting('application_name')"_s)).toString(), u"named"_s);
}

// With the preset, every API works through transaction mode, also from many connections at once.
void tst_PgBouncer::transactionModeEveryApiWorks()
{
    auto bouncer = startBouncer(m_backend.port, Bouncer::PoolMode::Transaction, 2);
    const QPg::PoolOptions poolOptions = QPg::PoolOptions::forPgBouncer(bouncer->dsn(), QPg::PgBouncerMode::Transaction);
    QCOMPARE(poolOptions.connectOptions.statementCacheSize, 0);

    const Tally tally = runDistinctStatements(poolOptions.connectOptions, 8, 100, 20);
    QVERIFY2(tally.failed == 0, qPrintable(tally.firstError));
    QCOMPARE(tally.wrong, 0);
    QCOMPARE(tally.right, 800);

    QPg::PoolOptions options = poolOptions;
    options.minSize = 1;
    options.maxSize = 4;
    QPg::Pool pool(options);
    await(pool.open());

    // Parameters, and values decoded from text results (unnamed statements) exactly.
    QCOMPARE(await(pool.fetchValue(u"SELECT $1::int + $2::int"_s, {40, 2})).toInt(), 42);
    QCOMPARE(await(pool.fetchValue(u"SELECT $1::float8 * 3"_s, {0.1})).toDouble(), 0.1 * 3);
    QCOMPARE(await(pool.fetchValue(u"SELECT $1::date + 1"_s, {QDate(2024, 2, 28)})).toDate(), QDate(2024, 2, 29));
    const QPg::Record row = await(pool.fetchRow(u"SELECT $1::text AS a, $2::int8 AS b"_s, {u"x"_s, 7}));
    QCOMPARE(row[u"a"_s].toString(), u"x"_s);
    QCOMPARE(row[u"b"_s].toLongLong(), 7);
    QCOMPARE(await(pool.fetch(u"SELECT generate_series(1, $1)"_s, {5})).size(), 5);

    await(pool.execute(u"DROP TABLE IF EXISTS bouncer_items; DROP TABLE IF EXISTS bouncer_copy"_s));
    await(pool.execute(u"CREATE TABLE bouncer_items (id int PRIMARY KEY, name text)"_s));
    await(pool.execute(u"CREATE TABLE bouncer_copy (id int PRIMARY KEY, name text)"_s));
    await(pool.executeMany(u"INSERT INTO bouncer_items VALUES ($1, $2)"_s, {{1, u"a"_s}, {2, u"b\\tc"_s}, {3, u"d'e"_s}}));
    QCOMPARE(await(pool.fetchMany(u"SELECT name FROM bouncer_items WHERE id = $1"_s, {{1}, {3}})).size(), 2);

    // COPY out and back in.
    QBuffer out;
    out.open(QIODevice::WriteOnly);
    QCOMPARE(await(pool.copyFromTable(u"bouncer_items"_s, &out)), 3);
    QBuffer in;
    in.setData(out.data());
    in.open(QIODevice::ReadOnly);
    QCOMPARE(await(pool.copyToTable(u"bouncer_copy"_s, &in)), 3);
    QCOMPARE(await(pool.copyRecordsToTable(u"bouncer_copy"_s, {{4, u"f"_s}})), 1);
    QCOMPARE(await(pool.fetchValue(u"SELECT string_agg(name, '|' ORDER BY id) FROM bouncer_copy"_s)).toString(),
             u"a|b\\tc|d'e|f"_s);

    QPg::PooledConnection held = await(pool.acquire());
    QPg::Connection *con = held.connection();
    // A transaction rolled back and one committed.
    {
        QPg::Transaction tx = con->transaction();
        await(tx.start());
        await(con->execute(u"INSERT INTO bouncer_items VALUES ($1, $2)"_s, {10, u"gone"_s}));
        await(tx.rollback());
    }
    {
        QPg::Transaction tx = con->transaction();
        await(tx.start());
        await(con->execute(u"INSERT INTO bouncer_items VALUES ($1, $2)"_s, {11, u"kept"_s}));
        // A cursor inside the transaction: its portal lives in the transaction's server session.
        QPg::Cursor cursor = con->cursor(u"SELECT id FROM bouncer_items WHERE id > $1 ORDER BY id"_s, {0});
        QCOMPARE(await(cursor.fetch(2)).size(), 2);
        const QPg::RecordList rest = await(cursor.fetch(10));
        QCOMPARE(rest.size(), 2);
        QCOMPARE(rest.last()[0].toInt(), 11);
        await(tx.commit());
    }
    // A cursor outside a transaction opens its own.
    QPg::Cursor own = con->cursor(u"SELECT generate_series(1, $1)"_s, {7});
    QCOMPARE(await(own.fetch(5)).size(), 5);
    QCOMPARE(await(own.fetch(5)).size(), 2);
    QCOMPARE(await(con->fetchValue(u"SELECT count(*) FROM bouncer_items WHERE id >= 10"_s)).toInt(), 1);
    await(held.release());
    await(pool.execute(u"DROP TABLE bouncer_items; DROP TABLE bouncer_copy"_s));
    await(pool.close());
}

void tst_PgBouncer::transactionModeRefusesListen()
{
    auto bouncer = startBouncer(m_backend.port, Bouncer::PoolMode::Transaction, 2);
    QPg::Connection con(QPg::PoolOptions::forPgBouncer(bouncer->dsn(), QPg::PgBouncerMode::Transaction).connectOptions);
    await(con.open());
    auto error = awaitError<QPg::InterfaceError>(con.addListener(u"events"_s, [](const QPg::Notification &) {}));
    QVERIFY(error);
    QVERIFY2(error->message().contains(u"PgBouncer"_s), qPrintable(error->message()));
    QVERIFY(con.listenedChannels().isEmpty());
    QCOMPARE(await(con.fetchValue(u"SELECT 1"_s)).toInt(), 1); // still usable
}

// Session mode keeps one server session per client: the statement cache and LISTEN work.
void tst_PgBouncer::sessionModeKeepsStatementCacheAndListen()
{
    auto bouncer = startBouncer(m_backend.port, Bouncer::PoolMode::Session, 4);
    const QPg::ConnectOptions options = QPg::PoolOptions::forPgBouncer(bouncer->dsn(), QPg::PgBouncerMode::Session).connectOptions;
    QCOMPARE(options.statementCacheSize, 100);
    const Tally tally = runDistinctStatements(options, 4, 100, 20);
    QVERIFY2(tally.failed == 0, qPrintable(tally.firstError));
    QCOMPARE(tally.right, 400);

    QPg::Connection con(options);
    await(con.open());
    const QString sql = u"SELECT $1::int * 2"_s;
    QCOMPARE(await(con.fetchValue(sql, {21})).toInt(), 42);
    QCOMPARE(await(con.fetchValue(u"SELECT count(*) FROM pg_prepared_statements WHERE statement = $1"_s, {sql})).toInt(), 1);

    QString received;
    await(con.addListener(u"bouncer events"_s, [&received](const QPg::Notification &n) { received = n.payload; }));
    QPg::Connection notifier(dsn());
    await(notifier.open());
    await(notifier.execute(u"SELECT pg_notify($1, $2)"_s, {u"bouncer events"_s, u"hello"_s}));
    QTRY_COMPARE(received, u"hello"_s);
}

QTEST_MAIN(tst_PgBouncer)
#include "tst_pgbouncer.moc"
