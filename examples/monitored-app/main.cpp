// SPDX-License-Identifier: MIT
// monitored-app: a pool under load that publishes itself to monitoring clients (the dashboard,
// QPg::PoolMonitorClient) with QPg::PoolMonitorServer. A few callers run short queries and sleeps
// on the pool for ever; the program prints where it listens and runs until it is stopped.
//
//   qpgpool-monitored-app --demo                      # a throwaway server of its own
//   qpgpool-monitored-app --dsn "host=... dbname=..." --name orders --allow-control
//   qpgpool-monitored-app --demo --allow-sessions --allow-control   # the dashboard's Sessions tab may
//                                                                   # read and signal its backends
//   qpgpool-monitored-app --dsn ... --tcp 7654 --token-file token.txt
//   qpgpool-monitored-app --demo --metrics 9187       # also Prometheus at http://127.0.0.1:9187/metrics
//
// Output (stdout, one line each): "socket: <path>", "tcp: <port>", "metrics: <port>", then "ready". SIGINT or SIGTERM
// ends it cleanly (the socket, and the --demo server, are removed).

#include <QPg/metricsserver.h>
#include <QPg/pool.h>
#include <QPg/poolmonitorserver.h>

#include "privatecluster.h"
#include "unixsignalwatcher.h"

#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>
#include <QtCore/QFile>
#include <QtCore/QRandomGenerator>
#include <QtCore/QTextStream>

#include <optional>

using namespace Qt::Literals::StringLiterals;

