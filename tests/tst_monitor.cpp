// SPDX-License-Identifier: MIT
// qpgpool-monitor against the test run's server, offscreen: the query runner's grid, streaming,
// cancel and error display, CSV export and import through COPY (compared with psql), the
// connection dialog, the pool controls and the event log, the live charts (data in both, pixels in both plot
// areas, flat memory), and the executable's --headless, no-display and --demo --screenshot modes.

#include "chartswidget.h"
#include "connectiondialog.h"
#include "connectionsmodel.h"
#include "controlspanel.h"
#include "copywidget.h"
#include "dsnutils.h"
#include "eventlogmodel.h"
#include "eventlogwidget.h"
#include "latencyprobe.h"
#include "mainwindow.h"
#include "ratecalculator.h"
#include "monitorsession.h"
#include "qcustomplotinclude.h"
#include "queryrunnerwidget.h"

#include <QPg/pool.h>
#include <QPg/querymodel.h>
#include "serverswidget.h"
#include "openconnection.h"
#include "privatecluster.h"
#include "testserver.h"

#include <QtCore/QFile>
#include <QtCore/QProcess>
#include <QtCore/QRegularExpression>
#include <QtCore/QSettings>
#include <QtCore/QSortFilterProxyModel>
#include <QtCore/QPointer>
#include <QtCore/QScopeGuard>
#include <QtCore/QTemporaryDir>
#include <QtGui/QClipboard>
#include <QtGui/QGuiApplication>
#include <QtNetwork/QTcpServer>
#include <QtWidgets/QApplication>
#include <QtWidgets/QLabel>
#include <QtWidgets/QMessageBox>
#include <QtWidgets/QStatusBar>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>
#include <QtWidgets/QCheckBox>
#include <QtWidgets/QComboBox>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QPlainTextEdit>
#include <QtWidgets/QProgressBar>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QSpinBox>
#include <QtWidgets/QTabWidget>
#include <QtWidgets/QTableView>
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

// Runs SQL (or a psql meta-command such as \copy) through psql on the test server.
void psql(const QString &command)
{
    QByteArray out;
    QString error;
    if (!QPg::Dev::PrivateCluster::runPsql(QPgTest::dsn(), {u"-X"_s, u"-q"_s, u"-c"_s, command}, &out, &error))
        qFatal("psql failed on %s: %s", qPrintable(command), qPrintable(error));
}

QString psqlValue(const QString &sql)
{
    return QPg::Dev::PrivateCluster::querySingleValue(QPgTest::dsn(), sql).value_or(u"<psql failed>"_s);
}

QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray("<cannot read>");
}

bool writeFile(const QString &path, const QByteArray &data)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(data) == data.size();
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
    void samplesShowRecentWaits();
    void queryRunnerGrid();
    void queryRunnerMaxRows();
    void queryRunnerStreamsAndCancels();
    void queryRunnerCancelsSleep();
    void queryRunnerError();
    void csvExportMatchesPsql_data();
    void csvExportMatchesPsql();
    void csvImport();
    void csvImportMalformedLeavesTableUnchanged();
    void csvImportCancel();
    void connectionDialog();
    void connectionDialogTestsBeforeReplacing();
    void queryRunnerDisabledWhilePoolNotOpen();
    void sessionGoesWhileConnectionTestRuns();
    void queryRunnerShowsCommandTags();
    void queryRunnerErrorPositionAfterEmoji();
    void queryRunnerEscCancelsWithoutError();
    void queryRunnerCopiesSelectedRow();
    void csvExportShowsProgress();
    void csvExportAsksBeforeOverwriting();
    void csvExportFailureSaysNoFileLeft();
    void closingWhileQueryRunsAsksAndCancels();
    void statusBarFits1024Pixels();
    void poolControls();
    void chartsShowData();
    void chartsDropOldSamples();
    void headlessPrintsRows();
    void noDisplayFallsBackToHeadless();
    void demoScreenshot();
    void passwordsAreMasked_data();
    void passwordsAreMasked();
    void serversTabShowsEachListedServer();
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

    QPg::QueryModel *model = runner->resultModel();
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

void tst_Monitor::queryRunnerMaxRows()
{
    MonitorSession session;
    openPool(session, 1, 2);
    QueryRunnerWidget runner(&session);
    runner.maxRowsSpin()->setValue(10);
    runner.editor()->setPlainText(u"SELECT g FROM generate_series(1, 100) AS g;"_s);
    QSignalSpy done(&runner, &QueryRunnerWidget::queryDone);
    runner.run();
    QVERIFY(done.wait(Timeout));
    QCOMPARE(runner.resultModel()->rowCount(), 10);
    QVERIFY2(runner.statusText().contains(u"in-memory maximum"_s), qPrintable(runner.statusText()));

    // Exactly at the maximum: not reported as cut.
    runner.editor()->setPlainText(u"SELECT g FROM generate_series(1, 10) AS g"_s);
    runner.run();
    QVERIFY(done.wait(Timeout));
    QCOMPARE(runner.resultModel()->rowCount(), 10);
    QVERIFY2(!runner.statusText().contains(u"maximum"_s), qPrintable(runner.statusText()));

    // A statement that cannot be streamed (SHOW ALL: hundreds of rows) runs whole and is cut the same way.
    runner.editor()->setPlainText(u"SHOW ALL"_s);
    runner.run();
    QVERIFY(done.wait(Timeout));
    QCOMPARE(done.last().first().toBool(), true);
    QCOMPARE(runner.resultModel()->rowCount(), 10);
    QVERIFY2(runner.statusText().contains(u"in-memory maximum"_s), qPrintable(runner.statusText()));
}

