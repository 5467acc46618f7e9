// SPDX-License-Identifier: MIT
// Reading the statistics of pools that may live in other threads, without blocking any thread.
#include "statsgathering_p.h"

#include <QPg/pool.h>

#include <QtCore/QPromise>
#include <QtCore/QThread>
#include <QtCore/QTimer>

#include <optional>

namespace QPg::Private {

PoolRegistry::~PoolRegistry()
{
    clear();
}

void PoolRegistry::add(Pool *pool, const QString &name)
{
    QMutexLocker lock(&m_mutex);
    removeLocked(pool);
    // Direct, without a context: runs in the pool's thread while it is destroyed.
    std::weak_ptr<PoolRegistry> weak = weak_from_this();
    QMetaObject::Connection watch = QObject::connect(pool, &QObject::destroyed, [weak, pool] {
        if (auto registry = weak.lock())
            registry->remove(pool);
    });
    m_entries.append(Entry{pool, name, watch});
}

void PoolRegistry::remove(Pool *pool)
{
    QMutexLocker lock(&m_mutex);
    removeLocked(pool);
}

void PoolRegistry::removeLocked(Pool *pool)
{
    for (qsizetype i = 0; i < m_entries.size(); ++i) {
        if (m_entries[i].pool == pool) {
            QObject::disconnect(m_entries[i].watch);
            m_entries.removeAt(i);
            return;
        }
    }
}

void PoolRegistry::clear()
{
    QMutexLocker lock(&m_mutex);
    for (const Entry &e : std::as_const(m_entries))
        QObject::disconnect(e.watch);
    m_entries.clear();
}

QStringList PoolRegistry::names() const
{
    QStringList list;
    forEach([&list](Pool *, const QString &name) { list.append(name); });
    return list;
}

namespace {

// One gathering: a slot per pool, filled from the pools' threads.
class Gathering
{
public:
    explicit Gathering(QList<NamedPoolStats> slots) : m_slots(std::move(slots)), m_answers(m_slots.size())
    {
        m_promise.start();
        m_pending = int(m_slots.size());
    }
    QFuture<QList<NamedPoolStats>> future() { return m_promise.future(); }
    void deliver(qsizetype index, std::optional<PoolStats> stats)
    {
        QMutexLocker lock(&m_mutex);
        if (m_finished)
            return;
        if (stats) {
            m_slots[index].stats = *stats;
            m_answers[index] = true;
        }
        if (--m_pending == 0)
            finishLocked();
    }
    void finishNow()
    {
        QMutexLocker lock(&m_mutex);
        if (!m_finished)
            finishLocked();
    }

private:
    void finishLocked()
    {
        m_finished = true;
        QList<NamedPoolStats> answered;
        for (qsizetype i = 0; i < m_slots.size(); ++i) {
            if (m_answers[i])
                answered.append(m_slots[i]);
        }
        m_promise.addResult(answered);
        m_promise.finish();
    }
    QMutex m_mutex;
    QList<NamedPoolStats> m_slots;
    QList<bool> m_answers;
    int m_pending = 0;
    bool m_finished = false;
    QPromise<QList<NamedPoolStats>> m_promise;
};

// Answers its slot once: with the statistics, or empty when the call posted to the pool is
// destroyed unrun (the pool went away first).
class Ticket
{
public:
    Ticket(std::shared_ptr<Gathering> gathering, qsizetype index) : m_gathering(std::move(gathering)), m_index(index) { }
    ~Ticket()
    {
        if (m_gathering)
            m_gathering->deliver(m_index, std::nullopt);
    }
    void answer(const PoolStats &stats) { std::exchange(m_gathering, nullptr)->deliver(m_index, stats); }

private:
    std::shared_ptr<Gathering> m_gathering;
    qsizetype m_index;
};

} // namespace

QFuture<QList<NamedPoolStats>> gatherStats(const std::shared_ptr<PoolRegistry> &registry, QObject *context,
                                           int deadlineMs)
{
    QList<Pool *> pools;
    QList<NamedPoolStats> slots;
    registry->forEach([&](Pool *pool, const QString &name) {
        pools.append(pool);
        slots.append(NamedPoolStats{name, QString(), PoolStats()});
    });
    auto gathering = std::make_shared<Gathering>(slots);
    QFuture<QList<NamedPoolStats>> future = gathering->future();
    if (pools.isEmpty()) {
        gathering->finishNow();
        return future;
    }
    // Pools are reached again under the registry's lock: one destroyed since the list was taken
    // is not there any more, and its ticket answers empty.
    QList<std::shared_ptr<Ticket>> tickets;
    for (qsizetype i = 0; i < pools.size(); ++i)
        tickets.append(std::make_shared<Ticket>(gathering, i));
    QList<std::pair<Pool *, std::shared_ptr<Ticket>>> local;
    registry->forEach([&](Pool *pool, const QString &) {
        const qsizetype i = pools.indexOf(pool);
        if (i < 0 || !tickets[i])
            return;
        std::shared_ptr<Ticket> ticket = std::exchange(tickets[i], nullptr);
        if (pool->thread() == QThread::currentThread())
            local.append({pool, std::move(ticket)}); // read below, outside the lock
        else
            QMetaObject::invokeMethod(pool, [pool, ticket] { ticket->answer(pool->stats()); }, Qt::QueuedConnection);
    });
    tickets.clear(); // pools removed since the list was taken answer empty
    for (auto &[pool, ticket] : local)
        ticket->answer(pool->stats());
    local.clear();
    if (!future.isFinished())
        QTimer::singleShot(deadlineMs, context, [gathering] { gathering->finishNow(); });
    return future;
}

} // namespace QPg::Private
