// SPDX-License-Identifier: MIT
// The dashboard attached to other applications' pools (issue 10, section 2), offscreen: the
// example application qpgpool-monitored-app runs as separate processes on the test run's server and
// publishes its pool in a private XDG_RUNTIME_DIR; the dashboard discovers it, shows its numbers,
// sends it commands, sees it go and come back; qpgpool-monitor --headless --attach prints it.

#include "attachtarget.h"
#include "attachview.h"
#include "chartswidget.h"
#include "elidedlabel.h"
#include "connectionsmodel.h"
#include "eventlogmodel.h"
#include "mainwindow.h"
#include "monitoredapp.h"
#include "monitorsession.h"
#include "pooloverviewmodel.h"
#include "pooltest.h"
#include "remotecontrolspanel.h"
#include "remotepoolsource.h"
#include "sessionsmenu.h"
#include "sessionswidget.h"

#include <algorithm>

#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QTemporaryDir>
#include <QtGui/QAction>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>
#include <QtWidgets/QLabel>
#include <QtWidgets/QMenu>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QSpinBox>
#include <QtWidgets/QTableView>
#include <QtWidgets/QTableWidget>
#include <QtWidgets/QTreeWidget>

using namespace Qt::Literals::StringLiterals;
using namespace QPgTest;
using namespace QPg::Monitor;

namespace {

constexpr int Timeout = 20000;

// The backends of the connections shown that have one.
QSet<int> shownBackends(const ConnectionsModel *model)
{
    QSet<int> pids;
    for (const QPg::ConnectionInfo &c : model->connections()) {
        if (c.backendPid > 0 && c.state != QPg::ConnectionInfo::State::Connecting
            && c.state != QPg::ConnectionInfo::State::Closing)
            pids.insert(c.backendPid);
    }
    return pids;
}

// The PIDs in the Sessions table.
QSet<int> sessionsPids(const SessionsWidget *sessions)
{
    QSet<int> pids;
    for (int row = 0; row < sessions->table()->rowCount(); ++row)
        pids.insert(sessions->table()->item(row, SessionsWidget::Pid)->text().toInt());
    return pids;
}

// The backend PIDs of the attached pool main, as its last snapshot has them.
QSet<int> snapshotPids(const RemotePoolSource *source)
{
    const RemotePoolSource::PoolData *data = source->pool(u"main"_s);
    QSet<int> pids;
    for (int pid : QPg::BackendSessions::pidsOf(data ? data->connections : QList<QPg::ConnectionInfo>()))
        pids.insert(pid);
    return pids;
}

QString overviewCell(const MainWindow &window, int row, int column)
{
    const PoolOverviewModel *model = window.attachView()->overview();
    return model->data(model->index(row, column)).toString();
}

// The dashboard, attached to the application called name.
struct Dashboard
{
    MonitorSession session;
    MainWindow window{&session};

    RemotePoolSource *attach(const QString &name)
    {
        return window.attachView()->attach(*AttachTarget::parse(name));
    }
};

} // namespace

class tst_MonitorAttach : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void targetParsing();
    void discoveryListsApplication();
    void attachShowsCountsUnderLoad();
    void ownPoolKeepsItsHistoryWhileAttached();
    void expireFromDashboardReplacesBackends();
    void readOnlyApplicationDisablesControls();
    void sessionsTabShowsAttachedBackends();
    void sessionsTabSaysWhyWhenNotAllowed();
    void tcpWithTokenFromTheForm();
    void exitShowsDisconnectedAndRestartReattaches();
    void headlessPrintsJsonLines();
    void headlessFailsForUnknownName();
    void headlessFailsWhenApplicationExits();

private:
    QTemporaryDir m_runtime; // XDG_RUNTIME_DIR of this test and of its children
    std::unique_ptr<QPg::Pool> m_observer; // reads pg_stat_activity
};

void tst_MonitorAttach::initTestCase()
{
    QVERIFY(m_runtime.isValid());
    // Applications and dashboards meet in $XDG_RUNTIME_DIR/qpgpool: this run's own directory.
    qputenv("XDG_RUNTIME_DIR", QFile::encodeName(m_runtime.path()));
    m_observer = openPool(poolOptions(1, 1));
}

