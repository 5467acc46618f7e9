// SPDX-License-Identifier: MIT
#pragma once

#include "attachtarget.h"
#include "monitorevent.h"
#include "ratecalculator.h"
#include "statssample.h"

#include <QPg/backendsessions.h>
#include <QPg/monitortypes.h>
#include <QPg/poolstats.h>

#include <QtCore/QElapsedTimer>
#include <QtCore/QHash>
#include <QtCore/QObject>
#include <QtCore/QTimer>

namespace QPg {
class PoolMonitorClient;
}

namespace QPg::Monitor {

// One attached application: a PoolMonitorClient turned into what the dashboard shows for the
// pools of its own session (StatsSamples, connection rows, event log lines), with each pool's
// history kept so the charts can switch between pools and keep it across a disconnection. When the
// application goes away, it waits for one with the same name (a restart: new pid, new socket) and
// attaches again by itself.
class RemotePoolSource : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RemotePoolSource)
public:
    enum class State { Searching, Connecting, Attached, Disconnected };
    Q_ENUM(State)

    struct PoolData
    {
        QList<StatsSample> history; // the last ChartsWidget::RetentionSeconds
        QPg::PoolStats stats;
        QList<QPg::ConnectionInfo> connections;
        QList<MonitorEvent> events; // the newest EventLogModel::MaxEvents
        RateCalculator rates;
        bool closed = false; // the application closed this pool
    };

    // rate: snapshots a second. directory: where local applications are discovered (empty: the default).
    explicit RemotePoolSource(const AttachTarget &target, double rate = 4, const QString &directory = {},
                              QObject *parent = nullptr);
    ~RemotePoolSource() override;

    // Resolves the target and connects; with reattach, keeps trying while it is gone.
    void start(bool reattach = true);
    // Looks for the application again now (the Attach view calls it when the directory changes).
    void retryNow();
    // Attaching again to the same target, maybe with another token: tries at once unless attached.
    void attachAgain(const QByteArray &token);

    const AttachTarget &target() const { return m_target; }
    State state() const { return m_state; }
    static QString stateName(State state);
    // Why it is not attached (the error or "waiting for NAME"); empty when attached.
    QString statusText() const { return m_status; }
    QString applicationName() const;
    qint64 pid() const { return m_hello.pid; }
    QPg::MonitorHello hello() const { return m_hello; }
    bool controlAllowed() const { return m_state == State::Attached && m_hello.controlAllowed; }
    QStringList poolNames() const { return m_order; }
    const PoolData *pool(const QString &name) const;

    // Commands to the application: each logs its outcome in the pool's event log.
    void expireConnections(const QString &pool);
    void resizePool(const QString &pool, int minSize, int maxSize);
    void closePool(const QString &pool);
    void terminatePool(const QString &pool);
    // The sessions view: a read of the pool's backends (sessionsReceived/sessionsFailed with the id
    // returned), and cancel/terminate of one of them (logged like the commands, backendSignalled).
    quint64 requestSessions(const QString &pool);
    void signalBackend(const QString &pool, int pid, QPg::BackendSessions::Signal what);

Q_SIGNALS:
    void stateChanged(QPg::Monitor::RemotePoolSource::State state);
    void poolsChanged();
    void sampleAdded(const QString &pool, const QPg::Monitor::StatsSample &sample);
    void eventAdded(const QString &pool, const QPg::Monitor::MonitorEvent &event);
    void sessionsReceived(quint64 id, const QList<QPg::MonitorBackendSession> &sessions);
    void sessionsFailed(quint64 id, const QString &error);
    // error is empty when the application signalled the backend.
    void backendSignalled(const QString &pool, int pid, const QString &error);

private:
    void connectNow();
    void setState(State state, const QString &status = {});
    void onConnected(const QPg::MonitorHello &hello);
    void onSnapshot(const QString &pool, const QPg::PoolStats &stats, const QList<QPg::ConnectionInfo> &connections);
    void onPoolEvent(const QPg::MonitorPoolEvent &event);
    void onDisconnected(const QString &reason);
    void addPools(const QStringList &names);
    void log(const QString &pool, const MonitorEvent &event);
    void logAll(const MonitorEvent &event);
    void command(const QString &pool, const QString &what, quint64 id);

    AttachTarget m_target;
    double m_rate;
    QString m_directory;
    QString m_endpointName; // the discovered application name to look for after a restart
    QPg::PoolMonitorClient *m_client;
    State m_state = State::Searching;
    QString m_status;
    QPg::MonitorHello m_hello;
    QStringList m_order;
    QHash<QString, PoolData> m_pools;
    QHash<quint64, QPair<QString, QString>> m_commands; // id -> pool, what
    QHash<quint64, QPair<QString, int>> m_backendSignals; // id -> pool, pid
    QElapsedTimer m_clock;
    QTimer m_retry;
    bool m_reattach = true;
};

} // namespace QPg::Monitor
