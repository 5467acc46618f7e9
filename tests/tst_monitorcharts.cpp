// SPDX-License-Identifier: MIT
// qpgpool-monitor's charts, Sessions tab and reconnecting state (issue 10), offscreen: a wall-clock
// time axis, hover values, markers for the actions taken, errors/s on an axis of its own, series
// that stay apart for colour-blind readers, paused charts that pan together; the server's view of
// the pool's backends (a lock held by the test shows as the blocker, terminate from the row menu
// ends that backend); "reconnecting" while a private server is down and "open" once it is back.

#include "chartswidget.h"
#include "controlspanel.h"
#include "elidedlabel.h"
#include "eventlogmodel.h"
#include "mainwindow.h"
#include "monitorsession.h"
#include "qcustomplotinclude.h"
#include "sessionsmenu.h"
#include "sessionswidget.h"
#include "theme.h"

#include "openconnection.h"
#include "privatecluster.h"
#include "testserver.h"

#include <QPg/pool.h>

#include <QtCore/QFile>
#include <QtCore/QRandomGenerator>
#include <QtCore/QRegularExpression>
#include <QtCore/QTemporaryDir>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>
#include <QtWidgets/QApplication>
#include <QtWidgets/QLabel>
#include <QtWidgets/QMenu>
#include <QtWidgets/QMessageBox>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QSpinBox>
#include <QtWidgets/QTabWidget>
#include <QtWidgets/QTableWidget>

#include <array>
#include <cmath>

using namespace Qt::Literals::StringLiterals;
using namespace QPg::Monitor;
using PoolState = PoolController::PoolState;

namespace {

constexpr int Timeout = 20000;

double nowKey()
{
    return double(QDateTime::currentMSecsSinceEpoch()) / 1000.0;
}

// Samples 0.5 s apart from sample time 0 on; size cycles through 0..4, queries/s = 10 * i.
void fillCharts(ChartsWidget &charts, int count)
{
    for (int i = 0; i < count; ++i) {
        StatsSample sample;
        sample.time = i * 0.5;
        sample.maxSize = 4;
        sample.size = i % 5;
        sample.queriesPerSecond = 10.0 * i;
        charts.addSample(sample);
    }
}

void sendMouse(QWidget *widget, QEvent::Type type, QPointF position, Qt::MouseButtons buttons)
{
    const Qt::MouseButton button = type == QEvent::MouseMove ? Qt::NoButton : Qt::LeftButton;
    QMouseEvent event(type, position, widget->mapToGlobal(position), button, buttons, Qt::NoModifier);
    QCoreApplication::sendEvent(widget, &event);
}

// --- Colour-vision deficiency -------------------------------------------------------------------
// Machado, Oliveira & Fernandes (2009), severity 1.0: linear-RGB matrices that show a colour as a
// person with protanopia, deuteranopia or tritanopia sees it.
using Matrix = std::array<std::array<double, 3>, 3>;
constexpr Matrix Protanopia{{{0.152286, 1.052583, -0.204868}, {0.114503, 0.786281, 0.099216},
                             {-0.003882, -0.048116, 1.051998}}};
constexpr Matrix Deuteranopia{{{0.367322, 0.860646, -0.227968}, {0.280085, 0.672501, 0.047413},
                               {-0.011820, 0.042940, 0.968881}}};
constexpr Matrix Tritanopia{{{1.255528, -0.076749, -0.178779}, {-0.078411, 0.930809, 0.147602},
                             {0.004733, 0.691367, 0.303900}}};
constexpr Matrix Typical{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};

double toLinear(double c)
{
    return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
}

// CIELAB (D65) of a linear RGB colour.
std::array<double, 3> lab(const std::array<double, 3> &rgb)
{
    const double x = (0.4124 * rgb[0] + 0.3576 * rgb[1] + 0.1805 * rgb[2]) / 0.95047;
    const double y = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
    const double z = (0.0193 * rgb[0] + 0.1192 * rgb[1] + 0.9505 * rgb[2]) / 1.08883;
    const auto f = [](double t) { return t > 0.008856 ? std::cbrt(t) : 7.787 * t + 16.0 / 116.0; };
    return {116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))};
}