void tst_MonitorAttach::targetParsing()
{
    const auto name = AttachTarget::parse(u"orders"_s);
    QVERIFY(name && name->kind == AttachTarget::Kind::Name && name->name == u"orders"_s);
    const auto host = AttachTarget::parse(u"db1.example:7654"_s, "secret");
    QVERIFY(host && host->kind == AttachTarget::Kind::Host);
    QCOMPARE(host->host, u"db1.example"_s);
    QCOMPARE(host->port, quint16(7654));
    QCOMPARE(host->token, QByteArray("secret"));
    const auto socket = AttachTarget::parse(u"/run/user/1/qpgpool/orders.12.sock"_s);
    QVERIFY(socket && socket->kind == AttachTarget::Kind::Socket);
    QString error;
    QVERIFY(!AttachTarget::parse(u"db:70000"_s, {}, &error));
    QVERIFY(error.contains(u"port"_s));
    QVERIFY(!AttachTarget::parse(u"  "_s, {}, &error));
}

void tst_MonitorAttach::discoveryListsApplication()
{
    Dashboard dashboard;
    QTreeWidget *list = dashboard.window.attachView()->applicationsList();
    QCOMPARE(list->topLevelItemCount(), 0);
    MonitoredAppProcess app;
    QVERIFY(app.start({u"--name"_s, u"billing"_s}));
    // Refreshes by itself: the directory watcher or the timer.
    QTRY_COMPARE_WITH_TIMEOUT(list->topLevelItemCount(), 1, Timeout);
    QCOMPARE(list->topLevelItem(0)->text(0), u"billing"_s);
    QCOMPARE(list->topLevelItem(0)->text(1), QString::number(app.pid()));
    QCOMPARE(list->topLevelItem(0)->text(2), app.socketPath());
    app.kill();
    QTRY_COMPARE_WITH_TIMEOUT(list->topLevelItemCount(), 0, Timeout);
}

void tst_MonitorAttach::attachShowsCountsUnderLoad()
{
    Dashboard dashboard;
    MonitoredAppProcess app;
    QVERIFY(app.start({u"--name"_s, u"shop"_s, u"--callers"_s, u"6"_s}));
    AttachView *view = dashboard.window.attachView();
    QTRY_COMPARE_WITH_TIMEOUT(view->applicationsList()->topLevelItemCount(), 1, Timeout);
    view->applicationsList()->setCurrentItem(view->applicationsList()->topLevelItem(0));
    view->attachButton()->click();

    // The pool is on the dashboard: overview row, charts, connections table.
    QTRY_COMPARE_WITH_TIMEOUT(overviewCell(dashboard.window, 0, PoolOverviewModel::State), u"attached"_s, Timeout);
    QCOMPARE(view->overview()->rowCount(), 1);
    QCOMPARE(overviewCell(dashboard.window, 0, PoolOverviewModel::Pool), u"main"_s);
    QVERIFY(overviewCell(dashboard.window, 0, PoolOverviewModel::Application).startsWith(u"shop"_s));
    QCOMPARE(view->currentPool(), u"main"_s);
    QTRY_VERIFY_WITH_TIMEOUT(dashboard.window.charts()->sampleCount() >= 3, Timeout);
    QTRY_VERIFY_WITH_TIMEOUT(dashboard.window.connectionsModel()->rowCount() >= 2, Timeout);
    // Under load the acquire rate is above zero and someone holds a connection at times.
    QTRY_VERIFY_WITH_TIMEOUT(overviewCell(dashboard.window, 0, PoolOverviewModel::AcquiresPerSecond).toDouble() > 1, Timeout);
    QTRY_VERIFY_WITH_TIMEOUT(overviewCell(dashboard.window, 0, PoolOverviewModel::Active).toInt() > 0, Timeout);
    const quint64 acquires = view->currentSource()->pool(u"main"_s)->stats.acquires;
    QTRY_VERIFY_WITH_TIMEOUT(view->currentSource()->pool(u"main"_s)->stats.acquires > acquires + 10, Timeout);
    QVERIFY(dashboard.window.eventLogModel()->count(u"attached to shop"_s) >= 1);

    // Back to the dashboard's own pool and to the attached one again: its history is still there.
    const int kept = dashboard.window.charts()->sampleCount();
    view->ownPoolButton()->click();
    QCOMPARE(dashboard.window.charts()->sampleCount(), 0); // this dashboard opened no pool itself
    QVERIFY(!dashboard.window.remoteControls()->isVisibleTo(&dashboard.window));
    Q_EMIT view->overviewView()->activated(view->overview()->index(0, 0)); // a double-click or Return
    QVERIFY(dashboard.window.charts()->sampleCount() >= kept);
}

