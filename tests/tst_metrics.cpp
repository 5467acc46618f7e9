// SPDX-License-Identifier: MIT
// Prometheus /metrics (issue 10): the text of a pool under load, promtool's verdict on it, the HTTP
// endpoint with pools in other threads, and a real Prometheus server scraping a separate process.
#include <QPg/metricsserver.h>
#include <QPg/pool.h>
#include <QPg/prometheustext.h>

#include "await.h"
#include "pooltest.h"
#include "testserver.h"

#include <QtCore/QFutureWatcher>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QProcess>
#include <QtCore/QSemaphore>
#include <QtCore/QStandardPaths>
#include <QtCore/QTemporaryDir>
#include <QtCore/QThread>
#include <QtCore/QUrlQuery>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>
#include <QtNetwork/QTcpServer>
#include <QtNetwork/QTcpSocket>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace std::chrono_literals;
using namespace Qt::Literals::StringLiterals;
using namespace QPgTest;

namespace {

QByteArray awaitText(QPg::MetricsServer &server)
{
    return await(server.scrape(), 10000);
}

// The sample line `name{labels} value` of the text, or empty.
QByteArray sampleValue(const QByteArray &text, const QByteArray &nameAndLabels)
{
    for (const QByteArray &line : text.split('\n')) {
        if (line.startsWith(QByteArray(nameAndLabels + ' ')))
            return line.mid(nameAndLabels.size() + 1);
    }
    return QByteArray();
}

// The path of an executable the test needs; fails the test when it is missing (never skips).
QString requiredExecutable(const QString &name)
{
    const QString path = QStandardPaths::findExecutable(name);
    if (path.isEmpty())
        qWarning("%s is missing: installer/install-deps.sh installs it (Debian package prometheus)", qPrintable(name));
    return path;
}

// GET url; the reply once finished (deadline 10 s), owned by manager.
QNetworkReply *get(QNetworkAccessManager &manager, const QUrl &url)
{
    QNetworkReply *reply = manager.get(QNetworkRequest(url));
    QSignalSpy finished(reply, &QNetworkReply::finished);
    if (!reply->isFinished())
        finished.wait(10000);
    return reply;
}

quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

const QByteArray labels = R"(pool="orders",application="tst_metrics")";

// A pool in a worker thread of its own, destroyed there (also when a check fails midway).
class PoolInThread
{
public:
    PoolInThread(int minSize, int maxSize)
    {
        m_worker.start();
        m_pool = new QPg::Pool(poolOptions(minSize, maxSize));
        m_pool->moveToThread(&m_worker);
        await(m_pool->open());
    }
    ~PoolInThread()
    {
        m_gate.release(m_blocked);
        if (m_pool)
            destroyPool();
        m_worker.quit();
        m_worker.wait();
    }
    QPg::Pool *pool() const { return m_pool; }
    // Keeps the pool's thread busy until unblock(): what is queued to the pool waits meanwhile.
    void block()
    {
        ++m_blocked;
        QMetaObject::invokeMethod(m_pool, [this] { m_gate.acquire(); }, Qt::QueuedConnection);
    }
    void unblock()
    {
        --m_blocked;
        m_gate.release();
    }
    // Deletes the pool in its thread, after what is queued there already.
    void destroyPool()
    {
        QPg::Pool *pool = std::exchange(m_pool, nullptr);
        QMetaObject::invokeMethod(pool, [pool] { delete pool; }, Qt::QueuedConnection);
    }

private:
    QThread m_worker;
    QPg::Pool *m_pool = nullptr;
    QSemaphore m_gate;
    int m_blocked = 0;
};

} // namespace

class tst_Metrics : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void textOfPoolUnderLoad();
    void labelValuesAreEscaped();
    void promtoolAcceptsTheText();
    void servesHttpGetMetrics();
    void poolInAnotherThreadAnswersWithoutBlocking();
    void clientHangingUpBeforeTheAnswerIsHarmless();
    void destroyedPoolLeavesTheServer();
    void realPrometheusScrapesAnotherProcess();
};

