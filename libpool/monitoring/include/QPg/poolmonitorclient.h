// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/monitortypes.h>
#include <QPg/poolstats.h>
#include <QPg/qpgpool_monitoring_export.h>

#include <QtCore/QObject>

#include <memory>

namespace QPg {

class PoolMonitorClientPrivate;

// Attaches to a PoolMonitorServer: a local application found by discover(), or host:port with a
// token. Everything is asynchronous: results arrive as signals, nothing blocks.
class QPGPOOL_MONITORING_EXPORT PoolMonitorClient : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PoolMonitorClient)
public:
    explicit PoolMonitorClient(QObject *parent = nullptr);
    ~PoolMonitorClient() override;

    // The local applications whose monitor socket accepts connections (stale sockets of dead
    // processes are skipped). directory: empty for the default one.
    static QList<MonitorEndpoint> discover(const QString &directory = {});
    static QString defaultSocketDirectory();

    // Connects and says hello; connected() or disconnected() follows. A previous connection ends.
    void connectToLocal(const QString &socketPath);
    void connectToHost(const QString &host, quint16 port, const QByteArray &token, const MonitorTlsOptions &tls = {});
    void disconnectFromServer();
    bool isConnected() const; // after connected(), until disconnected()
    MonitorHello hello() const;
    QStringList pools() const;

    // Snapshots of pools (empty: all) rate times a second (the server clamps it to 0.2..20), and
    // their events. May be called right after connectTo...(): it is sent after the hello.
    void subscribe(double rate, const QStringList &pools = {});
    void requestPools();

    // Commands, each answered by commandFinished(id) or commandFailed(id, error) with the id
    // returned here (0 when not connected: commandFailed follows too).
    quint64 expireConnections(const QString &pool);
    quint64 resize(const QString &pool, int minSize, int maxSize);
    quint64 closePool(const QString &pool);
    quint64 terminatePool(const QString &pool);
    quint64 cancelQuery(const QString &pool, quint64 connectionId);
    // pg_cancel_backend / pg_terminate_backend for one of the pool's backends (a PID from
    // requestSessions()); the application refuses any other PID, and both unless it allows control
    // and sessions.
    quint64 cancelBackend(const QString &pool, int backendPid);
    quint64 terminateBackend(const QString &pool, int backendPid);

    // The pool's backends in pg_stat_activity, read by the application through its pool: answered by
    // sessionsReceived(id, ...) or sessionsFailed(id, ...) with the id returned here. Refused unless
    // the application allows it (MonitorHello::sessionsAllowed); fails at once when not connected or
    // when the application's QPgPool predates it (MonitorHello::revision 0).
    quint64 requestSessions(const QString &pool);

Q_SIGNALS:
    void connected(const QPg::MonitorHello &hello);
    void poolsChanged(const QStringList &pools);
    void snapshot(const QString &pool, const QPg::PoolStats &stats, const QList<QPg::ConnectionInfo> &connections);
    void poolEvent(const QPg::MonitorPoolEvent &event);
    void commandFinished(quint64 id);
    void commandFailed(quint64 id, const QString &error);
    void sessionsReceived(quint64 id, const QString &pool, const QList<QPg::MonitorBackendSession> &sessions);
    void sessionsFailed(quint64 id, const QString &pool, const QString &error);
    // The connection ended: reason is the server's error, the socket's, or empty when it closed
    // normally.
    void disconnected(const QString &reason);
    // Something went wrong that does not end the connection by itself, or before it ends.
    void errorOccurred(const QString &message);

private:
    friend class PoolMonitorClientPrivate;
    std::unique_ptr<PoolMonitorClientPrivate> const d;
};

} // namespace QPg
