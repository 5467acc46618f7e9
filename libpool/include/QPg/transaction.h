// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/qpgpool_export.h>

#include <QtCore/QFuture>
#include <QtCore/QPointer>

namespace QPg {

class Connection;

struct TransactionOptions
{
    enum class Isolation { Default, ReadCommitted, RepeatableRead, Serializable };
    Isolation isolation = Isolation::Default;
    bool readOnly = false;
    bool deferrable = false;
};

// A transaction block (or, nested inside another, a savepoint) on one connection. Movable, not
// copyable. Leaving scope after start() without commit() or rollback() queues a rollback, which runs
// before anything queued on the connection afterwards. On a pooled connection the transaction ends
// with the lease: once the connection went back to the pool every method fails with
// ConnectionReleasedError and nothing more is sent on it.
class QPGPOOL_EXPORT Transaction
{
public:
    Transaction(Transaction &&other) noexcept;
    Transaction &operator=(Transaction &&other) noexcept;
    Transaction(const Transaction &) = delete;
    Transaction &operator=(const Transaction &) = delete;
    ~Transaction();

    QFuture<void> start();
    QFuture<void> commit();
    QFuture<void> rollback();

    bool isActive() const { return m_state == State::Started; }
    bool isNested() const { return !m_savepoint.isEmpty(); }

private:
    friend class Connection;
    enum class State { New, Started, Finished };
    Transaction(Connection *connection, const TransactionOptions &options);
    QFuture<void> finish(bool commit);
    bool leaseEnded() const;

    QPointer<Connection> m_connection;
    quint64 m_leaseEpoch = 0; // the pooled lease it was made in; a raw connection keeps 0
    TransactionOptions m_options;
    QString m_savepoint;
    State m_state = State::New;
};

} // namespace QPg