void tst_Monitor::queryRunnerStreamsAndCancels()
{
    MonitorSession session;
    openPool(session, 1, 2);
    QueryRunnerWidget runner(&session);
    runner.show();
    // The first chunk (500 rows) comes at once; the next one stops at row 1000 for 30 s.
    runner.editor()->setPlainText(u"SELECT g, md5(g::text) AS hash, CASE WHEN g = 1000 THEN pg_sleep(30) END AS pause\n"
                                  "FROM generate_series(1, 2000) AS g"_s);
    QSignalSpy done(&runner, &QueryRunnerWidget::queryDone);
    runner.run();
    QTRY_VERIFY_WITH_TIMEOUT(runner.resultModel()->rowCount() > 0, Timeout);
    QVERIFY(runner.isRunning()); // the first rows are shown while the rest is still coming
    QCOMPARE(runner.resultModel()->rowCount(), 500);
    QCOMPARE(runner.resultModel()->headerData(1, Qt::Horizontal).toString(), u"hash"_s);
    QVERIFY2(runner.statusText().contains(u"streaming"_s), qPrintable(runner.statusText()));
    QCOMPARE(done.count(), 0);

    QElapsedTimer took;
    took.start();
    QVERIFY(runner.cancelButton()->isEnabled());
    QTest::mouseClick(runner.cancelButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 5000);
    QVERIFY2(took.elapsed() < 5000, qPrintable(QString::number(took.elapsed())));
    QCOMPARE(done.first().first().toBool(), false);
    QVERIFY2(runner.statusText().startsWith(u"Canceled"_s), qPrintable(runner.statusText()));
    QCOMPARE(runner.resultModel()->rowCount(), 500); // what arrived stays
    QVERIFY(!runner.isRunning());

    // The connection went back to the pool in a usable state.
    runner.editor()->setPlainText(u"SELECT count(*) FROM generate_series(1, 12345)"_s);
    runner.run();
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 2, Timeout);
    QCOMPARE(done.last().first().toBool(), true);
    QCOMPARE(runner.resultModel()->index(0, 0).data().toString(), u"12345"_s);
}

void tst_Monitor::queryRunnerCancelsSleep()
{
    MonitorSession session;
    session.setSampleInterval(50);
    openPool(session, 1, 2);
    QueryRunnerWidget runner(&session);
    runner.show();
    const QString sql = u"SELECT pg_sleep(30)"_s;
    runner.editor()->setPlainText(sql);
    QSignalSpy done(&runner, &QueryRunnerWidget::queryDone);
    runner.run();
    // Wait until the server runs it: the pool's connection info (the dashboard's connections table)
    // shows the user's query, not the cursor's FETCH that reads it.
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            for (const QPg::ConnectionInfo &info : session.latestConnections()) {
                if (info.currentQuery == sql)
                    return true;
            }
            return false;
        }(),
        Timeout);
    for (const QPg::ConnectionInfo &info : session.latestConnections())
        QVERIFY2(!info.currentQuery.contains(u"qpg_model_rows"_s), qPrintable(info.currentQuery));
    QElapsedTimer took;
    took.start();
    QTest::mouseClick(runner.cancelButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 5000);
    QVERIFY2(took.elapsed() < 5000, qPrintable(QString::number(took.elapsed())));
    QCOMPARE(done.first().first().toBool(), false);
    QVERIFY2(runner.errorText().isEmpty(), qPrintable(runner.errorText())); // the user's cancel is not an error
    QVERIFY2(runner.statusText().startsWith(u"Canceled"_s), qPrintable(runner.statusText()));
}

