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

bool PoolAnchor::run(std::function<void(PoolPrivate *)> call)
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
    QMetaObject::invokeMethod(pool, [pool, call = std::move(call)] {
        PoolPrivate::DispatchScope scope(pool->d.get());
        call(pool->d.get());
    }, Qt::QueuedConnection);
    return true;
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
