// SPDX-License-Identifier: MIT
// The library behind a real PgBouncer 1.18 (transaction and session mode) in front of the test
// run's server.
#include <QPg/connection.h>

#include "await.h"
#include "pgbouncer.h"
#include "privatecluster.h"
#include "testserver.h"

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

QTEST_MAIN(tst_PgBouncer)
#include "tst_pgbouncer.moc"
