// SPDX-License-Identifier: MIT
#include "monitorsession_p.h"

#include "monitorlogging_p.h"

#include <cmath>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitoring {

MonitorSession::MonitorSession(const Transport &transport, qint64 sendBufferLimit, QObject *parent)
    : QObject(parent)
    , m_transport(transport)
    , m_sendBufferLimit(sendBufferLimit)
{
    connect(transport.device, &QIODevice::readyRead, this, &MonitorSession::readAvailable);
    // A TLS socket is handed over after its handshake, maybe with the hello already read.
    if (transport.device->bytesAvailable() > 0)
        QMetaObject::invokeMethod(this, &MonitorSession::readAvailable, Qt::QueuedConnection);
    connect(&m_snapshotTimer, &QTimer::timeout, this, &MonitorSession::snapshotDue);
    // A client that never says hello does not hold a connection open for ever.
    QTimer::singleShot(HelloTimeoutMs, this, [this] {
        if (!m_greeted)
            fail(u"no hello within %1 ms"_s.arg(HelloTimeoutMs));
    });
}

MonitorSession::~MonitorSession()
{
    m_transport.device->disconnect(this);
    m_transport.device->deleteLater();
}

void MonitorSession::subscribe(double rate, const QStringList &pools)
{
    if (!std::isfinite(rate))
        rate = MinRate;
    rate = std::clamp(rate, MinRate, MaxRate);
    m_subscribed = true;
    m_pools = pools;
    m_snapshotTimer.start(int(std::lround(1000.0 / rate)));
    Q_EMIT snapshotDue();
}

bool MonitorSession::isSubscribedTo(const QString &pool) const
{
    return m_subscribed && (m_pools.isEmpty() || m_pools.contains(pool));
}

void MonitorSession::send(const QByteArray &frame)
{
    if (m_finished || m_failing)
        return;
    m_transport.device->write(frame);
    if (m_transport.device->bytesToWrite() > m_sendBufferLimit) {
        const QString reason = u"the client does not read: more than %1 bytes wait to be sent"_s.arg(m_sendBufferLimit);
        qCWarning(lcMonitor) << "dropping a monitor client:" << reason;
        finish(reason);
        m_transport.abort();
    }
}

void MonitorSession::fail(const QString &message)
{
    if (m_finished || m_failing)
        return;
    qCInfo(lcMonitor) << "closing a monitor client:" << message;
    QCborMap error = newMessage(MessageType::Error);
    error.insert(u"message"_s, message);
    m_transport.device->write(encodeFrame(error));
    m_failing = true;
    m_failReason = message;
    m_snapshotTimer.stop();
    m_transport.closeGracefully();
}

void MonitorSession::readAvailable()
{
    if (m_finished || m_failing) {
        m_transport.device->readAll(); // whatever comes after an error is ignored
        return;
    }
    if (!m_decoder.feed(m_transport.device->readAll())) {
        fail(u"protocol error: %1"_s.arg(m_decoder.error()));
        return;
    }
    for (const Message &message : m_decoder.takeMessages()) {
        if (m_finished || m_failing)
            return;
        Q_EMIT messageReceived(message);
    }
}

void MonitorSession::finish(const QString &reason)
{
    if (m_finished)
        return;
    m_finished = true;
    m_snapshotTimer.stop();
    Q_EMIT finished(reason.isEmpty() ? m_failReason : reason);
}

} // namespace QPg::Monitoring
