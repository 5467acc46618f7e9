// SPDX-License-Identifier: MIT
// qpgpool-monitor-overhead: what the monitoring endpoint costs the application it runs in
// (issue 10: < 2 % of fetchValue throughput with a dashboard attached at 4 snapshots/s).
//
// This process is the application: a pool of --callers connections, each caller running
// fetchValue("SELECT 1") back to back, and a PoolMonitorServer on a private socket. Rounds alternate
// between no client and a client attached at --rate snapshots/s (this same program with --client,
// in its own process, so its CPU is not the application's). Each phase reports operations/s and the
// application's CPU per operation (getrusage of this process over the measured window).
//
//   qpgpool-monitor-overhead [--seconds S] [--rounds R] [--callers N] [--rate HZ] [--dsn DSN]
//
// Server: --dsn, else QPG_BENCH_DSN, else QPG_BENCH_STATE_FILE, else a private cluster for this run.

#include "benchclock.h"
#include "benchserver.h"

#include <QPg/pool.h>
#include <QPg/poolmonitorclient.h>
#include <QPg/poolmonitorserver.h>

#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>
#include <QtCore/QElapsedTimer>
#include <QtCore/QEventLoop>
#include <QtCore/QProcess>
#include <QtCore/QTemporaryDir>
#include <QtCore/QTextStream>
#include <QtCore/QTimer>

#include <algorithm>
#include <cstdio>

using namespace Qt::Literals::StringLiterals;

namespace {

// The attached dashboard's stand-in: subscribes and counts snapshots until it is terminated.
int runClient(const QString &socketPath, double rate)
{
    QPg::PoolMonitorClient client;
    int snapshots = 0;
    QObject::connect(&client, &QPg::PoolMonitorClient::connected, &client, [&] { client.subscribe(rate); });
    QObject::connect(&client, &QPg::PoolMonitorClient::snapshot, &client, [&] {
        if (++snapshots == 1) {
            std::fputs("subscribed\n", stdout);
            std::fflush(stdout);
        }
    });
    QObject::connect(&client, &QPg::PoolMonitorClient::disconnected, qApp, [](const QString &reason) {
        std::fprintf(stderr, "client: disconnected: %s\n", qPrintable(reason));
        QCoreApplication::exit(1);
    });
    client.connectToLocal(socketPath);
    return QCoreApplication::exec();
}

struct Phase
{
    double opsPerSecond = 0;
    double cpuMicrosPerOp = 0;
};

// Callers that keep fetchValue("SELECT 1") going on the pool; ops counts the finished ones.
class Load : public QObject
{
public:
    Load(QPg::Pool *pool, int callers) : m_pool(pool)
    {
        for (int i = 0; i < callers; ++i)
            next();
    }
    void stop() { m_stopping = true; }
    bool idle() const { return m_running == 0; }
    quint64 ops = 0;
    quint64 errors = 0;

private:
    void next()
    {
        ++m_running;
        m_pool->fetchValue(u"SELECT 1"_s).then(this, [this](QFuture<QVariant> done) {
            --m_running;
            try {
                done.result();
                ++ops;
            } catch (...) {
                ++errors;
            }
            if (!m_stopping)
                next();
        });
    }

