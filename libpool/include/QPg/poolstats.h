// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/qpgpool_export.h>

#include <QtCore/QDateTime>
#include <QtCore/QMetaType>
#include <QtCore/QObject>
#include <QtCore/QString>

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