void tst_Metrics::initTestCase()
{
    QCoreApplication::setApplicationName(u"tst_metrics"_s);
}

void tst_Metrics::textOfPoolUnderLoad()
{
    QPg::PoolOptions options = poolOptions(2, 3);
    options.maxQueries = 4; // closes connections with reason "max queries"
    auto pool = openPool(options);
    QList<QFuture<QVariant>> results;
    for (int i = 0; i < 12; ++i)
        results.append(pool->fetchValue(u"SELECT $1::int FROM pg_sleep(0.01)"_s, i));
    for (const auto &r : results)
        await(r);
    QVERIFY(awaitError<QPg::ServerError>(pool->execute(u"SELECT * FROM no_such_table"_s)));
    QPg::PooledConnection a = await(pool->acquire());
    QPg::PooledConnection b = await(pool->acquire());
    QPg::PooledConnection c = await(pool->acquire());
    QVERIFY(awaitError<QPg::TimeoutError>(pool->acquire({.timeout = 20ms})));

    QPg::MetricsServer server;
    server.addPool(pool.get(), u"orders"_s);
    QCOMPARE(server.applicationName(), u"tst_metrics"_s);
    const QByteArray text = awaitText(server);
    const QPg::PoolStats s = pool->stats();

    QCOMPARE(sampleValue(text, "qpgpool_connections{" + labels + R"(,state="active"})"), "3");
    QCOMPARE(sampleValue(text, "qpgpool_connections{" + labels + R"(,state="idle"})"), "0");
    QCOMPARE(sampleValue(text, "qpgpool_connections_max{" + labels + '}'), "3");
    QCOMPARE(sampleValue(text, "qpgpool_connections_min{" + labels + '}'), "2");
    QCOMPARE(sampleValue(text, "qpgpool_connections_pending{" + labels + '}'), "0");
    QCOMPARE(sampleValue(text, "qpgpool_acquires_total{" + labels + '}'), QByteArray::number(s.acquires));
    QVERIFY(s.acquires >= 16);
    QCOMPARE(sampleValue(text, "qpgpool_acquire_timeouts_total{" + labels + '}'), "1");
    QCOMPARE(sampleValue(text, "qpgpool_query_errors_total{" + labels + '}'), "1");
    QCOMPARE(sampleValue(text, "qpgpool_queries_total{" + labels + '}'), QByteArray::number(s.queries));
    QCOMPARE(sampleValue(text, "qpgpool_connections_closed_total{" + labels + R"(,reason="max queries"})"),
             QByteArray::number(s.closedByReason[int(QPg::CloseReason::MaxQueries)]));
    QVERIFY(s.closedByReason[int(QPg::CloseReason::MaxQueries)] > 0);
    QCOMPARE(sampleValue(text, "qpgpool_connections_opened_total{" + labels + '}'), QByteArray::number(s.connectionsOpened));
    QCOMPARE(sampleValue(text, "qpgpool_acquire_wait_seconds_count{" + labels + '}'), QByteArray::number(s.acquires));
    QCOMPARE(sampleValue(text, "qpgpool_acquire_wait_seconds_bucket{" + labels + R"(,le="+Inf"})"), QByteArray::number(s.acquires));
    QCOMPARE(sampleValue(text, "qpgpool_connection_creation_seconds_count{" + labels + '}'),
             QByteArray::number(s.connectionsOpened));
    QCOMPARE(sampleValue(text, "qpgpool_connection_usage_seconds_count{" + labels + '}'), QByteArray::number(s.holdTime.count));
    QVERIFY(text.contains("# TYPE qpgpool_acquire_wait_seconds histogram\n"));
    QVERIFY(text.contains("# TYPE qpgpool_acquires_total counter\n"));
    QVERIFY(text.contains(R"(qpgpool_acquire_wait_seconds_bucket{pool="orders",application="tst_metrics",le="0.0005"} )"));

    // While everything is held, the next caller shows as pending, with its age.
    QFuture<QPg::PooledConnection> waiting = pool->acquire();
    QTRY_VERIFY(pool->stats().oldestWaiterMs >= 20);
    const QByteArray busy = awaitText(server);
    QCOMPARE(sampleValue(busy, "qpgpool_connections_pending{" + labels + '}'), "1");
    QVERIFY(sampleValue(busy, "qpgpool_acquire_oldest_wait_seconds{" + labels + '}').toDouble() >= 0.02);
    await(a.release());
    await(await(waiting).release());
}