void tst_Monitor::queryRunnerError()
{
    MonitorSession session;
    openPool(session, 1, 2);
    QueryRunnerWidget runner(&session);
    runner.show();
    // A streamed (cursor) statement: the error position points into the text as typed.
    runner.maxRowsSpin()->setValue(100);
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

void tst_Monitor::csvExportMatchesPsql_data()
{
    QTest::addColumn<bool>("fromQuery");
    QTest::addColumn<QString>("delimiter");
    QTest::addColumn<QString>("quote");
    QTest::addColumn<QString>("null");
    QTest::addColumn<bool>("header");
    QTest::addColumn<QString>("psqlOptions");

    QTest::newRow("table, defaults") << false << u","_s << u"\""_s << QString() << true << u"FORMAT csv, HEADER true"_s;
    QTest::newRow("table, options") << false << u";"_s << u"'"_s << u"<NULL>"_s << false
                                    << u"FORMAT csv, HEADER false, DELIMITER ';', QUOTE '''', NULL '<NULL>'"_s;
    QTest::newRow("query") << true << u"|"_s << u"\""_s << u"\\N"_s << true
                           << u"FORMAT csv, HEADER true, DELIMITER '|', NULL '\\N'"_s;
}

void tst_Monitor::csvExportMatchesPsql()
{
    QFETCH(bool, fromQuery);
    QFETCH(QString, delimiter);
    QFETCH(QString, quote);
    QFETCH(QString, null);
    QFETCH(bool, header);
    QFETCH(QString, psqlOptions);

    psql(u"DROP TABLE IF EXISTS monitor_csv_export;"
         "CREATE TABLE monitor_csv_export (id int PRIMARY KEY, name text, note text, amount numeric, at timestamptz);"
         "INSERT INTO monitor_csv_export SELECT g, 'name ' || g, CASE g % 4 WHEN 0 THEN NULL WHEN 1 THEN '' "
         "WHEN 2 THEN 'a, \"quoted\"; ''piped''|' || chr(10) || 'second line' ELSE 'x' END, g * 1.25, "
         "timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute' FROM generate_series(1, 3000) AS g"_s);
    const QString query = u"SELECT id, note, amount FROM monitor_csv_export WHERE id % 3 <> 0 ORDER BY id DESC"_s;

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString mine = dir.filePath(u"monitor.csv"_s);
    const QString theirs = dir.filePath(u"psql.csv"_s);

    MonitorSession session;
    openPool(session, 1, 2);
    CopyWidget widget(&session);
    widget.show();
    widget.setMode(fromQuery ? CopyWidget::ExportQuery : CopyWidget::ExportTable);
    if (fromQuery)
        widget.setQuery(query + u";"_s);
    else
        widget.tableEdit()->setText(u"monitor_csv_export"_s);
    widget.fileEdit()->setText(mine);
    widget.headerCheck()->setChecked(header);
    widget.delimiterEdit()->setText(delimiter);
    widget.quoteEdit()->setText(quote);
    widget.nullEdit()->setText(null);
    QSignalSpy finished(&widget, &CopyWidget::finished);
    QTest::mouseClick(widget.startButton(), Qt::LeftButton);
    QVERIFY(widget.isRunning());
    QVERIFY(finished.wait(Timeout));
    QVERIFY2(finished.first().first().toBool(), qPrintable(widget.errorText()));
    const int rows = fromQuery ? 2000 : 3000;
    QVERIFY2(widget.statusText().startsWith(QLocale().toString(rows) + u" row(s) copied"_s), qPrintable(widget.statusText()));
    QVERIFY2(widget.progressBar()->text().contains(QLocale().toString(rows) + u" rows"_s),
             qPrintable(widget.progressBar()->text()));

    const QString source = fromQuery ? u"("_s + query + u")"_s : u"monitor_csv_export"_s;
    psql(u"\\copy %1 TO '%2' WITH (%3)"_s.arg(source, theirs, psqlOptions));
    const QByteArray expected = readFile(theirs);
    QVERIFY(expected.size() > 10000);
    QCOMPARE(readFile(mine), expected); // byte for byte
    psql(u"DROP TABLE monitor_csv_export"_s);
}

void tst_Monitor::csvImport()
{
    psql(u"DROP TABLE IF EXISTS monitor_csv_import;"
         "CREATE TABLE monitor_csv_import (id int PRIMARY KEY, name text, qty int)"_s);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString file = dir.filePath(u"items.csv"_s);
    QByteArray csv = "id;name;qty\n";
    for (int i = 1; i <= 5000; ++i)
        csv += QByteArray::number(i) + ";'item " + QByteArray::number(i) + "; with ''quotes'''" + ";"
               + (i % 10 == 0 ? QByteArray("-") : QByteArray::number(i * 2)) + "\n";
    QVERIFY(writeFile(file, csv));

    MonitorSession session;
    openPool(session, 1, 2);
    CopyWidget widget(&session);
    widget.show();
    widget.setMode(CopyWidget::Import);
    widget.tableEdit()->setText(u"monitor_csv_import"_s);
    widget.fileEdit()->setText(file);
    widget.delimiterEdit()->setText(u";"_s);
    widget.quoteEdit()->setText(u"'"_s);
    widget.nullEdit()->setText(u"-"_s);
    QSignalSpy finished(&widget, &CopyWidget::finished);
    QTest::mouseClick(widget.startButton(), Qt::LeftButton);
    QVERIFY(finished.wait(Timeout));
    QVERIFY2(finished.first().first().toBool(), qPrintable(widget.errorText()));
    QCOMPARE(widget.progressBar()->value(), widget.progressBar()->maximum());

    QCOMPARE(psqlValue(u"SELECT count(*) FROM monitor_csv_import"_s), u"5000"_s);
    QCOMPARE(psqlValue(u"SELECT count(*) FROM monitor_csv_import WHERE qty IS NULL"_s), u"500"_s);
    QCOMPARE(psqlValue(u"SELECT name || '/' || qty FROM monitor_csv_import WHERE id = 7"_s),
             u"item 7; with 'quotes'/14"_s);
    QCOMPARE(psqlValue(u"SELECT sum(id) FROM monitor_csv_import"_s), u"12502500"_s);
    psql(u"DROP TABLE monitor_csv_import"_s);
}

void tst_Monitor::csvImportMalformedLeavesTableUnchanged()
{
    psql(u"DROP TABLE IF EXISTS monitor_csv_bad;"
         "CREATE TABLE monitor_csv_bad (id int PRIMARY KEY, name text, qty int);"
         "INSERT INTO monitor_csv_bad VALUES (100, 'kept', 1), (101, 'kept too', 2)"_s);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString file = dir.filePath(u"bad.csv"_s);
    // Line 4 (the header is line 1) has a qty that is not a number.
    QVERIFY(writeFile(file, "id,name,qty\n1,one,1\n2,two,2\n3,three,three\n4,four,4\n"));

    MonitorSession session;
    openPool(session, 1, 2);
    MainWindow window(&session);
    window.show();
    CopyWidget *widget = window.copyWidget();
    window.tabs()->setCurrentWidget(widget);
    widget->setMode(CopyWidget::Import);
    widget->tableEdit()->setText(u"monitor_csv_bad"_s);
    widget->fileEdit()->setText(file);
    QSignalSpy finished(widget, &CopyWidget::finished);
    QTest::mouseClick(widget->startButton(), Qt::LeftButton);
    QVERIFY(finished.wait(Timeout));
    QCOMPARE(finished.first().first().toBool(), false);
    const QString error = widget->errorText();
    QVERIFY2(error.contains(u"22P02"_s), qPrintable(error));
    QVERIFY2(error.contains(u"line 4"_s), qPrintable(error)); // the server's context names the line
    QVERIFY2(error.contains(u"three"_s), qPrintable(error));
    QVERIFY2(widget->statusText().contains(u"unchanged"_s), qPrintable(widget->statusText()));
    QTRY_COMPARE_WITH_TIMEOUT(window.eventLogModel()->count(u"CSV: COPY failed"_s), 1, Timeout);

    QCOMPARE(psqlValue(u"SELECT count(*) || ' ' || sum(id) FROM monitor_csv_bad"_s), u"2 201"_s);
    psql(u"DROP TABLE monitor_csv_bad"_s);
}

void tst_Monitor::csvImportCancel()
{
    // A trigger makes the server slow (1 ms a row), so the COPY is still running when Cancel comes.
    psql(u"DROP TABLE IF EXISTS monitor_csv_slow;"
         "CREATE TABLE monitor_csv_slow (id int PRIMARY KEY, name text);"
         "CREATE OR REPLACE FUNCTION monitor_csv_slow_row() RETURNS trigger LANGUAGE plpgsql AS "
         "$$BEGIN PERFORM pg_sleep(0.001); RETURN NEW; END$$;"
         "CREATE TRIGGER slow BEFORE INSERT ON monitor_csv_slow FOR EACH ROW EXECUTE FUNCTION monitor_csv_slow_row()"_s);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString file = dir.filePath(u"slow.csv"_s);
    QByteArray csv;
    for (int i = 1; i <= 20000; ++i)
        csv += QByteArray::number(i) + ",row " + QByteArray::number(i) + "\n";
    QVERIFY(writeFile(file, csv));

    MonitorSession session;
    openPool(session, 1, 2);
    QSignalSpy events(&session, &MonitorSession::event);
    CopyWidget widget(&session);
    widget.show();
    widget.setMode(CopyWidget::Import);
    widget.headerCheck()->setChecked(false);
    widget.tableEdit()->setText(u"monitor_csv_slow"_s);
    widget.fileEdit()->setText(file);
    QSignalSpy finished(&widget, &CopyWidget::finished);
    QTest::mouseClick(widget.startButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            for (const QList<QVariant> &args : std::as_const(events)) {
                if (args.first().value<MonitorEvent>().text.startsWith(u"CSV: importing"_s))
                    return true;
            }
            return false;
        }(),
        Timeout);
    QCOMPARE(finished.count(), 0);
    QElapsedTimer took;
    took.start();
    QTest::mouseClick(widget.cancelButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 5000);
    QVERIFY2(took.elapsed() < 5000, qPrintable(QString::number(took.elapsed())));
    QCOMPARE(finished.first().first().toBool(), false);
    QVERIFY2(widget.statusText().startsWith(u"Canceled"_s), qPrintable(widget.statusText()));
    QCOMPARE(psqlValue(u"SELECT count(*) FROM monitor_csv_slow"_s), u"0"_s); // rolled back
    psql(u"DROP TABLE monitor_csv_slow; DROP FUNCTION monitor_csv_slow_row()"_s);
}

