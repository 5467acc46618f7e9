// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/qpgpool_metrics_export.h>

#include <QtCore/QFuture>
#include <QtCore/QObject>
#include <QtNetwork/QHostAddress>

#include <memory>

namespace QPg {

class Pool;
class MetricsServerPrivate;

// Serves the statistics of one or more pools at GET /metrics for Prometheus. Off until listen().
// Pools may live in other threads: their statistics are read in their own thread and the request
// is answered when all have replied, so neither thread waits for the other. A pool that is
// destroyed leaves the server by itself.
//
//     QPg::MetricsServer metrics;
//     metrics.addPool(&pool, u"orders"_s);
//     metrics.listen(QHostAddress::LocalHost, 9187);
class QPGPOOL_METRICS_EXPORT MetricsServer : public QObject
{
    Q_OBJECT
public:
    explicit MetricsServer(QObject *parent = nullptr);
    ~MetricsServer() override;

    // Publishes pool under the label pool="name" (any thread; the name should be unique).
    void addPool(Pool *pool, const QString &name);
    void removePool(Pool *pool);
    QStringList poolNames() const;

    // The application="…" label; QCoreApplication::applicationName() unless set.
    void setApplicationName(const QString &name);
    QString applicationName() const;

    // Starts serving; port 0 picks a free one (see serverPort()). False with errorString() when the
    // address cannot be bound.
    bool listen(const QHostAddress &address = QHostAddress::LocalHost, quint16 port = 0);
    bool isListening() const;
    quint16 serverPort() const;
    QString errorString() const;

    // What GET /metrics answers, computed asynchronously. It may finish in a pool's thread: attach
    // continuations with a context object (then(context, …)) or watch it with a QFutureWatcher.
    QFuture<QByteArray> scrape();

private:
    Q_DISABLE_COPY_MOVE(MetricsServer)
    std::unique_ptr<MetricsServerPrivate> const d;
};

} // namespace QPg