void tst_MonitorAttach::ownPoolKeepsItsHistoryWhileAttached()
{
    Dashboard dashboard;
    dashboard.session.openPool(dsn(), 1, 2);
    ChartsWidget *charts = dashboard.window.charts();
    QTRY_VERIFY_WITH_TIMEOUT(charts->sampleCount() >= 3, Timeout);
    MonitoredAppProcess app;
    QVERIFY(app.start({u"--name"_s, u"neighbour"_s}));
    RemotePoolSource *source = dashboard.attach(u"neighbour"_s);
    QTRY_COMPARE_WITH_TIMEOUT(dashboard.window.attachView()->currentSource(), source, Timeout);
    const int ownBefore = charts->sampleCount();
    // The charts now show the application's pool only (it has just begun), not the own pool's.
    QTRY_VERIFY_WITH_TIMEOUT(charts->sampleCount() >= 2, Timeout);
    QCOMPARE(charts->sampleCount(), int(source->pool(u"main"_s)->history.size()));
    QVERIFY(dashboard.window.findChild<ElidedLabel *>(u"statusPoolState"_s)->fullText().startsWith(u"Attached to neighbour"_s));

    dashboard.window.attachView()->ownPoolButton()->click();
    QVERIFY(charts->sampleCount() >= ownBefore); // its history went on being recorded meanwhile
    QVERIFY(dashboard.window.findChild<ElidedLabel *>(u"statusPoolState"_s)->fullText().startsWith(u"Pool "_s));
    QVERIFY(!dashboard.window.remoteControls()->isVisibleTo(&dashboard.window));
}

void tst_MonitorAttach::expireFromDashboardReplacesBackends()
{
    Dashboard dashboard;
    MonitoredAppProcess app;
    QVERIFY(app.start({u"--name"_s, u"expirable"_s, u"--allow-control"_s, u"--min-size"_s, u"2"_s}));
    dashboard.attach(u"expirable"_s);
    const ConnectionsModel *connections = dashboard.window.connectionsModel();
    QTRY_VERIFY_WITH_TIMEOUT(shownBackends(connections).size() >= 2, Timeout);
    const QSet<int> before = shownBackends(connections);
    QStringList list;
    for (int pid : before)
        list.append(QString::number(pid));
    const QString countOld = u"SELECT count(*) FROM pg_stat_activity WHERE pid IN (%1)"_s.arg(list.join(u','));
    QCOMPARE(await(m_observer->fetchValue(countOld)).toInt(), int(before.size()));

    QPushButton *expire = dashboard.window.remoteControls()->expireButton();
    QTRY_VERIFY_WITH_TIMEOUT(expire->isEnabled(), Timeout);
    expire->click();
    QTRY_VERIFY_WITH_TIMEOUT(dashboard.window.eventLogModel()->count(u"expire: done"_s) == 1, Timeout);
    // The charts mark the action, as they do for the dashboard's own pool.
    const QList<ChartsWidget::Marker> markers = dashboard.window.charts()->markers();
    QVERIFY(std::any_of(markers.begin(), markers.end(), [](const ChartsWidget::Marker &m) { return m.label == u"expire"_s; }));
    // The application's old backends are gone from the server, and the table shows new ones.
    QTRY_COMPARE_WITH_TIMEOUT(await(m_observer->fetchValue(countOld)).toInt(), 0, Timeout);
    QTRY_VERIFY_WITH_TIMEOUT(!shownBackends(connections).isEmpty() && !shownBackends(connections).intersects(before),
                             Timeout);
}