void tst_Monitor::connectionDialog()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, dir.path());
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, dir.path());

    ConnectionDialog dialog;
    dialog.tabs()->setCurrentIndex(1);
    dialog.hostEdit()->setText(u"db.example.com"_s);
    dialog.portEdit()->setText(u"6543"_s);
    dialog.databaseEdit()->setText(u"my app"_s);
    dialog.userEdit()->setText(u"o'neil"_s);
    QCOMPARE(dialog.passwordEdit()->echoMode(), QLineEdit::Password);
    dialog.sslModeCombo()->setCurrentText(u"require"_s);
    // No password typed: none in the DSN, so libpq uses ~/.pgpass and PGPASSWORD.
    const QString expected = u"host=db.example.com port=6543 dbname='my app' user='o\\'neil' sslmode=require"_s;
    QCOMPARE(dialog.dsn(), expected);
    dialog.serviceEdit()->setText(u"prod"_s);
    QVERIFY(dialog.dsn().startsWith(u"service=prod host="_s));
    dialog.serviceEdit()->clear();

    dialog.passwordEdit()->setText(u"s3cret pw"_s);
    QVERIFY(dialog.dsn().contains(u"password='s3cret pw'"_s)); // in memory, for this connection only
    dialog.accept();
    {
        QSettings settings;
        const QStringList recent = ConnectionDialog::recentProfiles(settings);
        QCOMPARE(recent.size(), 1);
        QCOMPARE(recent.first(), expected);
        settings.sync();
        const QString path = settings.fileName();
        QVERIFY2(QFile::exists(path), qPrintable(path));
        QVERIFY2(!readFile(path).contains("s3cret"), qPrintable(path));
    }
    QCOMPARE(dsnWithoutPassword(u"postgresql://me:pw@host/db?sslmode=require&password=x"_s),
             u"postgresql://me@host/db?sslmode=require"_s);
    QCOMPARE(dsnWithoutPassword(u"host=h password='a b' user=u"_s), u"host=h user=u"_s);
    QCOMPARE(dsnWithoutPassword(u"host=h sslkey=/k.key sslpassword=ph user=u"_s), u"host=h sslkey=/k.key user=u"_s);
    QCOMPARE(dsnWithoutPassword(u"postgresql://me@host/db?sslpassword=ph&sslmode=require"_s),
             u"postgresql://me@host/db?sslmode=require"_s);

    // A recent profile fills the DSN field; a real connect through the dialog's DSN works.
    ConnectionDialog again;
    QCOMPARE(again.recentCombo()->count(), 2);
    again.recentCombo()->setCurrentIndex(1);
    Q_EMIT again.recentCombo()->activated(1);
    QCOMPARE(again.tabs()->currentIndex(), 0);
    QVERIFY(again.dsnEdit()->text().startsWith(u"host=db.example.com"_s));
    again.dsnEdit()->setText(QPgTest::dsn());
    MonitorSession session;
    session.openPool(again.dsn(), again.minSize(), again.maxSize());
    QTRY_COMPARE_WITH_TIMEOUT(session.poolState(), PoolState::Open, Timeout);
}

