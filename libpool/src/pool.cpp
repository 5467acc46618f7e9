// SPDX-License-Identifier: MIT
#include "pool_p.h"

#include "connection_p.h"
#include "logging_p.h"
#include "marshal_p.h"
#include "metatypes_p.h"

#include <QtCore/QRandomGenerator>
#include <QtCore/QThread>

#include <cmath>

using namespace std::chrono_literals;

namespace QPg {

using Private::Outcome;

namespace {

const QString asyncpgResetQuery = QStringLiteral(
    "SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL");

QString transactionStatusName(Connection::TransactionStatus status)
{
    switch (status) {
    case Connection::TransactionStatus::Idle: return QStringLiteral("idle");
    case Connection::TransactionStatus::Active: return QStringLiteral("active");
    case Connection::TransactionStatus::InTransaction: return QStringLiteral("intrans");
    case Connection::TransactionStatus::InError: return QStringLiteral("inerror");
    case Connection::TransactionStatus::Unknown: break;
    }
    return QStringLiteral("unknown");
}

} // namespace

// ---------------------------------------------------------------------------------------------
// WaitHistogram

void WaitHistogram::add(qint64 micros)
{
    micros = std::max<qint64>(micros, 0);
    const int bucket = micros < 1 ? 0 : std::min(Buckets - 1, int(std::log2(double(micros)) * 4.0) + 1);
    ++m_counts[bucket];
    ++m_samples;
    m_totalMicros += micros;
    m_maxMicros = std::max(m_maxMicros, micros);
}

double WaitHistogram::percentileMs(double fraction) const
{
    if (m_samples == 0)
        return 0;
    const quint64 rank = quint64(std::ceil(fraction * double(m_samples)));
    quint64 seen = 0;
    for (int b = 0; b < Buckets; ++b) {
        seen += m_counts[b];
        if (seen >= rank) {
            // Upper edge of the bucket, capped by the largest sample seen.
            const double upperMicros = b == 0 ? 1.0 : std::pow(2.0, double(b) / 4.0);
            return std::min(upperMicros, double(m_maxMicros)) / 1000.0;
        }
    }
    return maxMs();
}

// ---------------------------------------------------------------------------------------------
// PoolLease

PoolLease::~PoolLease()
{
    if (released || !pool)
        return;
    // The last handle went away without release(): give the connection back.
    const quint64 id = entryId;
    QPointer<Pool> target = pool;
    auto giveBack = [target, id] {
        if (target)
            target->d->releaseEntry(id);
    };
    if (QThread::currentThread() == target->thread())
        giveBack();
    else
        QMetaObject::invokeMethod(target.data(), giveBack, Qt::QueuedConnection);
}

// ---------------------------------------------------------------------------------------------
// Opening

PoolPrivate::PoolPrivate(Pool *q, const PoolOptions &options)
    : q(q)
    , options(options)
    , closeTimer(new QTimer(q))
    , housekeepingTimer(new QTimer(q))
    , backoffTimer(new QTimer(q))
{
    Private::registerMetaTypes();
    closeTimer->setSingleShot(true);
    closeTimer->setTimerType(Qt::PreciseTimer); // a coarse timer may fire 5 % early
    backoffTimer->setSingleShot(true);
    QObject::connect(closeTimer, &QTimer::timeout, q, [this, q] {
        qCWarning(Private::lcPool) << "close timeout: terminating" << acquiredCount() << "acquired connections";
        q->terminate();
    });
    QObject::connect(housekeepingTimer, &QTimer::timeout, q, [this] { housekeep(); });
    QObject::connect(backoffTimer, &QTimer::timeout, q, [this] { maintain(); });
}

QFuture<void> PoolPrivate::open()
{
    switch (state) {
    case State::Open: return QtFuture::makeReadyFuture();
    case State::Opening: return openFuture;
    case State::Closing:
    case State::Closed: return Private::failedFuture<void>(PoolClosedError(QStringLiteral("pool is closed")));
    case State::New: break;
    }
    if (options.maxSize <= 0 || options.minSize < 0 || options.minSize > options.maxSize)
        return Private::failedFuture<void>(InterfaceError(
            QStringLiteral("invalid pool size: need 0 <= minSize (%1) <= maxSize (%2) and maxSize > 0")
                .arg(options.minSize)
                .arg(options.maxSize)));
    if (options.maxQueries <= 0)
        return Private::failedFuture<void>(InterfaceError(QStringLiteral("maxQueries must be positive")));
    state = State::Opening;
    openPromise.emplace();
    openPromise->start();
    openFuture = openPromise->future();

    auto finishOpen = [this](const QException *error) {
        if (state != State::Opening)
            return;
        if (error) {
            // Leave nothing behind: close what was opened and allow another open().
            for (const auto &e : std::as_const(entries)) {
                e->connection->terminate();
                e->connection->deleteLater();
            }
            entries.clear();
            idle.clear();
            state = State::New;
            failWaiters(*error);
            openPromise->setException(*error);
        } else {
            state = State::Open;
            updateHousekeepingInterval();
            maintain();
        }
        openPromise->finish();
        openPromise.reset();
        emitCounts();
    };

    if (options.minSize == 0) {
        finishOpen(nullptr);
        return openFuture;
    }
    // The first connection alone, so a bad DSN or password fails at once; then the rest together.
    openConnection([this, finishOpen](const QException *error) {
        if (error || options.minSize == 1) {
            finishOpen(error);
            return;
        }
        auto remaining = std::make_shared<int>(options.minSize - 1);
        auto firstError = std::make_shared<std::unique_ptr<QException>>();
        for (int i = 1; i < options.minSize; ++i) {
            openConnection([remaining, firstError, finishOpen](const QException *error) {
                if (error && !*firstError)
                    firstError->reset(error->clone());
                if (--*remaining == 0)
                    finishOpen(firstError->get());
            });
        }
    });
    return openFuture;
}

void PoolPrivate::openConnection(std::function<void(const QException *error)> done)
{
    ++connecting;
    const int openedGeneration = generation;
    QFuture<Connection *> opening;
    if (options.connect) {
        opening = options.connect(options.connectOptions);
    } else {
        Connection *connection = options.connectionFactory ? options.connectionFactory(options.connectOptions)
                                                           : new Connection(options.connectOptions);
        connection->setParent(q);
        auto promise = std::make_shared<QPromise<Connection *>>();
        promise->start();
        opening = promise->future();
        Private::whenFinished<void>(connection->open(), q, [connection, promise](const QFuture<void> &f) {
            try {
                QFuture<void>(f).waitForFinished();
                promise->addResult(connection);
            } catch (const QException &e) {
                connection->deleteLater();
                promise->setException(e);
            }
            promise->finish();
        });
    }

    auto afterInit = [this, done, openedGeneration](Connection *connection, const QException *error) {
        --connecting;
        if (error) {
            if (connection) {
                connection->terminate();
                connection->deleteLater();
            }
            connectFailed(*error);
            done(error);
            return;
        }
        if (state == State::Closing || state == State::Closed) {
            connection->terminate();
            connection->deleteLater();
            const PoolClosedError closed(QStringLiteral("pool is closed"));
            done(&closed);
            return;
        }
        consecutiveConnectFailures = 0;
        adopt(connection, openedGeneration);
        done(nullptr);
    };

    Private::whenFinished<Connection *>(opening, q, [this, afterInit](const QFuture<Connection *> &f) {
        Connection *connection = nullptr;
        try {
            connection = f.result();
            if (!connection)
                throw InterfaceError(QStringLiteral("the pool's connect function returned no connection"));
        } catch (const QException &e) {
            afterInit(nullptr, &e);
            return;
        }
        connection->setParent(q);
        if (!options.init) {
            afterInit(connection, nullptr);
            return;
        }
        Private::whenFinished<void>(options.init(connection), q, [afterInit, connection](const QFuture<void> &init) {
            try {
                QFuture<void>(init).waitForFinished();
            } catch (const QException &e) {
                afterInit(connection, &e);
                return;
            }
            afterInit(connection, nullptr);
        });
    });
}

void PoolPrivate::adopt(Connection *connection, int openedGeneration)
{
    auto e = std::make_shared<PoolEntry>();
    e->id = nextId++;
    e->connection = connection;
    e->generation = openedGeneration;
    e->age.start();
    if (options.maxLifetime > 0ms) {
        // Jitter spreads replacements so connections opened together do not all expire together.
        const double jitter = options.maxLifetimeJitter * QRandomGenerator::global()->generateDouble();
        e->lifetimeMs = qint64(double(options.maxLifetime.count()) * (1.0 - jitter));
    }
    // What init() set up is the connection's baseline, not a change to reset on the first release.
    connection->d->sessionChanged = false;
    // A stale plan on one connection means the schema changed for all of them.
    connection->d->onStatementCacheInvalidated = [this, connection] {
        for (const auto &other : std::as_const(entries)) {
            if (other->connection != connection) {
                other->connection->d->statementCache.clear(/*serverDropped*/ false);
                other->connection->d->tableColumns.clear();
            }
        }
    };
    entries.insert(e->id, e);
    ++counters.connectionsOpened;
    const quint64 id = e->id;
    QObject::connect(connection, &Connection::connectionLost, q, [this, id] { onConnectionLost(id); });
    Q_EMIT q->connectionOpened(id, connection->backendPid());
    returnToIdle(e.get());
}

// Keeps minSize connections open, and opens more (up to maxSize) while callers wait.
void PoolPrivate::maintain()
{
    if (state != State::Open || backoffTimer->isActive())
        return;
    const int waiting = liveWaiterCount();
    const int want = std::min(options.maxSize, std::max(options.minSize, int(entries.size()) + waiting));
    const int parallel = waiting > 0 ? options.maxSize : std::max(1, options.maxConcurrentConnects);
    while (int(entries.size()) + connecting < want && connecting < parallel)
        openConnection([](const QException *) {});
}

void PoolPrivate::connectFailed(const QException &error)
{
    ++counters.connectFailures;
    lastConnectError = QString::fromUtf8(error.what());
    ++consecutiveConnectFailures;
    qCInfo(Private::lcPool) << "connect failed:" << lastConnectError;
    Q_EMIT q->connectFailed(lastConnectError);
    if (state != State::Open)
        return;
    // Nothing open and nothing on the way: the server is down, so waiters fail now instead of
    // timing out one by one.
    if (entries.isEmpty() && connecting == 0)
        failWaiters(ConnectionError(QStringLiteral("cannot connect to the server: ") + lastConnectError));
    const qint64 base = options.reconnectBackoffInitial.count();
    const qint64 cap = options.reconnectBackoffMax.count();
    const int exponent = std::min(consecutiveConnectFailures - 1, 20);
    const qint64 delay = std::min(cap, base << exponent);
    const double jitter = 0.5 + 0.5 * QRandomGenerator::global()->generateDouble();
    backoffTimer->start(std::max<qint64>(1, qint64(double(delay) * jitter)));
}

// ---------------------------------------------------------------------------------------------
// Checkout

QFuture<PooledConnection> PoolPrivate::acquire(const AcquireOptions &acquireOptions)
{
    if (state == State::Closing)
        return Private::failedFuture<PooledConnection>(PoolClosedError(QStringLiteral("pool is closing")));
    if (state == State::Closed)
        return Private::failedFuture<PooledConnection>(PoolClosedError(QStringLiteral("pool is closed")));
    if (state == State::New)
        open();

    auto waiter = std::make_shared<PoolWaiter>();
    waiter->promise.start();
    waiter->tag = acquireOptions.tag;
    waiter->waited.start();
    QFuture<PooledConnection> future = waiter->promise.future();

    // Fast path: a free connection and nobody ahead in the queue.
    if (state == State::Open && !idle.isEmpty() && liveWaiterCount() == 0) {
        checkout(idle.takeLast(), waiter);
        return future;
    }
    if (options.maxWaiting > 0 && liveWaiterCount() >= options.maxWaiting) {
        waiter->promise.setException(PoolExhaustedError(
            QStringLiteral("%1 callers are already waiting for a connection").arg(options.maxWaiting)));
        waiter->promise.finish();
        return future;
    }
    if (state == State::Open && entries.isEmpty() && connecting == 0 && backoffTimer->isActive()) {
        waiter->promise.setException(
            ConnectionError(QStringLiteral("cannot connect to the server: ") + lastConnectError));
        waiter->promise.finish();
        return future;
    }
    const std::chrono::milliseconds timeout = acquireOptions.timeout.value_or(options.acquireTimeout);
    if (timeout > 0ms) {
        waiter->timer = new QTimer(q);
        waiter->timer->setSingleShot(true);
        waiter->timer->setTimerType(Qt::PreciseTimer);
        std::weak_ptr<PoolWaiter> weak = waiter;
        QObject::connect(waiter->timer, &QTimer::timeout, q, [this, weak] {
            if (auto w = weak.lock())
                onWaiterTimeout(w);
        });
        waiter->timer->start(timeout);
    }
    waiters.push_back(waiter);
    maintain();
    emitCounts();
    return future;
}

std::shared_ptr<PoolWaiter> PoolPrivate::nextLiveWaiter()
{
    while (!waiters.empty()) {
        std::shared_ptr<PoolWaiter> w = waiters.front();
        waiters.pop_front();
        if (w->live())
            return w;
        if (w->timer) {
            w->timer->deleteLater();
            w->timer = nullptr;
        }
    }
    return nullptr;
}

// A connection became free: the oldest waiter gets it, otherwise it goes on the idle stack.
void PoolPrivate::dispatch(PoolEntry *e)
{
    if (state == State::Closing || state == State::Closed) {
        closeEntry(e, CloseReason::PoolClosed, true);
        return;
    }
    if (std::shared_ptr<PoolWaiter> w = nextLiveWaiter()) {
        checkout(e, w);
        return;
    }
    e->state = ConnectionInfo::State::Idle;
    e->stateSince.start();
    idle.append(e);
    emitCounts();
}

void PoolPrivate::checkout(PoolEntry *e, const std::shared_ptr<PoolWaiter> &waiter)
{
    const qint64 idleFor = e->state == ConnectionInfo::State::Idle ? e->stateSince.elapsed() : 0;
    e->state = ConnectionInfo::State::Acquired;
    e->stateSince.start();
    e->holder = waiter->tag;
    e->leakReported = false;
    const quint64 id = e->id;

    auto runSetup = [this, id, waiter] {
        PoolEntry *e = entry(id);
        if (!e)
            return;
        if (!options.setup) {
            deliver(e, waiter);
            return;
        }
        Private::whenFinished<void>(options.setup(e->connection), q, [this, id, waiter](const QFuture<void> &f) {
            PoolEntry *e = entry(id);
            try {
                QFuture<void>(f).waitForFinished();
            } catch (const QException &error) {
                if (e)
                    closeEntry(e, CloseReason::SetupFailed, true);
                if (waiter->live()) {
                    waiter->done = true;
                    waiter->promise.setException(error);
                    waiter->promise.finish();
                }
                maintain();
                emitCounts();
                return;
            }
            if (e) {
                deliver(e, waiter);
            } else if (waiter->live()) {
                // The connection died during setup: the waiter goes back to the front.
                waiters.push_front(waiter);
                maintain();
            }
        });
    };

    if (options.validateIdleAfter > 0ms && idleFor > options.validateIdleAfter.count()) {
        // An empty query is the cheapest round trip that proves the session is alive.
        Private::whenFinished<QString>(e->connection->execute(QString()), q,
                                       [this, id, waiter, runSetup](const QFuture<QString> &f) {
            PoolEntry *e = entry(id);
            bool ok = e != nullptr;
            try {
                f.result();
            } catch (const QException &) {
                ok = false;
            }
            if (!ok) {
                if (e)
                    closeEntry(e, CloseReason::ValidationFailed, false);
                if (waiter->live()) {
                    waiters.push_front(waiter);
                    maintain();
                }
                emitCounts();
                return;
            }
            runSetup();
        });
        emitCounts();
        return;
    }
    runSetup();
    emitCounts();
}

void PoolPrivate::deliver(PoolEntry *e, const std::shared_ptr<PoolWaiter> &waiter)
{
    if (!waiter->live()) {
        // Timed out or cancelled meanwhile: the connection is clean, give it to the next one.
        dispatch(e);
        return;
    }
    waiter->done = true;
    if (waiter->timer) {
        waiter->timer->stop();
        waiter->timer->deleteLater();
        waiter->timer = nullptr;
    }
    auto lease = std::make_shared<PoolLease>();
    lease->pool = q;
    lease->connection = e->connection;
    lease->entryId = e->id;
    e->lease = lease;
    const qint64 waitedMicros = waiter->waited.nsecsElapsed() / 1000;
    waitHistogram.add(waitedMicros);
    ++counters.acquires;
    if (waitedMicros >= 1000)
        ++counters.acquiresWaited;
    waiter->promise.addResult(PooledConnection(std::move(lease)));
    waiter->promise.finish();
}

void PoolPrivate::onWaiterTimeout(const std::shared_ptr<PoolWaiter> &waiter)
{
    if (waiter->done)
        return;
    waiter->done = true;
    ++counters.acquireTimeouts;
    const qint64 waited = waiter->waited.elapsed();
    waiter->promise.setException(AcquireTimeoutError(
        QStringLiteral("no connection became available within %1 ms (pool size %2, max %3, %4 waiting)")
            .arg(waited)
            .arg(entries.size())
            .arg(options.maxSize)
            .arg(liveWaiterCount())));
    waiter->promise.finish();
    if (waiter->timer) {
        waiter->timer->deleteLater();
        waiter->timer = nullptr;
    }
    Q_EMIT q->acquireTimedOut(waiter->tag);
    emitCounts();
}

void PoolPrivate::failWaiters(const QException &error)
{
    std::deque<std::shared_ptr<PoolWaiter>> all = std::move(waiters);
    waiters.clear();
    for (const auto &w : all) {
        if (w->timer) {
            w->timer->deleteLater();
            w->timer = nullptr;
        }
        if (!w->live())
            continue;
        w->done = true;
        w->promise.setException(error);
        w->promise.finish();
    }
}

int PoolPrivate::liveWaiterCount() const
{
    int count = 0;
    for (const auto &w : waiters)
        count += w->live() ? 1 : 0;
    return count;
}

int PoolPrivate::acquiredCount() const
{
    int count = 0;
    for (const auto &e : entries)
        count += e->state == ConnectionInfo::State::Acquired ? 1 : 0;
    return count;
}

// ---------------------------------------------------------------------------------------------
// Return

QFuture<void> PoolPrivate::release(PoolLease &lease)
{
    if (lease.released)
        return QtFuture::makeReadyFuture();
    lease.released = true;
    return releaseEntry(lease.entryId);
}

QFuture<void> PoolPrivate::releaseEntry(quint64 id)
{
    PoolEntry *e = entry(id);
    if (!e || e->state != ConnectionInfo::State::Acquired)
        return QtFuture::makeReadyFuture(); // already discarded (broken, terminated)
    if (e->leakReported)
        Q_EMIT q->leakReturned(e->id, e->holder, e->stateSince.elapsed());
    e->holder.clear();
    Connection *connection = e->connection;

    if (state == State::Closing || state == State::Closed) {
        closeEntry(e, CloseReason::PoolClosed, true);
        return QtFuture::makeReadyFuture();
    }
    if (connection->state() != Connection::State::Ready || connection->d->sawDisconnectError) {
        closeEntry(e, CloseReason::Broken, false);
        return QtFuture::makeReadyFuture();
    }
    if (connection->queryCount() >= options.maxQueries) {
        closeEntry(e, CloseReason::MaxQueries, true);
        return QtFuture::makeReadyFuture();
    }
    if (e->generation != generation) {
        closeEntry(e, CloseReason::Expired, true);
        return QtFuture::makeReadyFuture();
    }
    if (e->lifetimeMs > 0 && e->age.elapsed() >= e->lifetimeMs) {
        closeEntry(e, CloseReason::MaxLifetime, true);
        return QtFuture::makeReadyFuture();
    }

    // The reset, in one round trip when anything is needed at all.
    ConnectionPrivate *cd = connection->d.get();
    QStringList statements;
    if (connection->isBusy() || connection->transactionStatus() != Connection::TransactionStatus::Idle)
        statements.append(QStringLiteral("ROLLBACK"));
    switch (options.resetPolicy) {
    case ResetPolicy::Smart:
        if (cd->sessionChanged)
            statements.append(asyncpgResetQuery);
        break;
    case ResetPolicy::Always: statements.append(asyncpgResetQuery); break;
    case ResetPolicy::DiscardAll: statements.append(QStringLiteral("DISCARD ALL")); break;
    case ResetPolicy::RollbackOnly: break;
    }
    if (statements.isEmpty() && !options.reset) {
        returnToIdle(e);
        return QtFuture::makeReadyFuture();
    }

    e->state = ConnectionInfo::State::Resetting;
    emitCounts();
    auto promise = std::make_shared<QPromise<void>>();
    promise->start();
    QFuture<void> future = promise->future();
    // One deadline for the rollback, the reset query and the reset hook.
    auto deadline = std::make_shared<QTimer>();
    deadline->setSingleShot(true);
    auto finished = std::make_shared<bool>(false);
    auto finish = [this, id, promise, finished, deadline](const QException *error) {
        if (*finished)
            return;
        *finished = true;
        deadline->stop();
        PoolEntry *e = entry(id);
        if (e) {
            if (error) {
                qCInfo(Private::lcPool) << "reset failed:" << error->what();
                closeEntry(e, CloseReason::ResetFailed, false);
                maintain();
            } else {
                e->connection->d->sessionChanged = false;
                returnToIdle(e);
            }
        }
        promise->finish();
    };
    QObject::connect(deadline.get(), &QTimer::timeout, q, [finish] {
        const TimeoutError timeout(QStringLiteral("resetting the connection timed out"));
        finish(&timeout);
    });
    deadline->start(options.resetTimeout);

    auto runHook = [this, id, finish] {
        PoolEntry *e = entry(id);
        if (!e || !options.reset) {
            finish(nullptr);
            return;
        }
        Private::whenFinished<void>(options.reset(e->connection), q, [finish](const QFuture<void> &f) {
            try {
                QFuture<void>(f).waitForFinished();
            } catch (const QException &error) {
                finish(&error);
                return;
            }
            finish(nullptr);
        });
    };
    if (statements.isEmpty()) {
        runHook();
        return future;
    }
    if (options.resetPolicy != ResetPolicy::RollbackOnly)
        cd->listeners.clear(); // the reset query UNLISTENs
    QueryOptions resetOptions;
    resetOptions.timeout = options.resetTimeout;
    cd->enqueueWithCallbacks(statements.join(QStringLiteral("; ")), {}, resetOptions, /*allowScript*/ true,
                             [runHook](Outcome &&) { runHook(); },
                             [finish](const QException &error) { finish(&error); });
    return future;
}

void PoolPrivate::returnToIdle(PoolEntry *e)
{
    dispatch(e);
    maybeFinishClose();
}

void PoolPrivate::closeEntry(PoolEntry *e, CloseReason reason, bool graceful)
{
    std::shared_ptr<PoolEntry> keep = entries.take(e->id);
    if (!keep)
        return;
    idle.removeOne(e);
    if (auto lease = e->lease.lock())
        lease->released = true; // further use of the handle fails cleanly
    Connection *connection = e->connection;
    queriesOfClosedConnections += connection->queryCount();
    ++counters.connectionsClosed;
    ++counters.closedByReason[int(reason)];
    QObject::disconnect(connection, nullptr, q, nullptr);
    const int pid = connection->backendPid();
    qCDebug(Private::lcPool) << "closing connection" << e->id << closeReasonName(reason);
    if (graceful && connection->state() == Connection::State::Ready) {
        Private::whenFinished<void>(connection->close(), q, [connection](const QFuture<void> &) {
            connection->deleteLater();
        });
    } else {
        connection->terminate();
        connection->deleteLater();
    }
    Q_EMIT q->connectionClosed(e->id, pid, reason);
    emitCounts();
    maybeFinishClose();
}

void PoolPrivate::onConnectionLost(quint64 id)
{
    PoolEntry *e = entry(id);
    if (!e)
        return;
    closeEntry(e, CloseReason::Broken, false);
    maintain();
}

// ---------------------------------------------------------------------------------------------
// Housekeeping

void PoolPrivate::updateHousekeepingInterval()
{
    qint64 shortest = 1000;
    for (std::chrono::milliseconds period : {options.maxInactiveConnectionLifetime, options.maxLifetime,
                                             options.leakThreshold}) {
        if (period > 0ms)
            shortest = std::min<qint64>(shortest, period.count() / 4);
    }
    housekeepingTimer->start(int(std::clamp<qint64>(shortest, 20, 1000)));
}

void PoolPrivate::housekeep()
{
    if (state != State::Open)
        return;
    const QList<PoolEntry *> idleNow = idle;
    for (PoolEntry *e : idleNow) {
        if (e->lifetimeMs > 0 && e->age.elapsed() >= e->lifetimeMs) {
            closeEntry(e, CloseReason::MaxLifetime, true);
        } else if (options.maxInactiveConnectionLifetime > 0ms
                   && e->stateSince.elapsed() >= options.maxInactiveConnectionLifetime.count()
                   && int(entries.size()) > options.minSize) {
            closeEntry(e, CloseReason::IdleTimeout, true);
        }
    }
    if (options.leakThreshold > 0ms) {
        for (const auto &e : std::as_const(entries)) {
            if (e->state == ConnectionInfo::State::Acquired && !e->leakReported
                && e->stateSince.elapsed() >= options.leakThreshold.count()) {
                e->leakReported = true;
                qCWarning(Private::lcPool).noquote() << "connection" << e->id << "held for"
                                                     << e->stateSince.elapsed() << "ms by"
                                                     << (e->holder.isEmpty() ? QStringLiteral("(untagged)") : e->holder);
                Q_EMIT q->leakDetected(e->id, e->holder, e->stateSince.elapsed());
            }
        }
    }
    maintain();
}

void PoolPrivate::maybeFinishClose()
{
    if (state != State::Closing || !entries.isEmpty() || connecting > 0)
        return;
    state = State::Closed;
    closeTimer->stop();
    housekeepingTimer->stop();
    backoffTimer->stop();
    for (const auto &promise : closePromises)
        promise->finish();
    closePromises.clear();
    emitCounts();
    Q_EMIT q->closed();
}

void PoolPrivate::emitCounts()
{
    const int size = int(entries.size());
    const int idleCount = int(idle.size());
    const int active = acquiredCount();
    const int waiting = liveWaiterCount();
    const std::array<int, 4> now{size, idleCount, active, waiting};
    if (now == lastCounts)
        return;
    lastCounts = now;
    Q_EMIT q->countsChanged(size, idleCount, active, waiting);
}

// ---------------------------------------------------------------------------------------------
// Pool

Pool::Pool(const PoolOptions &options, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<PoolPrivate>(this, options))
{
}

Pool::~Pool()
{
    QSignalBlocker blocker(this);
    terminate();
}

QFuture<void> Pool::open()
{
    return Private::runInThreadOf<void>(this, [this] { return d->open(); });
}

bool Pool::isOpen() const
{
    return d->state == PoolPrivate::State::Open;
}

QFuture<PooledConnection> Pool::acquire(const AcquireOptions &options)
{
    if (QThread::currentThread() == thread())
        return d->acquire(options);
    return Private::runInThreadOf<PooledConnection>(this, [this, options] { return d->acquire(options); });
}

QFuture<void> Pool::release(const PooledConnection &connection)
{
    if (!connection.m_lease || connection.m_lease->pool != this)
        return Private::failedFuture<void>(InterfaceError(
            QStringLiteral("Pool::release() received a connection that is not a member of this pool")));
    return connection.release();
}

// acquire → run → release, releasing before the result is handed to the caller.
template<typename T, typename Convert>
QFuture<T> PoolPrivate::runOnce(const QString &sql, const QVariantList &args, const QueryOptions &options,
                                const AcquireOptions &acquireOptions, bool allowScript, Convert convert)
{
    PoolPrivate *d = this;
    auto promise = std::make_shared<QPromise<T>>();
    promise->start();
    QFuture<T> future = promise->future();
    auto run = [=](const QFuture<PooledConnection> &acquired) {
        PooledConnection handle;
        try {
            handle = acquired.result();
        } catch (const QException &e) {
            promise->setException(e);
            promise->finish();
            return;
        }
        std::shared_ptr<PoolLease> lease = handle.m_lease;
        Connection *connection = handle.connection();
        auto complete = [=](Outcome &&outcome) {
            d->release(*lease);
            try {
                if constexpr (std::is_void_v<T>)
                    convert(std::move(outcome));
                else
                    promise->addResult(convert(std::move(outcome)));
            } catch (const QException &e) {
                promise->setException(e);
            }
            promise->finish();
        };
        auto fail = [=](const QException &e) {
            ++d->counters.queryErrors;
            d->release(*lease);
            promise->setException(e);
            promise->finish();
        };
        connection->d->enqueueWithCallbacks(sql, args, options, allowScript, complete, fail);
    };
    Private::whenFinished<PooledConnection>(acquire(acquireOptions), q, run);
    return future;
}

template<typename T>
QFuture<T> PoolPrivate::runWith(const AcquireOptions &acquireOptions, std::function<QFuture<T>(Connection *)> call)
{
    auto promise = std::make_shared<QPromise<T>>();
    promise->start();
    QFuture<T> future = promise->future();
    Private::whenFinished<PooledConnection>(acquire(acquireOptions), q, [this, promise, call](const QFuture<PooledConnection> &acquired) {
        PooledConnection handle;
        try {
            handle = acquired.result();
        } catch (const QException &e) {
            promise->setException(e);
            promise->finish();
            return;
        }
        Private::whenFinished<T>(call(handle.connection()), q, [this, handle, promise](const QFuture<T> &done) {
            if (Private::hasFailed(done))
                ++counters.queryErrors;
            handle.release();
            Private::settle(*promise, done);
        });
    });
    return future;
}

QFuture<void> Pool::executeMany(const QString &sql, const QList<QVariantList> &rows, const QueryOptions &options,
                                const AcquireOptions &acquireOptions)
{
    return Private::runInThreadOf<void>(this, [=, this] {
        return d->runWith<void>(acquireOptions, [=](Connection *c) { return c->executeMany(sql, rows, options); });
    });
}

QFuture<RecordList> Pool::fetchMany(const QString &sql, const QList<QVariantList> &rows, const QueryOptions &options,
                                    const AcquireOptions &acquireOptions)
{
    return Private::runInThreadOf<RecordList>(this, [=, this] {
        return d->runWith<RecordList>(acquireOptions, [=](Connection *c) { return c->fetchMany(sql, rows, options); });
    });
}

QFuture<qint64> Pool::copyFromTable(const QString &table, const CopyOutput &output, const CopyOptions &options,
                                    const AcquireOptions &acquireOptions)
{
    return Private::runInThreadOf<qint64>(this, [=, this] {
        return d->runWith<qint64>(acquireOptions, [=](Connection *c) { return c->copyFromTable(table, output, options); });
    });
}

QFuture<qint64> Pool::copyFromQuery(const QString &query, const CopyOutput &output, const CopyOptions &options,
                                    const AcquireOptions &acquireOptions)
{
    return Private::runInThreadOf<qint64>(this, [=, this] {
        return d->runWith<qint64>(acquireOptions, [=](Connection *c) { return c->copyFromQuery(query, output, options); });
    });
}

QFuture<qint64> Pool::copyToTable(const QString &table, const CopyInput &input, const CopyOptions &options,
                                  const AcquireOptions &acquireOptions)
{
    return Private::runInThreadOf<qint64>(this, [=, this] {
        return d->runWith<qint64>(acquireOptions, [=](Connection *c) { return c->copyToTable(table, input, options); });
    });
}

QFuture<qint64> Pool::copyRecordsToTable(const QString &table, const QList<QVariantList> &records,
                                         const CopyOptions &options, const AcquireOptions &acquireOptions)
{
    return Private::runInThreadOf<qint64>(this, [=, this] {
        return d->runWith<qint64>(acquireOptions, [=](Connection *c) { return c->copyRecordsToTable(table, records, options); });
    });
}

QFuture<QString> Pool::execute(const QString &sql, const QVariantList &args, const QueryOptions &options,
                               const AcquireOptions &acquireOptions)
{
    return Private::runInThreadOf<QString>(this, [=, this] {
        return d->runOnce<QString>(sql, args, options, acquireOptions, true, &Private::Convert::commandTag);
    });
}

QFuture<RecordList> Pool::fetch(const QString &sql, const QVariantList &args, const QueryOptions &options,
                                const AcquireOptions &acquireOptions)
{
    return Private::runInThreadOf<RecordList>(this, [=, this] {
        return d->runOnce<RecordList>(sql, args, options, acquireOptions, false, &Private::Convert::records);
    });
}

QFuture<Record> Pool::fetchRow(const QString &sql, const QVariantList &args, const QueryOptions &options,
                               const AcquireOptions &acquireOptions)
{
    return Private::runInThreadOf<Record>(this, [=, this] {
        return d->runOnce<Record>(sql, args, options, acquireOptions, false, &Private::Convert::firstRow);
    });
}

QFuture<QVariant> Pool::fetchValue(const QString &sql, const QVariantList &args, const QueryOptions &options,
                                   const AcquireOptions &acquireOptions)
{
    const int column = options.column;
    return Private::runInThreadOf<QVariant>(this, [=, this] {
        return d->runOnce<QVariant>(sql, args, options, acquireOptions, false,
                                 [column](Outcome &&o) { return Private::Convert::value(std::move(o), column); });
    });
}

QFuture<void> Pool::close()
{
    return close(d->options.closeTimeout);
}

QFuture<void> Pool::close(std::chrono::milliseconds timeout)
{
    return Private::runInThreadOf<void>(this, [this, timeout] {
        if (d->state == PoolPrivate::State::Closed || d->state == PoolPrivate::State::New) {
            d->state = PoolPrivate::State::Closed;
            return QtFuture::makeReadyFuture();
        }
        auto promise = std::make_shared<QPromise<void>>();
        promise->start();
        d->closePromises.push_back(promise);
        if (d->state != PoolPrivate::State::Closing) {
            if (d->openPromise) {
                d->openPromise->setException(PoolClosedError(QStringLiteral("pool was closed while opening")));
                d->openPromise->finish();
                d->openPromise.reset();
            }
            d->state = PoolPrivate::State::Closing;
            Q_EMIT closing();
            d->housekeepingTimer->stop();
            d->backoffTimer->stop();
            d->failWaiters(PoolClosedError(QStringLiteral("pool is closing")));
            const QList<PoolEntry *> idleNow = d->idle;
            for (PoolEntry *e : idleNow)
                d->closeEntry(e, CloseReason::PoolClosed, true);
            if (timeout > 0ms)
                d->closeTimer->start(timeout);
        }
        QFuture<void> future = promise->future();
        d->maybeFinishClose();
        return future;
    });
}

void Pool::terminate()
{
    if (d->state == PoolPrivate::State::Closed)
        return;
    const bool wasClosing = d->state == PoolPrivate::State::Closing;
    d->state = PoolPrivate::State::Closing;
    if (!wasClosing)
        Q_EMIT closing();
    if (d->openPromise) {
        d->openPromise->setException(PoolClosedError(QStringLiteral("pool was terminated while opening")));
        d->openPromise->finish();
        d->openPromise.reset();
    }
    d->failWaiters(PoolClosedError(QStringLiteral("pool is closed")));
    const auto all = d->entries.values();
    for (const auto &e : all)
        d->closeEntry(e.get(), CloseReason::PoolClosed, false);
    d->connecting = 0; // connects still under way are dropped when they finish (state is Closed)
    d->maybeFinishClose();
}

bool Pool::isClosing() const
{
    return d->state == PoolPrivate::State::Closing || d->state == PoolPrivate::State::Closed;
}

void Pool::expireConnections()
{
    QMetaObject::invokeMethod(this, [this] {
        ++d->generation;
        const QList<PoolEntry *> idleNow = d->idle;
        for (PoolEntry *e : idleNow)
            d->closeEntry(e, CloseReason::Expired, true);
        d->maintain();
    }, QThread::currentThread() == thread() ? Qt::DirectConnection : Qt::QueuedConnection);
}

void Pool::setConnectArgs(const ConnectOptions &options)
{
    QMetaObject::invokeMethod(this, [this, options] { d->options.connectOptions = options; },
                              QThread::currentThread() == thread() ? Qt::DirectConnection : Qt::QueuedConnection);
}

void Pool::resize(int minSize, int maxSize)
{
    if (maxSize <= 0 || minSize < 0 || minSize > maxSize) {
        qCWarning(Private::lcPool) << "resize ignored: invalid sizes" << minSize << maxSize;
        return;
    }
    QMetaObject::invokeMethod(this, [this, minSize, maxSize] {
        d->options.minSize = minSize;
        d->options.maxSize = maxSize;
        while (int(d->entries.size()) > maxSize && !d->idle.isEmpty())
            d->closeEntry(d->idle.first(), CloseReason::Resized, true);
        d->maintain();
        d->emitCounts();
    }, QThread::currentThread() == thread() ? Qt::DirectConnection : Qt::QueuedConnection);
}

int Pool::size() const
{
    return int(d->entries.size());
}

int Pool::minSize() const
{
    return d->options.minSize;
}

int Pool::maxSize() const
{
    return d->options.maxSize;
}

int Pool::idleSize() const
{
    return int(d->idle.size());
}

int Pool::waitingCount() const
{
    return d->liveWaiterCount();
}

PoolStats Pool::stats() const
{
    PoolStats s = d->counters;
    s.size = int(d->entries.size());
    s.idle = int(d->idle.size());
    s.active = d->acquiredCount();
    s.waiting = d->liveWaiterCount();
    s.connecting = d->connecting;
    s.minSize = d->options.minSize;
    s.maxSize = d->options.maxSize;
    s.queries = quint64(d->queriesOfClosedConnections);
    for (const auto &e : std::as_const(d->entries))
        s.queries += quint64(e->connection->queryCount());
    s.acquireWaitTotalMs = d->waitHistogram.totalMs();
    s.acquireWaitP50Ms = d->waitHistogram.percentileMs(0.50);
    s.acquireWaitP99Ms = d->waitHistogram.percentileMs(0.99);
    s.acquireWaitMaxMs = d->waitHistogram.maxMs();
    return s;
}

QList<ConnectionInfo> Pool::connectionInfo() const
{
    QList<ConnectionInfo> list;
    for (const auto &e : std::as_const(d->entries)) {
        ConnectionInfo info;
        info.id = e->id;
        info.backendPid = e->connection->backendPid();
        info.state = e->state;
        info.ageMs = e->age.elapsed();
        info.idleMs = e->state == ConnectionInfo::State::Idle ? e->stateSince.elapsed() : 0;
        info.heldMs = e->state == ConnectionInfo::State::Acquired ? e->stateSince.elapsed() : 0;
        info.queries = e->connection->queryCount();
        info.generation = e->generation;
        info.transactionStatus = transactionStatusName(e->connection->transactionStatus());
        info.currentQuery = e->connection->currentQuery();
        info.currentQueryMs = info.currentQuery.isEmpty() ? 0 : e->connection->d->runningSince.elapsed();
        info.holder = e->holder;
        list.append(info);
    }
    std::sort(list.begin(), list.end(), [](const ConnectionInfo &a, const ConnectionInfo &b) { return a.id < b.id; });
    return list;
}

const PoolOptions &Pool::options() const
{
    return d->options;
}

} // namespace QPg
