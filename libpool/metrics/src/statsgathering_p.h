// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QPg/prometheustext.h>

#include <QtCore/QFuture>
#include <QtCore/QMutex>
#include <QtCore/QObject>

#include <memory>

namespace QPg {
class Pool;
namespace Private {

// The pools a server publishes. A pool that is destroyed leaves by itself: its destroyed() handler
// runs in the pool's thread and takes the lock, so while forEach() holds it no pool in the list
// can be destroyed, and posting to one is safe.
class PoolRegistry : public std::enable_shared_from_this<PoolRegistry>
{
public:
    ~PoolRegistry();
    void add(Pool *pool, const QString &name);
    void remove(Pool *pool);
    void clear();
    QStringList names() const;
    template<typename Visit>
    void forEach(Visit visit) const
    {
        QMutexLocker lock(&m_mutex);
        for (const Entry &e : m_entries)
            visit(e.pool, e.name);
    }

private:
    struct Entry
    {
        Pool *pool;
        QString name;
        QMetaObject::Connection watch;
    };
    void removeLocked(Pool *pool);
    mutable QMutex m_mutex;
    QList<Entry> m_entries;
};

// The statistics of every registered pool, each read in its pool's thread (no thread waits for
// another). Finishes when all have answered, or after deadlineMs with those that have (a pool
// whose thread is stuck is left out). Pools destroyed meanwhile are left out.
QFuture<QList<NamedPoolStats>> gatherStats(const std::shared_ptr<PoolRegistry> &registry, QObject *context,
                                           int deadlineMs = 5000);

} // namespace Private
} // namespace QPg