void tst_Monitor::connectionDialogTestsBeforeReplacing()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, dir.path());
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, dir.path());

    MonitorSession session;
    session.openPool(QPgTest::passwordDsn(), 1, 2);
    QTRY_COMPARE_WITH_TIMEOUT(session.poolState(), PoolState::Open, Timeout);
    QPg::Pool *working = session.pool();
    QVERIFY(working);
    MainWindow window(&session);
    window.show();
    window.showConnectDialog();
    QPointer<ConnectionDialog> dialog = window.findChild<ConnectionDialog *>();
    QVERIFY(dialog);
    QVERIFY(dialog->isVisible());

    // The DSN field has the focus and the current DSN, without its password in clear text.
    QCOMPARE(dialog->focusWidget(), dialog->dsnEdit());
    const QString password = dsnPassword(QPgTest::passwordDsn());
    QVERIFY(!password.isEmpty());
    QCOMPARE(dialog->dsnEdit()->echoMode(), QLineEdit::Normal);
    QVERIFY(!dialog->dsnEdit()->text().contains(password));
    QCOMPARE(dialog->dsnEdit()->text(), dsnWithoutPassword(QPgTest::passwordDsn()));
    QVERIFY(dialog->keepPasswordCheck()->isVisibleTo(dialog));
    QCOMPARE(dsnPassword(dialog->dsn()), password); // kept in memory for the reconnect

    // An empty DSN is refused without a connection attempt.
    QSignalSpy tested(&session, &MonitorSession::connectionTested);
    dialog->dsnEdit()->clear();
    QTest::mouseClick(dialog->connectButton(), Qt::LeftButton);
    QVERIFY(dialog->isVisible());
    QVERIFY(!dialog->isTesting());
    QVERIFY2(dialog->errorText().contains(u"Enter a connection string"_s), qPrintable(dialog->errorText()));

    // A wrong password: the dialog stays open with the server's error; the working pool is untouched.
    dialog->dsnEdit()->setText(QPgTest::passwordDsnWith(u"wrong"_s));
    QTest::mouseClick(dialog->connectButton(), Qt::LeftButton);
    QVERIFY(dialog->isTesting());
    QVERIFY(!dialog->connectButton()->isEnabled());
    QVERIFY(tested.wait(Timeout));
    QCOMPARE(tested.first().at(1).toBool(), false);
    QVERIFY(dialog->isVisible());
    QVERIFY2(dialog->errorText().contains(u"password authentication failed"_s), qPrintable(dialog->errorText()));
    QVERIFY(dialog->connectButton()->isEnabled());
    QCOMPARE(session.pool(), working);
    QCOMPARE(session.poolState(), PoolState::Open);
    QVERIFY(working->isOpen() && !working->isClosing());

    // The DSN without a password, with the kept one: it connects, then the pool is replaced.
    dialog->dsnEdit()->setText(dsnWithoutPassword(QPgTest::passwordDsn()));
    QTest::mouseClick(dialog->connectButton(), Qt::LeftButton);
    QVERIFY(tested.wait(Timeout));
    QCOMPARE(tested.last().at(1).toBool(), true);
    QTRY_VERIFY(!dialog || !dialog->isVisible());
    QTRY_VERIFY_WITH_TIMEOUT(session.pool() && session.pool() != working, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(session.poolState(), PoolState::Open, Timeout);
    QCOMPARE(dsnPassword(session.dsn()), password);
}

// The dashboard shut down while the connection dialog's trial connection is still opening: the
// trial goes with the controller, and its failed open must not run a continuation on the dead
// controller (Qt 6.4's then(context) asserts on that in debug builds).
void tst_Monitor::sessionGoesWhileConnectionTestRuns()
{
    QTcpServer silent; // accepts, never answers: the trial waits for the server's first message
    QVERIFY(silent.listen(QHostAddress::LocalHost));
    {
        MonitorSession session;
        QSignalSpy tested(&session, &MonitorSession::connectionTested);
        session.testConnection(u"host=127.0.0.1 port=%1 dbname=x user=x connect_timeout=60"_s.arg(silent.serverPort()));
        QVERIFY(silent.waitForNewConnection(Timeout)); // the trial is under way
        QCOMPARE(tested.size(), 0);
    }
    QVERIFY(silent.isListening());
}

void tst_Monitor::queryRunnerDisabledWhilePoolNotOpen()
{
    MonitorSession session; // no pool yet
    QueryRunnerWidget runner(&session);
    runner.show();
    QVERIFY(!runner.runButton()->isEnabled());
    QVERIFY2(runner.statusText().contains(u"not open"_s), qPrintable(runner.statusText()));
    QVERIFY2(runner.runButton()->toolTip().contains(u"not open"_s), qPrintable(runner.runButton()->toolTip()));
    runner.editor()->setPlainText(u"SELECT 1"_s);
    QTest::keyClick(runner.editor(), Qt::Key_Return, Qt::ControlModifier);
    QVERIFY(!runner.isRunning());
    QVERIFY(runner.errorText().isEmpty()); // the reason is shown already: no error on top

    openPool(session, 1, 2);
    QTRY_VERIFY_WITH_TIMEOUT(runner.runButton()->isEnabled(), Timeout);
    QCOMPARE(runner.statusText(), u"Ready."_s);
    QSignalSpy done(&runner, &QueryRunnerWidget::queryDone);
    runner.run();
    QVERIFY(done.wait(Timeout));
    QCOMPARE(done.first().first().toBool(), true);

    session.closePool(2000);
    QTRY_COMPARE_WITH_TIMEOUT(session.poolState(), PoolState::Closed, Timeout);
    QVERIFY(!runner.runButton()->isEnabled());
    QVERIFY2(runner.statusText().contains(u"closed"_s), qPrintable(runner.statusText()));
}

void tst_Monitor::queryRunnerShowsCommandTags()
{
    psql(u"DROP TABLE IF EXISTS monitor_tags"_s);
    MonitorSession session;
    openPool(session, 1, 2);
    QueryRunnerWidget runner(&session);
    QSignalSpy done(&runner, &QueryRunnerWidget::queryDone);
    const auto runSql = [&](const QString &sql) {
        runner.editor()->setPlainText(sql);
        runner.run();
        return done.wait(Timeout) && done.last().first().toBool();
    };
    QVERIFY(runSql(u"CREATE TABLE monitor_tags (id int)"_s));
    QVERIFY2(runner.statusText().startsWith(u"CREATE TABLE in "_s), qPrintable(runner.statusText()));
    QVERIFY(runSql(u"INSERT INTO monitor_tags SELECT generate_series(1, 3)"_s));
    QVERIFY2(runner.statusText().startsWith(u"INSERT 0 3 — 3 row(s) affected in "_s), qPrintable(runner.statusText()));
    QVERIFY(runSql(u"UPDATE monitor_tags SET id = id + 10 WHERE id > 1"_s));
    QVERIFY2(runner.statusText().startsWith(u"UPDATE 2 — 2 row(s) affected in "_s), qPrintable(runner.statusText()));
    QVERIFY(runSql(u"DELETE FROM monitor_tags RETURNING id"_s));
    QCOMPARE(runner.resultModel()->rowCount(), 3);
    QVERIFY2(runner.statusText().startsWith(u"3 row(s) in "_s), qPrintable(runner.statusText()));
    QVERIFY2(runner.statusText().contains(u"DELETE 3 — 3 row(s) affected"_s), qPrintable(runner.statusText()));
    QVERIFY(runSql(u"DROP TABLE monitor_tags"_s));
    QVERIFY2(runner.statusText().startsWith(u"DROP TABLE in "_s), qPrintable(runner.statusText()));
}

