// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/pooledconnection.h>
#include <QPg/pooloptions.h>
#include <QPg/poolstats.h>
#include <QPg/reply.h>
#include <QPg/qpgpool_export.h>

#include <QtCore/QObject>

#include <functional>

namespace QPg {

class PoolPrivate;

struct AcquireOptions
{
    // Overrides PoolOptions::acquireTimeout; zero waits without limit. Covers the wait, the
    // connect and the setup hook.
    std::optional<std::chrono::milliseconds> timeout;
    // Who holds the connection, shown in connectionInfo() and leak reports.
    QString tag;
};

// A pool of PostgreSQL connections with asyncpg's semantics, driven by the event loop of the thread
// it lives in. Waiters are served first come, first served; minSize is a maintained floor; idle
// connections are watched and replaced when they die. See docs/POOL.md for every difference from
// asyncpg.
class QPGPOOL_EXPORT Pool : public QObject, public VariadicQueries<Pool>
{
    Q_OBJECT
public:
    explicit Pool(const PoolOptions &options, QObject *parent = nullptr);
    // Terminates: every connection is closed at once.
    ~Pool() override;

    // Opens minSize connections: the first alone (so a bad DSN fails fast), the rest concurrently.
    // On failure everything opened is closed again and open() may be retried.
    QFuture<void> open();
    bool isOpen() const;

    QFuture<PooledConnection> acquire(const AcquireOptions &options = {});
    // The connection at once, with no future and no event-loop turn, when one is idle, nobody is
    // waiting and no setup hook has to run; otherwise nothing (then acquire() is the way). It never
    // takes a connection a waiter could have had, so the queue stays first come, first served.
    // In the pool's thread only: from another thread it returns nothing.
    std::optional<PooledConnection> tryAcquire(const AcquireOptions &options = {});
    // Same as connection.release(). Releasing a connection of another pool is an InterfaceError.
    QFuture<void> release(const PooledConnection &connection);

    // One-shot helpers: acquire, run, release.
    QFuture<QString> execute(const QString &sql, const QVariantList &args = {}, const QueryOptions &options = {},
                             const AcquireOptions &acquireOptions = {});
    QFuture<RecordList> fetch(const QString &sql, const QVariantList &args = {}, const QueryOptions &options = {},
                              const AcquireOptions &acquireOptions = {});
    QFuture<Record> fetchRow(const QString &sql, const QVariantList &args = {}, const QueryOptions &options = {},
                             const AcquireOptions &acquireOptions = {});
    QFuture<QVariant> fetchValue(const QString &sql, const QVariantList &args = {}, const QueryOptions &options = {},
                                 const AcquireOptions &acquireOptions = {});

    // The same helpers with a callback instead of a future, the cheapest way through the pool: no
    // QFuture, no result store, no event-loop turn. onReply gets the outcome in context's thread:
    // at once inside the pool's completion (after the connection is back in the pool) when that is
    // the pool's thread, as QFuture::then(context, …) does; queued otherwise. It is called exactly
    // once, or never when context is destroyed first, and never before the call has returned.
    // What it throws is caught and logged. There is no cancel: use a timeout.
    void execute(const QString &sql, const QVariantList &args, const QObject *context,
                 std::function<void(Reply<QString>)> onReply, const QueryOptions &options = {},
                 const AcquireOptions &acquireOptions = {});
    void fetch(const QString &sql, const QVariantList &args, const QObject *context,
               std::function<void(Reply<RecordList>)> onReply, const QueryOptions &options = {},
               const AcquireOptions &acquireOptions = {});
    void fetchRow(const QString &sql, const QVariantList &args, const QObject *context,
                  std::function<void(Reply<Record>)> onReply, const QueryOptions &options = {},
                  const AcquireOptions &acquireOptions = {});
    void fetchValue(const QString &sql, const QVariantList &args, const QObject *context,
                    std::function<void(Reply<QVariant>)> onReply, const QueryOptions &options = {},
                    const AcquireOptions &acquireOptions = {});

    // Rows as a Q_GADGET type, filled by column name (see recordAs()).
    template<typename T>
    QFuture<QList<T>> fetchAs(const QString &sql, const QVariantList &args = {}, const QueryOptions &options = {},
                              const AcquireOptions &acquireOptions = {})
    {
        return fetch(sql, args, options, acquireOptions).then([](const RecordList &rows) { return recordsAs<T>(rows); });
    }

    using VariadicQueries<Pool>::execute;
    using VariadicQueries<Pool>::fetch;
    using VariadicQueries<Pool>::fetchRow;
    using VariadicQueries<Pool>::fetchValue;

    // Batches and COPY through a pooled connection (see Connection for their semantics).
    QFuture<void> executeMany(const QString &sql, const QList<QVariantList> &rows, const QueryOptions &options = {},
                              const AcquireOptions &acquireOptions = {});
    QFuture<RecordList> fetchMany(const QString &sql, const QList<QVariantList> &rows,
                                  const QueryOptions &options = {}, const AcquireOptions &acquireOptions = {});
    QFuture<qint64> copyFromTable(const QString &table, const CopyOutput &output, const CopyOptions &options = {},
                                  const AcquireOptions &acquireOptions = {});
    QFuture<qint64> copyFromQuery(const QString &query, const CopyOutput &output, const CopyOptions &options = {},
                                  const AcquireOptions &acquireOptions = {});
    QFuture<qint64> copyToTable(const QString &table, const CopyInput &input, const CopyOptions &options = {},
                                const AcquireOptions &acquireOptions = {});
    QFuture<qint64> copyRecordsToTable(const QString &table, const QList<QVariantList> &records,
                                       const CopyOptions &options = {}, const AcquireOptions &acquireOptions = {});

    // Graceful: new acquires and queued waiters fail with PoolClosedError at once, idle connections
    // close, acquired ones close when released; after the timeout (PoolOptions::closeTimeout when
    // not given) the rest are terminated.
    QFuture<void> close();
    QFuture<void> close(std::chrono::milliseconds timeout);
    // Immediate: waiters and running queries fail, every connection is closed now.
    void terminate();
    bool isClosing() const; // closing or closed

    // Idle connections are replaced now, acquired ones when released.
    void expireConnections();
    // Replaces the connect options (not merged) for connections opened from now on.
    void setConnectArgs(const ConnectOptions &options);
    void resize(int minSize, int maxSize);
    // Asks the server to cancel the statement running on the pooled connection with this id (see
    // connectionInfo()), without blocking. True when a cancel request went out, false when that
    // connection runs nothing; fails with InterfaceError when the pool has no such connection.
    QFuture<bool> cancelQuery(quint64 connectionId);

    int size() const;
    int minSize() const;
    int maxSize() const;
    int idleSize() const;
    int waitingCount() const;
    PoolStats stats() const;
    QList<ConnectionInfo> connectionInfo() const;
    // A copy: safe from any thread.
    PoolOptions options() const;

Q_SIGNALS:
    void countsChanged(int size, int idle, int active, int waiting);
    void connectionOpened(quint64 id, int backendPid);
    void connectionClosed(quint64 id, int backendPid, QPg::CloseReason reason);
    void connectFailed(const QString &message);
    void acquireTimedOut(const QString &tag);
    void leakDetected(quint64 id, const QString &holder, qint64 heldMs);
    void leakReturned(quint64 id, const QString &holder, qint64 heldMs);
    void closing();
    void closed();

private:
    friend class PoolPrivate;
    friend class PoolLease;
    friend class PoolAnchor;
    friend class PooledConnection;
    std::unique_ptr<PoolPrivate> const d;
};

} // namespace QPg