void tst_MonitorAttach::readOnlyApplicationDisablesControls()
{
    Dashboard dashboard;
    MonitoredAppProcess app;
    QVERIFY(app.start({u"--name"_s, u"readonly"_s}));
    RemotePoolSource *source = dashboard.attach(u"readonly"_s);
    QTRY_COMPARE_WITH_TIMEOUT(source->state(), RemotePoolSource::State::Attached, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(dashboard.window.attachView()->currentSource(), source, Timeout);
    RemoteControlsPanel *controls = dashboard.window.remoteControls();
    QVERIFY(controls->isVisibleTo(&dashboard.window));
    for (QPushButton *button : {controls->expireButton(), controls->closeButton(), controls->terminateButton(),
                                controls->resizeButton()}) {
        QVERIFY2(!button->isEnabled(), qPrintable(button->objectName()));
        QVERIFY2(button->toolTip().contains(u"read-only"_s), qPrintable(button->toolTip()));
    }
    QVERIFY(controls->reasonLabel()->text().contains(u"the application is read-only: it did not enable control"_s));
    // And the application itself refuses a command that gets there anyway.
    source->expireConnections(u"main"_s);
    QTRY_COMPARE_WITH_TIMEOUT(dashboard.window.eventLogModel()->count(u"expire refused: control is disabled"_s), 1,
                              Timeout);
}

// The Sessions tab of an attached pool lists the application's own backends (read by the
// application through its pool), and its row menu terminates one after a confirmation.
void tst_MonitorAttach::sessionsTabShowsAttachedBackends()
{
    Dashboard dashboard;
    dashboard.window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dashboard.window));
    MonitoredAppProcess app;
    QVERIFY(app.start({u"--name"_s, u"sessions"_s, u"--allow-sessions"_s, u"--allow-control"_s, u"--min-size"_s, u"2"_s,
                       u"--max-size"_s, u"2"_s, u"--callers"_s, u"1"_s}));
    RemotePoolSource *source = dashboard.attach(u"sessions"_s);
    QTRY_COMPARE_WITH_TIMEOUT(source->state(), RemotePoolSource::State::Attached, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(dashboard.window.attachView()->currentSource(), source, Timeout);
    QVERIFY(source->hello().sessionsAllowed);
    SessionsWidget *sessions = dashboard.window.sessionsWidget();
    dashboard.window.tabs()->setCurrentWidget(sessions);
    // The application's backends, no more and no fewer (compared with its own snapshot), and they
    // are live on the server.
    QTRY_VERIFY_WITH_TIMEOUT(snapshotPids(source).size() == 2 && sessionsPids(sessions) == snapshotPids(source), Timeout);
    const QSet<int> shown = sessionsPids(sessions);
    QStringList list;
    for (int pid : shown)
        list.append(QString::number(pid));
    QCOMPARE(await(m_observer->fetchValue(u"SELECT count(*) FROM pg_stat_activity WHERE pid IN (%1)"_s.arg(list.join(u',')))).toInt(),
             2);
    QVERIFY2(sessions->statusLabel()->text().contains(u"query text withheld"_s), qPrintable(sessions->statusLabel()->text()));
    // Refreshes keep one request out at most.
    QTRY_VERIFY_WITH_TIMEOUT(!sessions->isRefreshing(), Timeout);
    QVERIFY(sessions->refresh());
    QVERIFY(!sessions->refresh());
    QTRY_VERIFY_WITH_TIMEOUT(!sessions->isRefreshing(), Timeout);

    // Terminate the row of a backend that is not running the read.
    QTableWidget *table = sessions->table();
    int row = -1;
    for (int r = 0; r < table->rowCount() && row < 0; ++r) {
        if (!table->item(r, SessionsWidget::State)->text().contains(u"this view"_s))
            row = r;
    }
    QVERIFY(row >= 0);
    const int victim = table->item(row, SessionsWidget::Pid)->text().toInt();
    QPgTest::openSessionsMenu(sessions, row);
    QTRY_VERIFY(sessions->rowMenu()->isVisible());
    QCOMPARE(sessions->menuPid(), victim);
    QVERIFY(sessions->terminateAction()->isEnabled());
    QSignalSpy signalled(sessions, &SessionsWidget::backendSignalled);
    const QString confirmation = QPgTest::chooseAndConfirm(sessions, sessions->terminateAction());
    QVERIFY2(confirmation.contains(u"Terminate backend %1"_s.arg(victim)), qPrintable(confirmation));
    QVERIFY(signalled.wait(Timeout));
    QCOMPARE(signalled.first().at(0).toInt(), victim);
    QVERIFY2(signalled.first().at(1).toBool(), qPrintable(signalled.first().at(2).toString()));
    QTRY_COMPARE_WITH_TIMEOUT(
        await(m_observer->fetchValue(u"SELECT count(*) FROM pg_stat_activity WHERE pid = %1"_s.arg(victim))).toInt(), 0,
        Timeout);
    QTRY_VERIFY_WITH_TIMEOUT(dashboard.window.eventLogModel()->count(u"terminate backend %1: done"_s.arg(victim)) == 1,
                             Timeout);
    // The application replaced it, and the tab follows.
    QTRY_VERIFY_WITH_TIMEOUT(sessionsPids(sessions).size() == 2 && !sessionsPids(sessions).contains(victim), Timeout);
}

