// SPDX-License-Identifier: MIT
#include <QPg/clusterpool.h>

#include <QPg/connection.h>
#include <QPg/errors.h>
#include <QPg/record.h>

#include "connectparams_p.h"
#include "logging_p.h"
#include "marshal_p.h"

#include <QtCore/QDeadlineTimer>
#include <QtCore/QPointer>
#include <QtCore/QRandomGenerator>
#include <QtCore/QTimer>

#include <vector>

namespace QPg {

namespace {

using namespace std::chrono_literals;

// Between two tries of an acquire that found no suitable server: a failover takes seconds, and a
// pool that cannot connect fails its acquires at once, so this paces the retries.
constexpr auto RetryDelay = 250ms;
// A check that takes longer than this marks the server down.
constexpr auto CheckTimeout = 5s;

// In recovery or not, and how far replay is behind: zero when it has replayed everything it
// received, else the age of the last transaction replayed (null when none was).
const QString CheckSql = QStringLiteral(
    "SELECT pg_is_in_recovery(), "
    "CASE WHEN NOT pg_is_in_recovery() "
    "OR pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0 "
    "ELSE (extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000)::bigint END");

// Errors a failover or a server restart causes, worth another try on another connection.
bool isTransient(const std::exception_ptr &error)
{
    try {
        std::rethrow_exception(error);
    } catch (const AcquireTimeoutError &) {
        return false;
    } catch (const PoolClosedError &) {
        return false;
    } catch (const ConnectionError &) {
        return true;
    } catch (const TimeoutError &) {
        return true; // a connect timeout
    } catch (const ServerError &e) {
        return e.isDisconnect(); // 08xxx, 57P01-57P05: the server went away or refused for now
    } catch (...) {
        return false;
    }
}

} // namespace

struct ClusterServer
{
    ServerStatus status;
    ConnectOptions connectOptions; // this server alone
    Connection *check = nullptr;   // child of the ClusterPool
    bool checking = false;
    QPointer<Pool> readPool; // made when the server is first seen as a replica
};

class ClusterPoolPrivate
{
public:
    ClusterPoolPrivate(ClusterPool *q, const ClusterPoolOptions &options);

    void checkAll();
    void check(ClusterServer &server);
    void runCheck(ClusterServer &server);
    void applyCheck(ClusterServer &server, ServerStatus::Role role, std::optional<std::chrono::milliseconds> lag,
                    const QString &error);
    ServerStatus statusOf(const ClusterServer &server) const;
    Pool *readPool();
    ClusterServer *serverOf(const Pool *pool);
    void tryAcquire(std::shared_ptr<QPromise<PooledConnection>> promise, Access access,
                    const AcquireOptions &acquireOptions, QDeadlineTimer deadline);
    void shutDown();

