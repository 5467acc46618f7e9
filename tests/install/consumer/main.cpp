// SPDX-License-Identifier: MIT
// qpgpool-consumer <dsn>: opens a pool on <dsn>, runs SELECT 1 and prints "consumer: SELECT 1 = 1",
// then checks that QPgPool::Metrics publishes the pool. Exits 0 only when both worked; any error,
// or no answer within 30 s, exits 1.

#include <QPg/metricsserver.h>
#include <QPg/pool.h>
#include <QPg/pooloptions.h>
#include <QPg/poolmonitorserver.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QTextStream>
#include <QtCore/QTimer>

#include <exception>
#include <stdexcept>

using namespace Qt::Literals::StringLiterals;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QTextStream err(stderr);
    if (argc != 2) {
        err << "usage: qpgpool-consumer <dsn>\n";
        return 2;
    }

    QPg::PoolOptions options = QPg::PoolOptions::fromDsn(QString::fromLocal8Bit(argv[1]));
    options.minSize = 1;
    options.maxSize = 2;
    QPg::Pool pool(options);
    // The monitoring library links and listens (TCP without a token must be refused).
    QPg::PoolMonitorServer monitor;
    monitor.addPool(&pool, u"main"_s);
    QPg::MonitorServerOptions monitorOptions;
    monitorOptions.localSocket = false;
    monitorOptions.tcp = true;
    if (monitor.listen(monitorOptions)) {
        err << "consumer: the monitor listened on TCP without a token\n";
        return 1;
    }
    QPg::MetricsServer metrics;
    metrics.addPool(&pool, u"consumer"_s);

    // A deadline instead of hanging a CI run when the server never answers.
    QTimer::singleShot(30'000, &app, [&] {
        err << "consumer: no answer within 30 s\n";
        app.exit(1);
    });

    pool.open()
        .then(&app, [&pool] { return pool.fetchValue(u"SELECT 1"_s); })
        .unwrap()
        .then(&app, [&metrics](const QVariant &value) {
            QTextStream(stdout) << "consumer: SELECT 1 = " << value.toString() << Qt::endl;
            if (value.toInt() != 1)
                throw std::runtime_error("SELECT 1 did not return 1");
            return metrics.scrape();
        })
        .unwrap()
        .then(&app, [&app, &err](const QByteArray &text) {
            const bool published = text.contains("qpgpool_connections_max{pool=\"consumer\"");
            QTextStream(stdout) << "consumer: metrics " << (published ? "published" : "missing") << Qt::endl;
            if (!published)
                err << text;
            app.exit(published ? 0 : 1);
        })
        .onFailed(&app, [&app, &err](const std::exception &error) {
            err << "consumer: " << error.what() << Qt::endl;
            app.exit(1);
        });
    return app.exec();
}
