// SPDX-License-Identifier: MIT
#include "headlessreporter.h"

#include "monitorsession.h"

#include <cstdio>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitor {

namespace {
// The header is repeated so it stays in view on a long-running terminal.
constexpr int HeaderEveryRows = 20;
} // namespace

HeadlessReporter::HeadlessReporter(MonitorSession *session, QObject *parent)
    : QObject(parent)
    , m_session(session)
    , m_out(stdout)
    , m_err(stderr)
{
    connect(&m_timer, &QTimer::timeout, this, &HeadlessReporter::printRow);
    connect(session, &MonitorSession::event, this, [this](const MonitorEvent &event) {
        m_err << u"# "_s << event.time.toString(u"HH:mm:ss.zzz"_s) << u' ' << MonitorEvent::kindName(event.kind)
              << u": "_s << event.text << Qt::endl;
    });
    connect(session, &MonitorSession::poolStateChanged, this,
            [this](PoolController::PoolState state, const QString &dsn) {
                m_err << u"# pool "_s << PoolController::stateName(state) << u" ("_s << dsn << u')' << Qt::endl;
            });
}

HeadlessReporter::~HeadlessReporter() = default;

void HeadlessReporter::start(int intervalMs)
{
    m_timer.start(intervalMs);
}

QString HeadlessReporter::headerLine()
{
    return u"%1 %2 %3 %4 %5 %6 %7 %8 %9"_s.arg(u"time"_s, 8)
        .arg(u"state"_s, -10)
        .arg(u"size"_s, 5)
        .arg(u"idle"_s, 5)
        .arg(u"active"_s, 7)
        .arg(u"waiting"_s, 8)
        .arg(u"acquires/s"_s, 11)
        .arg(u"queries/s"_s, 10)
        .arg(u"p99 wait ms"_s, 12);
}

void HeadlessReporter::printRow()
{
    const StatsSample sample = m_rates.add(m_session->latestTime(), m_session->latestStats());
    if (m_rows % HeaderEveryRows == 0)
        m_out << headerLine() << u'\n';
    m_out << u"%1 %2 %3 %4 %5 %6 %7 %8 %9"_s.arg(sample.time, 8, 'f', 1)
                 .arg(PoolController::stateName(m_session->poolState()), -10)
                 .arg(sample.size, 5)
                 .arg(sample.idle, 5)
                 .arg(sample.active, 7)
                 .arg(sample.waiting, 8)
                 .arg(sample.acquiresPerSecond, 11, 'f', 1)
                 .arg(sample.queriesPerSecond, 10, 'f', 1)
                 .arg(sample.waitP99Ms, 12, 'f', 2)
          << Qt::endl; // flush: stdout is often a pipe
    ++m_rows;
}

} // namespace QPg::Monitor
