// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/backendsessions.h>
#include <QPg/monitortypes.h>

#include <QtCore/QPointer>
#include <QtCore/QTimer>
#include <QtWidgets/QWidget>

class QAction;
class QLabel;
class QMenu;
class QTableWidget;

namespace QPg::Monitor {

class MonitorSession;
class OwnPoolSessions;
class SessionsSource;

// The Sessions tab: the server's view of a pool's own backends. pg_stat_activity for the backend
// PIDs of the pool's connections (state, wait event, transaction and query start, query, and the
// PIDs blocking each one through pg_blocking_pids), read once a second while the tab is shown, from
// a SessionsSource: the dashboard's own pool (a pooled query whose result comes back as a future,
// so the GUI never waits) or an attached application's pool (the application runs the same query,
// when it allows it). A refresh is skipped while the previous one is still out. A row's menu cancels
// the backend's query (pg_cancel_backend) or terminates it (pg_terminate_backend), each after a
// confirmation; disabled, with the reason, where the source does not allow it.
class SessionsWidget : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SessionsWidget)
public:
    enum Column { Pid, State, WaitEventType, WaitEvent, TransactionStart, QueryStart, BlockedBy, Query, ColumnCount };
    static constexpr int RefreshIntervalMs = 1000;

    explicit SessionsWidget(MonitorSession *session, QWidget *parent = nullptr);
    ~SessionsWidget() override;

    // Reads the sessions of source from now on (null: the session's own pool again).
    void setSource(SessionsSource *source);
    SessionsSource *source() const;

    // Reads pg_stat_activity now. False when skipped: a read is still out, or the source cannot read
    // (the status line says why).
    bool refresh();
    bool isRefreshing() const { return m_refreshing; }

    QTableWidget *table() const { return m_table; }
    QLabel *statusLabel() const { return m_status; }
    // The row menu; its actions act on the backend of the row it was opened on (menuPid()).
    QMenu *rowMenu() const { return m_menu; }
    QAction *cancelAction() const { return m_cancel; }
    QAction *terminateAction() const { return m_terminate; }
    int menuPid() const { return m_menuPid; }

Q_SIGNALS:
    void refreshed();
    // A cancel or terminate request came back (or failed, or was refused).
    void backendSignalled(int pid, bool ok, const QString &message);

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    void onRead(const QList<QPg::MonitorBackendSession> &rows);
    void onReadFailed(const QString &error);
    void showRows(const QList<QPg::MonitorBackendSession> &rows);
    void openMenu(const QPoint &position);
    void signalBackend(QPg::BackendSessions::Signal what);
    void onSignalled(int pid, const QString &error);
    void finishSignal(int pid, bool ok, const QString &message);

    OwnPoolSessions *m_own;
    QPointer<SessionsSource> m_source;
    QLabel *m_status;
    QTableWidget *m_table;
    QMenu *m_menu;
    QAction *m_cancel;
    QAction *m_terminate;
    QTimer m_timer;
    int m_menuPid = 0;
    bool m_signalTerminates = false;
    bool m_refreshing = false;
    bool m_signalling = false;
};

} // namespace QPg::Monitor