void tst_Metrics::labelValuesAreEscaped()
{
    QPg::NamedPoolStats named{u"a\"b\\c\nd é"_s, u"app"_s, QPg::PoolStats()};
    named.stats.maxSize = 7;
    const QByteArray text = QPg::prometheusText({named});
    // pool="a\"b\\c\nd é": quote, backslash and line feed escaped, UTF-8 kept.
    const QByteArray escaped = "qpgpool_connections_max{pool=\"a\\\"b\\\\c\\nd \xc3\xa9\",application=\"app\"}";
    QCOMPARE(sampleValue(text, escaped), "7");
    QVERIFY(!text.contains("c\nd"));
}

void tst_Metrics::promtoolAcceptsTheText()
{
    const QString promtool = requiredExecutable(u"promtool"_s);
    QVERIFY(!promtool.isEmpty());
    auto orders = openPool(poolOptions(1, 2));
    auto reports = openPool(poolOptions(1, 1));
    await(orders->fetchValue(u"SELECT 1"_s));
    await(reports->fetchValue(u"SELECT pg_sleep(0.01)"_s));
    QPg::MetricsServer server;
    server.addPool(orders.get(), u"orders"_s);
    server.addPool(reports.get(), u"reports \"eu\""_s);
    const QByteArray text = awaitText(server);
    const QByteArray escapedName = "pool=\"reports \\\"eu\\\"\""; // pool="reports \"eu\""
    QVERIFY(text.contains(escapedName));

    QProcess check;
    check.setProcessChannelMode(QProcess::MergedChannels);
    check.start(promtool, {u"check"_s, u"metrics"_s});
    QVERIFY(check.waitForStarted(10000));
    check.write(text);
    check.closeWriteChannel();
    QVERIFY(check.waitForFinished(30000));
    const QByteArray verdict = check.readAll();
    QVERIFY2(check.exitStatus() == QProcess::NormalExit && check.exitCode() == 0, verdict.constData());
    QVERIFY2(verdict.trimmed().isEmpty(), verdict.constData()); // lint problems are printed

    // promtool does reject what breaks the format (the check above could fail).
    QProcess broken;
    broken.start(promtool, {u"check"_s, u"metrics"_s});
    QVERIFY(broken.waitForStarted(10000));
    broken.write("# TYPE x counter\nx{a=\"unterminated} 1\n");
    broken.closeWriteChannel();
    QVERIFY(broken.waitForFinished(30000));
    QVERIFY(broken.exitCode() != 0);
}

void tst_Metrics::servesHttpGetMetrics()
{
    auto pool = openPool(poolOptions(1, 5));
    QPg::MetricsServer server;
    server.setApplicationName(u"shop"_s);
    server.addPool(pool.get(), u"orders"_s);
    QVERIFY(!server.isListening());
    QVERIFY2(server.listen(), qPrintable(server.errorString()));
    QVERIFY(server.serverPort() != 0);

    QNetworkAccessManager manager;
    const QUrl base(u"http://127.0.0.1:%1"_s.arg(server.serverPort()));
    std::unique_ptr<QNetworkReply> reply(get(manager, base.resolved(QUrl(u"/metrics"_s))));
    QVERIFY(reply->isFinished());
    QCOMPARE(reply->error(), QNetworkReply::NoError);
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    QCOMPARE(reply->header(QNetworkRequest::ContentTypeHeader).toString(), u"text/plain; version=0.0.4; charset=utf-8"_s);
    const QByteArray body = reply->readAll();
    QCOMPARE(sampleValue(body, R"(qpgpool_connections_max{pool="orders",application="shop"})"), "5");

    std::unique_ptr<QNetworkReply> missing(get(manager, base.resolved(QUrl(u"/other"_s))));
    QVERIFY(missing->isFinished());
    QCOMPARE(missing->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 404);

    // A second server cannot take the same port.
    QPg::MetricsServer other;
    QVERIFY(!other.listen(QHostAddress::LocalHost, server.serverPort()));
    QVERIFY(!other.errorString().isEmpty());
}