    ClusterPool *q;
    ClusterPoolOptions options;
    std::exception_ptr configError; // a connection string that cannot be parsed
    QPointer<Pool> writer; // a child; guarded because writePool() hands it out
    std::vector<std::unique_ptr<ClusterServer>> servers;
    QTimer *checkTimer;
    bool closing = false;
};

ClusterPoolPrivate::ClusterPoolPrivate(ClusterPool *q, const ClusterPoolOptions &options)
    : q(q)
    , options(options)
    , checkTimer(new QTimer(q))
{
    PoolOptions writeOptions = options.pool;
    writeOptions.connectOptions.parameters.insert(QStringLiteral("target_session_attrs"), QStringLiteral("read-write"));
    writer = new Pool(writeOptions, q);

    try {
        const Private::ConnectParams params(options.pool.connectOptions);
        const qsizetype count = params.targetCount();
        for (qsizetype i = 0; i < count; ++i) {
            auto server = std::make_unique<ClusterServer>();
            server->status.name = params.targetName(i);
            server->connectOptions = options.pool.connectOptions;
            if (i < params.targets().size()) {
                const Private::ConnectParams::Target &target = params.targets().at(i);
                auto &parameters = server->connectOptions.parameters;
                for (const auto &[keyword, value] : {std::pair{QStringLiteral("host"), target.host},
                                                     std::pair{QStringLiteral("hostaddr"), target.hostaddr},
                                                     std::pair{QStringLiteral("port"), target.port}}) {
                    if (!value.isEmpty())
                        parameters.insert(keyword, QString::fromUtf8(value));
                }
            }
            server->connectOptions.connectTimeout = std::min<std::chrono::milliseconds>(
                server->connectOptions.connectTimeout, CheckTimeout);
            servers.push_back(std::move(server));
        }
    } catch (...) {
        configError = std::current_exception();
    }

    checkTimer->setInterval(options.checkInterval);
    QObject::connect(checkTimer, &QTimer::timeout, q, [this] { checkAll(); });
}

void ClusterPoolPrivate::checkAll()
{
    for (auto &server : servers)
        check(*server);
}

// One check at a time per server, on a connection of its own that is reopened after a failure.
void ClusterPoolPrivate::check(ClusterServer &server)
{
    if (server.checking || closing)
        return;
    server.checking = true;
    if (server.check && server.check->state() == Connection::State::Ready) {
        runCheck(server);
        return;
    }
    if (server.check)
        server.check->deleteLater();
    server.check = new Connection(server.connectOptions, q);
    Private::whenFinished<void>(server.check->open(), server.check, [this, &server](const QFuture<void> &opened) {
        if (const std::exception_ptr error = Private::errorOf(opened)) {
            server.checking = false;
            applyCheck(server, ServerStatus::Role::Down, std::nullopt, Private::messageOf(error));
            return;
        }
        runCheck(server);
    });
}

void ClusterPoolPrivate::runCheck(ClusterServer &server)
{
    QueryOptions queryOptions;
    queryOptions.timeout = CheckTimeout;
    Connection *connection = server.check;
    Private::whenFinished<Record>(connection->fetchRow(CheckSql, {}, queryOptions), connection,
                                  [this, &server, connection](const QFuture<Record> &finished) {
        server.checking = false;
        if (const std::exception_ptr error = Private::errorOf(finished)) {
            connection->deleteLater();
            if (server.check == connection)
                server.check = nullptr;
            applyCheck(server, ServerStatus::Role::Down, std::nullopt, Private::messageOf(error));
            return;
        }
        const Record row = finished.result();
        const bool inRecovery = row.value(0).toBool();
        const QVariant lag = row.value(1);
        applyCheck(server, inRecovery ? ServerStatus::Role::Replica : ServerStatus::Role::Primary,
                   lag.isNull() ? std::nullopt : std::optional(std::chrono::milliseconds(lag.toLongLong())),
                   QString());
    });
}

void ClusterPoolPrivate::applyCheck(ClusterServer &server, ServerStatus::Role role,
                                    std::optional<std::chrono::milliseconds> lag, const QString &error)
{
    ServerStatus &status = server.status;
    const ServerStatus::Role oldRole = status.role;
    const bool wasReadable = status.readable;
    status.role = role;
    status.replicationLag = role == ServerStatus::Role::Replica ? lag : std::nullopt;
    status.error = error;
    const bool lagOk = options.maxReplicaLag <= 0ms || (lag && *lag <= options.maxReplicaLag);
    status.readable = role == ServerStatus::Role::Replica && lagOk && !closing;

    if (role == ServerStatus::Role::Replica && !server.readPool) {
        PoolOptions readOptions = options.pool;
        readOptions.connectOptions = server.connectOptions;
        readOptions.connectOptions.connectTimeout = options.pool.connectOptions.connectTimeout;
        // Never a read connection on a server promoted meanwhile.
        readOptions.connectOptions.parameters.insert(QStringLiteral("target_session_attrs"), QStringLiteral("standby"));
        server.readPool = new Pool(readOptions, q);
    }
    // A promoted replica's read connections now write to a primary: replace them.
    if (oldRole == ServerStatus::Role::Replica && role == ServerStatus::Role::Primary && server.readPool)
        server.readPool->expireConnections();

    if (oldRole != role || wasReadable != status.readable) {
        qCDebug(Private::lcPool) << "cluster server" << status.name << "role" << int(role) << "readable"
                                 << status.readable << error;
        Q_EMIT q->serverChanged(statusOf(server));
    }
}

ServerStatus ClusterPoolPrivate::statusOf(const ClusterServer &server) const
{
    ServerStatus status = server.status;
    if (status.role == ServerStatus::Role::Primary)
        status.stats = writer->stats();
    else if (server.readPool)
        status.stats = server.readPool->stats();
    return status;
}

Pool *ClusterPoolPrivate::readPool()
{
    std::vector<ClusterServer *> candidates;
    for (auto &server : servers) {
        if (server->status.readable && server->readPool)
            candidates.push_back(server.get());
    }
    if (candidates.empty())
        return options.readFromPrimary ? writer : nullptr;
    if (options.balancing == ReplicaBalancing::Random)
        return candidates.at(QRandomGenerator::global()->bounded(quint32(candidates.size())))->readPool;
    const auto load = [](const Pool *pool) {
        const int busy = pool->size() - pool->idleSize() + pool->waitingCount();
        return double(busy) / double(std::max(pool->maxSize(), 1));
    };
    const auto least = std::min_element(candidates.begin(), candidates.end(), [&](ClusterServer *a, ClusterServer *b) {
        return load(a->readPool) < load(b->readPool);
    });
    return (*least)->readPool;
}

ClusterServer *ClusterPoolPrivate::serverOf(const Pool *pool)
{
    for (auto &server : servers) {
        if (server->readPool == pool)
            return server.get();
    }
    return nullptr;
}

void ClusterPoolPrivate::tryAcquire(std::shared_ptr<QPromise<PooledConnection>> promise, Access access,
                                    const AcquireOptions &acquireOptions, QDeadlineTimer deadline)
{
    const auto fail = [promise](const std::exception_ptr &error) {
        promise->setException(error);
        promise->finish();
    };
    if (promise->isCanceled()) {
        promise->finish();
        return;
    }
    if (closing)
        return fail(std::make_exception_ptr(PoolClosedError(QStringLiteral("the cluster pool is closed"))));
    const auto retryLater = [this, promise, access, acquireOptions, deadline] {
        QTimer::singleShot(RetryDelay, q, [this, promise, access, acquireOptions, deadline] {
            tryAcquire(promise, access, acquireOptions, deadline);
        });
    };
    Pool *pool = access == Access::ReadWrite ? writer.data() : readPool();
    if (!pool) {
        if (!deadline.hasExpired())
            return retryLater();
        QStringList why;
        for (const auto &server : servers)
            why.append(server->status.name + (server->status.error.isEmpty() ? QString() : u": " + server->status.error));
        return fail(std::make_exception_ptr(ConnectionError(
            QStringLiteral("no replica can take reads (%1)").arg(why.join(QStringLiteral("; "))))));
    }
    Private::whenFinished<PooledConnection>(pool->acquire(acquireOptions), q,
                                            [=, this](const QFuture<PooledConnection> &finished) {
        const std::exception_ptr error = Private::errorOf(finished);
        if (!error) {
            promise->addResult(finished.result()); // a cancelled promise drops it: the lease releases
            promise->finish();
            return;
        }
        if (!isTransient(error) || deadline.hasExpired())
            return fail(error);
        // A replica that cannot be reached takes no reads until its next check says otherwise.
        if (ClusterServer *server = serverOf(pool); server && server->status.readable) {
            const QPointer<ClusterPool> alive(q); // serverChanged() receivers may delete it
            applyCheck(*server, ServerStatus::Role::Down, std::nullopt, Private::messageOf(error));
            if (alive)
                tryAcquire(promise, access, acquireOptions, deadline);
            return;
        }
        retryLater();
    });
}

void ClusterPoolPrivate::shutDown()
{
    closing = true;
    checkTimer->stop();
    for (auto &server : servers) {
        delete server->check; // its pending check is dropped with it
        server->check = nullptr;
        server->checking = false;
        server->status.readable = false;
    }
}

ClusterPoolOptions ClusterPoolOptions::fromDsn(const QString &dsn)
{
    ClusterPoolOptions options;
    options.pool = PoolOptions::fromDsn(dsn);
    return options;
}

ClusterPool::ClusterPool(const ClusterPoolOptions &options, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<ClusterPoolPrivate>(this, options))
{
}

ClusterPool::~ClusterPool()
{
    // Children (pools, check connections) go before d: their callbacks refer to it.
    d->shutDown();
    delete d->writer;
    for (auto &server : d->servers)
        delete server->readPool;
    d->servers.clear();
}

QFuture<void> ClusterPool::open()
{
    if (d->configError)
        return Private::failedFuture<void>(d->configError);
    if (!d->checkTimer->isActive() && !d->closing) {
        d->checkTimer->start();
        d->checkAll();
    }
    return d->writer->open();
}

QFuture<PooledConnection> ClusterPool::acquire(Access access, const AcquireOptions &options)
{
    if (d->configError)
        return Private::failedFuture<PooledConnection>(d->configError);
    auto promise = std::make_shared<QPromise<PooledConnection>>();
    promise->start();
    QFuture<PooledConnection> future = promise->future();
    d->tryAcquire(promise, access, options, QDeadlineTimer(d->options.failoverTimeout));
    return future;
}

Pool *ClusterPool::pool(Access access)
{
    return access == Access::ReadWrite ? d->writer.data() : d->readPool();
}

Pool *ClusterPool::writePool() const
{
    return d->writer;
}

QFuture<void> ClusterPool::close()
{
    d->shutDown();
    std::vector<Pool *> pools{d->writer};
    for (auto &server : d->servers) {
        if (server->readPool)
            pools.push_back(server->readPool);
    }
    auto promise = std::make_shared<QPromise<void>>();
    promise->start();
    auto remaining = std::make_shared<int>(int(pools.size()));
    for (Pool *pool : pools) {
        Private::whenFinished<void>(pool->close(), this, [promise, remaining](const QFuture<void> &) {
            if (--*remaining == 0)
                promise->finish();
        });
    }
    return promise->future();
}

void ClusterPool::terminate()
{
    d->shutDown();
    d->writer->terminate();
    for (auto &server : d->servers) {
        if (server->readPool)
            server->readPool->terminate();
    }
}

bool ClusterPool::isClosing() const
{
    return d->closing;
}

QList<ServerStatus> ClusterPool::servers() const
{
    QList<ServerStatus> list;
    for (const auto &server : d->servers)
        list.append(d->statusOf(*server));
    return list;
}

ClusterPoolOptions ClusterPool::options() const
{
    return d->options;
}

} // namespace QPg
