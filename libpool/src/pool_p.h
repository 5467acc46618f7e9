// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include "latencyhistogram_p.h"
#include "marshal_p.h"
#include "operation_p.h"

#include <QPg/pool.h>

#include <QtCore/QElapsedTimer>
#include <QtCore/QHash>
#include <QtCore/QMutex>
#include <QtCore/QPointer>
#include <QtCore/QTimer>

#include <array>
#include <atomic>
#include <list>
#include <deque>
#include <optional>

namespace QPg {

// How leases and handles reach their pool from any thread: the pool clears it when it is destroyed
// (in its own thread), so another thread never touches a dead pool.
class PoolAnchor
{
public:
    explicit PoolAnchor(Pool *pool) : m_pool(pool) { }
    // Runs call in the pool's thread: now when already there (no std::function, no allocation),
    // otherwise queued. False when the pool is gone (call is dropped).
    template<typename Call>
    bool run(Call &&call);
    // Runs call in the pool's thread and returns its future; fails with ConnectionReleasedError
    // (message what) when the pool is gone.
    template<typename T, typename Call>
    QFuture<T> future(const QString &gone, Call call);
    bool isPool(const Pool *pool);
    bool isAlive();
    // The pool's thread; nullptr when the pool is gone.
    QThread *thread();
    void detach();

private:
    // The queued half of run(), with m_mutex held.
    static void post(Pool *pool, std::function<void(PoolPrivate *)> call);
    QMutex m_mutex;
    Pool *m_pool;
};

// What PooledConnection copies share: the checkout of one pooled connection.
class PoolLease
{
public:
    ~PoolLease();
    std::shared_ptr<PoolAnchor> anchor;
    QPointer<Connection> connection; // read in the pool's thread only
    quint64 entryId = 0;
    std::atomic<bool> released{false};
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
    // The reset under way: its deadline (created on the first reset), a token that tells its
    // callbacks apart from those of an earlier reset, and what release() returned.
    QTimer *resetDeadline = nullptr;
    quint64 resetToken = 0;
    std::shared_ptr<QPromise<void>> resetDone;
};

// A connection being opened. terminate() abandons attempts: their outcome is then discarded.
struct ConnectAttempt
{
    quint64 id = 0;
    int generation = 0;
    QPointer<Connection> connection; // once the pool has made it
    bool abandoned = false;
    QElapsedTimer started; // for PoolStats::connectTime
    std::function<void(const std::exception_ptr &error)> done;
};

struct PoolWaiter;
using WaiterList = std::list<std::shared_ptr<PoolWaiter>>;

// An acquire() waiting for a connection.
struct PoolWaiter
{
    // acquire()'s promise; the pool's helpers take the outcome through handOff and make none.
    std::optional<QPromise<PooledConnection>> promise;
    QString tag;
    QElapsedTimer waited;
    QTimer *timer = nullptr;
    bool queued = false; // in PoolPrivate::waiters, at position
    WaiterList::iterator position;
    bool done = false;
    bool published = false; // acquire() has returned the future
    // The pool's helpers take the outcome here instead of through the promise.
    std::function<void(PoolWaiter &)> handOff;
    std::optional<PooledConnection> handed;
    std::exception_ptr error;
    bool live() const { return !done && !(promise && promise->isCanceled()); }
    // Hands the outcome over: runs continuations or the helper, so only ever outside the pool's
    // bookkeeping.
    void complete()
    {
        if (handOff)
            handOff(*this);
        else
            promise->finish();
    }
};

class PoolPrivate
{
public:
    enum class State { New, Opening, Open, Closing, Closed };

    // Held by every entry into the pool (public call, timer, callback). What can run user code —
    // finishing a promise (a synchronous continuation), emitting a signal — is deferred until the
    // outermost scope ends, so user code that calls back into the pool, or deletes it, never finds
    // it in the middle of its own bookkeeping.
    class DispatchScope
    {
    public:
        explicit DispatchScope(PoolPrivate *d) : m_d(d) { ++d->dispatchDepth; }
        ~DispatchScope()
        {
            if (--m_d->dispatchDepth == 0 && m_d->hasDeferred())
                m_d->runDeferred(); // may delete the pool: nothing may follow
        }
        DispatchScope(const DispatchScope &) = delete;
        DispatchScope &operator=(const DispatchScope &) = delete;

    private:
        PoolPrivate *m_d;
    };
    void defer(std::function<void()> call) { deferred.push_back(std::move(call)); }
    // Before acquire() has returned its future nobody can have attached a continuation: the promise
    // is finished at once (the fast path: no second event-loop turn). Afterwards it is deferred.
    void finishPromise(std::shared_ptr<PoolWaiter> waiter)
    {
        if (waiter->published)
            finishedWaiters.push_back(std::move(waiter));
        else
            waiter->complete();
    }
    bool hasDeferred() const { return countsDirty || !finishedWaiters.empty() || !deferred.empty(); }
    void runDeferred();
    // whenFinished() in the pool's thread, inside a DispatchScope.
    template<typename T, typename Callback>
    void onFinished(const QFuture<T> &future, Callback callback);
    void settleOpen(const std::exception_ptr &error);
    // Runs function in the pool's thread inside a DispatchScope; hands its future to the caller.
    template<typename T, typename Function>
    QFuture<T> inThread(Function function);
    using ConnectDone = std::function<void(const std::exception_ptr &error)>;