// How far apart two colours look (CIE76 delta E) to someone whose vision the matrix models.
double seenDistance(const QColor &a, const QColor &b, const Matrix &m)
{
    const auto seen = [&m](const QColor &c) {
        const std::array<double, 3> in{toLinear(c.redF()), toLinear(c.greenF()), toLinear(c.blueF())};
        std::array<double, 3> out{};
        for (int i = 0; i < 3; ++i)
            out[i] = std::clamp(m[i][0] * in[0] + m[i][1] * in[1] + m[i][2] * in[2], 0.0, 1.0);
        return lab(out);
    };
    const auto la = seen(a);
    const auto lb = seen(b);
    return std::hypot(la[0] - lb[0], la[1] - lb[1], la[2] - lb[2]);
}

// Below this, two lines of one chart are easily confused (the old palette's acquires/s and
// queries/s were 0.3 apart under protanopia on a dark background).
constexpr double MinimumDistance = 15.0;

double worstDistance(const QList<QColor> &colours, QString *which)
{
    double worst = 1e9;
    const std::array<std::pair<const char *, const Matrix *>, 4> visions{
        {{"typical", &Typical}, {"protanopia", &Protanopia}, {"deuteranopia", &Deuteranopia}, {"tritanopia", &Tritanopia}}};
    for (const auto &[name, matrix] : visions) {
        for (int i = 0; i < colours.size(); ++i) {
            for (int j = i + 1; j < colours.size(); ++j) {
                const double d = seenDistance(colours[i], colours[j], *matrix);
                if (d < worst) {
                    worst = d;
                    *which = u"%1 and %2 under %3"_s.arg(colours[i].name(), colours[j].name(), QLatin1StringView(name));
                }
            }
        }
    }
    return worst;
}

QPalette paletteWith(QColor base, QColor text)
{
    QPalette palette;
    palette.setColor(QPalette::Base, base);
    palette.setColor(QPalette::Window, base);
    palette.setColor(QPalette::Text, text);
    palette.setColor(QPalette::WindowText, text);
    return palette;
}

} // namespace

class tst_MonitorCharts : public QObject
{
    Q_OBJECT

private:
    void openPool(MonitorSession &session, const QString &dsn, int minSize, int maxSize);

private Q_SLOTS:
    void timeAxisShowsWallClock();
    void hoverShowsValuesAtMouse();
    void errorsHaveTheirOwnAxis();
    void seriesAreColourBlindSafe_data();
    void seriesAreColourBlindSafe();
    void pausedChartsPanTogether();
    void markersDropWithTheirSamples();
    void markersForActions();
    void sessionsShowBlockerAndTerminate();
    void reconnectingWhileServerIsDown();
};

void tst_MonitorCharts::openPool(MonitorSession &session, const QString &dsn, int minSize, int maxSize)
{
    session.openPool(dsn, minSize, maxSize);
    QTRY_COMPARE_WITH_TIMEOUT(session.poolState(), PoolState::Open, Timeout);
}

