// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/monitorserveroptions.h>
#include <QPg/qpgpool_monitoring_export.h>

#include <QtCore/QObject>

#include <memory>

namespace QPg {

class Pool;
class PoolMonitorServerPrivate;

// Publishes pools to monitoring clients (the dashboard, PoolMonitorClient) over a private local
// socket and, when asked, TCP with a token. Nothing listens until listen(). It lives in the
// application's thread; the pools may live in other threads (their numbers are fetched there
// without blocking this one). A slow or misbehaving client is dropped, never waited for.
//
//     QPg::PoolMonitorServer monitor;
//     monitor.addPool(&pool, u"orders"_s);
//     monitor.listen({});
class QPGPOOL_MONITORING_EXPORT PoolMonitorServer : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PoolMonitorServer)
public:
    explicit PoolMonitorServer(QObject *parent = nullptr);
    ~PoolMonitorServer() override;

    // False when name is empty or taken. Remove a pool (or destroy the server) before destroying
    // a pool that lives in another thread.
    bool addPool(Pool *pool, const QString &name);
    void removePool(const QString &name);
    QStringList poolNames() const;

    // Opens the endpoints of options; false with errorString() when one cannot be opened (then
    // none is).
    bool listen(const MonitorServerOptions &options = {});
    void close();
    bool isListening() const;
    QString errorString() const;
    // The local socket's path, empty without one.
    QString socketPath() const;
    // The TCP port, 0 without TCP.
    quint16 serverPort() const;
    int clientCount() const;

Q_SIGNALS:
    void clientConnected();
    // A client went away or was dropped; reason says why (empty when it just disconnected).
    void clientDisconnected(const QString &reason);

private:
    friend class PoolMonitorServerPrivate;
    std::unique_ptr<PoolMonitorServerPrivate> const d;
};

} // namespace QPg
