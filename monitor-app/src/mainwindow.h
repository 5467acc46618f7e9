// SPDX-License-Identifier: MIT
#pragma once

#include "poolcontroller.h"
#include "ratecalculator.h"

#include <QtWidgets/QMainWindow>

class QAction;
class QComboBox;
class QLabel;
class QSortFilterProxyModel;
class QStackedWidget;
class QTableView;
class QTabWidget;

namespace QPg::Monitor {

class AttachView;
class ChartsWidget;
class ConnectionsModel;
class CopyWidget;
class ControlsPanel;
class EventLogModel;
class ElidedLabel;
class EventLogWidget;
class LatencyProbe;
class MonitorSession;
class QueryRunnerWidget;
class RemoteControlsPanel;
class RemotePoolSource;
class ServersWidget;
class SessionsSource;
class SessionsWidget;

// The dashboard window: charts and the connections table on the first tab, the query runner on the
// second, pool controls and the event log in docks. It only reads snapshots from the session; every
// action is queued to the worker thread.
class MainWindow : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)
public:
    explicit MainWindow(MonitorSession *session, QWidget *parent = nullptr);
    ~MainWindow() override;

    ChartsWidget *charts() const { return m_charts; }
    ConnectionsModel *connectionsModel() const { return m_connections; }
    QTableView *connectionsView() const { return m_connectionsView; }
    ControlsPanel *controls() const { return m_controls; }
    EventLogModel *eventLogModel() const { return m_eventLog; }
    EventLogWidget *eventLogWidget() const { return m_eventLogWidget; }
    QueryRunnerWidget *queryRunner() const { return m_queryRunner; }
    CopyWidget *copyWidget() const { return m_copy; }
    ServersWidget *serversWidget() const { return m_servers; }
    SessionsWidget *sessionsWidget() const { return m_sessions; }
    QTabWidget *tabs() const { return m_tabs; }
    QAction *pauseAction() const { return m_pause; }
    LatencyProbe *latencyProbe() const { return m_latency; }
    // The Applications dock: attached applications' pools, shown instead of the session's own.
    AttachView *attachView() const { return m_attach; }
    RemoteControlsPanel *remoteControls() const { return m_remoteControls; }

    // Renders the whole window (as shown) to a PNG.
    bool saveScreenshot(const QString &fileName);
    // Shows the query runner with sql in the editor and runs it.
    void runInQueryRunner(const QString &sql);
    // File > Connect…: the connection dialog (window-modal, not blocking); once it has seen the new
    // DSN connect, the pool is reopened on it.
    void showConnectDialog();

protected:
    // Closing while a query or a COPY runs asks first, then cancels it on the server and closes
    // once it has stopped (or after a deadline).
    void closeEvent(QCloseEvent *event) override;

private:
    void cancelWorkAndClose();
    void onSnapshot(double time, const QPg::PoolStats &stats, const QList<QPg::ConnectionInfo> &connections);
    void onPoolState(PoolController::PoolState state, const QString &maskedDsn);
    void showSample(const StatsSample &sample, const QList<QPg::ConnectionInfo> &connections);
    // Switches the dashboard to an attached pool (its kept history) or back to the session's.
    void showAttached(RemotePoolSource *source, const QString &pool);
    void showAttachedState();
    void exportPng();
    void exportCsv();

    MonitorSession *m_session;
    RateCalculator m_rates;
    QTabWidget *m_tabs;
    ChartsWidget *m_charts;
    ConnectionsModel *m_connections;
    QSortFilterProxyModel *m_connectionsProxy;
    QTableView *m_connectionsView;
    ControlsPanel *m_controls;
    EventLogModel *m_eventLog;
    EventLogWidget *m_eventLogWidget;
    QueryRunnerWidget *m_queryRunner;
    CopyWidget *m_copy;
    ServersWidget *m_servers = nullptr;
    SessionsWidget *m_sessions = nullptr;
    QComboBox *m_window;
    QAction *m_pause;
    ElidedLabel *m_stateLabel;
    QLabel *m_statsLabel;
    QLabel *m_latencyLabel;
    LatencyProbe *m_latency;
    bool m_closeConfirmed = false;
    QList<StatsSample> m_ownHistory; // the own pool's charts while an attached pool is shown
    AttachView *m_attach;
    RemoteControlsPanel *m_remoteControls;
    QStackedWidget *m_controlsStack;
    SessionsSource *m_attachedSessions = nullptr; // the Sessions tab's source for the attached pool shown
};

} // namespace QPg::Monitor