void tst_MonitorCharts::timeAxisShowsWallClock()
{
    const double before = nowKey();
    ChartsWidget charts;
    fillCharts(charts, 20);
    const double after = nowKey();

    // Keys are seconds since the epoch: the first sample is now, the others follow at their spacing.
    const QCPGraph *size = charts.gaugePlot()->graph(1);
    QCOMPARE(size->name(), u"size"_s);
    const double first = size->data()->at(0)->key;
    QVERIFY2(first >= before - 0.01 && first <= after + 0.01, qPrintable(QString::number(first, 'f', 3)));
    QCOMPARE(size->data()->at(19)->key - first, 9.5);
    QCOMPARE(charts.keyOf(9.5), size->data()->at(19)->key);

    // Both time axes label ticks with the local time of day.
    for (QCustomPlot *plot : {charts.gaugePlot(), charts.throughputPlot()}) {
        QVERIFY(plot->xAxis->ticker().dynamicCast<QCPAxisTickerDateTime>());
        plot->toPixmap(800, 300); // lays out and computes the ticks
        const QVector<QString> labels = plot->xAxis->tickVectorLabels();
        QVERIFY(!labels.isEmpty());
        static const QRegularExpression clock(u"^\\d\\d:\\d\\d:\\d\\d$"_s);
        for (const QString &label : labels) {
            QVERIFY2(clock.match(label).hasMatch(), qPrintable(label));
            const QTime shown = QTime::fromString(label, u"HH:mm:ss"_s);
            const QTime start = QDateTime::fromMSecsSinceEpoch(qint64(first * 1000)).time();
            // Within the visible span (sample 0 to 9.5 s), also across midnight.
            const int offset = (start.secsTo(shown) + 86400) % 86400;
            QVERIFY2(offset <= 11 || offset >= 86400 - 1, qPrintable(label + u" vs "_s + start.toString()));
        }
    }

    // The CSV keeps seconds since the start and adds the UTC time of each sample.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString csv = dir.filePath(u"series.csv"_s);
    QString error;
    QVERIFY2(charts.exportCsv(csv, &error), qPrintable(error));
    QFile file(csv);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = file.readAll().trimmed().split('\n');
    QCOMPARE(lines.size(), 21);
    QVERIFY(lines.first().startsWith("time_s,"));
    QVERIFY(lines.first().endsWith(",time_utc"));
    const QList<QByteArray> last = lines.last().split(',');
    QCOMPARE(last.first(), QByteArray("9.500"));
    const QDateTime utc = QDateTime::fromString(QString::fromLatin1(last.last()), Qt::ISODateWithMs);
    QVERIFY2(utc.isValid(), last.last().constData());
    QCOMPARE(utc.timeSpec(), Qt::UTC);
    QCOMPARE(utc.toMSecsSinceEpoch(), qRound64(size->data()->at(19)->key * 1000));
}

void tst_MonitorCharts::hoverShowsValuesAtMouse()
{
    ChartsWidget charts;
    charts.resize(900, 700);
    charts.show();
    QVERIFY(QTest::qWaitForWindowExposed(&charts));
    fillCharts(charts, 40);
    QCustomPlot *gauges = charts.gaugePlot();
    gauges->replot(QCustomPlot::rpImmediateRefresh);
    QVERIFY(charts.hoverText().isEmpty());

    // The mouse over sample 13 (size 3, 130 queries/s), a little off its exact time.
    const double key = charts.keyOf(13 * 0.5) + 0.1;
    const double y = gauges->axisRect()->center().y();
    sendMouse(gauges, QEvent::MouseMove, QPointF(gauges->xAxis->coordToPixel(key), y), Qt::NoButton);
    const QString text = charts.hoverText();
    const QString time = QDateTime::fromMSecsSinceEpoch(qRound64(charts.keyOf(6.5) * 1000)).toString(u"HH:mm:ss.zzz"_s);
    QVERIFY2(text.startsWith(time + u'\n'), qPrintable(text));
    QVERIFY2(text.contains(u"\nsize: 3\n"_s), qPrintable(text));
    QVERIFY2(text.contains(u"\nmax size: 4\n"_s), qPrintable(text));
    QVERIFY2(text.contains(u"\nqueries/s: 130.0"_s), qPrintable(text));
    // A cursor line on both charts at that sample.
    for (QCustomPlot *plot : {charts.gaugePlot(), charts.throughputPlot()}) {
        int visibleLines = 0;
        for (int i = 0; i < plot->itemCount(); ++i) {
            auto *line = qobject_cast<QCPItemStraightLine *>(plot->item(i));
            if (line && line->visible()) {
                ++visibleLines;
                QCOMPARE(line->point1->coords().x(), charts.keyOf(6.5));
            }
        }
        QCOMPARE(visibleLines, 1);
    }

    // The plot areas line up, so the cursor is at the same x on both charts.
    QTRY_COMPARE(charts.throughputPlot()->axisRect()->left(), gauges->axisRect()->left());
    QTRY_COMPARE(charts.throughputPlot()->axisRect()->right(), gauges->axisRect()->right());
    QCOMPARE(charts.throughputPlot()->xAxis->coordToPixel(charts.keyOf(6.5)), gauges->xAxis->coordToPixel(charts.keyOf(6.5)));

    // Moving on to sample 30 shows that one; leaving the chart hides the values.
    sendMouse(gauges, QEvent::MouseMove, QPointF(gauges->xAxis->coordToPixel(charts.keyOf(15)), y), Qt::NoButton);
    QVERIFY2(charts.hoverText().contains(u"\nsize: 0\n"_s), qPrintable(charts.hoverText()));
    QVERIFY2(charts.hoverText().contains(u"\nqueries/s: 300.0"_s), qPrintable(charts.hoverText()));
    QEvent leave(QEvent::Leave);
    QCoreApplication::sendEvent(gauges, &leave);
    QVERIFY(charts.hoverText().isEmpty());
}

