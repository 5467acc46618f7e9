// SPDX-License-Identifier: MIT
// ClusterPool against a real primary and a real streaming replica made with pg_basebackup -R:
// routing, lag, a replica going away and coming back, and a failover to the promoted replica.
#include "await.h"
#include "privatecluster.h"

#include <QPg/clusterpool.h>
#include <QPg/errors.h>
#include <QPg/pooledconnection.h>

#include <QtCore/QElapsedTimer>
#include <QtCore/QFutureWatcher>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace Qt::Literals::StringLiterals;
using namespace std::chrono_literals;
using namespace QPgTest;
using QPg::Access;
using QPg::ServerStatus;
using QPg::Dev::PrivateCluster;

namespace {

// A caller writing in a loop through acquire(ReadWrite): what it saw, per server port.
class WriteLoop : public QObject
{
public:
    WriteLoop(QPg::ClusterPool *cluster, int id)
        : m_cluster(cluster)
        , m_id(id)
    {
    }

    void start() { step(); }
    void stop() { m_stopped = true; }

    QHash<int, int> successesByPort;
    int queryErrors = 0;
    int acquireErrors = 0;
    QStringList errors;

private:
    // Qt 6.4's then(context, ...) asserts that the context outlives the future; a watcher owned by
    // this loop is simply dropped with it.
    template<typename T, typename Function>
    void whenDone(const QFuture<T> &future, Function function)
    {
        auto *watcher = new QFutureWatcher<T>(this);
        connect(watcher, &QFutureWatcherBase::finished, this, [watcher, function]() mutable {
            watcher->deleteLater();
            function(watcher->future());
        });
        watcher->setFuture(future);
    }

    void step()
    {
        if (m_stopped)
            return;
        whenDone(m_cluster->acquire(Access::ReadWrite), [this](QFuture<QPg::PooledConnection> acquired) {
            QPg::PooledConnection connection;
            try {
                connection = acquired.result();
            } catch (const std::exception &e) {
                ++acquireErrors;
                errors.append(QString::fromUtf8(e.what()));
                QTimer::singleShot(100ms, this, [this] { step(); });
                return;
            }
            const QFuture<QVariant> inserted =
                connection.fetchValue(u"INSERT INTO writes VALUES ($1) RETURNING inet_server_port()"_s, {m_id});
            whenDone(inserted, [this, connection](QFuture<QVariant> inserted) {
                try {
                    ++successesByPort[inserted.result().toInt()];
                } catch (const std::exception &e) {
                    ++queryErrors;
                    errors.append(QString::fromUtf8(e.what()));
                }
                connection.release();
                QTimer::singleShot(0, this, [this] { step(); });
            });
        });
    }

    QPg::ClusterPool *m_cluster;
    int m_id;
    bool m_stopped = false;
};

int serverPort(QPg::PooledConnection &connection)
{
    return await(connection.fetchValue(u"SELECT inet_server_port()"_s)).toInt();
}

} // namespace

class tst_ClusterPool : public QObject
{
    Q_OBJECT

private:
    PrivateCluster m_primary;
    PrivateCluster m_replica;
    PrivateCluster m_secondReplica; // only in the balancing tests' cluster

    QString clusterDsn(bool withSecondReplica) const
    {
        QString ports = u"%1,%2"_s.arg(m_primary.port()).arg(m_replica.port());
        QString hosts = u"127.0.0.1,127.0.0.1"_s;
        if (withSecondReplica) {
            ports += u",%1"_s.arg(m_secondReplica.port());
            hosts += u",127.0.0.1"_s;
        }
        return u"host=%1 port=%2 user=postgres dbname=%3 connect_timeout=2"_s.arg(hosts, ports,
                                                                                 PrivateCluster::databaseName());
    }

    QPg::ClusterPoolOptions clusterOptions(bool withSecondReplica = false) const
    {
        QPg::ClusterPoolOptions options = QPg::ClusterPoolOptions::fromDsn(clusterDsn(withSecondReplica));
        options.pool.minSize = 1;
        options.pool.maxSize = 4;
        options.checkInterval = 100ms;
        return options;
    }

    static int readableCount(const QPg::ClusterPool &cluster)
    {
        int count = 0;
        for (const ServerStatus &status : cluster.servers())
            count += status.readable ? 1 : 0;
        return count;
    }

    static ServerStatus::Role roleOf(const QPg::ClusterPool &cluster, int port)
    {
        for (const ServerStatus &status : cluster.servers()) {
            if (status.name.endsWith(u':' + QString::number(port)))
                return status.role;
        }
        return ServerStatus::Role::Unknown;
    }

    int readPort(QPg::ClusterPool &cluster)
    {
        QPg::PooledConnection connection = await(cluster.acquire(Access::ReadOnly));
        const int port = serverPort(connection);
        await(connection.release());
        return port;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QString error;
        m_primary.setServerSetting(u"wal_keep_size"_s, u"128MB"_s);
        QVERIFY2(m_primary.start(&error), qPrintable(error));
        QVERIFY2(m_primary.runPsql({u"-c"_s, u"CREATE TABLE writes (caller int)"_s}, nullptr, &error),
                 qPrintable(error));
        QVERIFY2(m_replica.startReplicaOf(m_primary, &error), qPrintable(error));
        QVERIFY2(m_secondReplica.startReplicaOf(m_primary, &error), qPrintable(error));
        QCOMPARE(PrivateCluster::querySingleValue(m_replica.dsn(), u"SELECT pg_is_in_recovery()"_s), u"t"_s);
    }

