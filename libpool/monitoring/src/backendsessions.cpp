// SPDX-License-Identifier: MIT
#include <QPg/backendsessions.h>

#include <QPg/errors.h>

using namespace Qt::Literals::StringLiterals;

namespace QPg::BackendSessions {

namespace {

// The pool's backends only ($1 is their PIDs as an int[] literal). The read itself runs on one of
// them: it is flagged, so that row's "active" is not mistaken for work.
const QString SessionsSql = u"SELECT a.pid, a.state, a.wait_event_type, a.wait_event, a.xact_start, a.query_start,\n"
                            "       pg_blocking_pids(a.pid) AS blocked_by, a.query,\n"
                            "       a.pid = pg_backend_pid() AS is_self\n"
                            "FROM pg_stat_activity AS a\n"
                            "WHERE a.pid = ANY ($1::int[])\n"
                            "ORDER BY a.pid"_s;

// An idle backend has nothing to cancel; the one running this very request is idle to its holder.
const QString CancelSql = u"SELECT CASE WHEN pg_backend_pid() = $1::int THEN NULL ELSE pg_cancel_backend($1::int) END"_s;
const QString TerminateSql = u"SELECT pg_terminate_backend($1::int)"_s;
// SQLSTATE of the session a terminate ended: the request ran on the backend it terminated.
const QString AdminShutdown = u"57P01"_s;

MonitorBackendSession fromRecord(const Record &record, bool withQueryText)
{
    MonitorBackendSession session;
    session.pid = record.value(u"pid").toInt();
    session.state = record.value(u"state").toString();
    session.waitEventType = record.value(u"wait_event_type").toString();
    session.waitEvent = record.value(u"wait_event").toString();
    session.transactionStart = record.value(u"xact_start").toDateTime();
    session.queryStart = record.value(u"query_start").toDateTime();
    const QVariantList blockers = record.value(u"blocked_by").toList();
    for (const QVariant &pid : blockers)
        session.blockedBy.append(pid.toInt());
    if (withQueryText)
        session.query = record.value(u"query").toString();
    session.isSelf = record.value(u"is_self").toBool();
    return session;
}

} // namespace

QList<int> pidsOf(const QList<ConnectionInfo> &connections)
{
    QList<int> pids;
    for (const ConnectionInfo &info : connections) {
        if (info.backendPid > 0 && info.state != ConnectionInfo::State::Connecting
            && info.state != ConnectionInfo::State::Closing)
            pids.append(info.backendPid);
    }
    return pids;
}

QFuture<QList<MonitorBackendSession>> fetch(Pool *pool, const QList<int> &pids, bool withQueryText,
                                            const AcquireOptions &options)
{
    QStringList list;
    for (int pid : pids)
        list.append(QString::number(pid));
    // No context: a pure conversion, done in whichever thread the query finishes.
    return pool->fetch(SessionsSql, {QString(u'{' + list.join(u',') + u'}')}, {}, options)
        .then([withQueryText](const RecordList &rows) {
            QList<MonitorBackendSession> sessions;
            sessions.reserve(rows.size());
            for (const Record &record : rows)
                sessions.append(fromRecord(record, withQueryText));
            return sessions;
        });
}

QFuture<void> signal(Pool *pool, int pid, Signal what, const AcquireOptions &options)
{
    const bool terminate = what == Signal::Terminate;
    return pool->fetchValue(terminate ? TerminateSql : CancelSql, {pid}, {}, options)
        .then([pid, terminate](const QFuture<QVariant> &done) {
            try {
                QFuture<QVariant>(done).waitForFinished(); // finished: rethrows its failure
            } catch (const ServerError &error) {
                if (terminate && error.sqlState() == AdminShutdown)
                    return; // the pool ran it on the very backend it terminated: done all the same
                throw;
            } catch (const ConnectionLostError &) {
                // The same, when the server closed that session before its error could be read.
                if (terminate)
                    return;
                throw;
            }
            if (done.resultCount() == 0)
                throw InterfaceError(u"signalling backend %1 was cancelled"_s.arg(pid));
            const QVariant result = done.result();
            if (!terminate && result.isNull())
                throw InterfaceError(u"backend %1 was idle: there was no query to cancel"_s.arg(pid));
            if (!result.toBool())
                throw InterfaceError(u"backend %1 was not signalled: it has ended"_s.arg(pid));
        });
}

QString actionText(int pid, Signal what)
{
    return what == Signal::Terminate ? u"Terminate backend %1"_s.arg(pid) : u"Cancel the query of backend %1"_s.arg(pid);
}

QString consequenceText(Signal what)
{
    return what == Signal::Terminate
               ? u"Its session ends: a query it runs fails, its transaction is rolled back, and the pool "
                 "replaces the connection."_s
               : u"The statement it runs now fails with \"canceling statement due to user request\"; the "
                 "session stays."_s;
}

} // namespace QPg::BackendSessions
