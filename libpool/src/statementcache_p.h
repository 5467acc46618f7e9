// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QHash>
#include <QtCore/QList>

#include <list>
#include <memory>
#include <vector>

namespace QPg::Private {

// A statement prepared on the server under a name of this session.
struct PreparedStatement
{
    QByteArray key;
    QByteArray name;
    std::vector<quint32> parameterTypes; // as the server resolved them
    std::vector<quint32> columnTypes;
    bool binaryResults = false; // every column has a binary decoder
    bool ready = false;         // prepared and described
    bool forgotten = false;     // dropped from the cache, possibly while its Prepare was on its way
};

// A per-connection LRU of prepared statements, keyed by SQL text and declared parameter types (so
// a statement is reused only with the parameter types it was prepared for). Evicted statements are
// remembered until the connection deallocates them on the server.
class StatementCache
{
public:
    StatementCache(int capacity, int maxStatementSize);

    bool accepts(const QByteArray &sql) const { return m_capacity > 0 && sql.size() <= m_maxStatementSize; }
    static QByteArray key(const QByteArray &sql, const std::vector<quint32> &declaredTypes);

    // The statement for key, made the most recently used; nullptr when absent.
    std::shared_ptr<PreparedStatement> find(const QByteArray &key);
    // A new, not yet prepared statement for key (replacing any old one); may evict the least recently used.
    std::shared_ptr<PreparedStatement> create(const QByteArray &key);
    void remove(const QByteArray &key);
    // Forgets everything. The server still has the statements unless serverDropped.
    void clear(bool serverDropped);
    QList<QByteArray> takePendingDeallocations();
    // A statement the server prepared after the cache had forgotten it.
    void deallocateLater(const QByteArray &name) { m_pendingDeallocations.append(name); }
    int size() const { return int(m_statements.size()); }

private:
    void forget(const std::shared_ptr<PreparedStatement> &statement, bool deallocate);

    int m_capacity;
    int m_maxStatementSize;
    QByteArray m_namePrefix; // "qpg_stmt_<random>_", unique per connection
    quint64 m_counter = 0;
    QHash<QByteArray, std::shared_ptr<PreparedStatement>> m_statements;
    std::list<QByteArray> m_recency; // front: most recently used
    QList<QByteArray> m_pendingDeallocations;
};

} // namespace QPg::Private