    void serversAreListedWithTheirRoles()
    {
        QPg::ClusterPool cluster(clusterOptions());
        await(cluster.open());
        QTRY_COMPARE_WITH_TIMEOUT(roleOf(cluster, m_replica.port()), ServerStatus::Role::Replica, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(roleOf(cluster, m_primary.port()), ServerStatus::Role::Primary, 10000);
        const QList<ServerStatus> servers = cluster.servers();
        QCOMPARE(servers.size(), 2);
        QCOMPARE(servers.at(0).name, u"127.0.0.1:%1"_s.arg(m_primary.port()));
        QVERIFY(!servers.at(0).readable);
        QVERIFY(servers.at(1).readable);
        QVERIFY(servers.at(1).replicationLag.has_value());
        QCOMPARE(servers.at(0).stats.maxSize, 4);
    }

    void readsGoToTheReplicaAndWritesToThePrimary()
    {
        QPg::ClusterPool cluster(clusterOptions());
        await(cluster.open());
        QTRY_COMPARE_WITH_TIMEOUT(readableCount(cluster), 1, 10000);

        QPg::PooledConnection writer = await(cluster.acquire(Access::ReadWrite));
        QCOMPARE(serverPort(writer), m_primary.port());
        await(writer.execute(u"INSERT INTO writes VALUES (1)"_s));
        await(writer.release());

        for (int i = 0; i < 5; ++i)
            QCOMPARE(readPort(cluster), m_replica.port());
        QPg::PooledConnection reader = await(cluster.acquire(Access::ReadOnly));
        QCOMPARE(await(reader.fetchValue(u"SELECT pg_is_in_recovery()"_s)).toBool(), true);
        QTRY_VERIFY_WITH_TIMEOUT(await(reader.fetchValue(u"SELECT count(*) FROM writes WHERE caller = 1"_s)).toInt() > 0,
                                 10000);
        // Writing on a read connection fails: it is a standby.
        QVERIFY(awaitError<QPg::ServerError>(reader.execute(u"INSERT INTO writes VALUES (2)"_s)));
    }

    void leastBusyBalancingSpreadsHeldConnections()
    {
        QPg::ClusterPool cluster(clusterOptions(/*withSecondReplica*/ true));
        await(cluster.open());
        QTRY_COMPARE_WITH_TIMEOUT(readableCount(cluster), 2, 10000);
        QList<QPg::PooledConnection> held;
        QHash<int, int> byPort;
        for (int i = 0; i < 6; ++i) {
            held.append(await(cluster.acquire(Access::ReadOnly)));
            ++byPort[serverPort(held.last())];
        }
        QCOMPARE(byPort.value(m_replica.port()), 3);
        QCOMPARE(byPort.value(m_secondReplica.port()), 3);
        for (const QPg::PooledConnection &connection : std::as_const(held))
            await(connection.release());
    }

    void randomBalancingUsesEveryHealthyReplica()
    {
        QPg::ClusterPoolOptions options = clusterOptions(/*withSecondReplica*/ true);
        options.balancing = QPg::ReplicaBalancing::Random;
        QPg::ClusterPool cluster(options);
        await(cluster.open());
        QTRY_COMPARE_WITH_TIMEOUT(readableCount(cluster), 2, 10000);
        QHash<int, int> byPort;
        for (int i = 0; i < 40; ++i)
            ++byPort[readPort(cluster)];
        // Each replica has a chance of 2^-40 of never being picked.
        QCOMPARE(byPort.size(), 2);
        QVERIFY(byPort.value(m_replica.port()) > 0 && byPort.value(m_secondReplica.port()) > 0);
    }

    void laggingReplicaIsLeftOut()
    {
        QPg::ClusterPoolOptions options = clusterOptions();
        options.maxReplicaLag = 500ms;
        QPg::ClusterPool cluster(options);
        await(cluster.open());
        QTRY_COMPARE_WITH_TIMEOUT(readableCount(cluster), 1, 10000);

        QString error;
        QVERIFY2(PrivateCluster::runPsql(m_replica.dsn(), {u"-c"_s, u"SELECT pg_wal_replay_pause()"_s}, nullptr, &error),
                 qPrintable(error));
        QVERIFY2(m_primary.runPsql({u"-c"_s, u"INSERT INTO writes VALUES (3)"_s}, nullptr, &error), qPrintable(error));
        QTRY_COMPARE_WITH_TIMEOUT(readableCount(cluster), 0, 10000);
        QCOMPARE(roleOf(cluster, m_replica.port()), ServerStatus::Role::Replica);
        QVERIFY(cluster.servers().at(1).replicationLag > 500ms);
        QCOMPARE(readPort(cluster), m_primary.port()); // readFromPrimary

        QPg::ClusterPoolOptions strict = options;
        strict.readFromPrimary = false;
        strict.failoverTimeout = 0ms;
        QPg::ClusterPool strictCluster(strict);
        await(strictCluster.open());
        QTRY_COMPARE_WITH_TIMEOUT(roleOf(strictCluster, m_replica.port()), ServerStatus::Role::Replica, 10000);
        const auto refused = awaitError<QPg::ConnectionError>(strictCluster.acquire(Access::ReadOnly));
        QVERIFY(refused);
        QVERIFY2(QString::fromUtf8(refused->what()).contains(u"no replica"_s), refused->what());

        QVERIFY2(PrivateCluster::runPsql(m_replica.dsn(), {u"-c"_s, u"SELECT pg_wal_replay_resume()"_s}, nullptr, &error),
                 qPrintable(error));
        QTRY_COMPARE_WITH_TIMEOUT(readableCount(cluster), 1, 10000);
        QCOMPARE(readPort(cluster), m_replica.port());
    }

    void stoppedReplicaIsDroppedAndReadded()
    {
        QPg::ClusterPool cluster(clusterOptions());
        QSignalSpy changes(&cluster, &QPg::ClusterPool::serverChanged);
        await(cluster.open());
        QTRY_COMPARE_WITH_TIMEOUT(readableCount(cluster), 1, 10000);
        QCOMPARE(readPort(cluster), m_replica.port());

        QString error;
        QVERIFY2(m_replica.stopServer(PrivateCluster::ShutdownMode::Fast, &error), qPrintable(error));
        QTRY_COMPARE_WITH_TIMEOUT(roleOf(cluster, m_replica.port()), ServerStatus::Role::Down, 10000);
        QCOMPARE(readableCount(cluster), 0);
        QVERIFY(!changes.isEmpty());
        QCOMPARE(changes.constLast().at(0).value<ServerStatus>().role, ServerStatus::Role::Down);
        QCOMPARE(readPort(cluster), m_primary.port());

        QVERIFY2(m_replica.startServer(&error), qPrintable(error));
        QTRY_COMPARE_WITH_TIMEOUT(readableCount(cluster), 1, 15000);
        QCOMPARE(readPort(cluster), m_replica.port());
    }

    // Last: it leaves the replica as the only, promoted, server.
    void writesContinueOnThePromotedReplica()
    {
        QPg::ClusterPoolOptions options = clusterOptions();
        options.pool.maxSize = 6;
        QPg::ClusterPool cluster(options);
        await(cluster.open());
        QTRY_COMPARE_WITH_TIMEOUT(readableCount(cluster), 1, 10000);

        std::vector<std::unique_ptr<WriteLoop>> callers;
        for (int i = 0; i < 4; ++i) {
            callers.push_back(std::make_unique<WriteLoop>(&cluster, 100 + i));
            callers.back()->start();
        }
        const auto writesOn = [&](int port) {
            int total = 0;
            for (const auto &caller : callers)
                total += caller->successesByPort.value(port);
            return total;
        };
        QTRY_VERIFY_WITH_TIMEOUT(writesOn(m_primary.port()) >= 40, 10000);

        QString error;
        QElapsedTimer failover;
        failover.start();
        QSignalSpy connectFailures(cluster.writePool(), &QPg::Pool::connectFailed);
        QVERIFY2(m_primary.stopServer(PrivateCluster::ShutdownMode::Fast, &error), qPrintable(error));
        // An outage with callers waiting: the write pool finds no read-write server for a while.
        QTRY_VERIFY_WITH_TIMEOUT(connectFailures.size() >= 3, 10000);
        QVERIFY2(m_replica.promote(&error), qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(writesOn(m_replica.port()) >= 40, 30000);
        const qint64 failoverMs = failover.elapsed();
        for (const auto &caller : callers)
            caller->stop();

        qInfo("writes resumed on the promoted replica within %lld ms of stopping the primary", failoverMs);
        for (const auto &caller : callers)
            qInfo("caller: %d query errors, %d acquire errors: %s", caller->queryErrors, caller->acquireErrors, qPrintable(caller->errors.join(u" | "_s)));
        QVERIFY2(failoverMs < 20000, qPrintable(QString::number(failoverMs)));
        for (const auto &caller : callers) {
            // At most the statement that was running when the primary went away fails.
            QVERIFY2(caller->queryErrors <= 1 && caller->acquireErrors == 0,
                     qPrintable(caller->errors.join(u"\n"_s)));
        }
        QTRY_COMPARE_WITH_TIMEOUT(roleOf(cluster, m_replica.port()), ServerStatus::Role::Primary, 10000);
        QCOMPARE(roleOf(cluster, m_primary.port()), ServerStatus::Role::Down);
        QTRY_COMPARE_WITH_TIMEOUT(readableCount(cluster), 0, 10000);
        // Reads fall back to the new primary.
        QCOMPARE(readPort(cluster), m_replica.port());
    }
};

QTEST_GUILESS_MAIN(tst_ClusterPool)
#include "tst_clusterpool.moc"
