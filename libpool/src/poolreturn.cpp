// SPDX-License-Identifier: MIT
// Return: release, the reset of a released connection, and closing a pooled connection.
#include "pool_p.h"

#include "connection_p.h"
#include "logging_p.h"
#include "marshal_p.h"

using namespace std::chrono_literals;

namespace QPg {

using Private::Outcome;

namespace {

const QString asyncpgResetQuery = QStringLiteral(
    "SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL");

} // namespace

// ---------------------------------------------------------------------------------------------
// Return

QFuture<void> PoolPrivate::release(PoolLease &lease)
{
    if (lease.released.exchange(true))
        return QtFuture::makeReadyFuture();
    std::optional<QFuture<void>> reset = releaseEntry(lease.entryId);
    return reset ? *reset : QtFuture::makeReadyFuture();
}

// Everything a checkout made stops working: the handle, and transactions and cursors made through
// its connection (they compare the epoch).
void PoolPrivate::endLease(PoolEntry *e)
{
    if (auto lease = e->lease.lock())
        lease->released = true;
    e->lease.reset();
    ConnectionPrivate *cd = e->connection->d.get();
    ++cd->leaseEpoch;
    cd->transactionDepth = 0;
}

std::optional<CloseReason> PoolPrivate::retireReason(const PoolEntry *e) const
{
    if (e->connection->queryCount() >= options.maxQueries)
        return CloseReason::MaxQueries;
    if (e->generation != generation)
        return CloseReason::Expired;
    if (e->lifetimeMs > 0 && e->age.elapsed() >= e->lifetimeMs)
        return CloseReason::MaxLifetime;
    if (int(entries.size()) > options.maxSize)
        return CloseReason::Resized;
    return std::nullopt;
}

std::optional<QFuture<void>> PoolPrivate::releaseEntry(quint64 id)
{
    PoolEntry *e = entry(id);
    if (!e || e->state != ConnectionInfo::State::Acquired)
        return std::nullopt; // already discarded (broken, terminated)
    if (e->leakReported)
        defer([this, id = e->id, holder = e->holder, held = e->stateSince.elapsed()] {
            Q_EMIT q->leakReturned(id, holder, held);
        });
    e->holder.clear();
    endLease(e);
    Connection *connection = e->connection;

    if (state == State::Closing || state == State::Closed) {
        closeEntry(e, CloseReason::PoolClosed, true);
        return std::nullopt;
    }
    if (connection->state() != Connection::State::Ready || connection->d->sawDisconnectError) {
        closeEntry(e, CloseReason::Broken, false);
        return std::nullopt;
    }
    if (std::optional<CloseReason> reason = retireReason(e)) {
        closeEntry(e, *reason, true);
        return std::nullopt;
    }
    ConnectionPrivate *cd = connection->d.get();
    // No listener of this holder survives the release, whatever the policy.
    const bool hadListeners = !cd->listeners.isEmpty();
    cd->listeners.clear();
    // Decided now only when nothing is queued; otherwise the reset decides when its turn comes.
    const bool clean = !connection->isBusy()
        && connection->transactionStatus() == Connection::TransactionStatus::Idle && !hadListeners
        && (options.resetPolicy == ResetPolicy::RollbackOnly
            || (options.resetPolicy == ResetPolicy::Smart && !cd->sessionChanged && !cd->tempObjectsCreated));
    if (clean && !options.reset) {
        returnToIdle(e);
        return std::nullopt;
    }
    // The reset may end, and even close the entry, before startReset() returns.
    return startReset(e, hadListeners);
}

namespace {

// What undoes a holder's session changes. RESET ALL leaves the role and the session authorization
// alone, so they are reset explicitly, first, so that the rest runs as the pool's own user.
QString sessionResetSql(const ConnectionPrivate *cd)
{
    QString sql = QStringLiteral("SET SESSION AUTHORIZATION DEFAULT; RESET ROLE; ") + asyncpgResetQuery;
    if (cd->tempObjectsCreated)
        sql += QStringLiteral("; DISCARD TEMP");
    return sql;
}

} // namespace

// The reset of a released connection: ROLLBACK if a transaction is open when its turn comes, the
// reset policy's statements, then the reset hook; all under one deadline. On failure the
// connection is closed.
QFuture<void> PoolPrivate::startReset(PoolEntry *e, bool hadListeners)
{
    setEntryState(e, ConnectionInfo::State::Resetting);
    emitCounts();
    const quint64 id = e->id;
    const quint64 token = ++e->resetToken;
    e->resetDone = std::make_shared<QPromise<void>>();
    e->resetDone->start();
    const QFuture<void> done = e->resetDone->future();
    if (!e->resetDeadline) {
        // One per connection, for all its resets: it times out whichever reset is under way.
        e->resetDeadline = new QTimer(q);
        e->resetDeadline->setSingleShot(true);
        QObject::connect(e->resetDeadline, &QTimer::timeout, q, [this, id] {
            DispatchScope scope(this);
            if (PoolEntry *e = entry(id))
                finishReset(id, e->resetToken,
                            std::make_exception_ptr(TimeoutError(QStringLiteral("resetting the connection timed out"))));
        });
    }
    e->resetDeadline->start(options.resetTimeout);

    ConnectionPrivate *cd = e->connection->d.get();
    const ResetPolicy policy = options.resetPolicy;
    // Built when the script reaches the front of the queue, after everything the holder queued:
    // the transaction status and the session-change flags are exact then.
    auto resetSql = [cd, policy, hadListeners]() -> QString {
        QStringList statements;
        const bool inTransaction = cd->q->transactionStatus() != Connection::TransactionStatus::Idle;
        if (inTransaction)
            statements.append(QStringLiteral("ROLLBACK"));
        switch (policy) {
        case ResetPolicy::Smart:
            if (cd->sessionChanged || cd->tempObjectsCreated || hadListeners)
                statements.append(sessionResetSql(cd));
            break;
        case ResetPolicy::Always: statements.append(sessionResetSql(cd)); break;
        case ResetPolicy::DiscardAll: break; // its own script: DISCARD ALL refuses a transaction block
        case ResetPolicy::RollbackOnly:
            if (hadListeners)
                statements.append(QStringLiteral("UNLISTEN *"));
            break;
        }
        return statements.join(QStringLiteral("; "));
    };
    QPointer<Pool> guard = q;
    auto fail = [guard, id, token](const QException &error) {
        if (!guard)
            return;
        DispatchScope scope(guard->d.get());
        guard->d->finishReset(id, token, Private::exceptionPtr(error));
    };
    auto runHook = [guard, id, token](Outcome &&) {
        if (!guard)
            return;
        PoolPrivate *d = guard->d.get();
        DispatchScope scope(d);
        PoolEntry *e = d->entry(id);
        if (!e || e->resetToken != token)
            return;
        if (!d->options.reset) {
            d->finishReset(id, token, nullptr);
            return;
        }
        d->onFinished<void>(Private::callUser<void>(d->options.reset, e->connection),
                            [d, id, token](const QFuture<void> &f) { d->finishReset(id, token, Private::errorOf(f)); });
    };
    QueryOptions resetOptions;
    resetOptions.timeout = options.resetTimeout;
    if (policy == ResetPolicy::DiscardAll) {
        cd->enqueueScriptAtSend(resetSql, resetOptions, [](Outcome &&) {}, fail);
        cd->enqueueScriptAtSend([] { return QStringLiteral("DISCARD ALL"); }, resetOptions, runHook, fail);
    } else {
        cd->enqueueScriptAtSend(resetSql, resetOptions, runHook, fail);
    }
    return done;
}

void PoolPrivate::finishReset(quint64 id, quint64 token, const std::exception_ptr &error)
{
    PoolEntry *e = entry(id);
    if (!e || e->resetToken != token || e->state != ConnectionInfo::State::Resetting)
        return;
    e->resetDeadline->stop();
    std::shared_ptr<QPromise<void>> done = std::exchange(e->resetDone, nullptr);
    if (error) {
        qCInfo(Private::lcPool) << "reset failed:" << Private::messageOf(error);
        closeEntry(e, CloseReason::ResetFailed, false);
    } else {
        e->connection->d->sessionChanged = false;
        e->connection->d->tempObjectsCreated = false;
        returnToIdle(e);
    }
    defer([done] { done->finish(); });
}

void PoolPrivate::returnToIdle(PoolEntry *e)
{
    dispatch(e);
    maybeFinishClose();
}

void PoolPrivate::setEntryState(PoolEntry *e, ConnectionInfo::State newState)
{
    if (e->state == newState)
        return;
    acquired += (newState == ConnectionInfo::State::Acquired) - (e->state == ConnectionInfo::State::Acquired);
    if (e->state == ConnectionInfo::State::Acquired) // the hold ends: released, or lost while held
        holdTime.add(e->stateSince.nsecsElapsed() / 1000, statsNowMs());
    e->state = newState;
    e->stateSince.start();
}

void PoolPrivate::closeEntry(PoolEntry *e, CloseReason reason, bool graceful)
{
    std::shared_ptr<PoolEntry> keep = entries.take(e->id);
    if (!keep)
        return;
    if (e->state == ConnectionInfo::State::Idle)
        idle.removeOne(e);
    setEntryState(e, ConnectionInfo::State::Closing);
    endLease(e);
    if (e->resetDeadline) {
        e->resetDeadline->stop();
        e->resetDeadline->deleteLater(); // this may be running in its timeout()
        e->resetDeadline = nullptr;
    }
    if (e->resetDone)
        defer([done = std::exchange(e->resetDone, nullptr)] { done->finish(); });
    Connection *connection = e->connection;
    queriesOfClosedConnections += connection->queryCount();
    ++counters.connectionsClosed;
    ++counters.closedByReason[int(reason)];
    QObject::disconnect(connection, nullptr, q, nullptr);
    connection->d->onStatementCacheInvalidated = nullptr;
    const int pid = connection->backendPid();
    qCDebug(Private::lcPool) << "closing connection" << e->id << closeReasonName(reason);
    if (graceful && connection->state() == Connection::State::Ready) {
        Private::whenFinished<void>(connection->close(), connection, [connection](const QFuture<void> &) {
            connection->deleteLater();
        });
    } else {
        // Whatever the session was running would go on without its client: cancel it first (the
        // request runs on a worker thread and outlives the connection).
        connection->cancel();
        connection->terminate();
        connection->deleteLater();
    }
    defer([this, id = e->id, pid, reason] { Q_EMIT q->connectionClosed(id, pid, reason); });
    emitCounts();
    maybeFinishClose();
    scheduleMaintain(); // a waiter at maxSize should not wait for the next housekeeping tick
}

void PoolPrivate::onConnectionLost(quint64 id)
{
    if (PoolEntry *e = entry(id))
        closeEntry(e, CloseReason::Broken, false);
}

} // namespace QPg
