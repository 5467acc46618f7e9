// SPDX-License-Identifier: MIT
#include "mainwindow.h"

#include "attachview.h"
#include "chartswidget.h"
#include "connectiondialog.h"
#include "connectionsmodel.h"
#include "controlspanel.h"
#include "copywidget.h"
#include "elidedlabel.h"
#include "eventlogmodel.h"
#include "eventlogwidget.h"
#include "latencyprobe.h"
#include "monitorsession.h"
#include "queryrunnerwidget.h"
#include "rowcopy.h"
#include "remotecontrolspanel.h"
#include "remotepoolsource.h"
#include "serverswidget.h"
#include "sessionssource.h"
#include "sessionswidget.h"

#include <QtCore/QSortFilterProxyModel>
#include <QtCore/QTimer>
#include <QtGui/QCloseEvent>
#include <QtWidgets/QApplication>
#include <QtWidgets/QComboBox>
#include <QtWidgets/QDockWidget>
#include <QtWidgets/QFileDialog>
#include <QtWidgets/QHeaderView>
#include <QtWidgets/QLabel>
#include <QtWidgets/QMenuBar>
#include <QtWidgets/QMessageBox>
#include <QtWidgets/QSplitter>
#include <QtWidgets/QStackedWidget>
#include <QtWidgets/QStatusBar>
#include <QtWidgets/QTabWidget>
#include <QtWidgets/QPlainTextEdit>
#include <QtWidgets/QTableView>
#include <QtWidgets/QToolBar>

