// SPDX-License-Identifier: MIT
#pragma once

#include "copyoutcome.h"
#include "copyrequest.h"
#include "loadsettings.h"
#include "monitorevent.h"

#include <QPg/clusterpool.h>
#include <QPg/pooledconnection.h>
#include <QPg/poolstats.h>

#include <QtCore/QElapsedTimer>
#include <QtCore/QHash>
#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtCore/QTimer>

#include <memory>

namespace QPg {
class Pool;
}

namespace QPg::Monitor {

class DemoDatabase;
class LoadGenerator;

// Lives on the worker thread and owns everything that touches libpq there: the Pool, the load
// generator and (with --demo) the private cluster. The GUI talks to it only through queued calls
// (MonitorSession) and hears back through queued signals carrying value snapshots.
class PoolController : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PoolController)
public:
    // Reconnecting: the pool was open, then lost every connection and cannot open a new one (the
    // server is down or unreachable); the pool retries with backoff and it is Open again as soon as
    // a connection opens.
    enum class PoolState { NotOpen, Starting, Opening, Open, Reconnecting, Closing, Closed, Failed };
    Q_ENUM(PoolState)

    explicit PoolController(QObject *parent = nullptr);
    ~PoolController() override;

    static QString stateName(PoolState state);

    // All of these run in the controller's thread (MonitorSession queues them there).
    void startDemo(int minSize, int maxSize, bool startLoad);
    void openPool(const QString &dsn, int minSize, int maxSize);
    void expireConnections();
    void closePool(int timeoutMs);
    void terminatePool();
    void reopenPool();
    void resizePool(int minSize, int maxSize);
    void startLoad(const QPg::Monitor::LoadSettings &settings);
    void stopLoad();
    void runCopy(const QPg::Monitor::CopyRequest &request);
    // Cancels the COPY's future: the COPY stops and the server rolls it back.
    void cancelCopy(quint64 id);
    // Opens one connection to dsn and closes it again; connectionTested() says how it went.
    void testConnection(quint64 id, const QString &dsn);
    void setSampleInterval(int milliseconds);
    // Stops the load, terminates the pool and the demo cluster: call before the thread ends.
    void shutdown();

Q_SIGNALS:
    // A few times a second: time in seconds since the controller was made.
    void snapshot(double time, const QPg::PoolStats &stats, const QList<QPg::ConnectionInfo> &connections);
    // Each listed server's role, lag and pool; empty when the DSN names one server.
    void serversSnapshot(const QList<QPg::ServerStatus> &servers);
    void event(const QPg::Monitor::MonitorEvent &event);
    void poolStateChanged(QPg::Monitor::PoolController::PoolState state, const QString &maskedDsn);
    void loadStateChanged(bool running, const QPg::Monitor::LoadSettings &settings);
    // The pool shown (nullptr when there is none). The GUI's query runner calls it from its own
    // thread (Pool's methods are thread-safe); a replaced pool stays alive, terminated, until
    // shutdown, so a pointer the GUI still holds never dangles.
    void poolChanged(QPg::Pool *pool);
    // Throttled (a few times a second) while a COPY runs.
    void copyProgress(quint64 id, qint64 bytes, qint64 rows);
    void copyFinished(const QPg::Monitor::CopyOutcome &outcome);
    void connectionTested(quint64 id, bool ok, const QString &message);
    // The DSN of the pool being opened, password included (memory only: the connection dialog
    // offers it again).
    void dsnChanged(const QString &dsn);

private:
    struct RunningCopy
    {
        QPg::PooledConnection connection;
        QFuture<qint64> future;
        bool cancelRequested = false;
        QElapsedTimer took;
        QMetaObject::Connection progress;
        qint64 bytes = 0;
        qint64 rows = 0;
    };

    void finishCopy(quint64 id, CopyOutcome outcome);
    // Ends every running COPY (their connections go back) before the pool goes away.
    void abortRunning(const QString &reason);
    void createPool();
    void destroyPool();
    void setState(PoolState state);
    // Open <-> Reconnecting, from what the pool reports (see PoolState).
    void checkReconnecting(const QPg::PoolStats &stats, bool connectFailed);
    void sample();
    // marker: a short label for the charts when the event is an action on the pool.
    void log(MonitorEvent::Kind kind, const QString &text, const QString &marker = QString());

    QString m_dsn;
    int m_minSize = 1;
    int m_maxSize = 10;
    PoolState m_state = PoolState::NotOpen;
    QPg::Pool *m_pool = nullptr;
    // Set when the DSN lists several servers: m_pool is then its write pool (the primary).
    QPg::ClusterPool *m_cluster = nullptr;
    quint64 m_poolEpoch = 0; // continuations of an older pool's futures are ignored
    bool m_lostConnection = false; // a connection broke and none has opened since
    LoadGenerator *m_load = nullptr;
    std::unique_ptr<DemoDatabase> m_demo;
    QList<QObject *> m_retired; // replaced pools (or cluster pools), terminated
    QHash<quint64, RunningCopy> m_copies;
    QTimer m_sampleTimer;
    QElapsedTimer m_clock;
};

} // namespace QPg::Monitor
