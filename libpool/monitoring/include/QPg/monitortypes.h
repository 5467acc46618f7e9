// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/qpgpool_monitoring_export.h>

#include <QtCore/QDateTime>
#include <QtCore/QMetaType>
#include <QtCore/QString>
#include <QtCore/QStringList>
#include <QtNetwork/QSslCertificate>

// What PoolMonitorClient reports: the applications it can attach to and what they send.
namespace QPg {

// A local application with a monitor socket (PoolMonitorClient::discover()).
struct QPGPOOL_MONITORING_EXPORT MonitorEndpoint
{
    QString application;
    qint64 pid = 0;
    QString socketPath;
};

// The server's first message.
struct QPGPOOL_MONITORING_EXPORT MonitorHello
{
    int version = 0;
    QString application;
    qint64 pid = 0;
    QString host;
    bool controlAllowed = false;   // commands are accepted
    bool queryTextAllowed = false; // snapshots carry the running queries' text
    QStringList pools;
};

// A pool signal, as it happened in the application.
struct QPGPOOL_MONITORING_EXPORT MonitorPoolEvent
{
    QString pool;
    // connectionOpened, connectionClosed, connectFailed, acquireTimedOut, leakDetected,
    // leakReturned, closing, closed
    QString kind;
    QDateTime time;
    quint64 connectionId = 0;
    int backendPid = 0;
    QString reason;  // connectionClosed: closeReasonName()
    QString message; // connectFailed
    QString holder;  // acquireTimedOut, leak*: the acquire tag
    qint64 heldMs = 0;
};

// TLS for PoolMonitorClient::connectToHost().
struct QPGPOOL_MONITORING_EXPORT MonitorTlsOptions
{
    bool enabled = false;
    // Trusted in addition to the system's (for a self-signed server certificate).
    QList<QSslCertificate> caCertificates;
    // Empty: the host name given to connectToHost().
    QString peerVerifyName;
};

} // namespace QPg

Q_DECLARE_METATYPE(QPg::MonitorHello)
Q_DECLARE_METATYPE(QPg::MonitorPoolEvent)