void tst_MonitorCharts::errorsHaveTheirOwnAxis()
{
    ChartsWidget charts;
    for (int i = 0; i < 10; ++i) {
        StatsSample sample;
        sample.time = i;
        sample.maxSize = 2;
        sample.acquiresPerSecond = sample.queriesPerSecond = 1000;
        sample.errorsPerSecond = 5;
        sample.waitP99Ms = 40;
        charts.addSample(sample);
    }
    QCustomPlot *plot = charts.throughputPlot();
    QCPGraph *errors = nullptr;
    for (int i = 0; i < plot->graphCount(); ++i) {
        if (plot->graph(i)->name() == u"errors/s"_s)
            errors = plot->graph(i);
    }
    QVERIFY(errors);
    QCPAxis *axis = charts.errorsAxis();
    QCOMPARE(errors->valueAxis(), axis);
    QCOMPARE(axis->axisType(), QCPAxis::atRight);
    QVERIFY(axis != plot->yAxis2);
    QVERIFY(axis->visible());
    QCOMPARE(axis->label(), u"errors/s"_s);
    // Each axis fits its own series: 5 errors/s reach near the top instead of lying flat under
    // 1000 queries/s.
    QVERIFY2(std::abs(axis->range().upper - 5.5) < 1e-9, qPrintable(QString::number(axis->range().upper)));
    QVERIFY2(std::abs(plot->yAxis->range().upper - 1100) < 1e-6, qPrintable(QString::number(plot->yAxis->range().upper)));
    QVERIFY2(std::abs(plot->yAxis2->range().upper - 44) < 1e-9, qPrintable(QString::number(plot->yAxis2->range().upper)));
    plot->toPixmap(800, 300);
    const QRect rect = plot->axisRect()->rect();
    const double errorY = axis->coordToPixel(5);
    QVERIFY2(errorY < rect.top() + rect.height() * 0.2, qPrintable(QString::number(errorY)));
}

void tst_MonitorCharts::seriesAreColourBlindSafe_data()
{
    QTest::addColumn<QPalette>("palette");
    QTest::newRow("light") << paletteWith(Qt::white, Qt::black);
    QTest::newRow("dark") << paletteWith(QColor(0x1e1e1e), QColor(0xe0e0e0));
}