// Without --allow-sessions the tab says why and reads nothing; with sessions but without control,
// the rows are there and the row menu's actions are disabled with the reason.
void tst_MonitorAttach::sessionsTabSaysWhyWhenNotAllowed()
{
    Dashboard dashboard;
    dashboard.window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dashboard.window));
    SessionsWidget *sessions = dashboard.window.sessionsWidget();
    dashboard.window.tabs()->setCurrentWidget(sessions);
    {
        MonitoredAppProcess app;
        QVERIFY(app.start({u"--name"_s, u"private"_s, u"--allow-control"_s}));
        RemotePoolSource *source = dashboard.attach(u"private"_s);
        QTRY_COMPARE_WITH_TIMEOUT(source->state(), RemotePoolSource::State::Attached, Timeout);
        QTRY_COMPARE_WITH_TIMEOUT(dashboard.window.attachView()->currentSource(), source, Timeout);
        QTRY_VERIFY_WITH_TIMEOUT(sessions->statusLabel()->text().contains(u"does not allow the sessions view"_s), Timeout);
        QVERIFY(sessions->statusLabel()->text().contains(u"--allow-sessions"_s));
        QCOMPARE(sessions->table()->rowCount(), 0);
        QVERIFY(!sessions->refresh());
    }
    MonitoredAppProcess readOnly;
    QVERIFY(readOnly.start({u"--name"_s, u"readonlysessions"_s, u"--allow-sessions"_s}));
    RemotePoolSource *source = dashboard.attach(u"readonlysessions"_s);
    QTRY_COMPARE_WITH_TIMEOUT(dashboard.window.attachView()->currentSource(), source, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(source->state(), RemotePoolSource::State::Attached, Timeout);
    QTRY_VERIFY_WITH_TIMEOUT(sessions->table()->rowCount() > 0, Timeout);
    QPgTest::openSessionsMenu(sessions, 0);
    QTRY_VERIFY(sessions->rowMenu()->isVisible());
    for (QAction *action : {sessions->cancelAction(), sessions->terminateAction()}) {
        QVERIFY(!action->isEnabled());
        QVERIFY2(action->toolTip().contains(u"read-only"_s), qPrintable(action->toolTip()));
    }
    sessions->rowMenu()->hide();
}