void tst_Metrics::poolInAnotherThreadAnswersWithoutBlocking()
{
    PoolInThread inThread(2, 6);
    await(inThread.pool()->fetchValue(u"SELECT 1"_s));

    QPg::MetricsServer server;
    server.addPool(inThread.pool(), u"worker"_s);
    const QByteArray text = await(server.scrape(), 10000);
    QCOMPARE(sampleValue(text, R"(qpgpool_connections_max{pool="worker",application="tst_metrics"})"), "6");
    QCOMPARE(sampleValue(text, R"(qpgpool_acquires_total{pool="worker",application="tst_metrics"})"), "1");

    // The worker's loop is busy: the answer waits for it instead of blocking this thread.
    inThread.block();
    QFuture<QByteArray> later = server.scrape();
    QVERIFY(!waitFor(later, 200));
    inThread.unblock();
    QVERIFY(waitFor(later, 10000));
    QCOMPARE(sampleValue(later.result(), R"(qpgpool_connections_max{pool="worker",application="tst_metrics"})"), "6");

    // Destroyed in its own thread before the read posted to it runs: the answer leaves it out.
    inThread.block();
    inThread.destroyPool();
    QFuture<QByteArray> during = server.scrape(); // its read is queued behind the delete
    QCOMPARE(server.poolNames(), QStringList({u"worker"_s}));
    inThread.unblock();
    QVERIFY(waitFor(during, 10000));
    QVERIFY(!during.result().contains("pool=\"worker\""));
    QVERIFY(during.result().contains("# TYPE qpgpool_connections gauge"));
    QVERIFY(server.poolNames().isEmpty());
}

void tst_Metrics::clientHangingUpBeforeTheAnswerIsHarmless()
{
    PoolInThread inThread(1, 2);
    QPg::MetricsServer server;
    server.addPool(inThread.pool(), u"worker"_s);
    QVERIFY(server.listen());

    // The pool's thread is busy, so the request waits for its statistics; the client hangs up.
    inThread.block();
    QTcpSocket client;
    client.connectToHost(QHostAddress::LocalHost, server.serverPort());
    QVERIFY(client.waitForConnected(10000));
    client.write("GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n");
    QTRY_COMPARE(server.findChildren<QFutureWatcherBase *>().size(), 1); // the answer is pending
    client.abort();
    QTRY_COMPARE(server.findChildren<QFutureWatcherBase *>().size(), 0); // gone with the server's socket
    inThread.unblock();

    // Nothing was written to the dead socket, and the next client is served.
    QNetworkAccessManager manager;
    std::unique_ptr<QNetworkReply> reply(get(manager, QUrl(u"http://127.0.0.1:%1/metrics"_s.arg(server.serverPort()))));
    QCOMPARE(reply->error(), QNetworkReply::NoError);
    QCOMPARE(sampleValue(reply->readAll(), R"(qpgpool_connections_max{pool="worker",application="tst_metrics"})"), "2");
}

void tst_Metrics::destroyedPoolLeavesTheServer()
{
    auto pool = openPool(poolOptions(1, 1));
    auto kept = openPool(poolOptions(1, 2));
    QPg::MetricsServer server;
    server.addPool(pool.get(), u"gone"_s);
    server.addPool(kept.get(), u"kept"_s);
    QCOMPARE(server.poolNames(), QStringList({u"gone"_s, u"kept"_s}));
    pool.reset();
    QCOMPARE(server.poolNames(), QStringList({u"kept"_s}));
    const QByteArray text = awaitText(server);
    QVERIFY(!text.contains(R"(pool="gone")"));
    QCOMPARE(sampleValue(text, R"(qpgpool_connections_max{pool="kept",application="tst_metrics"})"), "2");
    server.removePool(kept.get());
    QVERIFY(server.poolNames().isEmpty());
    QVERIFY(awaitText(server).contains("# TYPE qpgpool_connections gauge")); // families, no samples
}

