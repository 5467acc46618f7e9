// SPDX-License-Identifier: MIT
#include "loadgenerator.h"

#include <QPg/errors.h>
#include <QPg/pool.h>
#include <QPg/whenfinished.h>

#include <QtCore/QTimer>

#include <algorithm>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitor {

namespace {
// After a failure a client waits at least this long: a closed pool fails every call at once.
constexpr int FailureBackoffMs = 250;
// Failures are summarised in the event log at most this often.
constexpr qint64 FailureReportIntervalMs = 2000;
} // namespace

LoadGenerator::LoadGenerator(QObject *parent)
    : QObject(parent)
{
}

LoadGenerator::~LoadGenerator() = default;

void LoadGenerator::setPool(QPg::Pool *pool)
{
    m_pool = pool;
}

void LoadGenerator::start(const LoadSettings &settings)
{
    stop();
    m_settings = settings;
    m_settings.clients = std::max(1, settings.clients);
    m_settings.thinkMs = std::max(0, settings.thinkMs);
    m_running = true;
    const quint64 epoch = ++m_epoch;
    for (int client = 0; client < m_settings.clients; ++client)
        scheduleClient(client, epoch, 0);
}

void LoadGenerator::stop()
{
    m_running = false;
    ++m_epoch;
}

void LoadGenerator::scheduleClient(int client, quint64 epoch, int delayMs)
{
    // Even with zero think time go through the event loop, so sampling and controls stay prompt.
    QTimer::singleShot(delayMs, delayMs < 50 ? Qt::PreciseTimer : Qt::CoarseTimer, this,
                       [this, client, epoch] { runClient(client, epoch); });
}

void LoadGenerator::runClient(int client, quint64 epoch)
{
    if (!m_running || epoch != m_epoch)
        return;
    if (!m_pool) {
        scheduleClient(client, epoch, FailureBackoffMs);
        return;
    }
    QPg::AcquireOptions acquire;
    acquire.tag = u"load-%1"_s.arg(client + 1);
    const QFuture<QPg::RecordList> rows = m_pool->fetch(m_settings.query, {}, {}, acquire);
    QPg::whenFinished<QPg::RecordList>(rows, this, [this, client, epoch](QFuture<QPg::RecordList> future) {
        bool ok = true;
        try {
            future.waitForFinished(); // finished: rethrows the error, if any
        } catch (const QPg::Error &error) {
            ok = false;
            reportFailure(error.message());
        } catch (const std::exception &error) {
            ok = false;
            reportFailure(QString::fromLocal8Bit(error.what()));
        } catch (...) {
            ok = false;
            reportFailure(u"unknown error"_s);
        }
        if (ok)
            ++m_completed;
        if (!m_running || epoch != m_epoch)
            return;
        scheduleClient(client, epoch, ok ? m_settings.thinkMs : std::max(m_settings.thinkMs, FailureBackoffMs));
    });
}

void LoadGenerator::reportFailure(const QString &message)
{
    ++m_failed;
    ++m_failedSinceReport;
    m_lastFailure = message;
    if (m_lastReport.isValid() && m_lastReport.elapsed() < FailureReportIntervalMs)
        return;
    m_lastReport.start();
    Q_EMIT event(MonitorEvent::make(MonitorEvent::Kind::Error,
                                    u"load generator: %1 failed call(s), last: %2"_s.arg(m_failedSinceReport)
                                        .arg(m_lastFailure)));
    m_failedSinceReport = 0;
}

} // namespace QPg::Monitor