void tst_Monitor::queryRunnerErrorPositionAfterEmoji()
{
    MonitorSession session;
    openPool(session, 1, 2);
    QueryRunnerWidget runner(&session);
    runner.show();
    // Each emoji is one character for the server and two UTF-16 units in the editor.
    const QString sql = u"SELECT '😀🎉' AS party,\n       nme FROM (SELECT 1 AS name) AS t"_s;
    runner.editor()->setPlainText(sql);
    QSignalSpy done(&runner, &QueryRunnerWidget::queryDone);
    runner.run();
    QVERIFY(done.wait(Timeout));
    QCOMPARE(done.first().first().toBool(), false);
    QVERIFY2(runner.errorText().contains(u"42703"_s), qPrintable(runner.errorText()));
    const QList<QTextEdit::ExtraSelection> marks = runner.editor()->extraSelections();
    QCOMPARE(marks.size(), 1);
    QCOMPARE(marks.first().cursor.selectedText(), u"nme"_s);
    QCOMPARE(marks.first().cursor.selectionStart(), int(sql.indexOf(u"nme"_s)));
    QCOMPARE(QueryRunnerWidget::textIndexOfPosition(u"a😀b"_s, 3), 3); // 'b': the third character
}

void tst_Monitor::queryRunnerEscCancelsWithoutError()
{
    MonitorSession session;
    openPool(session, 1, 2);
    QueryRunnerWidget runner(&session);
    runner.show();
    // Not a SELECT: runs whole, not through a cursor.
    runner.editor()->setPlainText(u"DO $$BEGIN PERFORM pg_sleep(30); END$$ /* esc_marker */"_s);
    const QString onServer = u"SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                             "AND query LIKE '%esc\\_marker%' AND pid <> pg_backend_pid()"_s;
    QSignalSpy done(&runner, &QueryRunnerWidget::queryDone);
    runner.run();
    QTRY_COMPARE_WITH_TIMEOUT(psqlValue(onServer), u"1"_s, Timeout);
    QElapsedTimer took;
    took.start();
    runner.editor()->setFocus();
    QTest::keyClick(runner.editor(), Qt::Key_Escape);
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 5000);
    QVERIFY2(took.elapsed() < 5000, qPrintable(QString::number(took.elapsed())));
    QCOMPARE(done.first().first().toBool(), false);
    QVERIFY2(runner.errorText().isEmpty(), qPrintable(runner.errorText())); // the user's cancel is no error
    QVERIFY2(runner.statusText().startsWith(u"Canceled"_s), qPrintable(runner.statusText()));
    QTRY_COMPARE_WITH_TIMEOUT(psqlValue(onServer), u"0"_s, Timeout);
    QVERIFY(runner.runButton()->isEnabled());
}

void tst_Monitor::queryRunnerCopiesSelectedRow()
{
    MonitorSession session;
    openPool(session, 1, 2);
    MainWindow window(&session);
    window.show();
    QueryRunnerWidget *runner = window.queryRunner();
    window.tabs()->setCurrentWidget(runner);
    runner->editor()->setPlainText(u"SELECT g AS n, 'row ' || g AS label, NULL::text AS nothing, repeat('x', 300) AS long\n"
                                   "FROM generate_series(1, 3) AS g ORDER BY g"_s);
    QSignalSpy done(runner, &QueryRunnerWidget::queryDone);
    runner->run();
    QVERIFY(done.wait(Timeout));
    QGuiApplication::clipboard()->clear();
    runner->resultView()->selectRow(1);
    runner->resultView()->setFocus();
    QTest::keyClick(runner->resultView(), Qt::Key_C, Qt::ControlModifier);
    // The whole row, tab-separated, with whole values (the grid shows long ones shortened).
    QCOMPARE(QGuiApplication::clipboard()->text(), u"2\trow 2\tNULL\t"_s + QString(300, u'x'));

    // The connections table copies its rows the same way.
    window.tabs()->setCurrentIndex(0);
    QTRY_VERIFY_WITH_TIMEOUT(window.connectionsView()->model()->rowCount() > 0, Timeout);
    window.connectionsView()->selectRow(0);
    QTest::keyClick(window.connectionsView(), Qt::Key_C, Qt::ControlModifier);
    const QStringList copied = QGuiApplication::clipboard()->text().split(u'\t');
    QCOMPARE(copied.size(), int(ConnectionsModel::ColumnCount));
    QCOMPARE(copied.at(ConnectionsModel::BackendPid),
             window.connectionsView()->model()->index(0, ConnectionsModel::BackendPid).data().toString());
}

