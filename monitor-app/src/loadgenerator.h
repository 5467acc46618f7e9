// SPDX-License-Identifier: MIT
#pragma once

#include "loadsettings.h"
#include "monitorevent.h"

#include <QtCore/QElapsedTimer>
#include <QtCore/QObject>
#include <QtCore/QPointer>

namespace QPg {
class Pool;
}

namespace QPg::Monitor {

// Simulated clients in the pool's thread: each one runs pool.fetch(query) (acquire, run, release)
// then waits the think time, over and over. Failures back off so a closed pool is not hammered.
class LoadGenerator : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LoadGenerator)
public:
    explicit LoadGenerator(QObject *parent = nullptr);
    ~LoadGenerator() override;

    void setPool(QPg::Pool *pool);
    void start(const LoadSettings &settings);
    void stop();
    bool isRunning() const { return m_running; }
    const LoadSettings &settings() const { return m_settings; }

    quint64 completed() const { return m_completed; }
    quint64 failed() const { return m_failed; }

Q_SIGNALS:
    void event(const QPg::Monitor::MonitorEvent &event);

private:
    void runClient(int client, quint64 epoch);
    void scheduleClient(int client, quint64 epoch, int delayMs);
    void reportFailure(const QString &message);

    QPointer<QPg::Pool> m_pool;
    LoadSettings m_settings;
    bool m_running = false;
    quint64 m_epoch = 0; // bumped by start/stop: loops of an older epoch end
    quint64 m_completed = 0;
    quint64 m_failed = 0;
    quint64 m_failedSinceReport = 0;
    QString m_lastFailure;
    QElapsedTimer m_lastReport;
};

} // namespace QPg::Monitor