void tst_MonitorAttach::tcpWithTokenFromTheForm()
{
    QTemporaryDir directory;
    QFile tokenFile(directory.filePath(u"token"_s));
    QVERIFY(tokenFile.open(QIODevice::WriteOnly));
    tokenFile.write("s3cret-token\n");
    tokenFile.close();
    MonitoredAppProcess app;
    QVERIFY(app.start({u"--name"_s, u"remote"_s, u"--tcp"_s, u"0"_s, u"--token-file"_s, tokenFile.fileName()}));
    QVERIFY(app.tcpPort() > 0);

    Dashboard dashboard;
    AttachView *view = dashboard.window.attachView();
    auto *host = view->findChild<QLineEdit *>(u"attachHostEdit"_s);
    auto *port = view->findChild<QSpinBox *>(u"attachPortSpin"_s);
    auto *token = view->findChild<QLineEdit *>(u"attachTokenEdit"_s);
    auto *connectButton = view->findChild<QPushButton *>(u"attachHostButton"_s);
    QVERIFY(host && port && token && connectButton);
    host->setText(u"127.0.0.1"_s);
    port->setValue(app.tcpPort());

    // A wrong token: refused, and the overview says why.
    token->setText(u"wrong"_s);
    connectButton->click();
    QTRY_COMPARE_WITH_TIMEOUT(overviewCell(dashboard.window, 0, PoolOverviewModel::State), u"disconnected"_s, Timeout);
    RemotePoolSource *refused = view->overview()->sourceAt(0);
    QVERIFY2(refused->statusText().contains(u"token"_s), qPrintable(refused->statusText()));

    // The right one (what --token-file reads): attached, numbers flowing.
    const auto fromFile = AttachTarget::readTokenFile(tokenFile.fileName(), nullptr);
    QVERIFY(fromFile);
    token->setText(QString::fromUtf8(*fromFile));
    connectButton->click();
    // The same target: the same row, now attached.
    RemotePoolSource *source = refused;
    QTRY_COMPARE_WITH_TIMEOUT(source->state(), RemotePoolSource::State::Attached, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(view->currentSource(), source, Timeout);
    QCOMPARE(view->overview()->sources().size(), 1);
    QCOMPARE(overviewCell(dashboard.window, 0, PoolOverviewModel::Pool), u"main"_s);
    QCOMPARE(source->pid(), app.pid());
    QTRY_VERIFY_WITH_TIMEOUT(dashboard.window.charts()->sampleCount() >= 2, Timeout);
}

void tst_MonitorAttach::exitShowsDisconnectedAndRestartReattaches()
{
    Dashboard dashboard;
    auto app = std::make_unique<MonitoredAppProcess>();
    QVERIFY(app->start({u"--name"_s, u"phoenix"_s}));
    RemotePoolSource *source = dashboard.attach(u"phoenix"_s);
    QTRY_VERIFY_WITH_TIMEOUT(dashboard.window.charts()->sampleCount() >= 3, Timeout);
    QCOMPARE(source->pid(), app->pid());

    app->kill();
    QTRY_COMPARE_WITH_TIMEOUT(overviewCell(dashboard.window, 0, PoolOverviewModel::State), u"disconnected"_s, Timeout);
    QTRY_VERIFY_WITH_TIMEOUT(dashboard.window.findChild<ElidedLabel *>(u"statusPoolState"_s)->fullText().contains(u"disconnected"_s),
                             Timeout);
    // The charts keep their history; the controls say why they are off.
    const int kept = dashboard.window.charts()->sampleCount();
    QVERIFY(kept >= 3);
    QCOMPARE(dashboard.window.connectionsModel()->rowCount(), 0);
    QVERIFY(!dashboard.window.remoteControls()->expireButton()->isEnabled());
    QVERIFY(dashboard.window.remoteControls()->reasonLabel()->text().contains(u"disconnected"_s));

    // The same application starts again (new pid, new socket): attached again, history continued.
    auto again = std::make_unique<MonitoredAppProcess>();
    QVERIFY(again->start({u"--name"_s, u"phoenix"_s}));
    QTRY_COMPARE_WITH_TIMEOUT(source->state(), RemotePoolSource::State::Attached, Timeout);
    QCOMPARE(source->pid(), again->pid());
    QVERIFY(again->pid() != app->pid());
    QCOMPARE(overviewCell(dashboard.window, 0, PoolOverviewModel::State), u"attached"_s);
    QTRY_VERIFY_WITH_TIMEOUT(dashboard.window.charts()->sampleCount() > kept + 2, Timeout);
    QVERIFY(dashboard.window.eventLogModel()->count(u"re-attached to phoenix"_s) >= 1);
}

void tst_MonitorAttach::headlessPrintsJsonLines()
{
    MonitoredAppProcess app;
    QVERIFY(app.start({u"--name"_s, u"scripted"_s}));
    QProcess monitor;
    monitor.start(QStringLiteral(QPG_MONITOR_EXECUTABLE),
                  {u"--headless"_s, u"--attach"_s, u"scripted"_s, u"--format"_s, u"json"_s, u"--quit-after"_s, u"2"_s});
    QVERIFY(monitor.waitForFinished(Timeout * 3));
    const QByteArray errors = monitor.readAllStandardError();
    QVERIFY2(monitor.exitStatus() == QProcess::NormalExit && monitor.exitCode() == 0, errors.constData());
    const QList<QByteArray> lines = monitor.readAllStandardOutput().trimmed().split('\n');
    QVERIFY2(lines.size() >= 2, errors.constData());
    for (const QByteArray &line : lines) {
        QJsonParseError error;
        const QJsonObject object = QJsonDocument::fromJson(line, &error).object();
        QVERIFY2(error.error == QJsonParseError::NoError, line.constData());
        QCOMPARE(object.value(u"application"_s).toString(), u"scripted"_s);
        QCOMPARE(object.value(u"pid"_s).toInteger(), app.pid());
        QCOMPARE(object.value(u"pool"_s).toString(), u"main"_s);
        QCOMPARE(object.value(u"maxSize"_s).toInt(), 4);
    }
    // The counters move between lines: these are live snapshots.
    const QJsonObject first = QJsonDocument::fromJson(lines.first()).object();
    const QJsonObject last = QJsonDocument::fromJson(lines.last()).object();
    QVERIFY(last.value(u"acquires"_s).toInteger() > first.value(u"acquires"_s).toInteger());
}

void tst_MonitorAttach::headlessFailsForUnknownName()
{
    QProcess monitor;
    monitor.start(QStringLiteral(QPG_MONITOR_EXECUTABLE),
                  {u"--headless"_s, u"--attach"_s, u"no-such-application"_s, u"--format"_s, u"json"_s});
    QVERIFY(monitor.waitForFinished(Timeout));
    QCOMPARE(monitor.exitStatus(), QProcess::NormalExit);
    QCOMPARE(monitor.exitCode(), 1);
    QVERIFY(monitor.readAllStandardOutput().isEmpty());
    const QByteArray errors = monitor.readAllStandardError();
    QVERIFY2(errors.contains("no running application named no-such-application"), errors.constData());
}

void tst_MonitorAttach::headlessFailsWhenApplicationExits()
{
    MonitoredAppProcess app;
    QVERIFY(app.start({u"--name"_s, u"shortlived"_s}));
    QProcess monitor;
    monitor.start(QStringLiteral(QPG_MONITOR_EXECUTABLE), {u"--headless"_s, u"--attach"_s, u"shortlived"_s});
    QVERIFY(monitor.waitForStarted(Timeout));
    // A header and one snapshot line, then the application dies.
    QByteArray output;
    QDeadlineTimer deadline(Timeout);
    while (output.count('\n') < 2 && monitor.waitForReadyRead(int(deadline.remainingTime())))
        output += monitor.readAllStandardOutput();
    QVERIFY2(output.contains("shortlived/main"), output.constData());
    app.kill();
    QVERIFY(monitor.waitForFinished(Timeout));
    QCOMPARE(monitor.exitCode(), 1);
    const QByteArray errors = monitor.readAllStandardError();
    QVERIFY2(errors.contains("shortlived went away"), errors.constData());
}

QTEST_MAIN(tst_MonitorAttach)
#include "tst_monitorattach.moc"
