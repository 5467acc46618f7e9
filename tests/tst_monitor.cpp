// SPDX-License-Identifier: MIT
// qpgpool-monitor against the test run's server, offscreen: the query runner's grid and error
// display, the pool controls and the event log, the live charts (data in both, pixels in both plot
// areas, flat memory), and the executable's --headless, no-display and --demo --screenshot modes.

#include "chartswidget.h"
#include "connectionsmodel.h"
#include "controlspanel.h"
#include "dsnutils.h"
#include "eventlogmodel.h"
#include "eventlogwidget.h"
#include "latencyprobe.h"
#include "mainwindow.h"
#include "monitorsession.h"
#include "qcustomplotinclude.h"
#include "queryrunnerwidget.h"
#include "recordtablemodel.h"
#include "testserver.h"

#include <QtCore/QProcess>
#include <QtCore/QRegularExpression>
#include <QtCore/QSortFilterProxyModel>
#include <QtCore/QTemporaryDir>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QPlainTextEdit>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QSpinBox>
#include <QtWidgets/QTableWidget>

#include <set>

using namespace Qt::Literals::StringLiterals;
using namespace QPg::Monitor;
using PoolState = PoolController::PoolState;

#ifndef QPG_MONITOR_EXECUTABLE
#error "QPG_MONITOR_EXECUTABLE must name the built qpgpool-monitor"
#endif

namespace {

constexpr int Timeout = 20000;

// Pixels a chart line can have: clearly coloured. Background, grid, axes and text are greys. The
// legend (drawn inside the plot area, with coloured line samples) is left out.
int colouredPixels(const QImage &image, const QRect &area, const QRect &legend = {})
{
    int count = 0;
    const QRect r = area.intersected(image.rect());
    for (int y = r.top(); y <= r.bottom(); ++y) {
        for (int x = r.left(); x <= r.right(); ++x) {
            if (legend.contains(x, y))
                continue;
            const QColor c = image.pixelColor(x, y);
            if (c.hsvSaturation() > 90 && c.value() > 60)
                ++count;
        }
    }
    return count;
}

// The area inside a plot's axes, in the coordinates of `ancestor` (shrunk to skip the axis lines).
QRect plotArea(QCustomPlot *plot, QWidget *ancestor)
{
    const QRect inner = plot->axisRect()->rect().adjusted(3, 3, -3, -3);
    return QRect(plot->mapTo(ancestor, inner.topLeft()), inner.size());
}

QRect legendArea(QCustomPlot *plot, QWidget *ancestor)
{
    const QRect outer = plot->legend->outerRect().adjusted(-2, -2, 2, 2);
    return QRect(plot->mapTo(ancestor, outer.topLeft()), outer.size());
}

QStringList statisticsRows(const QByteArray &output)
{
    // "     1.2 open           2     2       0        0         0.0        0.0         0.00"
    static const QRegularExpression row(u"^\\s*\\d+\\.\\d\\s+\\S.*\\s\\d+\\.\\d\\d$"_s);
    QStringList rows;
    for (const QString &line : QString::fromUtf8(output).split(u'\n')) {
        if (row.match(line).hasMatch())
            rows.append(line);
    }
    return rows;
}

} // namespace

class tst_Monitor : public QObject
{
    Q_OBJECT

private:
    void openPool(MonitorSession &session, int minSize, int maxSize);

private Q_SLOTS:
    void queryRunnerGrid();
    void queryRunnerRowLimit();
    void queryRunnerError();
    void poolControls();
    void chartsShowData();
    void chartsDropOldSamples();
    void headlessPrintsRows();
    void noDisplayFallsBackToHeadless();
    void demoScreenshot();
    void passwordsAreMasked_data();
    void passwordsAreMasked();
};

void tst_Monitor::openPool(MonitorSession &session, int minSize, int maxSize)
{
    session.openPool(QPgTest::dsn(), minSize, maxSize);
    QTRY_COMPARE_WITH_TIMEOUT(session.poolState(), PoolState::Open, Timeout);
}

