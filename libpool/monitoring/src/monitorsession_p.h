// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include "monitordecoder_p.h"

#include <QtCore/QIODevice>
#include <QtCore/QObject>
#include <QtCore/QSet>
#include <QtCore/QTimer>

#include <functional>

namespace QPg::Monitoring {

// One client of the server: reads and checks its messages, paces its snapshots and bounds what
// waits to be sent to it. What the messages mean is the server's business.
class MonitorSession : public QObject
{
    Q_OBJECT
public:
    struct Transport
    {
        QIODevice *device;
        std::function<void()> closeGracefully; // after the pending data is written
        std::function<void()> abort;
        bool remote; // TCP: hello must carry the token
    };

    MonitorSession(const Transport &transport, qint64 sendBufferLimit, QObject *parent);
    ~MonitorSession() override;

    bool isRemote() const { return m_transport.remote; }
    bool isGreeted() const { return m_greeted; }
    void setGreeted() { m_greeted = true; }

    // Snapshots rate times a second of pools (empty: all); the first one is due now.
    void subscribe(double rate, const QStringList &pools);
    bool isSubscribedTo(const QString &pool) const;
    // A snapshot of pool was asked for on this session's behalf and not yet sent.
    void markPending(const QString &pool) { m_pending.insert(pool); }
    bool takePending(const QString &pool) { return m_pending.remove(pool); }

    // Queues a frame; drops the client when its unsent data passes the limit.
    void send(const QByteArray &frame);
    // Sends an error message, then closes the connection.
    void fail(const QString &message);
    // The transport is closed: finished() goes out once.
    void finish(const QString &reason = {});

Q_SIGNALS:
    void messageReceived(const QPg::Monitoring::Message &message);
    void snapshotDue();
    // The connection is over (reason empty when the client just left); the session can be deleted.
    void finished(const QString &reason);

private:
    void readAvailable();

    Transport m_transport;
    qint64 m_sendBufferLimit;
    Decoder m_decoder{Sender::Client};
    QTimer m_snapshotTimer;
    bool m_greeted = false;
    bool m_subscribed = false;
    bool m_finished = false;
    bool m_failing = false;
    QString m_failReason;
    QStringList m_pools;
    QSet<QString> m_pending;
};

} // namespace QPg::Monitoring
