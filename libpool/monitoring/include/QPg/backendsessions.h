// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/monitortypes.h>
#include <QPg/pool.h>
#include <QPg/qpgpool_monitoring_export.h>

#include <QtCore/QFuture>

// The server's view of a pool's own backends, shared by PoolMonitorServer (for attached clients) and
// the dashboard (for the pool it opened itself): one pg_stat_activity query, and the cancel and
// terminate requests, each a pooled query whose future finishes in the pool's thread (callable from
// any thread, like Pool's queries). The caller gets the backend PIDs (pidsOf() of connectionInfo()).
namespace QPg::BackendSessions {

enum class Signal { Cancel, Terminate };

// The backend PIDs of the pool's open connections (a connecting or closing one has none to show).
QPGPOOL_MONITORING_EXPORT QList<int> pidsOf(const QList<ConnectionInfo> &connections);

// pg_stat_activity for pids (state, wait event, transaction and query start, query, the PIDs
// blocking each one), ordered by PID. A pid that has ended is simply absent. withQueryText false
// leaves MonitorBackendSession::query empty.
QPGPOOL_MONITORING_EXPORT QFuture<QList<MonitorBackendSession>>
fetch(Pool *pool, const QList<int> &pids, bool withQueryText, const AcquireOptions &options);

// pg_cancel_backend or pg_terminate_backend for pid. Finishes when the server signalled it (a
// terminate that ran on the very backend it ended counts as done: its connection is lost, with
// 57P01 or without a word, and taken as that); fails with InterfaceError saying
// why not: nothing to cancel (idle), or the backend has ended. Check first that pid is one of the
// pool's (pidsOf()): this signals whatever backend it is given.
QPGPOOL_MONITORING_EXPORT QFuture<void> signal(Pool *pool, int pid, Signal what, const AcquireOptions &options);

// "Cancel the query of backend 123" / "Terminate backend 123", and what it does to the session.
QPGPOOL_MONITORING_EXPORT QString actionText(int pid, Signal what);
QPGPOOL_MONITORING_EXPORT QString consequenceText(Signal what);

} // namespace QPg::BackendSessions
