// SPDX-License-Identifier: MIT
// qpg-metricsapp DSN POOL_NAME: a pool under light load with QPg::MetricsServer on a free local
// port, for tst_metrics' real Prometheus. Prints "port N" on stdout once it serves; runs until killed.
#include <QPg/metricsserver.h>
#include <QPg/pool.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QTime>
#include <QtCore/QTimer>

#include <cstdio>

using namespace Qt::Literals::StringLiterals;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    app.setApplicationName(u"qpg-metricsapp"_s);
    const QStringList args = app.arguments();
    if (args.size() != 3) {
        std::fprintf(stderr, "usage: qpg-metricsapp DSN POOL_NAME\n");
        return 2;
    }
    QPg::PoolOptions options = QPg::PoolOptions::fromDsn(args[1]);
    options.minSize = 1;
    options.maxSize = 4;
    QPg::Pool pool(options);

    // A query every 20 ms, two at a time now and then, so counters and histograms move.
    QTimer load;
    QObject::connect(&load, &QTimer::timeout, &pool, [&pool] {
        pool.fetchValue(u"SELECT 1"_s);
        if (QTime::currentTime().msec() % 5 == 0)
            pool.fetchValue(u"SELECT pg_sleep(0.01)"_s);
    });
    load.start(20);

    QPg::MetricsServer metrics;
    metrics.addPool(&pool, args[2]);
    if (!metrics.listen(QHostAddress::LocalHost, 0)) {
        std::fprintf(stderr, "listen: %s\n", qPrintable(metrics.errorString()));
        return 1;
    }
    std::printf("port %u\n", unsigned(metrics.serverPort()));
    std::fflush(stdout);
    return app.exec();
}
