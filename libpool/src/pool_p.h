// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include "operation_p.h"

#include <QPg/pool.h>

#include <QtCore/QElapsedTimer>
#include <QtCore/QHash>
#include <QtCore/QPointer>
#include <QtCore/QTimer>

#include <array>
#include <deque>
#include <optional>

namespace QPg {

// What PooledConnection copies share: the checkout of one pooled connection.
class PoolLease
{
public:
    ~PoolLease();
    QPointer<Pool> pool;
    QPointer<Connection> connection;
    quint64 entryId = 0;
    bool released = false; // touched only in the pool's thread
};

// One pooled connection and its bookkeeping.
struct PoolEntry
{
    quint64 id = 0;
    Connection *connection = nullptr;
    ConnectionInfo::State state = ConnectionInfo::State::Idle;
    int generation = 0;
    QElapsedTimer age;
    QElapsedTimer stateSince; // idle since, or acquired since
    qint64 lifetimeMs = 0;    // maxLifetime with this connection's jitter; 0 = unlimited
    QString holder;
    bool leakReported = false;
    std::weak_ptr<PoolLease> lease;
};

// An acquire() waiting for a connection.
struct PoolWaiter
{
    QPromise<PooledConnection> promise;
    QString tag;
    QElapsedTimer waited;
    QTimer *timer = nullptr;
    bool done = false;
    bool live() const { return !done && !promise.isCanceled(); }
};

// Acquire-wait times in logarithmic buckets (quarter powers of two of microseconds), enough for
// percentiles without keeping samples.
class WaitHistogram
{
public:
    void add(qint64 micros);
    double percentileMs(double fraction) const;
    double totalMs() const { return double(m_totalMicros) / 1000.0; }
    double maxMs() const { return double(m_maxMicros) / 1000.0; }

private:
    static constexpr int Buckets = 160;
    std::array<quint64, Buckets> m_counts{};
    quint64 m_samples = 0;
    qint64 m_totalMicros = 0;
    qint64 m_maxMicros = 0;
};

class PoolPrivate
{
public:
    enum class State { New, Opening, Open, Closing, Closed };

    PoolPrivate(Pool *q, const PoolOptions &options);

    // Opening connections.
    QFuture<void> open();
    void openConnection(std::function<void(const QException *error)> done);
    void adopt(Connection *connection, int generation);
    void maintain();
    void connectFailed(const QException &error);

    // Checkout.
    QFuture<PooledConnection> acquire(const AcquireOptions &options);
    void dispatch(PoolEntry *entry);
    void checkout(PoolEntry *entry, const std::shared_ptr<PoolWaiter> &waiter);
    void deliver(PoolEntry *entry, const std::shared_ptr<PoolWaiter> &waiter);
    void onWaiterTimeout(const std::shared_ptr<PoolWaiter> &waiter);
    std::shared_ptr<PoolWaiter> nextLiveWaiter();
    void failWaiters(const QException &error);

    // Return.
    QFuture<void> release(PoolLease &lease);
    // The return of entry id, whoever held it (a lease released, or its last copy destroyed).
    QFuture<void> releaseEntry(quint64 id);
    void returnToIdle(PoolEntry *entry);
    void closeEntry(PoolEntry *entry, CloseReason reason, bool graceful);
    void onConnectionLost(quint64 id);

    template<typename T, typename Convert>
    QFuture<T> runOnce(const QString &sql, const QVariantList &args, const QueryOptions &options,
                       const AcquireOptions &acquireOptions, bool allowScript, Convert convert);

    // acquire → call → release, for operations without a raw-callback path.
    template<typename T>
    QFuture<T> runWith(const AcquireOptions &acquireOptions, std::function<QFuture<T>(Connection *)> call);

    // Housekeeping.
    void housekeep();
    void updateHousekeepingInterval();
    void maybeFinishClose();
    void emitCounts();

    PoolEntry *entry(quint64 id) const { return entries.value(id).get(); }
    int liveWaiterCount() const;
    int acquiredCount() const;

    Pool *const q;
    PoolOptions options;
    State state = State::New;
    int generation = 0;
    quint64 nextId = 1;

    QHash<quint64, std::shared_ptr<PoolEntry>> entries; // open connections
    QList<PoolEntry *> idle;                             // LIFO: back is the most recently used
    std::deque<std::shared_ptr<PoolWaiter>> waiters;     // FIFO
    int connecting = 0;

    std::optional<QPromise<void>> openPromise;
    QFuture<void> openFuture;
    std::vector<std::shared_ptr<QPromise<void>>> closePromises;
    QTimer *closeTimer;
    QTimer *housekeepingTimer;
    QTimer *backoffTimer;
    int consecutiveConnectFailures = 0;
    QString lastConnectError;

    PoolStats counters; // cumulative counters; gauges are filled in by stats()
    qint64 queriesOfClosedConnections = 0;
    WaitHistogram waitHistogram;
    std::array<int, 4> lastCounts{-1, -1, -1, -1};
};

} // namespace QPg
