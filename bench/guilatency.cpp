// SPDX-License-Identifier: MIT
// qpgpool-gui-latency: how responsive qpgpool-monitor's GUI thread stays while the built-in load
// generator drives the pool hard. A private PostgreSQL cluster is started, the monitor's real
// MainWindow is shown offscreen (charts, connections table, status bar all updating) and the load
// generator runs on the worker thread; a 10 ms precise timer in the GUI thread records how late it
// fires. Prints p50/p99/max lateness and the achieved queries/s. See docs/BENCHMARKS.md.
// --attach-apps N also starts N qpgpool-monitored-app processes on that cluster and attaches the
// window to all of their pools (issue 10: a dashboard watching 10 pools).

#include "attachtarget.h"
#include "attachview.h"
#include "benchclock.h"
#include "loadsettings.h"
#include "mainwindow.h"
#include "monitorsession.h"
#include "privatecluster.h"
#include "pooloverviewmodel.h"
#include "queryrunnerwidget.h"

#include <QPg/querymodel.h>

#include <QtCore/QCommandLineParser>
#include <QtCore/QElapsedTimer>
#include <QtCore/QEventLoop>
#include <QtCore/QProcess>
#include <QtCore/QTemporaryDir>
#include <QtCore/QTimer>
#include <QtWidgets/QApplication>

#include <algorithm>
#include <cstdio>

using namespace Qt::Literals::StringLiterals;
using namespace QPg::Monitor;

