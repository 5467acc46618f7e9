// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QHash>
#include <QtCore/QList>
#include <QtCore/QString>

#include <list>
#include <memory>
#include <vector>

namespace QPg::Private {

// What a statement is cached under: its text as the caller gave it (hashed as UTF-16, so a hit
// needs no conversion) and the parameter types it was declared with.
struct StatementKey
{
    QString sql;
    std::vector<quint32> declaredTypes;
    bool operator==(const StatementKey &other) const = default;
};

inline size_t qHash(const StatementKey &key, size_t seed = 0)
{
    seed = qHash(key.sql, seed);
    return qHashBits(key.declaredTypes.data(), key.declaredTypes.size() * sizeof(quint32), seed);
}

struct PreparedStatement;
using Recency = std::list<std::shared_ptr<PreparedStatement>>;

// A statement prepared on the server under a name of this session.
struct PreparedStatement
{
    StatementKey key;
    QByteArray name;
    std::vector<quint32> parameterTypes; // as the server resolved them
    std::vector<quint32> columnTypes;
    bool binaryResults = false; // every column has a binary decoder
    bool ready = false;         // prepared and described
    bool forgotten = false;     // dropped from the cache, possibly while its Prepare was on its way
    Recency::iterator recency;  // its place in the cache's recency list, while cached
};

// A per-connection LRU of prepared statements, keyed by SQL text and declared parameter types (so
// a statement is reused only with the parameter types it was prepared for). Evicted statements are
// remembered until the connection deallocates them on the server.
class StatementCache
{
public:
    StatementCache(int capacity, int maxStatementSize);

    // maxStatementSize counts UTF-8 bytes; utf8 makes them only for a text that might be too long.
    template<typename Utf8>
    bool accepts(const QString &sql, Utf8 utf8) const
    {
        if (m_capacity <= 0)
            return false;
        // A UTF-16 code unit takes at most 3 bytes in UTF-8.
        return sql.size() * 3 <= m_maxStatementSize || utf8().size() <= m_maxStatementSize;
    }

    // The statement for key, made the most recently used; nullptr when absent.
    std::shared_ptr<PreparedStatement> find(const StatementKey &key);
    // A new, not yet prepared statement for key (replacing any old one); may evict the least recently used.
    std::shared_ptr<PreparedStatement> create(const StatementKey &key);
    void remove(const StatementKey &key);
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
    QHash<StatementKey, std::shared_ptr<PreparedStatement>> m_statements;
    Recency m_recency; // front: most recently used
    QList<QByteArray> m_pendingDeallocations;
};

} // namespace QPg::Private
