// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/qpgpool_monitoring_export.h>

#include <QtCore/QString>
#include <QtNetwork/QHostAddress>
#include <QtNetwork/QSslCertificate>
#include <QtNetwork/QSslKey>

namespace QPg {

// What PoolMonitorServer::listen() opens and what clients may do. See docs/MONITORING.md.
struct QPGPOOL_MONITORING_EXPORT MonitorServerOptions
{
    // The private local socket, <socketDirectory>/<applicationName>.<pid>.sock (mode 0600).
    bool localSocket = true;
    // Empty: $XDG_RUNTIME_DIR/qpgpool, or <temp>/qpgpool-<uid> without it.
    QString socketDirectory;
    // Shown to clients and used in the socket name; empty: QCoreApplication::applicationName().
    QString applicationName;

    // Commands (expire, resize, close, terminate, cancel a query) are refused unless true.
    bool allowControl = false;
    // The text of running queries is sent only when true (it can contain literals).
    bool allowQueryText = false;
    // The sessions view: a client may ask for the pool's backends in pg_stat_activity. Off by default
    // because each request runs a query on the application's pool (it takes a connection for a
    // moment, 2 s acquire timeout at most, one at a time per pool). The query column stays empty
    // unless allowQueryText too. Cancelling or terminating one of the pool's backends also needs
    // allowControl.
    bool allowSessions = false;

    // TCP, off unless tcp is true. Needs a token (listen() fails without one); port 0 picks a free
    // port (see PoolMonitorServer::serverPort()).
    bool tcp = false;
    QHostAddress tcpAddress = QHostAddress(QHostAddress::LocalHost);
    quint16 tcpPort = 0;
    QByteArray token;
    // TLS on the TCP endpoint when a certificate is given.
    QSslCertificate certificate = QSslCertificate();
    QSslKey privateKey = QSslKey();

    // A client whose unsent data grows past this many bytes is dropped: a stuck client never makes
    // the application buffer without limit.
    qint64 sendBufferLimit = 4 * 1024 * 1024;
};

} // namespace QPg