void tst_MonitorCharts::seriesAreColourBlindSafe()
{
    QFETCH(QPalette, palette);
    // The check itself tells confusable colours apart: the old acquires/s and queries/s colours on
    // a dark background look nearly the same with protanopia.
    QString which;
    QVERIFY(worstDistance({QColor(0x6ea8ff), QColor(0xc79bff)}, &which) < MinimumDistance);

    ChartsWidget charts;
    charts.setPalette(palette);
    const QList<QRgb> okabeIto{Theme::OkabeIto::Orange, Theme::OkabeIto::SkyBlue,   Theme::OkabeIto::BluishGreen,
                               Theme::OkabeIto::Yellow, Theme::OkabeIto::Blue,      Theme::OkabeIto::Vermillion,
                               Theme::OkabeIto::ReddishPurple, Theme::OkabeIto::Black};
    for (QCustomPlot *plot : {charts.gaugePlot(), charts.throughputPlot()}) {
        QList<QColor> colours;
        for (int i = 0; i < plot->graphCount(); ++i) {
            QColor colour = plot->graph(i)->pen().color();
            colour.setAlpha(255); // the wide lines are translucent; their hue is what tells them apart
            colours.append(colour);
            // Every coloured series is an Okabe-Ito colour; the dashed max size line is a grey.
            if (plot->graph(i)->name() != u"max size"_s)
                QVERIFY2(okabeIto.contains(colour.rgb() & 0xffffff), qPrintable(plot->graph(i)->name() + colour.name()));
            else
                QCOMPARE(colour.hsvSaturation(), 0);
        }
        const double worst = worstDistance(colours, &which);
        QVERIFY2(worst >= MinimumDistance,
                 qPrintable(u"%1: %2 only %3 apart"_s.arg(plot->objectName(), which).arg(worst, 0, 'f', 1)));
    }
}

void tst_MonitorCharts::pausedChartsPanTogether()
{
    ChartsWidget charts;
    charts.resize(900, 700);
    charts.show();
    QVERIFY(QTest::qWaitForWindowExposed(&charts));
    charts.setWindowSeconds(30);
    fillCharts(charts, 241); // 120 s
    QCustomPlot *gauges = charts.gaugePlot();
    QCustomPlot *throughput = charts.throughputPlot();
    const QCPRange live = gauges->xAxis->range();
    QCOMPARE(live.upper, charts.keyOf(120));
    QCOMPARE(throughput->xAxis->range(), live);

    charts.setPaused(true);
    // Drag the pool chart to the right: both charts show earlier samples, the same ones.
    const QPointF start = gauges->axisRect()->center();
    sendMouse(gauges, QEvent::MouseButtonPress, start, Qt::LeftButton);
    sendMouse(gauges, QEvent::MouseMove, start + QPointF(60, 0), Qt::LeftButton);
    sendMouse(gauges, QEvent::MouseMove, start + QPointF(200, 0), Qt::LeftButton);
    sendMouse(gauges, QEvent::MouseButtonRelease, start + QPointF(200, 0), Qt::NoButton);
    const QCPRange dragged = gauges->xAxis->range();
    QVERIFY2(dragged.upper < live.upper - 1, qPrintable(QString::number(live.upper - dragged.upper)));
    QVERIFY(std::abs(dragged.size() - live.size()) < 1e-6);
    QCOMPARE(throughput->xAxis->range(), dragged);

    // Zoom on the throughput chart: the pool chart follows.
    const QPointF middle = throughput->axisRect()->center();
    QWheelEvent wheel(middle, throughput->mapToGlobal(middle), QPoint(), QPoint(0, 240), Qt::NoButton, Qt::NoModifier,
                      Qt::NoScrollPhase, false);
    QCoreApplication::sendEvent(throughput, &wheel);
    const QCPRange zoomed = throughput->xAxis->range();
    QVERIFY2(zoomed.size() < dragged.size() - 1, qPrintable(QString::number(zoomed.size())));
    QCOMPARE(gauges->xAxis->range(), zoomed);

    // New samples leave a paused chart where it is; resuming jumps back to the newest.
    StatsSample sample;
    sample.time = 121;
    sample.maxSize = 4;
    charts.addSample(sample);
    QCOMPARE(gauges->xAxis->range(), zoomed);
    charts.setPaused(false);
    QCOMPARE(gauges->xAxis->range().upper, charts.keyOf(121));
    QCOMPARE(throughput->xAxis->range(), gauges->xAxis->range());
    QCOMPARE(gauges->xAxis->range().size(), 30.0);
}

