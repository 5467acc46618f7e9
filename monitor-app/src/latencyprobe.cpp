// SPDX-License-Identifier: MIT
#include "latencyprobe.h"

#include <algorithm>
#include <cmath>

namespace QPg::Monitor {

LatencyProbe::LatencyProbe(QObject *parent)
    : QObject(parent)
{
    m_timer.setTimerType(Qt::PreciseTimer); // a coarse timer alone would be up to 5 % late
    m_timer.setInterval(IntervalMs);
    connect(&m_timer, &QTimer::timeout, this, &LatencyProbe::tick);
}

LatencyProbe::~LatencyProbe() = default;

void LatencyProbe::start()
{
    m_clock.start();
    m_lastNs = 0;
    m_timer.start();
}

void LatencyProbe::stop()
{
    m_timer.stop();
}

void LatencyProbe::tick()
{
    const qint64 now = m_clock.nsecsElapsed();
    const double delay = std::max(0.0, double(now - m_lastNs) / 1e6 - IntervalMs);
    m_lastNs = now;
    if (m_delaysMs.size() < WindowSamples) {
        m_delaysMs.append(delay);
    } else {
        m_delaysMs[m_next] = delay;
        m_next = (m_next + 1) % WindowSamples;
    }
}

double LatencyProbe::percentileMs(double fraction) const
{
    if (m_delaysMs.isEmpty())
        return 0;
    QList<double> sorted = m_delaysMs;
    const qsizetype index = std::clamp<qsizetype>(qsizetype(std::ceil(fraction * double(sorted.size()))) - 1, 0,
                                                  sorted.size() - 1);
    std::nth_element(sorted.begin(), sorted.begin() + index, sorted.end());
    return sorted.at(index);
}

double LatencyProbe::maxMs() const
{
    return m_delaysMs.isEmpty() ? 0 : *std::max_element(m_delaysMs.cbegin(), m_delaysMs.cend());
}

} // namespace QPg::Monitor
