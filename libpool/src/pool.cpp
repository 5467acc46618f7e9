// SPDX-License-Identifier: MIT
#include "pool_p.h"

#include "callbackdelivery_p.h"
#include "connection_p.h"
#include "logging_p.h"
#include "marshal_p.h"
#include "metatypes_p.h"
#include "statsclock_p.h"

#include <QtCore/QMetaMethod>
#include <QtCore/QRandomGenerator>
#include <QtCore/QThread>


using namespace std::chrono_literals;

namespace QPg {

using Private::Outcome;

namespace {

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
// Deferred completions

// Runs what the pool deferred, in order, until nothing is left. The pool counts as busy meanwhile,
// so what the callbacks do to it is queued here too. A callback may delete the pool: then the loop
// stops without touching it again.
void PoolPrivate::runDeferred()
{
    // Nobody listening to the counts is the common case on a busy pool, and then there is nothing
    // to run: no guard to set up.
    static const QMetaMethod countsSignal = QMetaMethod::fromSignal(&Pool::countsChanged);
    if (finishedWaiters.empty() && deferred.empty() && !q->isSignalConnected(countsSignal)) {
        countsDirty = false;
        return;
    }
    QPointer<Pool> alive = q;
    ++dispatchDepth;
    for (;;) {
        if (countsDirty) {
            countsDirty = false;
            const std::array<int, 4> c = lastCounts;
            if (q->isSignalConnected(countsSignal))
                Q_EMIT q->countsChanged(c[0], c[1], c[2], c[3]);
        } else if (!finishedWaiters.empty()) {
            std::shared_ptr<PoolWaiter> waiter = std::move(finishedWaiters.front());
            finishedWaiters.pop_front();
            waiter->complete();
        } else if (!deferred.empty()) {
            std::function<void()> call = std::move(deferred.front());
            deferred.pop_front();
            call();
        } else {
            break;
        }
        if (!alive)
            return;
    }
    --dispatchDepth;
}

// ---------------------------------------------------------------------------------------------
// Opening

PoolPrivate::PoolPrivate(Pool *q, const PoolOptions &options)
    : q(q)
    , anchor(std::make_shared<PoolAnchor>(q))
    , options(options)
    , closeTimer(new QTimer(q))
    , housekeepingTimer(new QTimer(q))
    , backoffTimer(new QTimer(q))
{
    Private::registerMetaTypes();
    statsEpoch.start();
    publishedMin = options.minSize;
    publishedMax = options.maxSize;
    closeTimer->setSingleShot(true);
    closeTimer->setTimerType(Qt::PreciseTimer); // a coarse timer may fire 5 % early
    backoffTimer->setSingleShot(true);
    QObject::connect(closeTimer, &QTimer::timeout, q, [this] {
        DispatchScope scope(this);
        qCWarning(Private::lcPool) << "close timeout: terminating" << acquiredCount() << "acquired connections";
        terminate();
    });
    QObject::connect(housekeepingTimer, &QTimer::timeout, q, [this] {
        DispatchScope scope(this);
        housekeep();
    });
    QObject::connect(backoffTimer, &QTimer::timeout, q, [this] {
        DispatchScope scope(this);
        maintain();
    });
}

QFuture<void> PoolPrivate::open()
{
    switch (state.load()) {
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

    if (options.minSize == 0) {
        finishOpen(nullptr);
        return openFuture;
    }
    // The first connection alone, so a bad DSN or password fails at once; then the rest together.
    openConnection([this](const std::exception_ptr &error) {
        if (error || options.minSize == 1) {
            finishOpen(error);
            return;
        }
        auto remaining = std::make_shared<int>(options.minSize - 1);
        auto firstError = std::make_shared<std::exception_ptr>();
        for (int i = 1; i < options.minSize; ++i) {
            openConnection([this, remaining, firstError](const std::exception_ptr &error) {
                if (error && !*firstError)
                    *firstError = error;
                if (--*remaining == 0)
                    finishOpen(*firstError);
            });
        }
    });
    return openFuture;
}

void PoolPrivate::finishOpen(const std::exception_ptr &error)
{
    if (state != State::Opening)
        return; // closed or terminated meanwhile: the open promise has been failed already
    if (error) {
        // Leave nothing behind, with the usual signals and counters, and allow another open().
        const QList<quint64> ids = entries.keys();
        for (quint64 id : ids) {
            if (PoolEntry *e = entry(id))
                closeEntry(e, CloseReason::PoolClosed, false);
        }
        state = State::New;
        failWaiters(error);
        settleOpen(error);
        emitCounts();
        return;
    } else {
        state = State::Open;
        updateHousekeepingInterval();
        maintain();
    }
    settleOpen(nullptr);
    emitCounts();
}

// Finishes the open promise (failed when error is set), deferred like every completion.
void PoolPrivate::settleOpen(const std::exception_ptr &error)
{
    if (!openPromise)
        return;
    auto promise = std::make_shared<QPromise<void>>(std::move(*openPromise));
    openPromise.reset();
    if (error)
        promise->setException(error);
    defer([promise] { promise->finish(); });
}

void PoolPrivate::openConnection(ConnectDone done)
{
    auto attempt = std::make_shared<ConnectAttempt>();
    attempt->id = nextAttemptId++;
    attempt->generation = generation;
    attempt->done = std::move(done);
    attempt->started.start();
    attempts.insert(attempt->id, attempt);
    lastConnectAttempt.start();
    QFuture<Connection *> opening;
    try {
        opening = startConnect(*attempt);
    } catch (...) {
        opening = Private::failedFuture<Connection *>(std::current_exception());
    }
    onFinished<Connection *>(opening, [this, attempt](const QFuture<Connection *> &opened) {
        onConnected(attempt, opened);
    });
}

// The connection of an attempt: options.connect's, or one the pool makes and opens.
QFuture<Connection *> PoolPrivate::startConnect(ConnectAttempt &attempt)
{
    if (options.connect)
        return options.connect(options.connectOptions);
    Connection *connection = options.connectionFactory ? options.connectionFactory(options.connectOptions)
                                                       : new Connection(options.connectOptions);
    if (!connection)
        throw InterfaceError(QStringLiteral("the pool's connection factory returned no connection"));
    connection->setParent(q);
    attempt.connection = connection;
    auto promise = std::make_shared<QPromise<Connection *>>();
    promise->start();
    QFuture<Connection *> opening = promise->future();
    Private::whenFinished<void>(connection->open(), connection, [connection, promise](const QFuture<void> &f) {
        if (std::exception_ptr error = Private::errorOf(f))
            promise->setException(error);
        else
            promise->addResult(connection);
        promise->finish();
    });
    return opening;
}

// A connection lost after its open, before the pool watched it (a server restart while the open's
// result was on its way, or during the init hook): a failed connect. Never an idle entry that is
// dead and that nothing would ever notice, nor a dead connection for the init hook.
std::exception_ptr PoolPrivate::lostBeforeUse(const Connection *connection)
{
    const Connection::State state = connection->state();
    if (state == Connection::State::Ready && !connection->d->sawDisconnectError)
        return nullptr;
    if (state == Connection::State::Disconnected || state == Connection::State::Connecting)
        return std::make_exception_ptr(
            InterfaceError(QStringLiteral("the pool's connect function returned a connection that is not open")));
    return std::make_exception_ptr(
        ConnectionLostError(QStringLiteral("the connection was lost before the pool could use it")));
}

void PoolPrivate::onConnected(const std::shared_ptr<ConnectAttempt> &attempt, const QFuture<Connection *> &opened)
{
    Connection *connection = nullptr;
    std::exception_ptr error = Private::errorOf(opened);
    if (!error) {
        connection = opened.result();
        if (!connection)
            error = std::make_exception_ptr(
                InterfaceError(QStringLiteral("the pool's connect function returned no connection")));
    }
    if (!error)
        error = lostBeforeUse(connection); // the init hook is not given a dead connection
    if (!connection && attempt->connection) {
        attempt->connection->deleteLater(); // made by the pool, failed to open
        attempt->connection = nullptr;
    }
    if (attempt->abandoned || error) {
        finishAttempt(attempt, connection, error);
        return;
    }
    connection->setParent(q);
    attempt->connection = connection;
    if (!options.init) {
        finishAttempt(attempt, connection, nullptr);
        return;
    }
    const QFuture<void> init = Private::callUser<void>(options.init, connection);
    onFinished<void>(init, [this, attempt, connection](const QFuture<void> &f) {
        finishAttempt(attempt, connection, Private::errorOf(f));
    });
}

void PoolPrivate::finishAttempt(const std::shared_ptr<ConnectAttempt> &attempt, Connection *connection,
                                std::exception_ptr error)
{
    if (!error && connection)
        error = lostBeforeUse(connection);
    if (attempt->abandoned) {
        // terminate() gave up on it; only the connection is left to clean up.
        if (connection) {
            connection->terminate();
            connection->deleteLater();
        }
        return;
    }
    attempts.remove(attempt->id);
    if (error) {
        if (connection) {
            connection->terminate();
            connection->deleteLater();
        }
        connectFailed(error);
        attempt->done(error);
        maybeFinishClose();
        emitCounts();
        return;
    }
    if (state == State::Closing || state == State::Closed) {
        Private::whenFinished<void>(connection->close(), connection, [connection](const QFuture<void> &) {
            connection->deleteLater();
        });
        attempt->done(std::make_exception_ptr(PoolClosedError(QStringLiteral("pool is closed"))));
        maybeFinishClose();
        emitCounts();
        return;
    }
    consecutiveConnectFailures = 0;
    connectTime.add(attempt->started.nsecsElapsed() / 1000, statsNowMs());
    adopt(connection, attempt->generation);
    attempt->done(nullptr);
}

// terminate(): connects under way are dropped; their connections are closed as they come back.
void PoolPrivate::abandonAttempts()
{
    const auto all = std::exchange(attempts, {});
    for (const auto &attempt : all) {
        attempt->abandoned = true;
        if (attempt->connection)
            attempt->connection->terminate(); // fails its open() or its init hook's queries
    }
}

void PoolPrivate::adopt(Connection *connection, int openedGeneration)
{
    auto e = std::make_shared<PoolEntry>();
    e->id = nextId++;
    e->connection = connection;
    e->generation = openedGeneration;
    e->age.start();
    e->stateSince.start();
    if (options.maxLifetime > 0ms) {
        // Jitter spreads replacements so connections opened together do not all expire together.
        const double jitter = options.maxLifetimeJitter * QRandomGenerator::global()->generateDouble();
        e->lifetimeMs = qint64(double(options.maxLifetime.count()) * (1.0 - jitter));
    }
    // What init() set up is the connection's baseline, not a change to reset on the first release.
    connection->d->sessionChanged = false;
    connection->d->tempObjectsCreated = false;
    // A stale plan on one connection means the schema changed for all of them.
    connection->d->onStatementCacheInvalidated = [guard = QPointer<Pool>(q), connection] {
        if (!guard)
            return;
        for (const auto &other : std::as_const(guard->d->entries)) {
            if (other->connection != connection) {
                other->connection->d->statementCache.clear(/*serverDropped*/ false);
                other->connection->d->tableColumns.clear();
            }
        }
    };
    entries.insert(e->id, e);
    ++counters.connectionsOpened;
    const quint64 id = e->id;
    QObject::connect(connection, &Connection::connectionLost, q, [this, id] {
        DispatchScope scope(this);
        onConnectionLost(id);
    });
    // Closed by someone else (its holder called terminate() or close()): the slot is free at once.
    QObject::connect(connection, &Connection::closed, q, [this, id] {
        DispatchScope scope(this);
        onConnectionLost(id);
    });
    defer([this, id, pid = connection->backendPid()] { Q_EMIT q->connectionOpened(id, pid); });
    returnToIdle(e.get()); // an expired generation is closed there, and replaced
}

// Keeps minSize connections open, and opens more (up to maxSize) while callers wait.
void PoolPrivate::maintain()
{
    if (state != State::Open || backoffTimer->isActive())
        return;
    const int size = int(entries.size());
    const int waiting = liveWaiterCount();
    const int want = std::min(options.maxSize, std::max(options.minSize, size + waiting));
    const int parallel = waiting > 0 ? options.maxSize : std::max(1, options.maxConcurrentConnects);
    while (size + connectingCount() < want && connectingCount() < parallel)
        openConnection([](const std::exception_ptr &) {});
}

// maintain() a loop turn later: callers in the middle of their bookkeeping are not re-entered.
void PoolPrivate::scheduleMaintain()
{
    if (maintainScheduled || state != State::Open)
        return;
    maintainScheduled = true;
    QMetaObject::invokeMethod(q, [this] {
        DispatchScope scope(this);
        maintainScheduled = false;
        maintain();
    }, Qt::QueuedConnection);
}

void PoolPrivate::connectFailed(const std::exception_ptr &error)
{
    ++counters.connectFailures;
    lastConnectFailure = error;
    const QString message = Private::messageOf(error);
    ++consecutiveConnectFailures;
    qCInfo(Private::lcPool) << "connect failed:" << message;
    defer([this, message] { Q_EMIT q->connectFailed(message); });
    if (state != State::Open)
        return;
    // Nothing open and nothing on the way: the server is down, so waiters fail now, with the error
    // itself (an init hook's own error keeps its type), instead of timing out one by one.
    if (entries.isEmpty() && connectingCount() == 0)
        failWaiters(error);
    const qint64 base = options.reconnectBackoffInitial.count();
    const qint64 cap = options.reconnectBackoffMax.count();
    const int exponent = std::min(consecutiveConnectFailures - 1, 20);
    const qint64 delay = std::min(cap, base << exponent);
    const double jitter = 0.5 + 0.5 * QRandomGenerator::global()->generateDouble();
    backoffTimer->start(std::max<qint64>(1, qint64(double(delay) * jitter)));
}

// While the server is down acquires fail fast, but one may try to connect again every 250 ms, so
// the pool recovers as soon as the server does instead of when the backoff runs out.
bool PoolPrivate::mayRetryConnectNow() const
{
    constexpr qint64 retryIntervalMs = 250;
    return !lastConnectAttempt.isValid() || lastConnectAttempt.elapsed() >= retryIntervalMs;
}

// ---------------------------------------------------------------------------------------------
// Shutdown

void PoolPrivate::startClose(std::chrono::milliseconds timeout)
{
    settleOpen(Private::exceptionPtr(PoolClosedError(QStringLiteral("pool was closed while opening"))));
    state = State::Closing;
    defer([this] { Q_EMIT q->closing(); });
    housekeepingTimer->stop();
    backoffTimer->stop();
    failWaiters(PoolClosedError(QStringLiteral("pool is closing")));
    for (quint64 id : idleIds()) {
        if (PoolEntry *e = entry(id))
            closeEntry(e, CloseReason::PoolClosed, true);
    }
    if (timeout > 0ms)
        closeTimer->start(timeout);
}

void PoolPrivate::terminate()
{
    if (state == State::Closed)
        return;
    const bool wasClosing = state == State::Closing;
    state = State::Closing;
    if (!wasClosing)
        defer([this] { Q_EMIT q->closing(); });
    settleOpen(Private::exceptionPtr(PoolClosedError(QStringLiteral("pool was terminated while opening"))));
    failWaiters(PoolClosedError(QStringLiteral("pool is closed")));
    abandonAttempts();
    const QList<quint64> ids = entries.keys();
    for (quint64 id : ids) {
        if (PoolEntry *e = entry(id))
            closeEntry(e, CloseReason::PoolClosed, false);
    }
    maybeFinishClose();
}

void PoolPrivate::maybeFinishClose()
{
    if (state != State::Closing || !entries.isEmpty() || connectingCount() > 0)
        return;
    state = State::Closed;
    closeTimer->stop();
    housekeepingTimer->stop();
    backoffTimer->stop();
    emitCounts();
    defer([this] { Q_EMIT q->closed(); });
    for (const auto &promise : std::exchange(closePromises, {}))
        defer([promise] { promise->finish(); });
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

QList<quint64> PoolPrivate::idleIds() const
{
    QList<quint64> ids;
    ids.reserve(idle.size());
    for (const PoolEntry *e : idle)
        ids.append(e->id);
    return ids;
}

void PoolPrivate::housekeep()
{
    if (state != State::Open)
        return;
    // By id: closing one connection may change what the others are.
    for (quint64 id : idleIds()) {
        PoolEntry *e = entry(id);
        if (!e || e->state != ConnectionInfo::State::Idle)
            continue;
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
                defer([this, id = e->id, holder = e->holder, held = e->stateSince.elapsed()] {
                    Q_EMIT q->leakDetected(id, holder, held);
                });
            }
        }
    }
    sweepCancelledWaiters();
    maintain();
    emitCounts();
}

// O(1): called on every change of a count.
void PoolPrivate::emitCounts()
{
    const int size = int(entries.size());
    const int idleCount = int(idle.size());
    const int active = acquiredCount();
    const int waiting = liveWaiterCount();
    publishedSize.store(size, std::memory_order_relaxed);
    publishedIdle.store(idleCount, std::memory_order_relaxed);
    publishedWaiting.store(waiting, std::memory_order_relaxed);
    const std::array<int, 4> now{size, idleCount, active, waiting};
    if (now == lastCounts)
        return;
    lastCounts = now;
    countsDirty = true; // emitted when the outermost DispatchScope ends
}

void PoolPrivate::setSizes(int minSize, int maxSize)
{
    {
        QMutexLocker lock(&optionsMutex);
        options.minSize = minSize;
        options.maxSize = maxSize;
    }
    publishedMin = minSize;
    publishedMax = maxSize;
    // Idle connections above the new maximum go now; acquired ones when they come back.
    for (quint64 id : idleIds()) {
        if (int(entries.size()) <= maxSize)
            break;
        if (PoolEntry *e = entry(id))
            closeEntry(e, CloseReason::Resized, true);
    }
    maintain();
    emitCounts();
}

PoolStats PoolPrivate::stats() const
{
    PoolStats s = counters;
    s.size = int(entries.size());
    s.idle = int(idle.size());
    s.active = acquiredCount();
    s.waiting = liveWaiterCount();
    s.connecting = connectingCount();
    s.minSize = options.minSize;
    s.maxSize = options.maxSize;
    s.queries = quint64(queriesOfClosedConnections);
    for (const auto &e : std::as_const(entries))
        s.queries += quint64(e->connection->queryCount());
    const LatencySummary wait = acquireWait.summary();
    s.acquireWaitTotalMs = wait.totalMs;
    s.acquireWaitP50Ms = wait.p50Ms;
    s.acquireWaitP99Ms = wait.p99Ms;
    s.acquireWaitMaxMs = wait.maxMs;
    const qint64 now = statsNowMs();
    s.acquireWaitLast10s = acquireWait.windowSummary(now, 10);
    s.acquireWaitLast60s = acquireWait.windowSummary(now, 60);
    s.holdTime = holdTime.summary();
    s.holdTimeLast60s = holdTime.windowSummary(now, 60);
    s.connectTime = connectTime.summary();
    s.oldestWaiterMs = double(oldestWaiterMs());
    s.acquireWaitBuckets = acquireWait.buckets();
    s.holdTimeBuckets = holdTime.buckets();
    s.connectTimeBuckets = connectTime.buckets();
    return s;
}

// Requeued waiters go to the front of the queue, so the oldest is not always the first.
qint64 PoolPrivate::oldestWaiterMs() const
{
    qint64 oldest = 0;
    for (const auto &w : waiters) {
        if (w->live())
            oldest = std::max(oldest, w->waited.elapsed());
    }
    return oldest;
}

QList<ConnectionInfo> PoolPrivate::connectionInfo() const
{
    QList<ConnectionInfo> list;
    for (const auto &e : std::as_const(entries)) {
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

// ---------------------------------------------------------------------------------------------
// Pool

namespace {

// Runs call in pool's thread and waits for it: for the few methods that return a value computed
// from the pool's state. Direct when already there, or when that thread has finished. (A pool's
// thread must not wait for the caller's thread meanwhile: that would deadlock, as with any
// blocking queued call.)
template<typename R, typename Call>
R callInPoolThread(Pool *pool, Call call)
{
    QThread *thread = pool->thread();
    if (QThread::currentThread() == thread || !thread->isRunning())
        return call();
    R result;
    QMetaObject::invokeMethod(pool, [&] { result = call(); }, Qt::BlockingQueuedConnection);
    return result;
}

} // namespace

Pool::Pool(const PoolOptions &options, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<PoolPrivate>(this, options))
{
}

Pool::~Pool()
{
    d->anchor->detach(); // leases in other threads no longer reach this pool
    QSignalBlocker blocker(this);
    ++d->dispatchDepth; // a continuation must not delete the pool twice
    d->terminate();
    // What terminate() failed is finished now, while the pool still exists (its signals blocked).
    for (const auto &waiter : std::exchange(d->finishedWaiters, {}))
        waiter->complete();
    for (const auto &call : std::exchange(d->deferred, {}))
        call();
}

QFuture<void> Pool::open()
{
    return d->inThread<void>([this] { return d->open(); });
}

bool Pool::isOpen() const
{
    return d->state == PoolPrivate::State::Open;
}

QFuture<PooledConnection> Pool::acquire(const AcquireOptions &options)
{
    if (QThread::currentThread() == thread()) {
        PoolPrivate::DispatchScope scope(d.get());
        return d->acquire(options);
    }
    // From another thread the caller gets the waiter's own future, so that cancelling it is seen
    // by the pool (a relayed future would hide the cancel until a connection was handed over).
    struct QueuedWaiter
    {
        std::shared_ptr<PoolWaiter> waiter = std::make_shared<PoolWaiter>();
        bool started = false;
        ~QueuedWaiter()
        {
            if (started)
                return; // the pool was destroyed before the request reached it
            waiter->promise->setException(PoolClosedError(QStringLiteral("pool is closed")));
            waiter->promise->finish();
        }
    };
    auto queued = std::make_shared<QueuedWaiter>();
    queued->waiter->promise.emplace();
    queued->waiter->promise->start();
    queued->waiter->published = true;
    QFuture<PooledConnection> future = queued->waiter->promise->future();
    d->anchor->run([queued, options](PoolPrivate *d) {
        queued->started = true;
        d->startWaiting(queued->waiter, options);
    });
    return future;
}

std::optional<PooledConnection> Pool::tryAcquire(const AcquireOptions &options)
{
    if (QThread::currentThread() != thread())
        return std::nullopt;
    PoolPrivate::DispatchScope scope(d.get());
    return d->tryAcquire(options);
}

QFuture<void> Pool::release(const PooledConnection &connection)
{
    if (!connection.m_lease || !connection.m_lease->anchor || !connection.m_lease->anchor->isPool(this))
        return Private::failedFuture<void>(InterfaceError(
            QStringLiteral("Pool::release() received a connection that is not a member of this pool")));
    return connection.release();
}

namespace {

// What a one-shot helper reports when its connection went away between the acquire and the call
// (terminate(), the connection lost, a close timeout).
std::exception_ptr connectionGoneError(const PoolPrivate *d)
{
    if (d->state == PoolPrivate::State::Closing || d->state == PoolPrivate::State::Closed)
        return std::make_exception_ptr(PoolClosedError(QStringLiteral("pool is closed")));
    return std::make_exception_ptr(
        ConnectionLostError(QStringLiteral("the pooled connection was closed before the query could run")));
}

// A request of a callback form dropped unrun: its posted call died with the pool.
std::exception_ptr poolClosedError()
{
    return std::make_exception_ptr(PoolClosedError(QStringLiteral("pool is closed")));
}

// Where a one-shot call's outcome goes: the caller's promise (or a Private::CallbackDelivery).
template<typename T>
struct PromiseDelivery
{
    using Value = T;
    QPromise<T> promise;
    void deliver(T &&value)
    {
        promise.addResult(std::move(value));
        promise.finish();
    }
    void fail(const std::exception_ptr &error)
    {
        promise.setException(error);
        promise.finish();
    }
};

// A one-shot helper's call in one allocation, owned by the operation it runs as: where the outcome
// goes, the conversion of the outcome, and the checkout (the lease itself on the fast path).
template<typename Delivery, typename Convert>
struct OneShot
{
    template<typename... DeliveryArgs>
    explicit OneShot(Convert c, DeliveryArgs &&...args)
        : delivery{std::forward<DeliveryArgs>(args)...}, convert(std::move(c))
    {
    }
    Delivery delivery;
    Convert convert;
    PoolLease ownLease;                      // fast path: the entry's lease aliases this object
    std::shared_ptr<PoolLease> handedLease;  // slow path: the lease a waiter was handed
    PoolLease &lease() { return handedLease ? *handedLease : ownLease; }
};

// The connection goes back before the caller sees the result (so a caller that queries again finds
// it idle). Captures only values: the lease may be gone when a posted call runs.
void giveBack(PoolLease &lease, bool failed)
{
    const bool wasReleased = lease.released.exchange(true);
    lease.anchor->run([id = lease.entryId, wasReleased, failed](PoolPrivate *d) {
        if (failed)
            ++d->counters.queryErrors;
        if (!wasReleased)
            d->releaseEntry(id);
    });
}

// Queues the command on connection; its callbacks live in the operation, which owns call.
template<typename Call>
void startOneShot(const std::shared_ptr<Call> &call, ConnectionPrivate *connection, const QString &sql,
                  const QVariantList &args, const QueryOptions &options, bool allowScript)
{
    Call *c = call.get();
    auto complete = [c](Outcome &&outcome) {
        giveBack(c->lease(), false);
        Private::deliverConverted(c->delivery, c->convert, std::move(outcome));
    };
    auto fail = [c](const QException &e) {
        giveBack(c->lease(), true);
        c->delivery.fail(Private::exceptionPtr(e));
    };
    connection->enqueueWithCallbacks(sql, args, options, allowScript, complete, fail, call);
}

} // namespace

// acquire → run → release, releasing before the result is handed to the caller.
template<typename Call>
void PoolPrivate::runOnce(const std::shared_ptr<Call> &call, const QString &sql, const QVariantList &args,
                          const QueryOptions &options, const AcquireOptions &acquireOptions, bool allowScript)
{
    if (PoolEntry *e = takeIdleNow(acquireOptions)) {
        lend(e, std::shared_ptr<PoolLease>(call, &call->ownLease), 0);
        startOneShot(call, e->connection->d.get(), sql, args, options, allowScript);
        return;
    }
    acquireWith(acquireOptions, [=, this](PoolWaiter &acquired) {
        if (acquired.error) {
            call->delivery.fail(acquired.error);
            return;
        }
        PooledConnection handle = std::move(*acquired.handed);
        call->handedLease = handle.m_lease;
        Connection *connection = handle.connection();
        if (!connection) {
            call->delivery.fail(connectionGoneError(this));
            return;
        }
        startOneShot(call, connection->d.get(), sql, args, options, allowScript);
    });
}

template<typename T, typename Convert>
QFuture<T> PoolPrivate::runOnce(const QString &sql, const QVariantList &args, const QueryOptions &options,
                                const AcquireOptions &acquireOptions, bool allowScript, Convert convert)
{
    auto call = std::make_shared<OneShot<PromiseDelivery<T>, Convert>>(std::move(convert));
    call->delivery.promise.start();
    QFuture<T> future = call->delivery.promise.future();
    runOnce(call, sql, args, options, acquireOptions, allowScript);
    return future;
}

template<typename T, typename Convert>
void PoolPrivate::runOnceWithCallback(const QString &sql, const QVariantList &args, const QueryOptions &options,
                                      const AcquireOptions &acquireOptions, bool allowScript, Convert convert,
                                      const QObject *context, std::function<void(Reply<T>)> onReply)
{
    if (!Private::callbackArgumentsValid(context, bool(onReply), "Pool"))
        return;
    auto call = std::make_shared<OneShot<Private::CallbackDelivery<T>, Convert>>(
        std::move(convert), context, q->thread(), std::move(onReply), &poolClosedError);
    anchor->run([call, sql, args, options, acquireOptions, allowScript](PoolPrivate *d) {
        d->runOnce(call, sql, args, options, acquireOptions, allowScript);
        call->delivery.inRequest = false;
    });
}

template<typename T>
QFuture<T> PoolPrivate::runWith(const AcquireOptions &acquireOptions, std::function<QFuture<T>(Connection *)> call)
{
    auto promise = std::make_shared<QPromise<T>>();
    promise->start();
    QFuture<T> future = promise->future();
    acquireWith(acquireOptions, [this, promise, call](PoolWaiter &acquired) {
        if (acquired.error) {
            promise->setException(acquired.error);
            promise->finish();
            return;
        }
        PooledConnection handle = std::move(*acquired.handed);
        Connection *connection = handle.connection();
        if (!connection) {
            promise->setException(connectionGoneError(this));
            promise->finish();
            return;
        }
        onFinished<T>(call(connection), [this, handle, promise](const QFuture<T> &done) {
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
    return d->inThread<void>([=, this] {
        return d->runWith<void>(acquireOptions, [=](Connection *c) { return c->executeMany(sql, rows, options); });
    });
}

QFuture<RecordList> Pool::fetchMany(const QString &sql, const QList<QVariantList> &rows, const QueryOptions &options,
                                    const AcquireOptions &acquireOptions)
{
    return d->inThread<RecordList>([=, this] {
        return d->runWith<RecordList>(acquireOptions, [=](Connection *c) { return c->fetchMany(sql, rows, options); });
    });
}

QFuture<qint64> Pool::copyFromTable(const QString &table, const CopyOutput &output, const CopyOptions &options,
                                    const AcquireOptions &acquireOptions)
{
    return d->inThread<qint64>([=, this] {
        return d->runWith<qint64>(acquireOptions, [=](Connection *c) { return c->copyFromTable(table, output, options); });
    });
}

QFuture<qint64> Pool::copyFromQuery(const QString &query, const CopyOutput &output, const CopyOptions &options,
                                    const AcquireOptions &acquireOptions)
{
    return d->inThread<qint64>([=, this] {
        return d->runWith<qint64>(acquireOptions, [=](Connection *c) { return c->copyFromQuery(query, output, options); });
    });
}

QFuture<qint64> Pool::copyToTable(const QString &table, const CopyInput &input, const CopyOptions &options,
                                  const AcquireOptions &acquireOptions)
{
    return d->inThread<qint64>([=, this] {
        return d->runWith<qint64>(acquireOptions, [=](Connection *c) { return c->copyToTable(table, input, options); });
    });
}

QFuture<qint64> Pool::copyRecordsToTable(const QString &table, const QList<QVariantList> &records,
                                         const CopyOptions &options, const AcquireOptions &acquireOptions)
{
    return d->inThread<qint64>([=, this] {
        return d->runWith<qint64>(acquireOptions, [=](Connection *c) { return c->copyRecordsToTable(table, records, options); });
    });
}

QFuture<QString> Pool::execute(const QString &sql, const QVariantList &args, const QueryOptions &options,
                               const AcquireOptions &acquireOptions)
{
    return d->inThread<QString>([=, this] {
        return d->runOnce<QString>(sql, args, options, acquireOptions, true, &Private::Convert::commandTag);
    });
}

QFuture<RecordList> Pool::fetch(const QString &sql, const QVariantList &args, const QueryOptions &options,
                                const AcquireOptions &acquireOptions)
{
    return d->inThread<RecordList>([=, this] {
        return d->runOnce<RecordList>(sql, args, options, acquireOptions, false, &Private::Convert::records);
    });
}

QFuture<Record> Pool::fetchRow(const QString &sql, const QVariantList &args, const QueryOptions &options,
                               const AcquireOptions &acquireOptions)
{
    return d->inThread<Record>([=, this] {
        return d->runOnce<Record>(sql, args, options, acquireOptions, false, &Private::Convert::firstRow);
    });
}

QFuture<QVariant> Pool::fetchValue(const QString &sql, const QVariantList &args, const QueryOptions &options,
                                   const AcquireOptions &acquireOptions)
{
    const int column = options.column;
    return d->inThread<QVariant>([=, this] {
        return d->runOnce<QVariant>(sql, args, options, acquireOptions, false,
                                 [column](Outcome &&o) { return Private::Convert::value(std::move(o), column); });
    });
}

void Pool::execute(const QString &sql, const QVariantList &args, const QObject *context,
                   std::function<void(Reply<QString>)> onReply, const QueryOptions &options,
                   const AcquireOptions &acquireOptions)
{
    d->runOnceWithCallback<QString>(sql, args, options, acquireOptions, true, &Private::Convert::commandTag, context,
                                    std::move(onReply));
}

void Pool::fetch(const QString &sql, const QVariantList &args, const QObject *context,
                 std::function<void(Reply<RecordList>)> onReply, const QueryOptions &options,
                 const AcquireOptions &acquireOptions)
{
    d->runOnceWithCallback<RecordList>(sql, args, options, acquireOptions, false, &Private::Convert::records, context,
                                       std::move(onReply));
}

void Pool::fetchRow(const QString &sql, const QVariantList &args, const QObject *context,
                    std::function<void(Reply<Record>)> onReply, const QueryOptions &options,
                    const AcquireOptions &acquireOptions)
{
    d->runOnceWithCallback<Record>(sql, args, options, acquireOptions, false, &Private::Convert::firstRow, context,
                                   std::move(onReply));
}

void Pool::fetchValue(const QString &sql, const QVariantList &args, const QObject *context,
                      std::function<void(Reply<QVariant>)> onReply, const QueryOptions &options,
                      const AcquireOptions &acquireOptions)
{
    const int column = options.column;
    d->runOnceWithCallback<QVariant>(
        sql, args, options, acquireOptions, false,
        [column](Outcome &&o) { return Private::Convert::value(std::move(o), column); }, context, std::move(onReply));
}

QFuture<void> Pool::close()
{
    const std::chrono::milliseconds timeout = options().closeTimeout;
    return close(timeout);
}

QFuture<void> Pool::close(std::chrono::milliseconds timeout)
{
    return d->inThread<void>([this, timeout] {
        if (d->state == PoolPrivate::State::Closed || d->state == PoolPrivate::State::New) {
            d->state = PoolPrivate::State::Closed;
            return QtFuture::makeReadyFuture();
        }
        auto promise = std::make_shared<QPromise<void>>();
        promise->start();
        d->closePromises.push_back(promise);
        if (d->state != PoolPrivate::State::Closing)
            d->startClose(timeout);
        QFuture<void> future = promise->future();
        d->maybeFinishClose();
        return future;
    });
}

void Pool::terminate()
{
    auto terminateNow = [this] {
        PoolPrivate::DispatchScope scope(d.get());
        d->terminate();
    };
    if (QThread::currentThread() == thread() || !thread()->isRunning())
        terminateNow();
    else // "now" also from another thread: wait until the pool's thread has done it
        QMetaObject::invokeMethod(this, terminateNow, Qt::BlockingQueuedConnection);
}

bool Pool::isClosing() const
{
    const PoolPrivate::State state = d->state;
    return state == PoolPrivate::State::Closing || state == PoolPrivate::State::Closed;
}

void Pool::expireConnections()
{
    d->anchor->run([](PoolPrivate *d) {
        ++d->generation;
        for (quint64 id : d->idleIds()) {
            if (PoolEntry *e = d->entry(id))
                d->closeEntry(e, CloseReason::Expired, true);
        }
        // Connections being opened, reset or held are closed when they come back (their
        // generation is checked then).
        d->maintain();
    });
}

void Pool::setConnectArgs(const ConnectOptions &options)
{
    d->anchor->run([options](PoolPrivate *d) {
        QMutexLocker lock(&d->optionsMutex);
        d->options.connectOptions = options;
    });
}

void Pool::resize(int minSize, int maxSize)
{
    if (maxSize <= 0 || minSize < 0 || minSize > maxSize) {
        qCWarning(Private::lcPool) << "resize ignored: invalid sizes" << minSize << maxSize;
        return;
    }
    d->anchor->run([minSize, maxSize](PoolPrivate *d) { d->setSizes(minSize, maxSize); });
}

QFuture<bool> Pool::cancelQuery(quint64 connectionId)
{
    return d->inThread<bool>([this, connectionId] {
        PoolEntry *e = d->entry(connectionId);
        if (!e)
            return Private::failedFuture<bool>(
                InterfaceError(QStringLiteral("the pool has no connection %1").arg(connectionId)));
        return QtFuture::makeReadyFuture(e->connection->cancel());
    });
}

int Pool::size() const
{
    return d->publishedSize.load(std::memory_order_relaxed);
}

int Pool::minSize() const
{
    return d->publishedMin.load(std::memory_order_relaxed);
}

int Pool::maxSize() const
{
    return d->publishedMax.load(std::memory_order_relaxed);
}

int Pool::idleSize() const
{
    return d->publishedIdle.load(std::memory_order_relaxed);
}

int Pool::waitingCount() const
{
    if (QThread::currentThread() != thread())
        return d->publishedWaiting.load(std::memory_order_relaxed); // cancelled ones until the next sweep
    d->sweepCancelledWaiters();
    return d->liveWaiterCount();
}

PoolStats Pool::stats() const
{
    return callInPoolThread<PoolStats>(const_cast<Pool *>(this), [this] {
        d->sweepCancelledWaiters();
        return d->stats();
    });
}

QList<ConnectionInfo> Pool::connectionInfo() const
{
    return callInPoolThread<QList<ConnectionInfo>>(const_cast<Pool *>(this), [this] { return d->connectionInfo(); });
}

PoolOptions Pool::options() const
{
    if (QThread::currentThread() == thread())
        return d->options;
    QMutexLocker lock(&d->optionsMutex);
    return d->options;
}

void Private::setStatsClockForTesting(Pool *pool, std::function<qint64()> nowMs)
{
    PoolPrivate::get(pool)->statsClock = std::move(nowMs);
}

} // namespace QPg