namespace {

constexpr int ProbeIntervalMs = 10;

double percentile(QList<double> values, double fraction)
{
    if (values.isEmpty())
        return 0;
    std::sort(values.begin(), values.end());
    const auto index = qsizetype(fraction * double(values.size() - 1) + 0.5);
    return values.at(std::min(index, values.size() - 1));
}

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"qpgpool-gui-latency"_s);

    QCommandLineParser parser;
    parser.setApplicationDescription(u"GUI-thread event latency of qpgpool-monitor under load."_s);
    parser.addHelpOption();
    const QCommandLineOption secondsOption(u"seconds"_s, u"Measured duration (default 10)."_s, u"S"_s, u"10"_s);
    const QCommandLineOption clientsOption(u"clients"_s, u"Load generator clients (default 40)."_s, u"N"_s, u"40"_s);
    const QCommandLineOption thinkOption(u"think-ms"_s, u"Think time per client (default 2)."_s, u"MS"_s, u"2"_s);
    const QCommandLineOption maxOption(u"max"_s, u"Pool size (default 10)."_s, u"N"_s, u"10"_s);
    const QCommandLineOption queryOption(u"query"_s, u"Load query (default SELECT 1)."_s, u"SQL"_s, u"SELECT 1"_s);
    const QCommandLineOption idleOption(u"no-load"_s, u"Measure without the load generator (baseline)."_s);
    const QCommandLineOption streamOption(
        u"stream"_s, u"Also run SQL in the query runner when the measurement starts (rows streamed into the grid)."_s,
        u"SQL"_s);
    const QCommandLineOption untilDoneOption(
        u"until-done"_s, u"With --stream: end the measurement when the query runner has every row (--seconds is then the limit)."_s);
    const QCommandLineOption maxP99Option(
        u"max-p99"_s, u"Exit with status 3 when the p99 lateness exceeds MS, or --until-done did not finish (a check for ctest)."_s,
        u"MS"_s);
    parser.addOptions({secondsOption, clientsOption, thinkOption, maxOption, queryOption, idleOption, streamOption,
                       untilDoneOption, maxP99Option});
    const QCommandLineOption attachAppsOption(
        u"attach-apps"_s, u"Start N monitored applications and attach the window to their pools."_s, u"N"_s);
    parser.addOption(attachAppsOption);
    parser.process(app);
    const int seconds = std::max(1, parser.value(secondsOption).toInt());
    const int poolSize = std::max(1, parser.value(maxOption).toInt());

    QPg::Dev::PrivateCluster cluster;
    QString error;
    if (!cluster.start(&error)) {
        std::fprintf(stderr, "qpgpool-gui-latency: cannot start a private cluster: %s\n", qPrintable(error));
        return 1;
    }

    MonitorSession session;
    MainWindow window(&session);
    window.resize(1200, 750);
    window.show();
    session.openPool(cluster.dsn(), poolSize, poolSize);
    QElapsedTimer startup;
    startup.start();
    while (session.poolState() != PoolController::PoolState::Open && startup.elapsed() < 30'000)
        QPgBench::runEventLoopFor(20);
    if (session.poolState() != PoolController::PoolState::Open) {
        std::fprintf(stderr, "qpgpool-gui-latency: the pool did not open\n");
        return 1;
    }

    // Monitored applications, each a pool under load in its own process, all attached.
    QTemporaryDir socketDir;
    std::vector<std::unique_ptr<QProcess>> apps;
    const int appCount = parser.value(attachAppsOption).toInt();
    for (int i = 0; i < appCount; ++i) {
        auto app = std::make_unique<QProcess>();
        app->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        app->start(QStringLiteral(QPG_MONITORED_APP),
                   {u"--dsn"_s, cluster.dsn(), u"--name"_s, u"app%1"_s.arg(i + 1), u"--socket-dir"_s, socketDir.path(),
                    u"--callers"_s, u"2"_s, u"--min-size"_s, u"1"_s, u"--max-size"_s, u"2"_s});
        apps.push_back(std::move(app));
    }
    for (const auto &app : apps) {
        QString socketPath;
        QElapsedTimer waited;
        waited.start();
        while (socketPath.isEmpty() && waited.elapsed() < 30'000) {
            if (!app->canReadLine() && !app->waitForReadyRead(100))
                continue;
            const QString line = QString::fromUtf8(app->readLine()).trimmed();
            if (line.startsWith(u"socket: "_s))
                socketPath = line.mid(8);
        }
        const auto target = AttachTarget::parse(socketPath);
        if (socketPath.isEmpty() || !target) {
            std::fprintf(stderr, "qpgpool-gui-latency: a monitored application did not start\n");
            return 1;
        }
        window.attachView()->attach(*target);
    }
    if (appCount > 0) {
        QElapsedTimer attaching;
        attaching.start();
        const auto attachedRows = [&] {
            const PoolOverviewModel *overview = window.attachView()->overview();
            int rows = 0;
            for (int row = 0; row < overview->rowCount(); ++row)
                rows += overview->index(row, PoolOverviewModel::Size).data().isValid();
            return rows;
        };
        while (attachedRows() < appCount && attaching.elapsed() < 30'000)
            QPgBench::runEventLoopFor(50);
        if (attachedRows() < appCount) {
            std::fprintf(stderr, "qpgpool-gui-latency: %d of %d applications attached\n", attachedRows(), appCount);
            return 1;
        }
    }

    LoadSettings load;
    load.clients = parser.value(clientsOption).toInt();
    load.thinkMs = parser.value(thinkOption).toInt();
    load.query = parser.value(queryOption);
    if (!parser.isSet(idleOption))
        session.startLoad(load);
    QPgBench::runEventLoopFor(1500); // warm-up: connections busy, charts scrolling

    QList<double> lateness;
    lateness.reserve(seconds * 1000 / ProbeIntervalMs + 16);
    QElapsedTimer clock;
    qint64 last = 0;
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    probe.setInterval(ProbeIntervalMs);
    QObject::connect(&probe, &QTimer::timeout, &probe, [&] {
        const qint64 now = clock.nsecsElapsed();
        lateness.append(std::max(0.0, double(now - last) / 1e6 - ProbeIntervalMs));
        last = now;
    });
    const quint64 queriesBefore = session.latestStats().queries;
    const double timeBefore = session.latestTime();
    QElapsedTimer streamClock;
    qint64 streamDoneMs = -1;
    QObject::connect(window.queryRunner(), &QueryRunnerWidget::queryDone, &app,
                     [&](bool) { streamDoneMs = streamClock.elapsed(); });
    clock.start();
    probe.start();
    if (parser.isSet(streamOption)) {
        streamClock.start();
        window.runInQueryRunner(parser.value(streamOption));
    }
    if (parser.isSet(streamOption) && parser.isSet(untilDoneOption)) {
        QEventLoop loop;
        QObject::connect(window.queryRunner(), &QueryRunnerWidget::queryDone, &loop, &QEventLoop::quit);
        QTimer::singleShot(seconds * 1000, &loop, &QEventLoop::quit);
        if (streamDoneMs < 0)
            loop.exec();
    } else {
        QPgBench::runEventLoopFor(seconds * 1000);
    }
    probe.stop();
    const quint64 queriesAfter = session.latestStats().queries;
    const double timeAfter = session.latestTime();
    session.stopLoad();

    const double qps = timeAfter > timeBefore ? double(queriesAfter - queriesBefore) / (timeAfter - timeBefore) : 0;
    std::printf("qpgpool-gui-latency: %d s, pool %d, %s, offscreen MainWindow 1200x750\n", seconds, poolSize,
                parser.isSet(idleOption)
                    ? "no load"
                    : qPrintable(u"%1 clients, think %2 ms, \"%3\""_s.arg(load.clients).arg(load.thinkMs).arg(load.query)));
    std::printf("load: %.0f queries/s (pool statistics)\n", qps);
    std::printf("GUI thread, %d ms timer lateness over %lld ticks: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
                ProbeIntervalMs, qlonglong(lateness.size()), percentile(lateness, 0.5), percentile(lateness, 0.99),
                lateness.isEmpty() ? 0.0 : *std::max_element(lateness.begin(), lateness.end()));
    if (parser.isSet(streamOption)) {
        std::printf("query runner: %d rows in the grid, %s; %s\n", window.queryRunner()->resultModel()->rowCount(),
                    streamDoneMs >= 0 ? qPrintable(u"done after %1 ms"_s.arg(streamDoneMs)) : "still streaming",
                    qPrintable(window.queryRunner()->statusText()));
    }
    if (appCount > 0)
        std::printf("attached: %d monitored applications, one pool each, 4 snapshots/s\n", appCount);
    window.close();
    session.shutdown();
    for (const auto &app : apps) {
        app->terminate();
        app->waitForFinished(5000);
    }
    if (parser.isSet(maxP99Option)) {
        const double limit = parser.value(maxP99Option).toDouble();
        if (parser.isSet(untilDoneOption) && streamDoneMs < 0) {
            std::printf("FAIL: the query runner did not finish within %d s\n", seconds);
            return 3;
        }
        if (percentile(lateness, 0.99) > limit) {
            std::printf("FAIL: p99 lateness %.2f ms is above %.2f ms\n", percentile(lateness, 0.99), limit);
            return 3;
        }
        std::printf("OK: p99 lateness within %.2f ms\n", limit);
    }
    return 0;
}
