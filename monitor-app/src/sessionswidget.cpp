// SPDX-License-Identifier: MIT
#include "sessionswidget.h"

#include "monitorsession.h"
#include "tablerow.h"
#include "theme.h"

#include <QPg/errors.h>
#include <QPg/pool.h>

#include <QtCore/QDateTime>
#include <QtWidgets/QHeaderView>
#include <QtWidgets/QLabel>
#include <QtWidgets/QMenu>
#include <QtWidgets/QMessageBox>
#include <QtWidgets/QTableWidget>
#include <QtWidgets/QVBoxLayout>

#include <chrono>
#include <exception>

using namespace Qt::Literals::StringLiterals;
using namespace std::chrono_literals;

namespace QPg::Monitor {

namespace {

// The pool's backends only ($1 is their PIDs as an int[] literal). The view's own query runs on
// one of them: it is flagged, so that row's "active" is not mistaken for work.
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

// The pool's connections are all busy for this long: the view says so instead of queueing on.
constexpr auto AcquireTimeout = 5s;

QString timeText(const QVariant &value)
{
    const QDateTime time = value.toDateTime();
    return time.isValid() ? time.toLocalTime().toString(u"HH:mm:ss.zzz"_s) : QString();
}

QString errorText(const std::exception_ptr &failure)
{
    try {
        std::rethrow_exception(failure);
    } catch (const QPg::Error &error) {
        return error.message();
    } catch (const std::exception &error) {
        return QString::fromLocal8Bit(error.what());
    } catch (...) {
    }
    return u"unknown error"_s;
}

QPg::AcquireOptions acquireOptions()
{
    QPg::AcquireOptions options;
    options.timeout = AcquireTimeout;
    options.tag = u"sessions view"_s;
    return options;
}

} // namespace

SessionsWidget::SessionsWidget(MonitorSession *session, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
    , m_status(new QLabel(this))
    , m_table(new QTableWidget(0, ColumnCount, this))
    , m_menu(new QMenu(this))
{
    m_status->setObjectName(u"sessionsStatus"_s);
    m_status->setWordWrap(true);
    m_table->setObjectName(u"sessionsTable"_s);
    m_table->setHorizontalHeaderLabels({u"PID"_s, u"State"_s, u"Wait type"_s, u"Wait event"_s, u"Transaction start"_s,
                                        u"Query start"_s, u"Blocked by"_s, u"Query"_s});
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setWordWrap(false);
    m_table->setAlternatingRowColors(true);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_table, &QWidget::customContextMenuRequested, this, &SessionsWidget::openMenu);

    m_menu->setObjectName(u"sessionsMenu"_s);
    m_cancel = m_menu->addAction(u"Cancel query…"_s, this, [this] { signalBackend(false); });
    m_cancel->setObjectName(u"cancelBackendAction"_s);
    m_terminate = m_menu->addAction(u"Terminate backend…"_s, this, [this] { signalBackend(true); });
    m_terminate->setObjectName(u"terminateBackendAction"_s);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_status);
    layout->addWidget(m_table);

    m_timer.setInterval(RefreshIntervalMs);
    connect(&m_timer, &QTimer::timeout, this, &SessionsWidget::refresh);
    connect(&m_refresh, &QFutureWatcherBase::finished, this, &SessionsWidget::onRefreshed);
    connect(&m_signal, &QFutureWatcherBase::finished, this, &SessionsWidget::onSignalled);
    m_status->setText(u"The pool's backends as the server sees them, refreshed every second while shown. "
                      "Right-click a row to cancel its query or terminate it."_s);
}

SessionsWidget::~SessionsWidget() = default;

void SessionsWidget::showEvent(QShowEvent *event)
{
    // Nobody looks at a hidden tab: it costs the pool nothing then.
    m_timer.start();
    refresh();
    QWidget::showEvent(event);
}

void SessionsWidget::hideEvent(QHideEvent *event)
{
    m_timer.stop();
    QWidget::hideEvent(event);
}

bool SessionsWidget::refresh()
{
    if (m_refreshing)
        return false;
    QPg::Pool *pool = m_session->pool();
    const auto state = m_session->poolState();
    if (!pool || (state != PoolController::PoolState::Open && state != PoolController::PoolState::Reconnecting)) {
        m_table->setRowCount(0);
        m_status->setText(u"The pool is %1: no sessions to show."_s.arg(PoolController::stateName(state)));
        return false;
    }
    QStringList pids;
    const QList<QPg::ConnectionInfo> connections = m_session->latestConnections();
    for (const QPg::ConnectionInfo &info : connections) {
        if (info.backendPid != 0)
            pids.append(QString::number(info.backendPid));
    }
    if (pids.isEmpty()) {
        m_table->setRowCount(0);
        m_status->setText(u"The pool has no open connections."_s);
        return false;
    }
    m_refreshing = true;
    m_refresh.setFuture(pool->fetch(SessionsSql, {QString(u'{' + pids.join(u',') + u'}')}, {}, acquireOptions()));
    return true;
}

void SessionsWidget::onRefreshed()
{
    m_refreshing = false;
    QFuture<QPg::RecordList> done = m_refresh.future();
    try {
        done.waitForFinished(); // finished: rethrows the query's failure without blocking
        if (done.isCanceled() || done.resultCount() == 0)
            m_status->setText(u"The sessions query was cancelled."_s);
        else
            showRows(done.result());
    } catch (...) {
        m_status->setText(u"Reading pg_stat_activity failed: %1"_s.arg(errorText(std::current_exception())));
    }
    Q_EMIT refreshed();
}

