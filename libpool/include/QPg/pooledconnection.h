// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/connection.h>
#include <QPg/qpgpool_export.h>

#include <memory>

namespace QPg {

class PoolLease;

// A connection acquired from a Pool. Copies share one lease; the connection goes back to the pool
// when release() is called or the last copy is destroyed (note that a QFuture holding the acquire
// result is such a copy). After release every method fails with ConnectionReleasedError, and
// release() again does nothing. Safe to use from any thread: calls run in the pool's thread.
class QPGPOOL_EXPORT PooledConnection : public VariadicQueries<PooledConnection>
{
public:
    PooledConnection();
    ~PooledConnection();
    PooledConnection(const PooledConnection &other);
    PooledConnection &operator=(const PooledConnection &other);
    PooledConnection(PooledConnection &&other) noexcept;
    PooledConnection &operator=(PooledConnection &&other) noexcept;

    bool isValid() const { return bool(m_lease); }
    bool isReleased() const;
    // The underlying connection, or nullptr after release. Only for the pool's thread.
    Connection *connection() const;

    QFuture<QString> execute(const QString &sql, const QVariantList &args = {}, const QueryOptions &options = {});
    QFuture<RecordList> fetch(const QString &sql, const QVariantList &args = {}, const QueryOptions &options = {});
    QFuture<Record> fetchRow(const QString &sql, const QVariantList &args = {}, const QueryOptions &options = {});
    QFuture<QVariant> fetchValue(const QString &sql, const QVariantList &args = {}, const QueryOptions &options = {});

    // The same with a callback instead of a future, as Pool's callback forms: onReply gets the
    // outcome in context's thread, at once when that is the pool's thread, queued otherwise;
    // exactly once, or never when context is destroyed first, and never before the call has
    // returned. What it throws is caught and logged.
    void execute(const QString &sql, const QVariantList &args, const QObject *context,
                 std::function<void(Reply<QString>)> onReply, const QueryOptions &options = {}) const;
    void fetch(const QString &sql, const QVariantList &args, const QObject *context,
               std::function<void(Reply<RecordList>)> onReply, const QueryOptions &options = {}) const;
    void fetchRow(const QString &sql, const QVariantList &args, const QObject *context,
                  std::function<void(Reply<Record>)> onReply, const QueryOptions &options = {}) const;
    void fetchValue(const QString &sql, const QVariantList &args, const QObject *context,
                    std::function<void(Reply<QVariant>)> onReply, const QueryOptions &options = {}) const;

    using VariadicQueries<PooledConnection>::execute;
    using VariadicQueries<PooledConnection>::fetch;
    using VariadicQueries<PooledConnection>::fetchRow;
    using VariadicQueries<PooledConnection>::fetchValue;

    // Connection::streamRows() on this checkout; onRows runs in context's thread.
    QFuture<Record> streamRows(const QString &sql, const QVariantList &args, QObject *context,
                               std::function<void(RecordList &&rows)> onRows, int chunkRows = 10000,
                               const QueryOptions &options = {});

    // LISTEN on channel for this checkout. Call it in context's thread: callback runs there for
    // each notification on the channel, and sessionEnded once if the session ends (lost or closed)
    // while the connection is still held. Nothing runs after context is destroyed; the listener
    // ends with the checkout (release UNLISTENs).
    QFuture<void> addListener(const QString &channel, QObject *context,
                              std::function<void(const Notification &)> callback,
                              std::function<void()> sessionEnded = {}) const;
    // Asks the server to cancel the command running on this connection now (see
    // Connection::cancel()); gives whether a request was sent.
    QFuture<bool> cancel() const;

    // Returns the connection to the pool (reset included); finishes when it is back.
    QFuture<void> release() const;

private:
    friend class Pool;
    friend class PoolPrivate;
    explicit PooledConnection(std::shared_ptr<PoolLease> lease);
    std::shared_ptr<PoolLease> m_lease;
};

} // namespace QPg

Q_DECLARE_METATYPE(QPg::PooledConnection)
