// SPDX-License-Identifier: MIT
#include "statementcache_p.h"

#include <QtCore/QRandomGenerator>

#include <algorithm>

namespace QPg::Private {

StatementCache::StatementCache(int capacity, int maxStatementSize)
    : m_capacity(capacity)
    , m_maxStatementSize(maxStatementSize)
    // Random per connection: through a pooler (PgBouncer in transaction mode) several clients may
    // share one server session, where a name another client also used would run its statement and
    // return its result without any error. With distinct names the worst case is an error.
    , m_namePrefix("qpg_stmt_" + QByteArray::number(QRandomGenerator::system()->generate64(), 36) + '_')
{
}

std::shared_ptr<PreparedStatement> StatementCache::find(const StatementKey &key)
{
    auto it = m_statements.constFind(key);
    if (it == m_statements.cend())
        return nullptr;
    const std::shared_ptr<PreparedStatement> &statement = *it;
    if (statement->recency != m_recency.begin())
        m_recency.splice(m_recency.begin(), m_recency, statement->recency);
    return statement;
}

std::shared_ptr<PreparedStatement> StatementCache::create(const StatementKey &key)
{
    remove(key);
    while (int(m_statements.size()) >= m_capacity && !m_recency.empty()) {
        std::shared_ptr<PreparedStatement> oldest = m_recency.back();
        m_recency.pop_back();
        m_statements.remove(oldest->key);
        forget(oldest, true);
    }
    auto statement = std::make_shared<PreparedStatement>();
    statement->key = key;
    statement->name = m_namePrefix + QByteArray::number(++m_counter);
    m_statements.insert(key, statement);
    m_recency.push_front(statement);
    statement->recency = m_recency.begin();
    return statement;
}

void StatementCache::remove(const StatementKey &key)
{
    auto statement = m_statements.take(key);
    if (!statement)
        return;
    m_recency.erase(statement->recency);
    forget(statement, statement->ready);
}

void StatementCache::clear(bool serverDropped)
{
    for (const auto &statement : std::as_const(m_statements))
        forget(statement, !serverDropped && statement->ready);
    m_statements.clear();
    m_recency.clear();
    if (serverDropped)
        m_pendingDeallocations.clear();
}

QList<QByteArray> StatementCache::takePendingDeallocations()
{
    return std::exchange(m_pendingDeallocations, {});
}

void StatementCache::forget(const std::shared_ptr<PreparedStatement> &statement, bool deallocate)
{
    statement->ready = false; // an operation still holding it must not use it again
    statement->forgotten = true;
    if (deallocate)
        m_pendingDeallocations.append(statement->name);
}

} // namespace QPg::Private