// Outside any namespace, as Q_INIT_RESOURCE requires; the icons live in the static core library.
static void initMonitorResources()
{
    Q_INIT_RESOURCE(qpgpool_monitor);
}

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitor {

namespace {
// How long closing waits for a cancelled query to stop on the server.
constexpr int CloseCancelDeadlineMs = 5000;
} // namespace

MainWindow::MainWindow(MonitorSession *session, QWidget *parent)
    : QMainWindow(parent)
    , m_session(session)
{
    initMonitorResources();
    setObjectName(u"mainWindow"_s);
    setWindowIcon(QIcon(u":/icons/qpgpool-monitor.svg"_s));
    setWindowTitle(u"QPgPool Monitor"_s);

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(u"tabs"_s);
    m_tabs->setDocumentMode(true);

    // Dashboard tab: charts over the connections table.
    m_charts = new ChartsWidget(this);
    m_charts->setObjectName(u"charts"_s);
    m_connections = new ConnectionsModel(this);
    m_connectionsProxy = new QSortFilterProxyModel(this);
    m_connectionsProxy->setSourceModel(m_connections);
    m_connectionsProxy->setSortRole(ConnectionsModel::SortRole);
    m_connectionsView = new QTableView(this);
    m_connectionsView->setObjectName(u"connectionsView"_s);
    m_connectionsView->setModel(m_connectionsProxy);
    m_connectionsView->setSortingEnabled(true);
    m_connectionsView->sortByColumn(ConnectionsModel::Id, Qt::AscendingOrder);
    m_connectionsView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_connectionsView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_connectionsView->setWordWrap(false);
    m_connectionsView->setAlternatingRowColors(true);
    m_connectionsView->verticalHeader()->hide();
    m_connectionsView->verticalHeader()->setDefaultSectionSize(m_connectionsView->fontMetrics().height() + 4);
    m_connectionsView->horizontalHeader()->setStretchLastSection(true);
    m_connectionsView->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_connectionsView->horizontalHeader()->resizeSection(ConnectionsModel::CurrentQuery, 320);
    RowCopy::install(m_connectionsView);

    auto *dashboard = new QSplitter(Qt::Vertical, this);
    dashboard->setObjectName(u"dashboard"_s);
    dashboard->addWidget(m_charts);
    dashboard->addWidget(m_connectionsView);
    dashboard->setStretchFactor(0, 3);
    dashboard->setStretchFactor(1, 1);
    m_tabs->addTab(dashboard, u"Dashboard"_s);

    m_queryRunner = new QueryRunnerWidget(session, this);
    m_queryRunner->setObjectName(u"queryRunner"_s);
    m_tabs->addTab(m_queryRunner, u"Query runner"_s);
    m_servers = new ServersWidget(this);
    m_servers->setObjectName(u"servers"_s);
    m_tabs->addTab(m_servers, u"Servers"_s);
    m_sessions = new SessionsWidget(session, this);
    m_sessions->setObjectName(u"sessions"_s);
    m_tabs->addTab(m_sessions, u"Sessions"_s);
    m_copy = new CopyWidget(session, this);
    m_copy->setObjectName(u"copyWidget"_s);
    m_tabs->addTab(m_copy, u"CSV (COPY)"_s);
    connect(m_queryRunner, &QueryRunnerWidget::exportQueryRequested, this, [this](const QString &sql) {
        m_copy->setQuery(sql);
        m_tabs->setCurrentWidget(m_copy);
    });
    setCentralWidget(m_tabs);

    // Docks: controls on the left, the event log at the bottom.
    m_controls = new ControlsPanel(session, this);
    m_controls->setObjectName(u"controls"_s);
    m_remoteControls = new RemoteControlsPanel(this);
    m_remoteControls->setObjectName(u"remoteControls"_s);
    m_controlsStack = new QStackedWidget(this);
    m_controlsStack->addWidget(m_controls);
    m_controlsStack->addWidget(m_remoteControls);
    auto *controlsDock = new QDockWidget(u"Controls"_s, this);
    controlsDock->setObjectName(u"controlsDock"_s);
    controlsDock->setWidget(m_controlsStack);
    addDockWidget(Qt::LeftDockWidgetArea, controlsDock);

    m_attach = new AttachView(QString(), this);
    m_attach->setObjectName(u"attachView"_s);
    auto *attachDock = new QDockWidget(u"Applications"_s, this);
    attachDock->setObjectName(u"attachDock"_s);
    attachDock->setWidget(m_attach);
    addDockWidget(Qt::RightDockWidgetArea, attachDock);

    m_eventLog = new EventLogModel(this);
    m_eventLogWidget = new EventLogWidget(m_eventLog, this);
    auto *eventDock = new QDockWidget(u"Event log"_s, this);
    eventDock->setObjectName(u"eventDock"_s);
    eventDock->setWidget(m_eventLogWidget);
    addDockWidget(Qt::BottomDockWidgetArea, eventDock);
    resizeDocks({eventDock}, {170}, Qt::Vertical);
    // The overview of attached pools beside the event log: its SHOW POOLS columns need the width.
    auto *poolsDock = new QDockWidget(u"Attached pools"_s, this);
    poolsDock->setObjectName(u"poolsDock"_s);
    poolsDock->setWidget(m_attach->overviewPanel());
    m_attach->overviewPanel()->show();
    addDockWidget(Qt::BottomDockWidgetArea, poolsDock);
    splitDockWidget(eventDock, poolsDock, Qt::Horizontal);

    // Chart toolbar: window, pause, exports.
    auto *toolbar = addToolBar(u"Charts"_s);
    toolbar->setObjectName(u"chartsToolbar"_s);
    toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    toolbar->addWidget(new QLabel(u" Window "_s, toolbar));
    m_window = new QComboBox(toolbar);
    m_window->setObjectName(u"windowCombo"_s);
    m_window->addItem(u"30 s"_s, 30);
    m_window->addItem(u"1 min"_s, 60);
    m_window->addItem(u"5 min"_s, 300);
    m_window->setCurrentIndex(1);
    connect(m_window, &QComboBox::currentIndexChanged, this,
            [this](int index) { m_charts->setWindowSeconds(m_window->itemData(index).toInt()); });
    toolbar->addWidget(m_window);
    m_pause = toolbar->addAction(QIcon(u":/icons/pause.svg"_s), u"Pause"_s);
    m_pause->setObjectName(u"pauseAction"_s);
    m_pause->setCheckable(true);
    m_pause->setToolTip(u"Freeze the charts (sampling goes on); drag and zoom while paused"_s);
    connect(m_pause, &QAction::toggled, this, [this](bool paused) {
        m_charts->setPaused(paused);
        m_pause->setText(paused ? u"Resume"_s : u"Pause"_s);
        m_pause->setIcon(QIcon(paused ? u":/icons/play.svg"_s : u":/icons/pause.svg"_s));
    });
    toolbar->addSeparator();
    QAction *png = toolbar->addAction(QIcon(u":/icons/export.svg"_s), u"Export PNG…"_s, this, &MainWindow::exportPng);
    png->setObjectName(u"exportPngAction"_s);
    QAction *csv = toolbar->addAction(QIcon(u":/icons/export.svg"_s), u"Export CSV…"_s, this, &MainWindow::exportCsv);
    csv->setObjectName(u"exportCsvAction"_s);

    auto *fileMenu = menuBar()->addMenu(u"&File"_s);
    QAction *connectAction = fileMenu->addAction(u"&Connect…"_s, this, &MainWindow::showConnectDialog);
    connectAction->setObjectName(u"connectAction"_s);
    connectAction->setShortcut(QKeySequence::Open);
    fileMenu->addSeparator();
    fileMenu->addAction(png);
    fileMenu->addAction(csv);
    fileMenu->addSeparator();
    // Through close(), which asks first when a query still runs.
    fileMenu->addAction(u"&Quit"_s, QKeySequence::Quit, this, &QWidget::close);
    auto *viewMenu = menuBar()->addMenu(u"&View"_s);
    viewMenu->addAction(controlsDock->toggleViewAction());
    viewMenu->addAction(eventDock->toggleViewAction());
    viewMenu->addAction(attachDock->toggleViewAction());
    viewMenu->addAction(poolsDock->toggleViewAction());
    viewMenu->addAction(m_pause);

    m_stateLabel = new ElidedLabel(this);
    m_stateLabel->setObjectName(u"statusPoolState"_s);
    m_statsLabel = new QLabel(this);
    m_statsLabel->setObjectName(u"statusStats"_s);
    m_statsLabel->setToolTip(u"Connections by state, queries per second and the acquire wait p99 "
                             "(cumulative since the pool opened)"_s);
    m_latencyLabel = new QLabel(this);
    m_latencyLabel->setObjectName(u"statusLatency"_s);
    m_latencyLabel->setToolTip(u"How late the window's event loop runs (p99 over the last 10 s): "
                               "the pool works on its own thread, so this stays low under load"_s);
    statusBar()->addWidget(m_stateLabel, 1);
    statusBar()->addPermanentWidget(m_statsLabel);
    statusBar()->addPermanentWidget(m_latencyLabel);
    m_latency = new LatencyProbe(this);
    m_latency->start();

    connect(session, &MonitorSession::snapshot, this, &MainWindow::onSnapshot);
    connect(session, &MonitorSession::serversSnapshot, m_servers, &ServersWidget::setServers);
    connect(session, &MonitorSession::poolStateChanged, this, &MainWindow::onPoolState);
    connect(session, &MonitorSession::event, this, [this](const MonitorEvent &event) {
        if (m_attach->currentSource())
            return; // the charts and the log show the attached pool
        m_eventLog->append(event);
        m_charts->addEventMarker(event);
    });
    connect(m_attach, &AttachView::currentChanged, this, &MainWindow::showAttached);
    connect(m_attach, &AttachView::currentSample, this, &MainWindow::showSample);
    connect(m_attach, &AttachView::currentSample, m_remoteControls,
            [this](const StatsSample &sample) { m_remoteControls->takeSizes(sample.minSize, sample.maxSize); });
    connect(m_attach, &AttachView::currentEvent, m_eventLog, &EventLogModel::append);
    connect(m_attach, &AttachView::currentEvent, m_charts, &ChartsWidget::addEventMarker);
    connect(m_attach, &AttachView::currentStateChanged, this, &MainWindow::showAttachedState);
    onPoolState(session->poolState(), session->maskedDsn());
    resize(1280, 860);
}

MainWindow::~MainWindow() = default;

void MainWindow::onSnapshot(double time, const QPg::PoolStats &stats, const QList<QPg::ConnectionInfo> &connections)
{
    const StatsSample sample = m_rates.add(time, stats);
    m_ownHistory.append(sample);
    while (m_ownHistory.constFirst().time < sample.time - ChartsWidget::RetentionSeconds)
        m_ownHistory.removeFirst();
    if (!m_attach->currentSource())
        showSample(sample, connections);
}

void MainWindow::showSample(const StatsSample &sample, const QList<QPg::ConnectionInfo> &connections)
{
    m_charts->addSample(sample);
    m_connections->setConnections(connections);
    // Short, so the status bar fits a 1024-pixel window next to the pool's state.
    m_statsLabel->setText(u"size %1 · idle %2 · active %3 · waiting %4 · %5 q/s · p99 wait %6 ms"_s.arg(sample.size)
                              .arg(sample.idle)
                              .arg(sample.active)
                              .arg(sample.waiting)
                              .arg(sample.queriesPerSecond, 0, 'f', 0)
                              .arg(sample.waitP99Ms, 0, 'f', 2));
    m_latencyLabel->setText(u"GUI p99 %1 ms"_s.arg(m_latency->percentileMs(0.99), 0, 'f', 1));
}

void MainWindow::showAttached(RemotePoolSource *source, const QString &pool)
{
    // Each pool keeps its own history: the charts are refilled from the one shown.
    m_charts->clear();
    m_eventLog->clear();
    m_connections->setConnections({});
    m_remoteControls->setTarget(source, pool);
    // The Sessions tab follows: the attached pool (as far as its application allows) or the own one.
    SessionsSource *previous = std::exchange(m_attachedSessions, source ? new AttachedPoolSessions(source, pool, this) : nullptr);
    m_sessions->setSource(m_attachedSessions);
    delete previous;
    m_controlsStack->setCurrentWidget(source ? static_cast<QWidget *>(m_remoteControls) : m_controls);
    if (source) {
        if (const RemotePoolSource::PoolData *data = source->pool(pool)) {
            for (const StatsSample &sample : data->history)
                m_charts->addSample(sample);
            m_connections->setConnections(data->connections);
            for (const MonitorEvent &event : data->events)
                m_eventLog->append(event);
        }
        showAttachedState();
    } else {
        for (const StatsSample &sample : std::as_const(m_ownHistory))
            m_charts->addSample(sample);
        m_connections->setConnections(m_session->latestConnections());
        onPoolState(m_session->poolState(), m_session->maskedDsn());
    }
}

void MainWindow::showAttachedState()
{
    RemotePoolSource *source = m_attach->currentSource();
    if (!source)
        return;
    m_remoteControls->updateState();
    if (source->state() != RemotePoolSource::State::Attached)
        m_connections->setConnections({});
    const QString state = RemotePoolSource::stateName(source->state());
    m_stateLabel->setFullText(u"Attached to %1 — pool %2 — %3"_s.arg(source->applicationName(), m_attach->currentPool(), state));
    setWindowTitle(u"QPgPool Monitor — %1/%2"_s.arg(source->applicationName(), m_attach->currentPool()));
}

void MainWindow::onPoolState(PoolController::PoolState state, const QString &maskedDsn)
{
    if (m_attach->currentSource())
        return;
    m_stateLabel->setFullText(u"Pool %1 — %2"_s.arg(PoolController::stateName(state),
                                                      maskedDsn.isEmpty() ? u"(libpq defaults)"_s : maskedDsn));
    setWindowTitle(maskedDsn.isEmpty() ? u"QPgPool Monitor"_s : u"QPgPool Monitor — %1"_s.arg(maskedDsn));
}

bool MainWindow::saveScreenshot(const QString &fileName)
{
    return grab().save(fileName, "PNG");
}

void MainWindow::runInQueryRunner(const QString &sql)
{
    m_tabs->setCurrentWidget(m_queryRunner);
    m_queryRunner->editor()->setPlainText(sql);
    m_queryRunner->run();
}

void MainWindow::showConnectDialog()
{
    if (auto *open = findChild<ConnectionDialog *>(); open && open->isVisible()) {
        open->raise();
        return;
    }
    auto *dialog = new ConnectionDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowModality(Qt::WindowModal);
    dialog->setSession(m_session);
    dialog->setCurrentDsn(m_session->dsn());
    const QPg::PoolStats stats = m_session->latestStats();
    if (stats.maxSize > 0)
        dialog->setSizes(stats.minSize, stats.maxSize);
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        // The DSN (with a typed password) goes to the worker in memory only; logs show maskedDsn().
        m_session->openPool(dialog->dsn(), dialog->minSize(), dialog->maxSize());
    });
    dialog->open();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    const bool querying = m_queryRunner->isRunning();
    const bool copying = m_copy->isRunning();
    if (m_closeConfirmed || (!querying && !copying)) {
        QMainWindow::closeEvent(event);
        return;
    }
    event->ignore();
    if (findChild<QMessageBox *>(u"closeWhileRunningBox"_s))
        return; // already asking
    const QString what = querying && copying ? u"A query and a CSV transfer are"_s
        : querying                           ? u"A query is"_s
                                             : u"A CSV transfer is"_s;
    auto *box = new QMessageBox(QMessageBox::Question, u"Quit"_s,
                                u"%1 still running. Cancel it on the server and quit?"_s.arg(what),
                                QMessageBox::Yes | QMessageBox::No, this);
    box->setObjectName(u"closeWhileRunningBox"_s);
    box->setDefaultButton(QMessageBox::No);
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::finished, this, [this, box] {
        if (box->standardButton(box->clickedButton()) == QMessageBox::Yes)
            cancelWorkAndClose();
    });
    box->open();
}