void tst_Monitor::queryRunnerGrid()
{
    MonitorSession session;
    openPool(session, 1, 2);
    MainWindow window(&session);
    window.show();
    QueryRunnerWidget *runner = window.queryRunner();

    runner->editor()->setPlainText(u"SELECT g AS n, 'row ' || g AS label, NULL::text AS nothing\n"
                                   "FROM generate_series(1, $1::int) AS g ORDER BY g"_s);
    QCOMPARE(runner->parametersTable()->rowCount(), 1);
    runner->parametersTable()->item(0, 1)->setText(u"25"_s);

    QSignalSpy done(runner, &QueryRunnerWidget::queryDone);
    runner->editor()->setFocus();
    QTest::keyClick(runner->editor(), Qt::Key_Return, Qt::ControlModifier); // Ctrl+Enter runs
    QVERIFY(done.wait(Timeout));
    QCOMPARE(done.first().first().toBool(), true);

    RecordTableModel *model = runner->resultModel();
    QCOMPARE(model->rowCount(), 25);
    QCOMPARE(model->columnCount(), 3);
    QCOMPARE(model->headerData(0, Qt::Horizontal).toString(), u"n"_s);
    QCOMPARE(model->headerData(1, Qt::Horizontal).toString(), u"label"_s);
    QCOMPARE(model->index(0, 0).data().toString(), u"1"_s);
    QCOMPARE(model->index(24, 1).data().toString(), u"row 25"_s);
    QCOMPARE(model->index(3, 2).data().toString(), u"NULL"_s);
    QVERIFY2(runner->statusText().startsWith(u"25 row(s) in "_s), qPrintable(runner->statusText()));
    QVERIFY(runner->errorText().isEmpty());
    QCOMPARE(runner->historyList()->count(), 1);

    // A NULL parameter goes to the server as NULL.
    runner->editor()->setPlainText(u"SELECT $1::int IS NULL AS is_null"_s);
    runner->parametersTable()->item(0, 2)->setCheckState(Qt::Checked);
    QTest::mouseClick(runner->runButton(), Qt::LeftButton);
    QVERIFY(done.wait(Timeout));
    QCOMPARE(model->index(0, 0).data().toString(), u"true"_s);
    QCOMPARE(runner->historyList()->count(), 2);
}

void tst_Monitor::queryRunnerRowLimit()
{
    MonitorSession session;
    openPool(session, 1, 2);
    QueryRunnerWidget runner(&session);
    runner.rowLimitSpin()->setValue(10);
    runner.editor()->setPlainText(u"SELECT g FROM generate_series(1, 100) AS g;"_s);
    QSignalSpy done(&runner, &QueryRunnerWidget::queryDone);
    runner.run();
    QVERIFY(done.wait(Timeout));
    QCOMPARE(runner.resultModel()->rowCount(), 10);
    QVERIFY2(runner.statusText().contains(u"row limit"_s), qPrintable(runner.statusText()));

    // Exactly at the limit: not reported as cut.
    runner.editor()->setPlainText(u"SELECT g FROM generate_series(1, 10) AS g"_s);
    runner.run();
    QVERIFY(done.wait(Timeout));
    QCOMPARE(runner.resultModel()->rowCount(), 10);
    QVERIFY2(!runner.statusText().contains(u"row limit"_s), qPrintable(runner.statusText()));
}

void tst_Monitor::queryRunnerError()
{
    MonitorSession session;
    openPool(session, 1, 2);
    QueryRunnerWidget runner(&session);
    runner.show();
    // Row limit on: the error position must still point into the text as typed.
    runner.rowLimitSpin()->setValue(100);
    const QString sql = u"SELECT id,\n       name\nFROM no_such_table"_s;
    runner.editor()->setPlainText(sql);
    QSignalSpy done(&runner, &QueryRunnerWidget::queryDone);
    runner.run();
    QVERIFY(done.wait(Timeout));
    QCOMPARE(done.first().first().toBool(), false);
    QCOMPARE(runner.resultModel()->rowCount(), 0);
    const QString error = runner.errorText();
    QVERIFY2(error.contains(u"42P01"_s), qPrintable(error));
    QVERIFY2(error.contains(u"no_such_table"_s), qPrintable(error));

    const QList<QTextEdit::ExtraSelection> marks = runner.editor()->extraSelections();
    QCOMPARE(marks.size(), 1);
    QCOMPARE(marks.first().cursor.selectionStart(), int(sql.indexOf(u"no_such_table"_s)));
    QCOMPARE(marks.first().cursor.selectedText(), u"no_such_table"_s);

    // Detail and hint are shown when the server sends them.
    runner.editor()->setPlainText(u"SELECT nme FROM (SELECT 1 AS name) AS t"_s);
    runner.run();
    QVERIFY(done.wait(Timeout));
    QVERIFY2(runner.errorText().contains(u"42703"_s), qPrintable(runner.errorText()));
    QVERIFY2(runner.errorText().contains(u"Hint:"_s), qPrintable(runner.errorText()));
}

