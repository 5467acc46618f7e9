// SPDX-License-Identifier: MIT
#include "pooltap_p.h"

#include "monitorcodec_p.h"
#include "monitorprotocol_p.h"

#include <QtCore/QDateTime>
#include <QtCore/QThread>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitoring {

PoolTap::PoolTap(Pool *pool, const QString &name, bool withQueryText, QObject *parent)
    : QObject(parent)
    , m_pool(pool)
    , m_name(name)
    , m_withQueryText(withQueryText)
    , m_relay(std::make_shared<Relay>())
{
    m_relay->tap = this;
    // Signals of a pool in another thread arrive queued, in this thread.
    connect(pool, &Pool::connectionOpened, this, [this](quint64 id, int pid) {
        emitEvent(u"connectionOpened"_s, {{u"connection"_s, qint64(id)}, {u"backendPid"_s, pid}});
    });
    connect(pool, &Pool::connectionClosed, this, [this](quint64 id, int pid, CloseReason reason) {
        emitEvent(u"connectionClosed"_s,
                  {{u"connection"_s, qint64(id)}, {u"backendPid"_s, pid}, {u"reason"_s, closeReasonName(reason)}});
    });
    connect(pool, &Pool::connectFailed, this,
            [this](const QString &message) { emitEvent(u"connectFailed"_s, {{u"message"_s, message}}); });
    connect(pool, &Pool::acquireTimedOut, this,
            [this](const QString &tag) { emitEvent(u"acquireTimedOut"_s, {{u"holder"_s, tag}}); });
    connect(pool, &Pool::leakDetected, this, [this](quint64 id, const QString &holder, qint64 heldMs) {
        emitEvent(u"leakDetected"_s, {{u"connection"_s, qint64(id)}, {u"holder"_s, holder}, {u"heldMs"_s, heldMs}});
    });
    connect(pool, &Pool::leakReturned, this, [this](quint64 id, const QString &holder, qint64 heldMs) {
        emitEvent(u"leakReturned"_s, {{u"connection"_s, qint64(id)}, {u"holder"_s, holder}, {u"heldMs"_s, heldMs}});
    });
    connect(pool, &Pool::closing, this, [this] { emitEvent(u"closing"_s, {}); });
    connect(pool, &Pool::closed, this, [this] { emitEvent(u"closed"_s, {}); });
}

PoolTap::~PoolTap()
{
    QMutexLocker lock(&m_relay->mutex);
    m_relay->tap = nullptr;
}

void PoolTap::requestSnapshot()
{
    if (m_fetching || !m_pool)
        return;
    Pool *pool = m_pool;
    if (pool->thread() == thread()) {
        deliver(pool->stats(), pool->connectionInfo());
        return;
    }
    // Pool::stats() from here would block this thread until the pool's thread answers: ask there
    // and post the answer back instead. Dropped if the pool goes first.
    m_fetching = true;
    QMetaObject::invokeMethod(pool, [pool, relay = m_relay] {
        const PoolStats stats = pool->stats();
        const QList<ConnectionInfo> connections = pool->connectionInfo();
        QMutexLocker lock(&relay->mutex);
        if (PoolTap *tap = relay->tap)
            QMetaObject::invokeMethod(tap, [tap, stats, connections] { tap->deliver(stats, connections); },
                                      Qt::QueuedConnection);
    }, Qt::QueuedConnection);
}

void PoolTap::deliver(const PoolStats &stats, const QList<ConnectionInfo> &connections)
{
    m_fetching = false;
    QCborMap message = newMessage(MessageType::Snapshot);
    message.insert(u"pool"_s, m_name);
    message.insert(u"time"_s, QDateTime::currentMSecsSinceEpoch());
    message.insert(u"stats"_s, encodePoolStats(stats));
    message.insert(u"connections"_s, encodeConnections(connections, m_withQueryText));
    Q_EMIT snapshotReady(encodeFrame(message));
}

void PoolTap::emitEvent(const QString &kind, std::initializer_list<std::pair<QString, QCborValue>> fields)
{
    QCborMap message = newMessage(MessageType::Event);
    message.insert(u"pool"_s, m_name);
    message.insert(u"event"_s, kind);
    message.insert(u"time"_s, QDateTime::currentMSecsSinceEpoch());
    for (const auto &[key, value] : fields)
        message.insert(key, value);
    Q_EMIT event(message);
}

} // namespace QPg::Monitoring