void MainWindow::cancelWorkAndClose()
{
    m_closeConfirmed = true;
    // Closed once the server has stopped what ran: a terminated pool connection alone leaves a
    // running statement to finish on the server.
    auto closeWhenIdle = [this] {
        if (!m_queryRunner->isRunning() && !m_copy->isRunning())
            close();
    };
    connect(m_queryRunner, &QueryRunnerWidget::queryDone, this, closeWhenIdle);
    connect(m_copy, &CopyWidget::finished, this, closeWhenIdle);
    QTimer::singleShot(CloseCancelDeadlineMs, this, &QWidget::close);
    m_queryRunner->cancel();
    m_copy->cancel();
    closeWhenIdle();
}

void MainWindow::exportPng()
{
    const QString file = QFileDialog::getSaveFileName(this, u"Export charts as PNG"_s, u"qpgpool-charts.png"_s,
                                                      u"PNG images (*.png)"_s);
    if (file.isEmpty())
        return;
    if (!m_charts->savePng(file))
        QMessageBox::warning(this, u"Export PNG"_s, u"Could not write %1."_s.arg(file));
}

void MainWindow::exportCsv()
{
    const QString file = QFileDialog::getSaveFileName(this, u"Export series as CSV"_s, u"qpgpool-series.csv"_s,
                                                      u"CSV files (*.csv)"_s);
    if (file.isEmpty())
        return;
    QString error;
    if (!m_charts->exportCsv(file, &error))
        QMessageBox::warning(this, u"Export CSV"_s, u"Could not write %1: %2"_s.arg(file, error));
}

} // namespace QPg::Monitor