    PoolPrivate(Pool *q, const PoolOptions &options);
    static PoolPrivate *get(Pool *pool) { return pool->d.get(); }

    // Opening connections.
    QFuture<void> open();
    void finishOpen(const std::exception_ptr &error);
    void openConnection(ConnectDone done);
    QFuture<Connection *> startConnect(ConnectAttempt &attempt);
    void onConnected(const std::shared_ptr<ConnectAttempt> &attempt, const QFuture<Connection *> &opened);
    void finishAttempt(const std::shared_ptr<ConnectAttempt> &attempt, Connection *connection,
                       std::exception_ptr error);
    static std::exception_ptr lostBeforeUse(const Connection *connection);
    void abandonAttempts();
    void adopt(Connection *connection, int generation);
    void maintain();
    void scheduleMaintain();
    void connectFailed(const std::exception_ptr &error);
    bool mayRetryConnectNow() const;

    // Checkout.
    QFuture<PooledConnection> acquire(const AcquireOptions &options);
    std::optional<PooledConnection> tryAcquire(const AcquireOptions &options);
    void startWaiting(const std::shared_ptr<PoolWaiter> &waiter, const AcquireOptions &options);
    void acquireWith(const AcquireOptions &options, std::function<void(PoolWaiter &)> handOff);
    void dispatch(PoolEntry *entry);
    void checkout(PoolEntry *entry, const std::shared_ptr<PoolWaiter> &waiter);
    void runSetup(quint64 id, const std::shared_ptr<PoolWaiter> &waiter);
    void deliver(PoolEntry *entry, const std::shared_ptr<PoolWaiter> &waiter, bool setupRan);
    void requeue(const std::shared_ptr<PoolWaiter> &waiter);
    // The fast path in the pool's thread: an idle connection that nobody queues for and that needs
    // neither validation nor setup, marked acquired at once (no waiter). nullptr: take the slow path.
    PoolEntry *takeIdleNow(const AcquireOptions &options);
    void markAcquired(PoolEntry *entry, const QString &tag);
    // Makes lease the entry's checkout and counts the acquire.
    void lend(PoolEntry *entry, const std::shared_ptr<PoolLease> &lease, qint64 waitedMicros);
    void onWaiterTimeout(const std::shared_ptr<PoolWaiter> &waiter);
    void armTimeout(const std::shared_ptr<PoolWaiter> &waiter, std::chrono::milliseconds timeout);
    void enqueueWaiter(const std::shared_ptr<PoolWaiter> &waiter, bool front);
    void dequeueWaiter(const std::shared_ptr<PoolWaiter> &waiter);
    // By value: the argument may be the list element that is erased.
    void finishWaiter(std::shared_ptr<PoolWaiter> waiter);
    void failWaiter(std::shared_ptr<PoolWaiter> waiter, const std::exception_ptr &error);
    std::shared_ptr<PoolWaiter> nextLiveWaiter();
    void sweepCancelledWaiters();
    void failWaiters(const QException &error);
    void failWaiters(const std::exception_ptr &error);

    // Return.
    // For a caller that waits for the return: ready at once unless a reset runs.
    QFuture<void> release(PoolLease &lease);
    // The return of entry id, whoever held it (a lease released, or its last copy destroyed). The
    // reset's future when one started.
    std::optional<QFuture<void>> releaseEntry(quint64 id);
    QFuture<void> startReset(PoolEntry *entry, bool hadListeners);
    void finishReset(quint64 id, quint64 token, const std::exception_ptr &error);
    std::optional<CloseReason> retireReason(const PoolEntry *entry) const;
    void endLease(PoolEntry *entry);
    void returnToIdle(PoolEntry *entry);
    void closeEntry(PoolEntry *entry, CloseReason reason, bool graceful);
    void onConnectionLost(quint64 id);
    void setEntryState(PoolEntry *entry, ConnectionInfo::State state);

    // A one-shot helper: acquire, run, release, then the outcome to a promise or a callback.
    template<typename T, typename Convert>
    QFuture<T> runOnce(const QString &sql, const QVariantList &args, const QueryOptions &options,
                       const AcquireOptions &acquireOptions, bool allowScript, Convert convert);
    template<typename T, typename Convert>
    void runOnceWithCallback(const QString &sql, const QVariantList &args, const QueryOptions &options,
                             const AcquireOptions &acquireOptions, bool allowScript, Convert convert,
                             const QObject *context, std::function<void(Reply<T>)> onReply);
    template<typename Call>
    void runOnce(const std::shared_ptr<Call> &call, const QString &sql, const QVariantList &args,
                 const QueryOptions &options, const AcquireOptions &acquireOptions, bool allowScript);