void tst_MonitorCharts::markersDropWithTheirSamples()
{
    ChartsWidget charts;
    StatsSample sample;
    sample.maxSize = 2;
    charts.addSample(sample); // time 0
    const auto at = [&charts](double sampleTime) {
        return QDateTime::fromMSecsSinceEpoch(qRound64(charts.keyOf(sampleTime) * 1000));
    };
    const int itemsBefore = charts.gaugePlot()->itemCount();
    charts.addMarker(at(50), u"expire"_s);
    charts.addMarker(at(10), u"resize 1–3"_s); // arrives late: still kept in time order
    charts.addMarker(at(350), u"close"_s);
    QCOMPARE(charts.markers().size(), 3);
    QCOMPARE(charts.markers().at(0).label, u"resize 1–3"_s);
    QCOMPARE(charts.markers().at(1).label, u"expire"_s);
    QVERIFY(std::abs(charts.markers().at(1).key - charts.keyOf(50)) < 0.002);
    QCOMPARE(charts.gaugePlot()->itemCount(), itemsBefore + 6); // a line and a label each
    QCOMPARE(charts.throughputPlot()->itemCount(), itemsBefore + 3); // lines only
    // Samples up to 360 s keep 60 s and later: the first two markers go with their samples.
    for (int t = 1; t <= 360; ++t) {
        sample.time = t;
        charts.addSample(sample);
    }
    QCOMPARE(charts.markers().size(), 1);
    QCOMPARE(charts.markers().first().label, u"close"_s);
    QCOMPARE(charts.gaugePlot()->itemCount(), itemsBefore + 2);
}