    QPg::Pool *m_pool;
    int m_running = 0;
    bool m_stopping = false;
};

Phase measure(Load &load, int seconds)
{
    const quint64 ops0 = load.ops;
    const double cpu0 = QPgBench::processCpuSeconds();
    QElapsedTimer wall;
    wall.start();
    QPgBench::runEventLoopFor(seconds * 1000);
    const double elapsed = double(wall.nsecsElapsed()) / 1e9;
    const double ops = double(load.ops - ops0);
    Phase phase;
    phase.opsPerSecond = ops / elapsed;
    phase.cpuMicrosPerOp = ops > 0 ? (QPgBench::processCpuSeconds() - cpu0) * 1e6 / ops : 0;
    return phase;
}

double median(QList<double> values)
{
    std::sort(values.begin(), values.end());
    return values.isEmpty() ? 0 : values.at(values.size() / 2);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    app.setApplicationName(u"qpgpool-monitor-overhead"_s);
    QCommandLineParser parser;
    parser.setApplicationDescription(u"Cost of the monitoring endpoint to the application's fetchValue throughput."_s);
    parser.addHelpOption();
    const QCommandLineOption secondsOption(u"seconds"_s, u"Seconds per phase (default 3)."_s, u"S"_s, u"3"_s);
    const QCommandLineOption roundsOption(u"rounds"_s, u"Rounds of both phases (default 3)."_s, u"R"_s, u"3"_s);
    const QCommandLineOption callersOption(u"callers"_s, u"Callers and connections (default 10)."_s, u"N"_s, u"10"_s);
    const QCommandLineOption rateOption(u"rate"_s, u"Snapshots per second the client asks for (default 4)."_s, u"HZ"_s, u"4"_s);
    const QCommandLineOption dsnOption(u"dsn"_s, u"Server to use."_s, u"DSN"_s);
    const QCommandLineOption clientOption(u"client"_s, u"Internal: run as the attached client of SOCKET."_s, u"SOCKET"_s);
    parser.addOptions({secondsOption, roundsOption, callersOption, rateOption, dsnOption, clientOption});
    parser.process(app);
    const double rate = parser.value(rateOption).toDouble();
    if (parser.isSet(clientOption))
        return runClient(parser.value(clientOption), rate);

    const int seconds = std::max(1, parser.value(secondsOption).toInt());
    const int rounds = std::max(1, parser.value(roundsOption).toInt());
    const int callers = std::max(1, parser.value(callersOption).toInt());
    QPgBench::BenchServer server;
    QString error;
    if (!server.resolve(parser.value(dsnOption), {}, &error)) {
        std::fprintf(stderr, "monitor-overhead: %s\n", qPrintable(error));
        return 2;
    }

    QPg::PoolOptions options = QPg::PoolOptions::fromDsn(server.dsn());
    options.minSize = callers;
    options.maxSize = callers;
    QPg::Pool pool(options);
    QFuture<void> opened = pool.open();
    while (!opened.isFinished())
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
    try {
        opened.waitForFinished();
    } catch (const std::exception &e) {
        std::fprintf(stderr, "monitor-overhead: cannot open the pool: %s\n", e.what());
        return 2;
    }

    QTemporaryDir socketDir;
    QPg::PoolMonitorServer monitor;
    monitor.addPool(&pool, u"bench"_s);
    QPg::MonitorServerOptions monitorOptions;
    monitorOptions.socketDirectory = socketDir.path() + u"/sockets"_s;
    if (!monitor.listen(monitorOptions)) {
        std::fprintf(stderr, "monitor-overhead: %s\n", qPrintable(monitor.errorString()));
        return 2;
    }

    Load load(&pool, callers);
    QPgBench::runEventLoopFor(1000); // warm up: statements prepared, connections busy
    QList<double> opsWithout, opsWith, cpuWithout, cpuWith;
    // Which phase goes first alternates (ABBA), so a drift of the server over the run is not
    // taken for the client's cost.
    for (int round = 0; round < rounds; ++round) {
        Phase without, with;
        if (round % 2 == 0)
            without = measure(load, seconds);
        QProcess client;
        client.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        client.start(QCoreApplication::applicationFilePath(),
                     {u"--client"_s, monitor.socketPath(), u"--rate"_s, QString::number(rate)});
        QElapsedTimer waited;
        waited.start();
        while (!client.canReadLine() && client.state() != QProcess::NotRunning && waited.elapsed() < 10000)
            QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
        if (!client.canReadLine()) {
            std::fprintf(stderr, "monitor-overhead: the client did not subscribe\n");
            return 1;
        }
        with = measure(load, seconds);
        client.terminate();
        client.waitForFinished(5000);
        if (round % 2 == 1)
            without = measure(load, seconds);
        opsWithout.append(without.opsPerSecond);
        cpuWithout.append(without.cpuMicrosPerOp);
        opsWith.append(with.opsPerSecond);
        cpuWith.append(with.cpuMicrosPerOp);
        std::fprintf(stderr, "round %d: without %.0f ops/s %.2f us/op, with %.0f ops/s %.2f us/op\n", round + 1,
                     without.opsPerSecond, without.cpuMicrosPerOp, with.opsPerSecond, with.cpuMicrosPerOp);
    }
    load.stop();
    QElapsedTimer draining;
    draining.start();
    while (!load.idle() && draining.elapsed() < 10000)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);

    const double without = median(opsWithout), with = median(opsWith);
    QTextStream out(stdout);
    out << "| phase (median of " << rounds << " x " << seconds << " s, " << callers << " callers) | fetchValue ops/s | app CPU us/op |\n";
    out << "|---|---|---|\n";
    out << "| no client | " << qRound(without) << " | " << QString::number(median(cpuWithout), 'f', 2) << " |\n";
    out << "| client at " << rate << " snapshots/s | " << qRound(with) << " | " << QString::number(median(cpuWith), 'f', 2) << " |\n";
    out << "throughput cost: " << QString::number((without - with) / without * 100.0, 'f', 2) << " %; errors: "
        << load.errors << Qt::endl;
    return 0;
}
