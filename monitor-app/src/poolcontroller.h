// SPDX-License-Identifier: MIT
#pragma once

#include "loadsettings.h"
#include "monitorevent.h"
#include "queryoutcome.h"
#include "queryrequest.h"

#include <QPg/poolstats.h>

#include <QtCore/QElapsedTimer>
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
    enum class PoolState { NotOpen, Starting, Opening, Open, Closing, Closed, Failed };
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
    void runQuery(const QPg::Monitor::QueryRequest &request);
    void setSampleInterval(int milliseconds);
    // Stops the load, terminates the pool and the demo cluster: call before the thread ends.
    void shutdown();

Q_SIGNALS:
    // A few times a second: time in seconds since the controller was made.
    void snapshot(double time, const QPg::PoolStats &stats, const QList<QPg::ConnectionInfo> &connections);
    void event(const QPg::Monitor::MonitorEvent &event);
    void poolStateChanged(QPg::Monitor::PoolController::PoolState state, const QString &maskedDsn);
    void loadStateChanged(bool running, const QPg::Monitor::LoadSettings &settings);
    void queryFinished(const QPg::Monitor::QueryOutcome &outcome);

private:
    void createPool();
    void destroyPool();
    void setState(PoolState state);
    void sample();
    void log(MonitorEvent::Kind kind, const QString &text);

    QString m_dsn;
    int m_minSize = 1;
    int m_maxSize = 10;
    PoolState m_state = PoolState::NotOpen;
    QPg::Pool *m_pool = nullptr;
    quint64 m_poolEpoch = 0; // continuations of an older pool's futures are ignored
    LoadGenerator *m_load = nullptr;
    std::unique_ptr<DemoDatabase> m_demo;
    QTimer m_sampleTimer;
    QElapsedTimer m_clock;
};

} // namespace QPg::Monitor