void SessionsWidget::showRows(const QPg::RecordList &rows)
{
    const QColor blockedColour = Theme::errorColor(palette());
    const QColor subtle = Theme::subtleTextColor(palette());
    m_table->setRowCount(int(rows.size()));
    int blocked = 0;
    for (int row = 0; row < rows.size(); ++row) {
        const QPg::Record &record = rows.at(row);
        const bool self = record.value(u"is_self").toBool();
        QStringList blockers;
        const QVariantList blocking = record.value(u"blocked_by").toList();
        for (const QVariant &pid : blocking)
            blockers.append(pid.toString());
        if (!blockers.isEmpty())
            ++blocked;
        const QString query = record.value(u"query").toString();
        const QStringList cells{
            record.value(u"pid").toString(),
            self ? u"%1 (this view)"_s.arg(record.value(u"state").toString()) : record.value(u"state").toString(),
            record.value(u"wait_event_type").toString(),
            record.value(u"wait_event").toString(),
            timeText(record.value(u"xact_start")),
            timeText(record.value(u"query_start")),
            blockers.join(u", "_s),
            query.simplified(),
        };
        const QList<QTableWidgetItem *> items = setRowTexts(m_table, row, cells);
        for (QTableWidgetItem *item : items)
            item->setForeground(self ? subtle : palette().color(QPalette::Text));
        m_table->item(row, Query)->setToolTip(query);
        if (!blockers.isEmpty())
            m_table->item(row, BlockedBy)->setForeground(blockedColour);
    }
    m_status->setText(u"%1 backend(s) of the pool, %2 blocked · %3"_s.arg(rows.size())
                          .arg(blocked)
                          .arg(QDateTime::currentDateTime().toString(u"HH:mm:ss"_s)));
}

void SessionsWidget::openMenu(const QPoint &position)
{
    const int row = m_table->rowAt(position.y());
    if (row < 0)
        return;
    m_table->selectRow(row);
    m_menuPid = m_table->item(row, Pid)->text().toInt();
    m_cancel->setText(u"Cancel the query of backend %1…"_s.arg(m_menuPid));
    m_terminate->setText(u"Terminate backend %1…"_s.arg(m_menuPid));
    m_menu->popup(m_table->viewport()->mapToGlobal(position));
}

void SessionsWidget::signalBackend(bool terminate)
{
    const int pid = m_menuPid;
    if (pid == 0)
        return;
    if (m_signalling) {
        finishSignal(pid, false, u"A cancel or terminate request is still out."_s);
        return;
    }
    const QString what = terminate ? u"Terminate backend %1"_s.arg(pid) : u"Cancel the query of backend %1"_s.arg(pid);
    const QString consequence =
        terminate ? u"Its session ends: a query it runs fails, its transaction is rolled back, and the pool "
                    "replaces the connection."_s
                  : u"The statement it runs now fails with \"canceling statement due to user request\"; the "
                    "session stays."_s;
    QMessageBox confirm(QMessageBox::Warning, what, u"%1?\n\n%2"_s.arg(what, consequence),
                        QMessageBox::Yes | QMessageBox::Cancel, this);
    confirm.setObjectName(u"sessionsConfirm"_s);
    confirm.setDefaultButton(QMessageBox::Cancel);
    if (confirm.exec() != QMessageBox::Yes)
        return;

    // Only the pool's own backends: the PID may have ended (and been reused) since the row was read.
    bool ours = false;
    const QList<QPg::ConnectionInfo> connections = m_session->latestConnections();
    for (const QPg::ConnectionInfo &info : connections)
        ours = ours || info.backendPid == pid;
    QPg::Pool *pool = m_session->pool();
    if (!ours || !pool) {
        finishSignal(pid, false, u"Backend %1 is no longer one of the pool's connections."_s.arg(pid));
        return;
    }
    m_signalling = true;
    m_signalPid = pid;
    m_signalTerminates = terminate;
    m_signal.setFuture(pool->fetchValue(terminate ? TerminateSql : CancelSql, {pid}, {}, acquireOptions()));
}

void SessionsWidget::onSignalled()
{
    m_signalling = false;
    const int pid = m_signalPid;
    QFuture<QVariant> done = m_signal.future();
    try {
        done.waitForFinished();
        const QVariant result = done.resultCount() > 0 ? done.result() : QVariant();
        if (!m_signalTerminates && result.isNull() && done.resultCount() > 0)
            finishSignal(pid, false, u"Backend %1 was idle: there was no query to cancel."_s.arg(pid));
        else if (result.toBool())
            finishSignal(pid, true, m_signalTerminates ? u"Backend %1 terminated."_s.arg(pid)
                                                  : u"Cancel sent to backend %1."_s.arg(pid));
        else
            finishSignal(pid, false, u"Backend %1 was not signalled: it has ended."_s.arg(pid));
    } catch (const QPg::ServerError &error) {
        // The pool ran the request on the very backend it terminated: done all the same.
        if (m_signalTerminates && error.sqlState() == AdminShutdown)
            finishSignal(pid, true, u"Backend %1 terminated."_s.arg(pid));
        else
            finishSignal(pid, false, u"Signalling backend %1 failed: %2"_s.arg(pid).arg(error.message()));
    } catch (...) {
        finishSignal(pid, false, u"Signalling backend %1 failed: %2"_s.arg(pid).arg(errorText(std::current_exception())));
    }
}

void SessionsWidget::finishSignal(int pid, bool ok, const QString &message)
{
    m_status->setText(message);
    Q_EMIT backendSignalled(pid, ok, message);
    if (ok)
        refresh();
}

} // namespace QPg::Monitor
