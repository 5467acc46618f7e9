// SPDX-License-Identifier: MIT
#include <QPg/connection.h>
#include <QPg/transaction.h>

#include "connection_p.h"

namespace QPg {

namespace {

QString beginStatement(const TransactionOptions &options)
{
    QString sql = QStringLiteral("BEGIN");
    switch (options.isolation) {
    case TransactionOptions::Isolation::Default: break;
    case TransactionOptions::Isolation::ReadCommitted: sql += QStringLiteral(" ISOLATION LEVEL READ COMMITTED"); break;
    case TransactionOptions::Isolation::RepeatableRead: sql += QStringLiteral(" ISOLATION LEVEL REPEATABLE READ"); break;
    case TransactionOptions::Isolation::Serializable: sql += QStringLiteral(" ISOLATION LEVEL SERIALIZABLE"); break;
    }
    if (options.readOnly)
        sql += QStringLiteral(" READ ONLY");
    if (options.deferrable)
        sql += QStringLiteral(" DEFERRABLE");
    return sql;
}

ConnectionReleasedError releasedError()
{
    return ConnectionReleasedError(QStringLiteral("the transaction's connection went back to the pool"));
}

} // namespace

Transaction::Transaction(Connection *connection, const TransactionOptions &options)
    : m_connection(connection)
    , m_leaseEpoch(connection->d->leaseEpoch)
    , m_options(options)
{
}

Transaction::Transaction(Transaction &&other) noexcept
    : m_connection(std::move(other.m_connection))
    , m_leaseEpoch(other.m_leaseEpoch)
    , m_options(other.m_options)
    , m_savepoint(std::move(other.m_savepoint))
    , m_state(std::exchange(other.m_state, State::Finished))
{
}

Transaction &Transaction::operator=(Transaction &&other) noexcept
{
    if (this != &other) {
        if (m_state == State::Started)
            finish(false);
        m_connection = std::move(other.m_connection);
        m_leaseEpoch = other.m_leaseEpoch;
        m_options = other.m_options;
        m_savepoint = std::move(other.m_savepoint);
        m_state = std::exchange(other.m_state, State::Finished);
    }
    return *this;
}

Transaction::~Transaction()
{
    if (m_state == State::Started && m_connection && m_connection->state() == Connection::State::Ready
        && !leaseEnded())
        finish(false);
}

// The pool ends a lease by moving the connection's epoch on; by then it has rolled back and reset
// the session, which may already belong to the next holder.
bool Transaction::leaseEnded() const
{
    return m_connection && m_connection->d->leaseEpoch != m_leaseEpoch;
}

QFuture<void> Transaction::start()
{
    if (!m_connection)
        return Private::failedFuture<void>(InterfaceError(QStringLiteral("the transaction's connection is gone")));
    if (m_state != State::New)
        return Private::failedFuture<void>(InterfaceError(QStringLiteral("the transaction was already started")));
    if (leaseEnded())
        return Private::failedFuture<void>(releasedError());
    ConnectionPrivate *d = m_connection->d.get();
    QString sql;
    if (d->transactionDepth > 0) {
        m_savepoint = QStringLiteral("qpg_savepoint_%1").arg(++d->nextSavepoint);
        sql = QStringLiteral("SAVEPOINT ") + m_savepoint;
    } else {
        sql = beginStatement(m_options);
    }
    m_state = State::Started;
    ++d->transactionDepth;
    return m_connection->execute(sql).then([](const QString &) {});
}

QFuture<void> Transaction::commit()
{
    return finish(true);
}

QFuture<void> Transaction::rollback()
{
    return finish(false);
}

QFuture<void> Transaction::finish(bool commit)
{
    if (m_state != State::Started)
        return Private::failedFuture<void>(InterfaceError(
            m_state == State::New ? QStringLiteral("the transaction was not started")
                                  : QStringLiteral("the transaction has already ended")));
    m_state = State::Finished;
    if (!m_connection)
        return Private::failedFuture<void>(InterfaceError(QStringLiteral("the transaction's connection is gone")));
    if (leaseEnded())
        return Private::failedFuture<void>(releasedError()); // the pool reset the depth too
    --m_connection->d->transactionDepth;
    QString sql;
    if (m_savepoint.isEmpty())
        sql = commit ? QStringLiteral("COMMIT") : QStringLiteral("ROLLBACK");
    else if (commit)
        sql = QStringLiteral("RELEASE SAVEPOINT ") + m_savepoint;
    else
        sql = QStringLiteral("ROLLBACK TO SAVEPOINT ") + m_savepoint + QStringLiteral("; RELEASE SAVEPOINT ") + m_savepoint;
    return m_connection->execute(sql).then([commit](const QString &tag) {
        // COMMIT of a transaction that had failed answers ROLLBACK: the caller's data is not saved.
        if (commit && tag == u"ROLLBACK") {
            ServerErrorFields fields;
            fields.sqlState = QStringLiteral("25P02");
            fields.severity = QStringLiteral("ERROR");
            fields.message = QStringLiteral("the transaction was rolled back because a command in it failed");
            ServerError::create(fields)->raise();
        }
    });
}

} // namespace QPg
