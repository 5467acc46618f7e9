// SPDX-License-Identifier: MIT
// GET /metrics over QHttpServer: the pools' statistics, gathered in each pool's thread.
#include <QPg/metricsserver.h>

#include "statsgathering_p.h"

#include <QPg/pool.h>
#include <QPg/prometheustext.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QFutureWatcher>
#include <QtHttpServer/QHttpServer>
#include <QtHttpServer/QHttpServerRequest>
#include <QtHttpServer/QHttpServerResponder>
#include <QtNetwork/QTcpServer>
#include <QtNetwork/QTcpSocket>

using namespace Qt::Literals::StringLiterals;

namespace QPg {

class MetricsServerPrivate
{
public:
    explicit MetricsServerPrivate(MetricsServer *q) : q(q) { }
    void answer(QHttpServerResponder &&responder);

    MetricsServer *const q;
    std::shared_ptr<Private::PoolRegistry> registry = std::make_shared<Private::PoolRegistry>();
    QString applicationName;
    QHttpServer *http = nullptr;
    QTcpServer *tcp = nullptr;
    QString errorString;
};

// QHttpServer 6.4 answers a QFuture response through a raw socket pointer, which dangles when the
// client hangs up first. The responder is kept instead, and the answer is watched by an object
// that dies with the socket, so a client that went away gets nothing written.
void MetricsServerPrivate::answer(QHttpServerResponder &&responder)
{
    QTcpSocket *socket = responder.socket();
    auto held = std::make_shared<QHttpServerResponder>(std::move(responder));
    auto *watcher = new QFutureWatcher<QByteArray>(socket);
    QObject::connect(watcher, &QFutureWatcherBase::finished, socket, [watcher, socket, held] {
        const QFuture<QByteArray> text = watcher->future();
        if (socket->state() == QAbstractSocket::ConnectedState && text.isValid() && text.resultCount() > 0)
            held->write(text.result(), prometheusContentType());
        watcher->deleteLater();
    });
    watcher->setFuture(q->scrape());
}

MetricsServer::MetricsServer(QObject *parent)
    : QObject(parent)
    , d(std::make_unique<MetricsServerPrivate>(this))
{
}

MetricsServer::~MetricsServer()
{
    d->registry->clear();
}

void MetricsServer::addPool(Pool *pool, const QString &name)
{
    d->registry->add(pool, name);
}

void MetricsServer::removePool(Pool *pool)
{
    d->registry->remove(pool);
}

QStringList MetricsServer::poolNames() const
{
    return d->registry->names();
}

void MetricsServer::setApplicationName(const QString &name)
{
    d->applicationName = name;
}

QString MetricsServer::applicationName() const
{
    return d->applicationName.isNull() ? QCoreApplication::applicationName() : d->applicationName;
}

bool MetricsServer::listen(const QHostAddress &address, quint16 port)
{
    if (d->tcp) {
        d->errorString = u"already listening"_s;
        return false;
    }
    auto tcp = std::make_unique<QTcpServer>(this);
    if (!tcp->listen(address, port)) {
        d->errorString = tcp->errorString();
        return false;
    }
    d->http = new QHttpServer(this);
    d->http->route(u"/metrics"_s, QHttpServerRequest::Method::Get,
                   [this](const QHttpServerRequest &, QHttpServerResponder &&responder) {
                       d->answer(std::move(responder));
                   });
    d->tcp = tcp.release();
    d->http->bind(d->tcp);
    d->errorString.clear();
    return true;
}

bool MetricsServer::isListening() const
{
    return d->tcp && d->tcp->isListening();
}

quint16 MetricsServer::serverPort() const
{
    return d->tcp ? d->tcp->serverPort() : 0;
}

QString MetricsServer::errorString() const
{
    return d->errorString;
}

QFuture<QByteArray> MetricsServer::scrape()
{
    const QString application = applicationName();
    // Formatted where the last pool answered: prometheusText() is a pure function.
    return Private::gatherStats(d->registry, this).then([application](QList<NamedPoolStats> pools) {
        for (NamedPoolStats &p : pools)
            p.application = application;
        return prometheusText(pools);
    });
}

} // namespace QPg
