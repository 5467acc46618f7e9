// SPDX-License-Identifier: MIT
// Checkout: waiters, hand-off of a free connection, validation, setup and delivery.
#include "pool_p.h"

#include "connection_p.h"
#include "logging_p.h"
#include "marshal_p.h"

using namespace std::chrono_literals;

namespace QPg {

using Private::Outcome;

// ---------------------------------------------------------------------------------------------
// Checkout

QFuture<PooledConnection> PoolPrivate::acquire(const AcquireOptions &acquireOptions)
{
    if (std::optional<PooledConnection> now = tryAcquire(acquireOptions)) {
        // Nobody can have attached a continuation yet: the promise finishes at once.
        QPromise<PooledConnection> promise;
        promise.start();
        promise.addResult(std::move(*now));
        promise.finish();
        return promise.future();
    }
    auto waiter = std::make_shared<PoolWaiter>();
    waiter->promise.emplace();
    waiter->promise->start();
    QFuture<PooledConnection> future = waiter->promise->future();
    startWaiting(waiter, acquireOptions);
    // From here on the caller may attach continuations: completing the waiter is deferred.
    waiter->published = true;
    return future;
}

std::optional<PooledConnection> PoolPrivate::tryAcquire(const AcquireOptions &acquireOptions)
{
    PoolEntry *e = takeIdleNow(acquireOptions);
    if (!e)
        return std::nullopt;
    auto lease = std::make_shared<PoolLease>();
    lend(e, lease, 0);
    return PooledConnection(std::move(lease));
}

// acquire() for the pool's own helpers: handOff gets the outcome directly (no future, no watcher,
// no extra event-loop turn), also when the pool is destroyed while the caller waits.
void PoolPrivate::acquireWith(const AcquireOptions &acquireOptions, std::function<void(PoolWaiter &)> handOff)
{
    auto waiter = std::make_shared<PoolWaiter>();
    waiter->handOff = std::move(handOff);
    startWaiting(waiter, acquireOptions);
    waiter->published = true; // the helper's future has not been returned yet: until here, at once
}

PoolEntry *PoolPrivate::takeIdleNow(const AcquireOptions &acquireOptions)
{
    if (state != State::Open || idle.isEmpty() || liveWaiterCount() != 0 || options.setup)
        return nullptr;
    PoolEntry *e = idle.last();
    if (options.validateIdleAfter > 0ms && e->stateSince.elapsed() > options.validateIdleAfter.count())
        return nullptr;
    idle.removeLast();
    markAcquired(e, acquireOptions.tag);
    emitCounts();
    return e;
}

void PoolPrivate::markAcquired(PoolEntry *e, const QString &tag)
{
    setEntryState(e, ConnectionInfo::State::Acquired);
    e->holder = tag;
    e->leakReported = false;
}

void PoolPrivate::lend(PoolEntry *e, const std::shared_ptr<PoolLease> &lease, qint64 waitedMicros)
{
    lease->anchor = anchor;
    lease->connection = e->connection;
    lease->entryId = e->id;
    e->lease = lease;
    acquireWait.add(waitedMicros, statsNowMs());
    ++counters.acquires;
    if (waitedMicros >= 1000)
        ++counters.acquiresWaited;
}

// Serves waiter now, or queues it (or fails it at once).
void PoolPrivate::startWaiting(const std::shared_ptr<PoolWaiter> &waiter, const AcquireOptions &acquireOptions)
{
    waiter->tag = acquireOptions.tag;
    waiter->waited.start();
    if (state == State::Closing || state == State::Closed) {
        failWaiter(waiter, std::make_exception_ptr(PoolClosedError(
                               state == State::Closing ? QStringLiteral("pool is closing") : QStringLiteral("pool is closed"))));
        return;
    }
    if (state == State::New)
        open();
    const std::chrono::milliseconds timeout = acquireOptions.timeout.value_or(options.acquireTimeout);
    // Fast path: a free connection and nobody ahead in the queue. The timeout still bounds the
    // validation ping and the setup hook, when there are any.
    if (state == State::Open && !idle.isEmpty() && liveWaiterCount() == 0) {
        if (timeout > 0ms && (options.setup || options.validateIdleAfter > 0ms))
            armTimeout(waiter, timeout);
        checkout(idle.takeLast(), waiter);
        return;
    }
    if (options.maxWaiting > 0 && liveWaiterCount() >= options.maxWaiting) {
        failWaiter(waiter, std::make_exception_ptr(PoolExhaustedError(
                               QStringLiteral("%1 callers are already waiting for a connection").arg(options.maxWaiting))));
        return;
    }
    if (state == State::Open && entries.isEmpty() && connectingCount() == 0 && backoffTimer->isActive()) {
        if (!mayRetryConnectNow()) {
            failWaiter(waiter, lastConnectFailure ? lastConnectFailure
                                                  : std::make_exception_ptr(ConnectionError(
                                                        QStringLiteral("cannot connect to the server"))));
            return;
        }
        backoffTimer->stop(); // this caller waits for one more attempt
    }
    if (timeout > 0ms)
        armTimeout(waiter, timeout);
    enqueueWaiter(waiter, /*front*/ false);
    maintain();
    emitCounts();
}

void PoolPrivate::armTimeout(const std::shared_ptr<PoolWaiter> &waiter, std::chrono::milliseconds timeout)
{
    waiter->timer = new QTimer(q);
    waiter->timer->setSingleShot(true);
    waiter->timer->setTimerType(Qt::PreciseTimer);
    std::weak_ptr<PoolWaiter> weak = waiter;
    QObject::connect(waiter->timer, &QTimer::timeout, q, [this, weak] {
        DispatchScope scope(this);
        if (auto w = weak.lock())
            onWaiterTimeout(w);
    });
    waiter->timer->start(timeout);
}

void PoolPrivate::enqueueWaiter(const std::shared_ptr<PoolWaiter> &waiter, bool front)
{
    Q_ASSERT(!waiter->queued);
    waiter->position = waiters.insert(front ? waiters.begin() : waiters.end(), waiter);
    waiter->queued = true;
}

void PoolPrivate::dequeueWaiter(const std::shared_ptr<PoolWaiter> &waiter)
{
    if (!waiter->queued)
        return;
    waiters.erase(waiter->position);
    waiter->queued = false;
}

// The waiter leaves the queue and its timer stops; its promise is left as it is.
void PoolPrivate::finishWaiter(std::shared_ptr<PoolWaiter> waiter)
{
    waiter->done = true;
    dequeueWaiter(waiter);
    if (waiter->timer) {
        waiter->timer->stop();
        waiter->timer->deleteLater();
        waiter->timer = nullptr;
    }
}

void PoolPrivate::failWaiter(std::shared_ptr<PoolWaiter> waiter, const std::exception_ptr &error)
{
    const bool wasLive = waiter->live();
    finishWaiter(waiter);
    if (wasLive) {
        waiter->error = error;
        if (!waiter->handOff)
            waiter->promise->setException(error);
        finishPromise(std::move(waiter));
    }
}

std::shared_ptr<PoolWaiter> PoolPrivate::nextLiveWaiter()
{
    while (!waiters.empty()) {
        std::shared_ptr<PoolWaiter> w = waiters.front();
        if (w->live()) {
            dequeueWaiter(w);
            return w;
        }
        finishWaiter(w); // cancelled by its caller
    }
    return nullptr;
}

// Cancelled acquires are not announced: they leave the queue at the next hand-off, housekeeping
// tick or count read in the pool's thread (waitingCount(), stats()).
void PoolPrivate::sweepCancelledWaiters()
{
    for (auto it = waiters.begin(); it != waiters.end();) {
        std::shared_ptr<PoolWaiter> w = *it++;
        if (!w->live())
            finishWaiter(w);
    }
    publishedWaiting.store(liveWaiterCount(), std::memory_order_relaxed);
}

// A waiter whose connection failed validation or died during setup goes back to the front.
void PoolPrivate::requeue(const std::shared_ptr<PoolWaiter> &waiter)
{
    if (!waiter->live())
        return;
    if (state == State::Closing || state == State::Closed) {
        failWaiter(waiter, std::make_exception_ptr(PoolClosedError(QStringLiteral("pool is closed"))));
        return;
    }
    enqueueWaiter(waiter, /*front*/ true);
    maintain();
}

// A connection became free: the oldest waiter gets it, otherwise it goes on the idle stack, unless
// it is due for retirement (pool closing or smaller, expired, worn out).
void PoolPrivate::dispatch(PoolEntry *e)
{
    if (state == State::Closing || state == State::Closed) {
        closeEntry(e, CloseReason::PoolClosed, true);
        return;
    }
    if (std::optional<CloseReason> reason = retireReason(e)) {
        closeEntry(e, *reason, true);
        return;
    }
    if (std::shared_ptr<PoolWaiter> w = nextLiveWaiter()) {
        checkout(e, w);
        return;
    }
    setEntryState(e, ConnectionInfo::State::Idle);
    idle.append(e);
    emitCounts();
}

void PoolPrivate::checkout(PoolEntry *e, const std::shared_ptr<PoolWaiter> &waiter)
{
    const qint64 idleFor = e->state == ConnectionInfo::State::Idle ? e->stateSince.elapsed() : 0;
    markAcquired(e, waiter->tag);
    const quint64 id = e->id;

    if (options.validateIdleAfter > 0ms && idleFor > options.validateIdleAfter.count()) {
        // An empty query is the cheapest round trip that proves the session is alive; it is bounded
        // like a reset, so a silent network cannot hold the caller forever.
        QueryOptions ping;
        ping.timeout = options.resetTimeout;
        onFinished<QString>(e->connection->execute(QString(), {}, ping), [this, id, waiter](const QFuture<QString> &f) {
            PoolEntry *e = entry(id);
            if (!e || e->state != ConnectionInfo::State::Acquired) {
                requeue(waiter); // closed meanwhile (terminate, connection lost)
                return;
            }
            if (Private::hasFailed(f)) {
                closeEntry(e, CloseReason::ValidationFailed, false);
                requeue(waiter);
                emitCounts();
                return;
            }
            runSetup(id, waiter);
        });
        emitCounts();
        return;
    }
    runSetup(id, waiter);
    emitCounts();
}

void PoolPrivate::runSetup(quint64 id, const std::shared_ptr<PoolWaiter> &waiter)
{
    PoolEntry *e = entry(id);
    if (!e) {
        requeue(waiter);
        return;
    }
    if (!options.setup) {
        deliver(e, waiter, /*setupRan*/ false);
        return;
    }
    const QFuture<void> setup = Private::callUser<void>(options.setup, e->connection);
    onFinished<void>(setup, [this, id, waiter](const QFuture<void> &f) {
        PoolEntry *e = entry(id);
        const bool ours = e && e->state == ConnectionInfo::State::Acquired && !e->lease.lock();
        if (std::exception_ptr error = Private::errorOf(f)) {
            if (ours)
                closeEntry(e, CloseReason::SetupFailed, true);
            failWaiter(waiter, error);
            scheduleMaintain();
            emitCounts();
            return;
        }
        if (ours)
            deliver(e, waiter, /*setupRan*/ true);
        else
            requeue(waiter); // the connection died during setup
    });
}

void PoolPrivate::deliver(PoolEntry *e, const std::shared_ptr<PoolWaiter> &waiter, bool setupRan)
{
    if (!waiter->live()) {
        // Timed out or cancelled meanwhile. What setup did to the session must not reach the next
        // holder: the connection goes back through the reset, as if released.
        finishWaiter(waiter);
        if (setupRan)
            e->connection->d->sessionChanged = true;
        releaseEntry(e->id);
        return;
    }
    finishWaiter(waiter);
    auto lease = std::make_shared<PoolLease>();
    lend(e, lease, waiter->waited.nsecsElapsed() / 1000);
    if (waiter->handOff)
        waiter->handed = PooledConnection(std::move(lease));
    else
        waiter->promise->addResult(PooledConnection(std::move(lease)));
    finishPromise(waiter);
}

void PoolPrivate::onWaiterTimeout(const std::shared_ptr<PoolWaiter> &waiter)
{
    if (waiter->done)
        return;
    if (waiter->promise && waiter->promise->isCanceled()) {
        finishWaiter(waiter); // cancelled by its caller: not a timeout
        emitCounts();
        return;
    }
    ++counters.acquireTimeouts;
    const qint64 waited = waiter->waited.elapsed();
    failWaiter(waiter, Private::exceptionPtr(AcquireTimeoutError(
        QStringLiteral("no connection became available within %1 ms (pool size %2, max %3, %4 waiting)")
            .arg(waited)
            .arg(entries.size())
            .arg(options.maxSize)
            .arg(liveWaiterCount()))));
    defer([this, tag = waiter->tag] { Q_EMIT q->acquireTimedOut(tag); });
    emitCounts();
}

void PoolPrivate::failWaiters(const QException &error)
{
    failWaiters(Private::exceptionPtr(error));
}

void PoolPrivate::failWaiters(const std::exception_ptr &error)
{
    while (!waiters.empty())
        failWaiter(waiters.front(), error);
}

} // namespace QPg
