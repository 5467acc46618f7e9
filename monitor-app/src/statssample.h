// SPDX-License-Identifier: MIT
#pragma once

namespace QPg::Monitor {

// One point of the dashboard: gauges as the pool reported them, counters turned into rates.
struct StatsSample
{
    double time = 0; // seconds since the session started
    int size = 0;
    int idle = 0;
    int active = 0;
    int waiting = 0;
    int connecting = 0;
    int minSize = 0;
    int maxSize = 0;
    double acquiresPerSecond = 0;
    double queriesPerSecond = 0;
    double errorsPerSecond = 0;
    // Acquire waits of the last 10 s, so the chart falls back once a burst is over.
    double waitP50Ms = 0;
    double waitP99Ms = 0;
    double oldestWaitMs = 0; // how long the oldest waiting acquire has waited (PgBouncer's maxwait)
};

} // namespace QPg::Monitor