void tst_Metrics::realPrometheusScrapesAnotherProcess()
{
    const QString prometheus = requiredExecutable(u"prometheus"_s);
    QVERIFY(!prometheus.isEmpty());

    // The example application, with its Prometheus endpoint on a free port.
    QTemporaryDir sockets;
    QVERIFY(sockets.isValid());
    QProcess app;
    app.start(QStringLiteral(QPG_MONITORED_APP),
              {u"--dsn"_s, dsn(), u"--name"_s, u"orders-service"_s, u"--pool"_s, u"inventory"_s, u"--max-size"_s,
               u"4"_s, u"--socket-dir"_s, sockets.path(), u"--metrics"_s, u"0"_s});
    QVERIFY(app.waitForStarted(10000));
    int appPort = 0;
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            while (appPort == 0 && app.canReadLine()) {
                const QByteArray line = app.readLine().trimmed();
                if (line.startsWith("metrics: "))
                    appPort = line.mid(9).toInt();
            }
            return appPort > 0 || app.state() == QProcess::NotRunning;
        }(),
        30000);
    QVERIFY2(appPort > 0, app.readAllStandardError().constData());

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QFile config(dir.filePath(u"prometheus.yml"_s));
    QVERIFY(config.open(QIODevice::WriteOnly));
    config.write(QStringLiteral("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                                "scrape_configs:\n  - job_name: qpgpool\n    static_configs:\n"
                                "      - targets: ['127.0.0.1:%1']\n").arg(appPort).toUtf8());
    config.close();
    const quint16 webPort = freePort();
    QProcess server;
    server.setProcessChannelMode(QProcess::MergedChannels);
    server.start(prometheus, {u"--config.file="_s + config.fileName(),
                              u"--storage.tsdb.path="_s + dir.filePath(u"data"_s),
                              u"--web.listen-address=127.0.0.1:%1"_s.arg(webPort)});
    QVERIFY(server.waitForStarted(10000));
    const auto stop = qScopeGuard([&] {
        server.terminate();
        if (!server.waitForFinished(10000))
            server.kill();
        app.kill();
        app.waitForFinished(10000);
    });

    // Prometheus answers once it has scraped the app (1 s interval); the deadline covers its start.
    QNetworkAccessManager manager;
    QUrl query(u"http://127.0.0.1:%1/api/v1/query"_s.arg(webPort));
    QUrlQuery q;
    q.addQueryItem(u"query"_s, u"qpgpool_connections_max{pool=\"inventory\"}"_s);
    query.setQuery(q);
    QJsonArray result;
    QString sampleApplication;
    QString value;
    QElapsedTimer deadline;
    deadline.start();
    while (value.isEmpty() && deadline.elapsed() < 30000 && server.state() == QProcess::Running) {
        std::unique_ptr<QNetworkReply> reply(get(manager, query));
        if (reply->error() == QNetworkReply::NoError) {
            result = QJsonDocument::fromJson(reply->readAll())[u"data"_s][u"result"_s].toArray();
            if (!result.isEmpty()) {
                value = result[0][u"value"_s][1].toString();
                sampleApplication = result[0][u"metric"_s][u"application"_s].toString();
                break;
            }
        }
        QTest::qWait(200); // between polls of an outside server: nothing to wait on but time
    }
    QVERIFY2(!value.isEmpty(), server.readAll().right(2000).constData());
    QCOMPARE(value, u"4"_s);
    QCOMPARE(sampleApplication, u"orders-service"_s);
}

QTEST_MAIN(tst_Metrics)
#include "tst_metrics.moc"
