// SPDX-License-Identifier: MIT
#include "ratecalculator.h"

namespace QPg::Monitor {

namespace {

quint64 errorCount(const QPg::PoolStats &stats)
{
    return stats.queryErrors + stats.connectFailures;
}

} // namespace

StatsSample RateCalculator::add(double time, const QPg::PoolStats &stats)
{
    StatsSample sample;
    sample.time = time;
    sample.size = stats.size;
    sample.idle = stats.idle;
    sample.active = stats.active;
    sample.waiting = stats.waiting;
    sample.connecting = stats.connecting;
    sample.minSize = stats.minSize;
    sample.maxSize = stats.maxSize;
    sample.waitP50Ms = stats.acquireWaitLast10s.p50Ms;
    sample.waitP99Ms = stats.acquireWaitLast10s.p99Ms;
    sample.oldestWaitMs = stats.oldestWaiterMs;

    if (m_previous) {
        const QPg::PoolStats &before = m_previous->stats;
        const double seconds = time - m_previous->time;
        const bool restarted = stats.acquires < before.acquires || stats.queries < before.queries
            || errorCount(stats) < errorCount(before);
        if (seconds > 0 && !restarted) {
            sample.acquiresPerSecond = double(stats.acquires - before.acquires) / seconds;
            sample.queriesPerSecond = double(stats.queries - before.queries) / seconds;
            sample.errorsPerSecond = double(errorCount(stats) - errorCount(before)) / seconds;
        }
    }
    m_previous = Previous{time, stats};
    return sample;
}

void RateCalculator::reset()
{
    m_previous.reset();
}

} // namespace QPg::Monitor