namespace {

QTextStream &out()
{
    static QTextStream stream(stdout);
    return stream;
}

QTextStream &err()
{
    static QTextStream stream(stderr);
    return stream;
}

// One caller: a short query that sleeps on the server, then again, until the pool closes.
void runCaller(QPg::Pool *pool, int caller)
{
    const double seconds = 0.005 + QRandomGenerator::global()->bounded(0.045);
    pool->fetchValue(u"SELECT pg_sleep($1)"_s, {seconds}, {}, {.tag = u"caller-%1"_s.arg(caller)})
        .then(pool, [pool, caller](const QVariant &) { runCaller(pool, caller); })
        .onFailed(pool, [pool, caller](const std::exception &e) {
            if (pool->isClosing())
                return;
            err() << "caller " << caller << ": " << e.what() << Qt::endl;
            runCaller(pool, caller); // a server restart or an expire is not the end of the load
        });
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QPg::Monitor::UnixSignalWatcher signals;
    QObject::connect(&signals, &QPg::Monitor::UnixSignalWatcher::terminationRequested, &app, &QCoreApplication::quit);
    QCommandLineParser parser;
    parser.setApplicationDescription(u"A QPgPool pool under load, published to monitoring clients"_s);
    parser.addHelpOption();
    parser.addOptions({
        {u"dsn"_s, u"The database to connect to."_s, u"dsn"_s},
        {u"demo"_s, u"Start a private PostgreSQL server instead of --dsn."_s},
        {u"name"_s, u"Application name shown to clients (default monitored-app)."_s, u"name"_s, u"monitored-app"_s},
        {u"pool"_s, u"Pool name (default main)."_s, u"pool"_s, u"main"_s},
        {u"callers"_s, u"Concurrent callers (default 4)."_s, u"n"_s, u"4"_s},
        {u"min-size"_s, u"Pool minSize (default 2)."_s, u"n"_s, u"2"_s},
        {u"max-size"_s, u"Pool maxSize (default 4)."_s, u"n"_s, u"4"_s},
        {u"allow-control"_s, u"Accept commands (expire, resize, close, terminate, cancel)."_s},
        {u"allow-query-text"_s, u"Send the text of running queries."_s},
        {u"allow-sessions"_s, u"Answer the sessions view (pg_stat_activity of the pool's backends; with "
                              "--allow-control also cancel/terminate them)."_s},
        {u"socket-dir"_s, u"Directory of the local socket (default $XDG_RUNTIME_DIR/qpgpool)."_s, u"dir"_s},
        {u"tcp"_s, u"Also listen on TCP port (127.0.0.1; 0 picks one)."_s, u"port"_s},
        {u"token-file"_s, u"File holding the bearer token TCP clients must send."_s, u"file"_s},
        {u"metrics"_s, u"Also serve Prometheus metrics on this port (127.0.0.1; 0 picks one)."_s, u"port"_s},
    });
    parser.process(app);

    std::optional<QPg::Dev::PrivateCluster> cluster;
    QString dsn = parser.value(u"dsn"_s);
    if (parser.isSet(u"demo"_s)) {
        cluster.emplace();
        QString error;
        err() << "Starting a private PostgreSQL server: " << QPg::Dev::PrivateCluster::describe() << Qt::endl;
        if (!cluster->start(&error)) {
            err() << "monitored-app: " << error << Qt::endl;
            return 1;
        }
        dsn = cluster->dsn();
    }
    if (dsn.isEmpty()) {
        err() << "monitored-app: give --dsn or --demo" << Qt::endl;
        return 2;
    }

    QPg::PoolOptions poolOptions = QPg::PoolOptions::fromDsn(dsn);
    poolOptions.minSize = parser.value(u"min-size"_s).toInt();
    poolOptions.maxSize = parser.value(u"max-size"_s).toInt();
    QPg::Pool pool(poolOptions);

    // The two lines an application adds to be monitored (plus the options it wants).
    QPg::PoolMonitorServer monitor;
    monitor.addPool(&pool, parser.value(u"pool"_s));
    QPg::MonitorServerOptions options;
    options.applicationName = parser.value(u"name"_s);
    options.allowControl = parser.isSet(u"allow-control"_s);
    options.allowQueryText = parser.isSet(u"allow-query-text"_s);
    options.allowSessions = parser.isSet(u"allow-sessions"_s);
    options.socketDirectory = parser.value(u"socket-dir"_s);
    if (parser.isSet(u"tcp"_s)) {
        options.tcp = true;
        options.tcpPort = quint16(parser.value(u"tcp"_s).toUInt());
        if (parser.isSet(u"token-file"_s)) {
            QFile file(parser.value(u"token-file"_s));
            if (!file.open(QIODevice::ReadOnly)) {
                err() << "monitored-app: cannot read " << file.fileName() << ": " << file.errorString() << Qt::endl;
                return 1;
            }
            options.token = file.readAll().trimmed();
        }
    }
    if (!monitor.listen(options)) {
        err() << "monitored-app: " << monitor.errorString() << Qt::endl;
        return 1;
    }
    if (!monitor.socketPath().isEmpty())
        out() << "socket: " << monitor.socketPath() << Qt::endl;
    if (options.tcp)
        out() << "tcp: " << monitor.serverPort() << Qt::endl;

    // Prometheus, for the same pool under the same application name.
    QPg::MetricsServer metrics;
    if (parser.isSet(u"metrics"_s)) {
        metrics.setApplicationName(options.applicationName);
        metrics.addPool(&pool, parser.value(u"pool"_s));
        if (!metrics.listen(QHostAddress::LocalHost, quint16(parser.value(u"metrics"_s).toUInt()))) {
            err() << "monitored-app: metrics: " << metrics.errorString() << Qt::endl;
            return 1;
        }
        out() << "metrics: " << metrics.serverPort() << Qt::endl;
    }

    const int callers = parser.value(u"callers"_s).toInt();
    pool.open()
        .then(&app, [&pool, callers] {
            for (int i = 0; i < callers; ++i)
                runCaller(&pool, i);
            out() << "ready" << Qt::endl;
        })
        .onFailed(&app, [](const std::exception &e) {
            err() << "monitored-app: cannot open the pool: " << e.what() << Qt::endl;
            QCoreApplication::exit(1);
        });
    const int code = app.exec();
    monitor.close();
    pool.terminate(); // before the demo server goes, not after
    if (cluster)
        cluster->stop();
    return code;
}