void tst_Monitor::csvExportShowsProgress()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    MonitorSession session;
    openPool(session, 1, 2);
    CopyWidget widget(&session);
    widget.show();
    // Half the rows, then a pause on the server: progress must show while the export runs.
    widget.setQuery(u"SELECT g, repeat('x', 100) AS pad, CASE WHEN g = 20000 THEN pg_sleep(2) END AS pause "
                    "FROM generate_series(1, 40000) AS g"_s);
    widget.fileEdit()->setText(dir.filePath(u"progress.csv"_s));
    QSignalSpy finished(&widget, &CopyWidget::finished);
    QTest::mouseClick(widget.startButton(), Qt::LeftButton);
    static const QRegularExpression progress(u"[\\d,.\\s]+ rows · [\\d.]+ (B|KiB|MiB) · [\\d.]+ (B|KiB|MiB)/s"_s);
    QTRY_VERIFY_WITH_TIMEOUT(progress.match(widget.statusText()).hasMatch() || !widget.isRunning(), Timeout);
    QVERIFY2(widget.isRunning(), qPrintable(widget.statusText())); // seen while it ran
    QVERIFY(finished.wait(Timeout));
    QVERIFY2(finished.first().first().toBool(), qPrintable(widget.errorText()));
    QVERIFY2(progress.match(widget.progressBar()->text()).hasMatch(), qPrintable(widget.progressBar()->text()));
    QVERIFY2(widget.progressBar()->text().startsWith(QLocale().toString(40000) + u" rows"_s),
             qPrintable(widget.progressBar()->text()));
}

void tst_Monitor::csvExportAsksBeforeOverwriting()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString file = dir.filePath(u"existing.csv"_s);
    QVERIFY(writeFile(file, "keep me\n"));
    MonitorSession session;
    openPool(session, 1, 2);
    CopyWidget widget(&session);
    widget.show();
    widget.setQuery(u"SELECT 1 AS one"_s);
    widget.headerCheck()->setChecked(false);
    widget.fileEdit()->setText(file);
    QSignalSpy finished(&widget, &CopyWidget::finished);

    QTest::mouseClick(widget.startButton(), Qt::LeftButton);
    QPointer<QMessageBox> box = widget.findChild<QMessageBox *>(u"copyOverwriteBox"_s);
    QVERIFY(box);
    QVERIFY(box->isVisible());
    QVERIFY(!widget.isRunning());
    box->button(QMessageBox::No)->click();
    QVERIFY(!widget.isRunning());
    QCOMPARE(readFile(file), QByteArray("keep me\n"));
    QVERIFY2(widget.statusText().contains(u"left as it was"_s), qPrintable(widget.statusText()));
    QTRY_VERIFY(!box);

    QTest::mouseClick(widget.startButton(), Qt::LeftButton);
    box = widget.findChild<QMessageBox *>(u"copyOverwriteBox"_s);
    QVERIFY(box);
    box->button(QMessageBox::Yes)->click();
    QVERIFY(widget.isRunning());
    QVERIFY(finished.wait(Timeout));
    QVERIFY2(finished.first().first().toBool(), qPrintable(widget.errorText()));
    QCOMPARE(readFile(file), QByteArray("1\n"));
}

void tst_Monitor::csvExportFailureSaysNoFileLeft()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString file = dir.filePath(u"failed.csv"_s);
    MonitorSession session;
    openPool(session, 1, 2);
    CopyWidget widget(&session);
    widget.show();
    widget.setQuery(u"SELECT 10 / (3 - g) AS boom FROM generate_series(1, 5) AS g"_s); // fails at row 3
    widget.fileEdit()->setText(file);
    QSignalSpy finished(&widget, &CopyWidget::finished);
    QTest::mouseClick(widget.startButton(), Qt::LeftButton);
    QVERIFY(finished.wait(Timeout));
    QCOMPARE(finished.first().first().toBool(), false);
    QVERIFY2(widget.errorText().contains(u"22012"_s), qPrintable(widget.errorText()));
    QVERIFY2(!widget.statusText().contains(u"table"_s), qPrintable(widget.statusText())); // no table was touched
    QVERIFY2(widget.statusText().contains(u"no file was left"_s), qPrintable(widget.statusText()));
    QVERIFY(!QFile::exists(file));
}

void tst_Monitor::closingWhileQueryRunsAsksAndCancels()
{
    // Closing the only window must not quit the application: later tests still wait on signals.
    QApplication::setQuitOnLastWindowClosed(false);
    const auto restore = qScopeGuard([] { QApplication::setQuitOnLastWindowClosed(true); });
    MonitorSession session;
    openPool(session, 1, 2);
    MainWindow window(&session);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QueryRunnerWidget *runner = window.queryRunner();
    runner->editor()->setPlainText(u"DO $$BEGIN PERFORM pg_sleep(30); END$$ /* close_marker */"_s);
    const QString onServer = u"SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                             "AND query LIKE '%close\\_marker%' AND pid <> pg_backend_pid()"_s;
    runner->run();
    QTRY_COMPARE_WITH_TIMEOUT(psqlValue(onServer), u"1"_s, Timeout);

    // No: the window stays and the query goes on.
    QVERIFY(!window.close());
    QPointer<QMessageBox> box = window.findChild<QMessageBox *>(u"closeWhileRunningBox"_s);
    QVERIFY(box);
    QVERIFY2(box->text().contains(u"query"_s), qPrintable(box->text()));
    box->button(QMessageBox::No)->click();
    QVERIFY(window.isVisible());
    QVERIFY(runner->isRunning());
    QTRY_VERIFY(!box);

    // Yes: the query is cancelled on the server, then the window closes.
    QElapsedTimer took;
    took.start();
    QVERIFY(!window.close());
    box = window.findChild<QMessageBox *>(u"closeWhileRunningBox"_s);
    QVERIFY(box);
    box->button(QMessageBox::Yes)->click();
    QTRY_VERIFY_WITH_TIMEOUT(!window.isVisible(), 5000);
    QVERIFY(!runner->isRunning());
    QVERIFY2(took.elapsed() < 5000, qPrintable(QString::number(took.elapsed())));
    QCOMPARE(psqlValue(onServer), u"0"_s); // stopped before the window went
}

