// SPDX-License-Identifier: MIT
// worker-thread: the pool runs in a worker QThread, so libpq's socket work and result parsing stay
// off the main (GUI) thread; the main thread calls the pool as usual and awaits its futures.
//
// Starts a throwaway server, opens a pool in the worker, runs queries from the main thread with
// QCoro, reads the live counts (published atomically, no waiting) and stats (computed in the
// worker), then terminates the pool and destroys it in its own thread. Exits non-zero on error.

#include <QPg/errors.h>
#include <QPg/pool.h>

#include "privatecluster.h"

#include <QCoroFuture>
#include <QCoroTask>

#include <QtCore/QCoreApplication>
#include <QtCore/QTextStream>
#include <QtCore/QThread>
#include <QtCore/QTimer>

using namespace Qt::Literals::StringLiterals;

namespace {

QTextStream &out()
{
    static QTextStream stream(stdout);
    return stream;
}

QCoro::Task<int> run(QPg::Pool *pool)
{
    try {
        co_await pool->open();
        out() << "pool open in thread '" << pool->thread()->objectName() << "'; calling it from the "
              << (QThread::currentThread() == qApp->thread() ? "main" : "another") << " thread" << Qt::endl;

        // Ten queries at once, from this thread; the pool's thread does the work.
        QList<QFuture<QVariant>> running;
        for (int i = 1; i <= 10; ++i)
            running.append(pool->fetchValue(u"SELECT $1::int * $1::int"_s, {i}));
        int sum = 0;
        for (const QFuture<QVariant> &future : running)
            sum += (co_await future).toInt();
        out() << "sum of squares 1..10: " << sum << Qt::endl;

        // A checkout held in this thread: its calls are marshalled too.
        QPg::PooledConnection con = co_await pool->acquire();
        const QString version = (co_await con.fetchValue(u"SHOW server_version"_s)).toString();
        out() << "server " << version << ", pool size " << pool->size() << ", idle " << pool->idleSize() << Qt::endl;
        co_await con.release();

        const QPg::PoolStats stats = pool->stats();
        out() << "acquires " << stats.acquires << ", queries " << stats.queries << Qt::endl;
        co_return sum == 385 ? 0 : 1;
    } catch (const QPg::Error &e) {
        out() << "error: " << e.what() << Qt::endl;
        co_return 1;
    }
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QPg::Dev::PrivateCluster cluster;
    QString error;
    if (!cluster.start(&error)) {
        out() << "could not start a PostgreSQL server: " << error << Qt::endl;
        return 1;
    }

    QThread worker;
    worker.setObjectName(u"qpgpool"_s);
    worker.start();
    QPg::PoolOptions options = QPg::PoolOptions::fromDsn(cluster.dsn());
    options.minSize = 2;
    options.maxSize = 4;
    auto *pool = new QPg::Pool(options);
    pool->moveToThread(&worker); // before open(): its timers and connections are made there

    int code = 1;
    QTimer::singleShot(0, &app, [&] {
        QCoro::connect(run(pool), &app, [&](int result) {
            code = result;
            pool->terminate(); // done when it returns, also from this thread
            QMetaObject::invokeMethod(pool, [pool] { delete pool; }, Qt::BlockingQueuedConnection);
            app.quit();
        });
    });
    app.exec();
    worker.quit();
    worker.wait();
    cluster.stop();
    return code;
}
