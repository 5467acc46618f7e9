// SPDX-License-Identifier: MIT
// How handles and leases reach their pool from any thread, and give a connection back.
#include "pool_p.h"

#include "connection_p.h"
#include "logging_p.h"
#include "marshal_p.h"

using namespace std::chrono_literals;

namespace QPg {

using Private::Outcome;

// ---------------------------------------------------------------------------------------------
// PoolAnchor and PoolLease

void PoolAnchor::post(Pool *pool, std::function<void(PoolPrivate *)> call)
{
    QMetaObject::invokeMethod(pool, [pool, call = std::move(call)] {
        PoolPrivate::DispatchScope scope(pool->d.get());
        call(pool->d.get());
    }, Qt::QueuedConnection);
}

bool PoolAnchor::isPool(const Pool *pool)
{
    QMutexLocker lock(&m_mutex);
    return m_pool == pool;
}

bool PoolAnchor::isAlive()
{
    QMutexLocker lock(&m_mutex);
    return m_pool != nullptr;
}

QThread *PoolAnchor::thread()
{
    QMutexLocker lock(&m_mutex);
    return m_pool ? m_pool->thread() : nullptr;
}

void PoolAnchor::detach()
{
    QMutexLocker lock(&m_mutex);
    m_pool = nullptr;
}

PoolLease::~PoolLease()
{
    if (released.load() || !anchor)
        return;
    // The last handle went away without release(): give the connection back.
    const quint64 id = entryId;
    anchor->run([id](PoolPrivate *d) { d->releaseEntry(id); });
}

} // namespace QPg