void tst_Monitor::statusBarFits1024Pixels()
{
    MonitorSession session;
    // A long DSN, as a user's can be: the pool's state line must not widen the window.
    session.openPool(QPgTest::withDsnParameter(QPgTest::dsn(), u"application_name"_s,
                                               u"a-rather-long-application-name-for-the-status-bar"_s),
                     1, 2);
    QTRY_COMPARE_WITH_TIMEOUT(session.poolState(), PoolState::Open, Timeout);
    MainWindow window(&session);
    window.resize(1024, 700);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QCOMPARE(window.width(), 1024);
    auto *stats = window.statusBar()->findChild<QLabel *>(u"statusStats"_s);
    QVERIFY(stats);
    QTRY_VERIFY_WITH_TIMEOUT(!stats->text().isEmpty(), Timeout);
    QStatusBar *bar = window.statusBar();
    int wanted = 0;
    QStringList parts;
    for (QWidget *child : bar->findChildren<QWidget *>(Qt::FindDirectChildrenOnly)) {
        if (!child->isVisible())
            continue;
        wanted += child->sizeHint().width();
        parts.append(u"%1=%2"_s.arg(child->objectName(), QString::number(child->sizeHint().width())));
    }
    QVERIFY2(wanted <= bar->width(), qPrintable(u"%1 > %2: %3"_s.arg(wanted).arg(bar->width()).arg(parts.join(u", "_s))));
    // The pool's state is all there, in the tool tip when shortened.
    auto *state = bar->findChild<QLabel *>(u"statusPoolState"_s);
    QVERIFY(state);
    QVERIFY2(state->toolTip().contains(u"a-rather-long-application-name"_s), qPrintable(state->toolTip()));
    QVERIFY2(state->text().startsWith(u"Pool open"_s), qPrintable(state->text()));

    // A long status line in the query runner does not widen the window either.
    QueryRunnerWidget *runner = window.queryRunner();
    window.tabs()->setCurrentWidget(runner);
    runner->maxRowsSpin()->setValue(10);
    runner->editor()->setPlainText(u"SELECT g FROM generate_series(1, 100) AS g"_s);
    QSignalSpy done(runner, &QueryRunnerWidget::queryDone);
    runner->run();
    QVERIFY(done.wait(Timeout));
    QVERIFY2(runner->statusText().contains(u"in-memory maximum"_s), qPrintable(runner->statusText()));
    QVERIFY2(window.minimumSizeHint().width() <= 1024, qPrintable(QString::number(window.minimumSizeHint().width())));
    QCOMPARE(window.width(), 1024);
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
    // The passphrase of an encrypted client key is as secret as a password.
    QTest::newRow("sslpassword") << u"host=db sslkey=/k.key sslpassword=ph1 user=app"_s
                                 << u"host=db sslkey=/k.key sslpassword=**** user=app"_s;
    QTest::newRow("uri sslpassword") << u"postgresql://app@db/x?sslpassword=ph1&sslmode=verify-full"_s
                                     << u"postgresql://app@db/x?sslpassword=****&sslmode=verify-full"_s;
    QTest::newRow("uri query, more after") << u"postgres://db/x?password=s3cret&sslmode=require"_s
                                           << u"postgres://db/x?password=****&sslmode=require"_s;
    QTest::newRow("none") << u"host=db user=app"_s << u"host=db user=app"_s;
}

void tst_Monitor::passwordsAreMasked()
{
    QFETCH(QString, dsn);
    QFETCH(QString, masked);
    QCOMPARE(maskedDsn(dsn), masked);
}

// A DSN listing the test server and a port nobody listens on: the Servers tab shows one primary and
// one server that is down, and the dashboard's pool runs on the primary.
void tst_Monitor::serversTabShowsEachListedServer()
{
    const QString port = [] {
        auto connection = QPgTest::openConnection();
        return QPgTest::await(connection->fetchValue(u"SELECT inet_server_port()"_s)).toString();
    }();
    QTcpServer unused;
    QVERIFY(unused.listen(QHostAddress::LocalHost));
    const QString refused = QString::number(unused.serverPort());
    unused.close();
    QString dsn = QPgTest::withDsnParameter(QPgTest::dsn(), u"host"_s, u"127.0.0.1,127.0.0.1"_s);
    dsn = QPgTest::withDsnParameter(dsn, u"port"_s, port + u',' + refused);

    MonitorSession session;
    session.openPool(dsn, 1, 2);
    QTRY_COMPARE_WITH_TIMEOUT(session.poolState(), PoolState::Open, Timeout);
    MainWindow window(&session);
    window.show();
    auto *table = window.serversWidget()->findChild<QTableWidget *>(u"serversTable"_s);
    QVERIFY(table);
    const auto cell = [table](int row, int column) {
        const QTableWidgetItem *item = table->item(row, column);
        return item ? item->text() : QString();
    };
    QTRY_COMPARE_WITH_TIMEOUT(table->rowCount(), 2, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(cell(0, ServersWidget::Role), u"primary"_s, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(cell(1, ServersWidget::Role), u"down"_s, Timeout);
    QCOMPARE(cell(0, ServersWidget::Server), u"127.0.0.1:"_s + port);
    QTRY_COMPARE_WITH_TIMEOUT(cell(0, ServersWidget::Size), u"1"_s, Timeout);
    QVERIFY2(cell(1, ServersWidget::Error).contains(u"refused"_s), qPrintable(cell(1, ServersWidget::Error)));
    QVERIFY(!window.serversWidget()->findChild<QLabel *>(u"serversHint"_s)->isVisible());
}

// The wait chart and the overview show the pool as it is now: the acquire-wait percentiles of the
// last 10 s (not since the pool opened, which stay high for minutes after a burst) and the age of
// the oldest waiter.
void tst_Monitor::samplesShowRecentWaits()
{
    QPg::PoolStats stats;
    stats.acquireWaitP50Ms = 20;
    stats.acquireWaitP99Ms = 900; // a burst long ago
    stats.acquireWaitLast10s.p50Ms = 0.5;
    stats.acquireWaitLast10s.p99Ms = 2.5;
    stats.oldestWaiterMs = 125;
    RateCalculator rates;
    const StatsSample sample = rates.add(1.0, stats);
    QCOMPARE(sample.waitP50Ms, 0.5);
    QCOMPARE(sample.waitP99Ms, 2.5);
    QCOMPARE(sample.oldestWaitMs, 125.0);
}

QTEST_MAIN(tst_Monitor)
#include "tst_monitor.moc"
