// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/qpgpool_export.h>

#include <QtCore/QDateTime>
#include <QtCore/QMetaType>
#include <QtCore/QObject>
#include <QtCore/QString>

#include <array>

namespace QPg {

// Why a pooled connection was closed.
enum class CloseReason {
    Expired,        // expireConnections() generation change
    MaxQueries,     // served maxQueries statements
    IdleTimeout,    // idle longer than maxInactiveConnectionLifetime
    MaxLifetime,    // older than maxLifetime
    Broken,         // socket died, server closed it, disconnect-class error
    ResetFailed,    // rollback/reset query/reset hook failed or timed out
    SetupFailed,    // setup or init hook failed
    ValidationFailed, // the pre-acquire ping failed
    PoolClosed,     // close() or terminate()
    Resized,        // resize() made the pool smaller
};
QPGPOOL_EXPORT QString closeReasonName(CloseReason reason);

// Durations of one kind (acquire waits, hold times, connection creations) over some span of time.
// Percentiles are upper edges of logarithmic buckets (at most 19 % above the true value).
struct QPGPOOL_EXPORT LatencySummary
{
    quint64 count = 0;
    double totalMs = 0;
    double p50Ms = 0;
    double p99Ms = 0;
    double maxMs = 0;
};

// Cumulative bucket counts for a Prometheus histogram: cumulative[i] counts the samples of at most
// upperBoundsSeconds()[i]; count includes those above the last bound (the +Inf bucket).
struct QPGPOOL_EXPORT HistogramBuckets
{
    static constexpr int Count = 15;
    // 0.5 ms to 30 s, roughly log-spaced (1, 2.5, 5 per decade).
    static const std::array<double, Count> &upperBoundsSeconds();

    std::array<quint64, Count> cumulative{};
    quint64 count = 0;
    double sumSeconds = 0;
};

// A snapshot of a pool's counters, cheap to copy across threads.
struct QPGPOOL_EXPORT PoolStats
{
    int size = 0;       // open connections (idle + acquired + resetting)
    int idle = 0;
    int active = 0;     // acquired by callers
    int waiting = 0;    // acquire() calls waiting for a connection
    int connecting = 0;
    int minSize = 0;
    int maxSize = 0;

    quint64 acquires = 0;        // successful acquires
    quint64 acquiresWaited = 0;  // ... of which had to wait
    quint64 acquireTimeouts = 0;
    quint64 connectionsOpened = 0;
    quint64 connectFailures = 0;
    quint64 connectionsClosed = 0;
    quint64 closedByReason[10] = {}; // indexed by CloseReason
    quint64 queries = 0;      // statements run on pooled connections
    quint64 queryErrors = 0;  // pool helper calls that failed

    double acquireWaitTotalMs = 0;
    double acquireWaitP50Ms = 0;
    double acquireWaitP99Ms = 0;
    double acquireWaitMaxMs = 0;

    // What the pool is like now rather than since it opened: waits that ended in the last 10 s / 60 s.
    LatencySummary acquireWaitLast10s;
    LatencySummary acquireWaitLast60s;
    // How long callers held a connection, acquire to release (or to its loss while held).
    LatencySummary holdTime;
    LatencySummary holdTimeLast60s;
    // Opening a connection: connect, authentication and the init hook.
    LatencySummary connectTime;
    // Age of the longest-waiting acquire() now (PgBouncer's maxwait); 0 when nobody waits.
    double oldestWaiterMs = 0;

    // Since the pool was made, for Prometheus histograms.
    HistogramBuckets acquireWaitBuckets;
    HistogramBuckets holdTimeBuckets;
    HistogramBuckets connectTimeBuckets;
};

// One pooled connection, for a table.
struct QPGPOOL_EXPORT ConnectionInfo
{
    enum class State { Connecting, Idle, Acquired, Resetting, Closing };
    quint64 id = 0;
    int backendPid = 0;
    State state = State::Idle;
    qint64 ageMs = 0;
    qint64 idleMs = 0;       // 0 unless idle
    qint64 heldMs = 0;       // 0 unless acquired
    qint64 queries = 0;
    int generation = 0;
    QString transactionStatus; // idle, active, intrans, inerror, unknown
    QString currentQuery;
    qint64 currentQueryMs = 0;
    QString holder;            // the caller tag given to acquire()
};
QPGPOOL_EXPORT QString connectionStateName(ConnectionInfo::State state);

} // namespace QPg

Q_DECLARE_METATYPE(QPg::PoolStats)
Q_DECLARE_METATYPE(QPg::ConnectionInfo)
Q_DECLARE_METATYPE(QPg::CloseReason)
