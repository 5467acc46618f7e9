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
    bool sessionsAllowed = false;  // requestSessions() is answered (and, with control, cancelBackend())
    // What the server understands beyond version 1: 0 before the sessions view, 1 with it.
    int revision = 0;
    QStringList pools;
};

// One backend of a pool as the server sees it: its row of pg_stat_activity
// (PoolMonitorClient::requestSessions(), QPg::BackendSessions::fetch()).
struct QPGPOOL_MONITORING_EXPORT MonitorBackendSession
{
    int pid = 0;
    QString state;          // active, idle, idle in transaction, ...
    QString waitEventType;  // empty when it waits for nothing
    QString waitEvent;
    QDateTime transactionStart; // invalid outside a transaction
    QDateTime queryStart;
    QList<int> blockedBy;   // pg_blocking_pids()
    QString query;          // empty unless the application allows query text
    bool isSelf = false;    // the backend that ran this very read
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
Q_DECLARE_METATYPE(QPg::MonitorBackendSession)