    // acquire → call → release, for operations without a raw-callback path.
    template<typename T>
    QFuture<T> runWith(const AcquireOptions &acquireOptions, std::function<QFuture<T>(Connection *)> call);

    // Shutdown.
    void startClose(std::chrono::milliseconds timeout);
    void terminate();

    // Housekeeping.
    void housekeep();
    void updateHousekeepingInterval();
    void maybeFinishClose();
    void emitCounts();
    void setSizes(int minSize, int maxSize);

    PoolStats stats() const;
    QList<ConnectionInfo> connectionInfo() const;

    PoolEntry *entry(quint64 id) const { return entries.value(id).get(); }
    QList<quint64> idleIds() const;
    // Waiters in the queue; cancelled ones count until they are swept (std::list::size is O(1)).
    int liveWaiterCount() const { return int(waiters.size()); }
    int acquiredCount() const { return acquired; }
    int connectingCount() const { return int(attempts.size()); }

    Pool *const q;
    const std::shared_ptr<PoolAnchor> anchor;
    PoolOptions options;
    mutable QMutex optionsMutex; // written in the pool's thread; other threads read under it
    std::atomic<State> state = State::New;
    int generation = 0;
    quint64 nextId = 1;

    QHash<quint64, std::shared_ptr<PoolEntry>> entries; // open connections
    QList<PoolEntry *> idle;                             // LIFO: back is the most recently used
    WaiterList waiters;                                  // FIFO
    int acquired = 0;
    QHash<quint64, std::shared_ptr<ConnectAttempt>> attempts;
    quint64 nextAttemptId = 1;
    bool maintainScheduled = false;

    std::optional<QPromise<void>> openPromise;
    QFuture<void> openFuture;
    std::vector<std::shared_ptr<QPromise<void>>> closePromises;
    QTimer *closeTimer;
    QTimer *housekeepingTimer;
    QTimer *backoffTimer;
    int consecutiveConnectFailures = 0;
    std::exception_ptr lastConnectFailure;
    QElapsedTimer lastConnectAttempt;

    PoolStats counters; // cumulative counters; gauges are filled in by stats()
    qint64 queriesOfClosedConnections = 0;
    // Durations; windows are placed on statsNowMs(), which tests may move (statsclock_p.h).
    Private::LatencyRecorder acquireWait{/*windowed*/ true};
    Private::LatencyRecorder holdTime{/*windowed*/ true};
    Private::LatencyRecorder connectTime{/*windowed*/ false};
    QElapsedTimer statsEpoch;
    std::function<qint64()> statsClock;
    qint64 statsNowMs() const { return statsClock ? statsClock() : statsEpoch.elapsed(); }
    qint64 oldestWaiterMs() const;
    std::array<int, 4> lastCounts{-1, -1, -1, -1};
    bool countsDirty = false; // countsChanged is due
    int dispatchDepth = 0;
    std::deque<std::shared_ptr<PoolWaiter>> finishedWaiters; // results set, finish() deferred
    std::deque<std::function<void()>> deferred;               // signals and other promises
    // The gauges, for size() and friends from any thread.
    std::atomic<int> publishedSize{0}, publishedIdle{0}, publishedWaiting{0}, publishedMin{0}, publishedMax{0};
};

template<typename T, typename Call>
inline QFuture<T> PoolAnchor::future(const QString &gone, Call call)
{
    QMutexLocker lock(&m_mutex);
    if (!m_pool)
        return Private::failedFuture<T>(ConnectionReleasedError(gone));
    PoolPrivate *d = m_pool->d.get();
    if (QThread::currentThread() == m_pool->thread())
        lock.unlock(); // only this thread can destroy the pool; other threads post under the lock
    return d->inThread<T>([d, call = std::move(call)] { return call(d); });
}

template<typename Call>
inline bool PoolAnchor::run(Call &&call)
{
    QMutexLocker lock(&m_mutex);
    if (!m_pool)
        return false;
    Pool *pool = m_pool;
    if (QThread::currentThread() == pool->thread()) {
        // Only this thread can destroy the pool, so it stays alive without the lock.
        lock.unlock();
        PoolPrivate::DispatchScope scope(pool->d.get());
        call(pool->d.get());
        return true;
    }
    // Posted under the lock: the pool cannot be destroyed in between, and a posted call dies with it.
    post(pool, std::function<void(PoolPrivate *)>(std::forward<Call>(call)));
    return true;
}

template<typename T, typename Function>
QFuture<T> PoolPrivate::inThread(Function function)
{
    if (QThread::currentThread() == q->thread()) {
        DispatchScope scope(this);
        return function();
    }
    return Private::runInThreadOf<T>(q, [this, function = std::move(function)] {
        DispatchScope scope(this);
        return function();
    });
}

template<typename T, typename Callback>
void PoolPrivate::onFinished(const QFuture<T> &future, Callback callback)
{
    Private::whenFinished<T>(future, q, [this, callback = std::move(callback)](const QFuture<T> &f) {
        DispatchScope scope(this);
        callback(f);
    });
}

} // namespace QPg
