// SPDX-License-Identifier: MIT
#pragma once

#include "loadsettings.h"
#include "monitorevent.h"
#include "poolcontroller.h"

#include <QPg/poolstats.h>

#include <QtCore/QObject>
#include <QtCore/QThread>

namespace QPg::Monitor {

// The GUI thread's handle on the worker: starts the thread with a PoolController on it, turns
// method calls into queued calls there and re-emits the controller's signals in this thread, where
// it also keeps the latest snapshot. The destructor shuts the controller down and joins the thread.
class MonitorSession : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MonitorSession)
public:
    explicit MonitorSession(QObject *parent = nullptr);
    ~MonitorSession() override;

    void openPool(const QString &dsn, int minSize, int maxSize);
    void startDemo(int minSize, int maxSize, bool startLoad = true);
    void expireConnections();
    void closePool(int timeoutMs);
    void terminatePool();
    void reopenPool();
    void resizePool(int minSize, int maxSize);
    void startLoad(const QPg::Monitor::LoadSettings &settings);
    void stopLoad();
    // The pool shown, for calls from this thread (its methods are thread-safe); nullptr when none.
    // A replaced pool stays valid, terminated, until shutdown().
    QPg::Pool *pool() const { return m_pool; }
    // Sets request.id and returns it; copyProgress() and copyFinished() carry it.
    quint64 runCopy(QPg::Monitor::CopyRequest request);
    void cancelCopy(quint64 id);
    // Opens a trial connection to dsn on the worker thread, leaving the pool alone; returns the id
    // that connectionTested() carries.
    quint64 testConnection(const QString &dsn);
    void setSampleInterval(int milliseconds);
    void shutdown();

    PoolController::PoolState poolState() const { return m_state; }
    QString maskedDsn() const { return m_maskedDsn; }
    // The pool's DSN as given, password included: for the connection dialog, never for display.
    QString dsn() const { return m_dsn; }
    QPg::PoolStats latestStats() const { return m_stats; }
    QList<QPg::ConnectionInfo> latestConnections() const { return m_connections; }
    double latestTime() const { return m_time; }
    quint64 snapshotCount() const { return m_snapshots; }
    bool isLoadRunning() const { return m_loadRunning; }
    LoadSettings loadSettings() const { return m_loadSettings; }

Q_SIGNALS:
    void snapshot(double time, const QPg::PoolStats &stats, const QList<QPg::ConnectionInfo> &connections);
    void serversSnapshot(const QList<QPg::ServerStatus> &servers);
    void event(const QPg::Monitor::MonitorEvent &event);
    void poolStateChanged(QPg::Monitor::PoolController::PoolState state, const QString &maskedDsn);
    void loadStateChanged(bool running, const QPg::Monitor::LoadSettings &settings);
    void copyProgress(quint64 id, qint64 bytes, qint64 rows);
    void copyFinished(const QPg::Monitor::CopyOutcome &outcome);
    void connectionTested(quint64 id, bool ok, const QString &message);

private:
    template<typename Function>
    void post(Function &&function);

    QThread m_thread;
    PoolController *m_controller = nullptr;
    PoolController::PoolState m_state = PoolController::PoolState::NotOpen;
    QString m_maskedDsn;
    QString m_dsn;
    QPg::PoolStats m_stats;
    QList<QPg::ConnectionInfo> m_connections;
    double m_time = 0;
    quint64 m_snapshots = 0;
    QPg::Pool *m_pool = nullptr;
    quint64 m_nextCopyId = 1;
    quint64 m_nextTestId = 1;
    bool m_loadRunning = false;
    LoadSettings m_loadSettings;
};

} // namespace QPg::Monitor
