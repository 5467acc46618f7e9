// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QPg/pool.h>

#include <QtCore/QCborMap>
#include <QtCore/QMutex>
#include <QtCore/QObject>
#include <QtCore/QPointer>

#include <memory>

namespace QPg::Monitoring {

// One published pool, seen from the server's thread: its snapshots (fetched in the pool's thread
// when it lives elsewhere, without blocking this one) and its signals as event messages.
class PoolTap : public QObject
{
    Q_OBJECT
public:
    PoolTap(Pool *pool, const QString &name, bool withQueryText, QObject *parent);
    ~PoolTap() override;

    QString name() const { return m_name; }
    Pool *pool() const { return m_pool; }
    // Asks for a snapshot; snapshotReady() follows. Requests while one is under way share it.
    void requestSnapshot();

Q_SIGNALS:
    // The encoded snapshot frame.
    void snapshotReady(const QByteArray &frame);
    // An event message (a map, to be framed).
    void event(const QCborMap &message);

private:
    void deliver(const PoolStats &stats, const QList<ConnectionInfo> &connections);
    void emitEvent(const QString &kind, std::initializer_list<std::pair<QString, QCborValue>> fields);

    // What a fetch in the pool's thread posts its result to: cleared when the tap goes, under the
    // mutex, so the other thread never posts to a dead tap.
    struct Relay
    {
        QMutex mutex;
        PoolTap *tap = nullptr;
    };

    QPointer<Pool> m_pool;
    QString m_name;
    bool m_withQueryText;
    bool m_fetching = false;
    std::shared_ptr<Relay> m_relay;
};

} // namespace QPg::Monitoring