void tst_MonitorCharts::markersForActions()
{
    MonitorSession session;
    session.setSampleInterval(50);
    openPool(session, QPgTest::dsn(), 1, 2);
    MainWindow window(&session);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    ChartsWidget *charts = window.charts();
    QTRY_VERIFY_WITH_TIMEOUT(charts->sampleCount() > 2, Timeout);
    const auto labels = [charts] {
        QStringList result;
        for (const ChartsWidget::Marker &marker : charts->markers())
            result.append(marker.label);
        return result;
    };

    const double before = nowKey();
    QTest::mouseClick(window.controls()->expireButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(labels(), QStringList{u"expire"_s}, Timeout);
    const double key = charts->markers().first().key;
    QVERIFY2(key >= before - 0.01 && key <= nowKey() + 0.01, qPrintable(QString::number(key - before)));
    // The marker sits among the samples taken around it, on the charts' own time axis.
    QTRY_VERIFY_WITH_TIMEOUT(charts->gaugePlot()->graph(1)->data()->at(charts->sampleCount() - 1)->key > key, Timeout);

    window.controls()->minSizeSpin()->setValue(1);
    window.controls()->maxSizeSpin()->setValue(3);
    QTest::mouseClick(window.controls()->resizeButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(labels().size(), 2, Timeout);
    QCOMPARE(labels().last(), u"resize 1–3"_s);
    window.controls()->closeTimeoutSpin()->setValue(2);
    QTest::mouseClick(window.controls()->closeButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(session.poolState(), PoolState::Closed, Timeout);
    QTest::mouseClick(window.controls()->reopenButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(session.poolState(), PoolState::Open, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(labels(), (QStringList{u"expire"_s, u"resize 1–3"_s, u"close"_s, u"reopen"_s}), Timeout);
    // Drawn: each marker is a line on both charts and a label on the pool chart.
    int labelsShown = 0;
    for (int i = 0; i < charts->gaugePlot()->itemCount(); ++i) {
        if (auto *text = qobject_cast<QCPItemText *>(charts->gaugePlot()->item(i)); text && text->visible())
            labelsShown += labels().contains(text->text()) ? 1 : 0;
    }
    QCOMPARE(labelsShown, 4);
}

// A backend of the pool waits for an advisory lock the test holds on a connection of its own: the
// Sessions tab shows it waiting on a Lock with the test's backend as the blocker; terminating it
// from the row menu (confirmation accepted) ends that backend and the pool sees it close.
void tst_MonitorCharts::sessionsShowBlockerAndTerminate()
{
    MonitorSession session;
    openPool(session, QPgTest::dsn(), 1, 3);
    MainWindow window(&session);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    SessionsWidget *sessions = window.sessionsWidget();
    QTableWidget *table = sessions->table();
    window.tabs()->setCurrentWidget(sessions);
    QTRY_VERIFY_WITH_TIMEOUT(table->rowCount() >= 1, Timeout);

    // A refresh is skipped while one is out (the view never queues reads on a busy pool).
    QTRY_VERIFY_WITH_TIMEOUT(!sessions->isRefreshing(), Timeout);
    QVERIFY(sessions->refresh());
    QVERIFY(sessions->isRefreshing());
    QVERIFY(!sessions->refresh());
    QTRY_VERIFY_WITH_TIMEOUT(!sessions->isRefreshing(), Timeout);

    const qint64 lockKey = 0x5e55'0000'0000LL + QRandomGenerator::global()->bounded(1 << 30);
    auto holder = QPgTest::openConnection();
    const int holderPid = QPgTest::await(holder->fetchValue(u"SELECT pg_backend_pid()"_s)).toInt();
    QPgTest::await(holder->execute(u"SELECT pg_advisory_lock(%1)"_s.arg(lockKey)));
    QFuture<QVariant> blocked =
        session.pool()->fetchValue(u"SELECT pg_advisory_xact_lock(%1)"_s.arg(lockKey), {}, {}, {{}, u"blocked by the test"_s});

    const auto rowBlockedBy = [table](int pid) {
        for (int row = 0; row < table->rowCount(); ++row) {
            const QTableWidgetItem *item = table->item(row, SessionsWidget::BlockedBy);
            if (item && item->text().split(u", "_s).contains(QString::number(pid)))
                return row;
        }
        return -1;
    };
    QTRY_VERIFY_WITH_TIMEOUT(rowBlockedBy(holderPid) >= 0, Timeout);
    const int row = rowBlockedBy(holderPid);
    const int blockedPid = table->item(row, SessionsWidget::Pid)->text().toInt();
    QCOMPARE(table->item(row, SessionsWidget::State)->text(), u"active"_s);
    QCOMPARE(table->item(row, SessionsWidget::WaitEventType)->text(), u"Lock"_s);
    QCOMPARE(table->item(row, SessionsWidget::WaitEvent)->text(), u"advisory"_s);
    QVERIFY(table->item(row, SessionsWidget::Query)->text().contains(u"pg_advisory_xact_lock"_s));
    QVERIFY(!table->item(row, SessionsWidget::QueryStart)->text().isEmpty());
    QVERIFY(!table->item(row, SessionsWidget::TransactionStart)->text().isEmpty());
    bool pooled = false;
    for (const QPg::ConnectionInfo &info : session.latestConnections())
        pooled = pooled || info.backendPid == blockedPid;
    QVERIFY2(pooled, "the blocked backend is not one of the pool's");
    // Only the pool's backends are listed: the test's own connection is not.
    for (int r = 0; r < table->rowCount(); ++r)
        QVERIFY(table->item(r, SessionsWidget::Pid)->text().toInt() != holderPid);

    // The row menu, opened on that row, acts on its backend.
    QPgTest::openSessionsMenu(sessions, row);
    QTRY_VERIFY(sessions->rowMenu()->isVisible());
    QCOMPARE(sessions->menuPid(), blockedPid);
    QVERIFY(sessions->terminateAction()->text().contains(QString::number(blockedPid)));

    // The confirmation names the backend; the test accepts it.
    QSignalSpy signalled(sessions, &SessionsWidget::backendSignalled);
    const QString confirmation = QPgTest::chooseAndConfirm(sessions, sessions->terminateAction());
    QVERIFY2(confirmation.contains(u"Terminate backend %1"_s.arg(blockedPid)), qPrintable(confirmation));
    QVERIFY(signalled.wait(Timeout));
    QCOMPARE(signalled.first().at(0).toInt(), blockedPid);
    QVERIFY2(signalled.first().at(1).toBool(), qPrintable(signalled.first().at(2).toString()));

    // The backend is gone on the server, its query failed, and the pool closed that connection.
    QTRY_COMPARE_WITH_TIMEOUT(QPg::Dev::PrivateCluster::querySingleValue(
                                  QPgTest::dsn(), u"SELECT count(*) FROM pg_stat_activity WHERE pid = %1"_s.arg(blockedPid))
                                  .value_or(u"<psql failed>"_s),
                              u"0"_s, Timeout);
    QVERIFY(QPgTest::waitFor(blocked));
    QVERIFY(QPgTest::awaitError<QPg::Error>(blocked).has_value()); // its backend was terminated
    QTRY_COMPARE_WITH_TIMEOUT(window.eventLogModel()->count(u"closed (backend pid %1)"_s.arg(blockedPid)), 1, Timeout);
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            for (const QPg::ConnectionInfo &info : session.latestConnections()) {
                if (info.backendPid == blockedPid)
                    return false;
            }
            return true;
        }(),
        Timeout);
    QTRY_VERIFY_WITH_TIMEOUT(table->rowCount() >= 1 && rowBlockedBy(holderPid) < 0, Timeout);
    QPgTest::await(holder->execute(u"SELECT pg_advisory_unlock(%1)"_s.arg(lockKey)));
}

// A server of its own, stopped and started again while the dashboard watches.
void tst_MonitorCharts::reconnectingWhileServerIsDown()
{
    QPg::Dev::PrivateCluster cluster;
    QString error;
    QVERIFY2(cluster.start(&error), qPrintable(error));
    MonitorSession session;
    session.setSampleInterval(50);
    openPool(session, cluster.dsn(), 1, 2);
    MainWindow window(&session);
    window.show();
    auto *stateLabel = window.findChild<ElidedLabel *>(u"statusPoolState"_s); // the status bar's
    auto *controlsLabel = window.controls()->findChild<QLabel *>(u"poolStateLabel"_s);
    QVERIFY(stateLabel && controlsLabel);
    const auto says = [stateLabel](const QString &state) {
        const QString text = stateLabel->fullText();
        return text.contains(state) && (state == u"reconnecting"_s || !text.contains(u"reconnecting"_s));
    };
    QTRY_VERIFY_WITH_TIMEOUT(says(u"open"_s), Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(session.latestStats().size, 1, Timeout);

    QVERIFY2(cluster.stopServer(QPg::Dev::PrivateCluster::ShutdownMode::Fast, &error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(session.poolState(), PoolState::Reconnecting, Timeout);
    QVERIFY2(says(u"reconnecting"_s), qPrintable(stateLabel->fullText()));
    QCOMPARE(controlsLabel->text(), u"State: reconnecting"_s);
    QVERIFY(window.controls()->terminateButton()->isEnabled()); // the user can still give up
    QCOMPARE(session.latestStats().size, 0);
    QTRY_VERIFY_WITH_TIMEOUT(window.eventLogModel()->count(u"reconnecting:"_s) == 1, Timeout);
    QTRY_VERIFY_WITH_TIMEOUT(!window.charts()->markers().isEmpty(), Timeout);
    QCOMPARE(window.charts()->markers().last().label, u"server lost"_s);

    QVERIFY2(cluster.startServer(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(session.poolState(), PoolState::Open, Timeout);
    QVERIFY2(says(u"open"_s), qPrintable(stateLabel->fullText()));
    QCOMPARE(controlsLabel->text(), u"State: open"_s);
    QTRY_COMPARE_WITH_TIMEOUT(session.latestStats().size, 1, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(window.charts()->markers().last().label, u"reconnected"_s, Timeout);
    QCOMPARE(window.eventLogModel()->count(u"reconnecting:"_s), 1);
    session.shutdown();
}

QTEST_MAIN(tst_MonitorCharts)
#include "tst_monitorcharts.moc"