void tst_Monitor::poolControls()
{
    MonitorSession session;
    openPool(session, 2, 4);
    MainWindow window(&session);
    window.show();
    ControlsPanel *controls = window.controls();
    EventLogModel *log = window.eventLogModel();
    ConnectionsModel *connections = window.connectionsModel();

    QTRY_COMPARE_WITH_TIMEOUT(connections->rowCount(), 2, Timeout);
    std::set<int> oldPids;
    for (const QPg::ConnectionInfo &info : connections->connections())
        oldPids.insert(info.backendPid);
    QCOMPARE(int(oldPids.size()), 2);

    // Expire: both idle connections are replaced by new ones of the next generation.
    QVERIFY(controls->expireButton()->isEnabled());
    QTest::mouseClick(controls->expireButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(log->count(u": expired"_s), 2, Timeout);
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            const QList<QPg::ConnectionInfo> now = connections->connections();
            if (now.size() != 2)
                return false;
            for (const QPg::ConnectionInfo &info : now) {
                if (info.generation != 1 || oldPids.count(info.backendPid) || info.backendPid == 0)
                    return false;
            }
            return true;
        }(),
        Timeout);
    QCOMPARE(log->count(u"expire:"_s), 1);

    // The event log filter narrows the view to matching events.
    window.eventLogWidget()->filterEdit()->setText(u"expired"_s);
    QCOMPARE(window.eventLogWidget()->proxyModel()->rowCount(), 2);
    window.eventLogWidget()->filterEdit()->clear();
    QCOMPARE(window.eventLogWidget()->proxyModel()->rowCount(), log->rowCount());

    // Graceful close with a timeout.
    controls->closeTimeoutSpin()->setValue(2);
    QTest::mouseClick(controls->closeButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(session.poolState(), PoolState::Closed, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(log->count(u"close finished"_s), 1, Timeout);
    QCOMPARE(log->count(u"close requested (graceful, timeout 2000 ms)"_s), 1);
    QTRY_COMPARE_WITH_TIMEOUT(session.latestStats().size, 0, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(connections->rowCount(), 0, Timeout);
    QVERIFY(!controls->closeButton()->isEnabled());

    // Reopen: a new pool with the same settings.
    QTest::mouseClick(controls->reopenButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(session.poolState(), PoolState::Open, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(session.latestStats().size, 2, Timeout);

    // Terminate while a query holds a connection: it fails, everything closes at once.
    const int pooledClosedBefore = log->count(u": pool closed"_s);
    QueryRunnerWidget *runner = window.queryRunner();
    runner->editor()->setPlainText(u"SELECT pg_sleep(30)"_s);
    QSignalSpy done(runner, &QueryRunnerWidget::queryDone);
    runner->run();
    QTRY_COMPARE_WITH_TIMEOUT(session.latestStats().active, 1, Timeout);
    QTest::mouseClick(controls->terminateButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(session.poolState(), PoolState::Closed, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, Timeout); // the running query failed
    QCOMPARE(done.first().first().toBool(), false);
    QTRY_COMPARE_WITH_TIMEOUT(session.latestStats().size, 0, Timeout);
    QCOMPARE(log->count(u"terminate requested"_s), 1);
    QTRY_COMPARE_WITH_TIMEOUT(log->count(u": pool closed"_s), pooledClosedBefore + 2, Timeout);
}

void tst_Monitor::chartsShowData()
{
    MonitorSession session;
    session.setSampleInterval(50);
    openPool(session, 2, 3);
    MainWindow window(&session);
    window.resize(1200, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    LoadSettings load;
    load.clients = 5; // more than maxSize: some wait
    load.query = u"SELECT pg_sleep(0.005)"_s;
    load.thinkMs = 0;
    session.startLoad(load);

    ChartsWidget *charts = window.charts();
    constexpr int Samples = 30;
    QTRY_VERIFY_WITH_TIMEOUT(charts->sampleCount() >= Samples, Timeout);
    for (QCustomPlot *plot : {charts->gaugePlot(), charts->throughputPlot()}) {
        QCOMPARE(plot->graphCount(), 5);
        for (int i = 0; i < plot->graphCount(); ++i)
            QVERIFY2(plot->graph(i)->dataCount() >= Samples, qPrintable(plot->graph(i)->name()));
    }
    // The throughput chart saw queries (not only zeros).
    bool anyQueries = false;
    for (QCPGraph *graph : {charts->throughputPlot()->graph(1)}) {
        for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it)
            anyQueries = anyQueries || it->value > 0;
    }
    QVERIFY(anyQueries);
    // The window's event loop kept running while the worker was saturated (informational: the
    // number depends on the machine, so it is printed, not asserted).
    QVERIFY(window.latencyProbe()->sampleCount() > 0);
    qInfo("GUI event latency under load: p50 %.1f ms, p99 %.1f ms, max %.1f ms",
          window.latencyProbe()->percentileMs(0.5), window.latencyProbe()->percentileMs(0.99),
          window.latencyProbe()->maxMs());
    session.stopLoad();

    // Pixels: series colours inside both plot areas, in a grab of the window and in savePng.
    charts->gaugePlot()->replot(QCustomPlot::rpImmediateRefresh);
    charts->throughputPlot()->replot(QCustomPlot::rpImmediateRefresh);
    const QImage shot = window.grab().toImage();
    const int gaugePixels = colouredPixels(shot, plotArea(charts->gaugePlot(), &window),
                                           legendArea(charts->gaugePlot(), &window));
    const int throughputPixels = colouredPixels(shot, plotArea(charts->throughputPlot(), &window),
                                                legendArea(charts->throughputPlot(), &window));
    QVERIFY2(gaugePixels > 100, qPrintable(QString::number(gaugePixels)));
    QVERIFY2(throughputPixels > 100, qPrintable(QString::number(throughputPixels)));

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString png = dir.filePath(u"charts.png"_s);
    QVERIFY(charts->savePng(png, 800, 600));
    QImage saved(png);
    QCOMPARE(saved.size(), QSize(800, 600));
    // Against the same export of an empty chart (legends, axes): the data adds coloured pixels.
    ChartsWidget emptyCharts;
    const QImage empty = emptyCharts.renderImage(800, 600);
    for (const QRect &half : {QRect(0, 0, 800, 300), QRect(0, 300, 800, 300)})
        QVERIFY(colouredPixels(saved, half) > colouredPixels(empty, half) + 100);

    // CSV: a header and one row per kept sample.
    const QString csv = dir.filePath(u"series.csv"_s);
    QString error;
    QVERIFY2(charts->exportCsv(csv, &error), qPrintable(error));
    QFile file(csv);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = file.readAll().trimmed().split('\n');
    QVERIFY(lines.first().startsWith("time_s,max_size,size,idle,active,waiting,acquires/s,queries/s"));
    QCOMPARE(lines.size(), charts->sampleCount() + 1);
}

void tst_Monitor::chartsDropOldSamples()
{
    ChartsWidget charts;
    for (int i = 0; i <= 2000; ++i) {
        StatsSample sample;
        sample.time = i * 0.5;
        sample.size = sample.maxSize = 4;
        sample.queriesPerSecond = i % 7;
        charts.addSample(sample);
    }
    // 1000 s of samples at 2 Hz, but only the retention window is kept.
    const int kept = ChartsWidget::RetentionSeconds * 2 + 1;
    QCOMPARE(charts.sampleCount(), kept);
    QCOMPARE(charts.throughputPlot()->graph(1)->dataCount(), kept);
    QCOMPARE(charts.gaugePlot()->yAxis->range().upper, 5.0); // [0, max + 1]
    charts.setWindowSeconds(30);
    QCOMPARE(charts.gaugePlot()->xAxis->range().size(), 30.0);
}

void tst_Monitor::headlessPrintsRows()
{
    QProcess process;
    QSignalSpy finished(&process, &QProcess::finished);
    process.start(QStringLiteral(QPG_MONITOR_EXECUTABLE), {u"--headless"_s, u"--quit-after"_s, u"3"_s, QPgTest::dsn()});
    QVERIFY(finished.wait(60000));
    const QByteArray out = process.readAllStandardOutput();
    const QByteArray err = process.readAllStandardError();
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), 0);
    QVERIFY2(out.contains("acquires/s"), out.constData());
    const QStringList rows = statisticsRows(out);
    QVERIFY2(rows.size() >= 2, out.constData());
    QVERIFY2(rows.last().contains(u" open "_s), out.constData());
    QVERIFY2(err.contains("pool open"), err.constData());
}

void tst_Monitor::noDisplayFallsBackToHeadless()
{
    QProcess process;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(u"DISPLAY"_s);
    env.remove(u"WAYLAND_DISPLAY"_s);
    env.remove(u"QT_QPA_PLATFORM"_s);
    process.setProcessEnvironment(env);
    QSignalSpy finished(&process, &QProcess::finished);
    process.start(QStringLiteral(QPG_MONITOR_EXECUTABLE), {u"--quit-after"_s, u"2"_s, QPgTest::dsn()});
    QVERIFY(finished.wait(60000));
    QCOMPARE(process.exitCode(), 0);
    QVERIFY(process.readAllStandardError().contains("no display"));
    QVERIFY(!statisticsRows(process.readAllStandardOutput()).isEmpty());
}

void tst_Monitor::demoScreenshot()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString png = dir.filePath(u"demo.png"_s);
    QProcess process;
    QSignalSpy finished(&process, &QProcess::finished);
    // Its own private cluster: the shared test server is not touched.
    process.start(QStringLiteral(QPG_MONITOR_EXECUTABLE),
                  {u"--demo"_s, u"--screenshot"_s, png, u"--quit-after"_s, u"3"_s});
    QVERIFY2(finished.wait(180000), "qpgpool-monitor --demo did not finish");
    QVERIFY2(process.exitCode() == 0, process.readAllStandardError().constData());
    const QImage shot(png);
    QVERIFY(!shot.isNull());

    // Where the plot areas are: a window laid out the same way in this (also offscreen) process.
    MonitorSession idle;
    MainWindow layout(&idle);
    layout.show();
    QVERIFY(QTest::qWaitForWindowExposed(&layout));
    QCOMPARE(shot.size(), layout.size());
    QCustomPlot *gaugePlot = layout.charts()->gaugePlot();
    QCustomPlot *throughputPlot = layout.charts()->throughputPlot();
    const QRect gauges = plotArea(gaugePlot, &layout);
    const QRect throughput = plotArea(throughputPlot, &layout);
    const QRect gaugeLegend = legendArea(gaugePlot, &layout);
    const QRect throughputLegend = legendArea(throughputPlot, &layout);
    // The same areas of an empty dashboard have no coloured pixels: what the screenshot has there
    // comes from data.
    const QImage empty = layout.grab().toImage();
    QCOMPARE(colouredPixels(empty, gauges, gaugeLegend), 0);
    QCOMPARE(colouredPixels(empty, throughput, throughputLegend), 0);
    QVERIFY2(colouredPixels(shot, gauges, gaugeLegend) > 100, "no data in the pool chart");
    QVERIFY2(colouredPixels(shot, throughput, throughputLegend) > 100, "no data in the throughput chart");
}

void tst_Monitor::passwordsAreMasked_data()
{
    QTest::addColumn<QString>("dsn");
    QTest::addColumn<QString>("masked");
    QTest::newRow("key=value") << u"host=db password=s3cret user=app"_s << u"host=db password=**** user=app"_s;
    QTest::newRow("quoted") << u"password='a b\\' c' dbname=x"_s << u"password=**** dbname=x"_s;
    QTest::newRow("uri") << u"postgresql://app:s3cret@db:5432/x"_s << u"postgresql://app:****@db:5432/x"_s;
    QTest::newRow("uri query") << u"postgres://db/x?sslmode=disable&password=s3cret"_s
                               << u"postgres://db/x?sslmode=disable&password=****"_s;
    QTest::newRow("none") << u"host=db user=app"_s << u"host=db user=app"_s;
}

void tst_Monitor::passwordsAreMasked()
{
    QFETCH(QString, dsn);
    QFETCH(QString, masked);
    QCOMPARE(maskedDsn(dsn), masked);
}

QTEST_MAIN(tst_Monitor)
#include "tst_monitor.moc"
