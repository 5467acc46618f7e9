// SPDX-License-Identifier: MIT
#include <QPg/poolmonitorclient.h>

#include "monitorcodec_p.h"
#include "monitordecoder_p.h"
#include "sessionscodec_p.h"
#include "socketdirectory_p.h"

#include <QtCore/QCborArray>
#include <QtCore/QPointer>
#include <QtCore/QSet>
#include <QtNetwork/QLocalSocket>
#include <QtNetwork/QSslConfiguration>
#include <QtNetwork/QSslSocket>

#include <optional>

using namespace Qt::Literals::StringLiterals;

namespace QPg {

using namespace Monitoring;

class PoolMonitorClientPrivate
{
public:
    explicit PoolMonitorClientPrivate(PoolMonitorClient *q) : q(q) { }

    void attach(QIODevice *device);
    void sayHello(const QByteArray &token);
    void readAvailable();
    void handle(const Message &message);
    void send(const QCborMap &message);
    quint64 command(const QString &pool, const QString &action, std::initializer_list<std::pair<QString, QCborValue>> fields);
    // Ends the connection (once) and reports it.
    void end(const QString &reason);

    PoolMonitorClient *q;
    QPointer<QIODevice> device;
    std::function<void()> abortDevice;
    std::optional<Decoder> decoder;
    MonitorHello hello;
    bool connected = false;
    QString serverError; // the server's error message, the reason when it then closes
    // What was sent before the socket was up: it follows the hello.
    bool helloSent = false;
    QList<QByteArray> queued;
    quint64 nextId = 1;
    QSet<quint64> pendingCommands;
    QHash<quint64, QString> pendingSessions; // id -> pool
};

void PoolMonitorClientPrivate::attach(QIODevice *device)
{
    this->device = device;
    decoder.emplace(Sender::Server);
    connected = false;
    serverError.clear();
    hello = {};
    helloSent = false;
    queued.clear();
    QObject::connect(device, &QIODevice::readyRead, q, [this, device] {
        if (this->device == device)
            readAvailable();
    });
}

void PoolMonitorClientPrivate::sayHello(const QByteArray &token)
{
    QCborMap message = newMessage(MessageType::ClientHello);
    message.insert(u"version"_s, ProtocolVersion);
    message.insert(u"client"_s, u"PoolMonitorClient"_s);
    if (!token.isEmpty())
        message.insert(u"token"_s, QString::fromUtf8(token));
    helloSent = true;
    device->write(encodeFrame(message));
    for (const QByteArray &frame : std::exchange(queued, {}))
        device->write(frame);
}

void PoolMonitorClientPrivate::send(const QCborMap &message)
{
    if (!device)
        return;
    if (helloSent)
        device->write(encodeFrame(message));
    else
        queued.append(encodeFrame(message));
}

void PoolMonitorClientPrivate::readAvailable()
{
    if (!decoder->feed(device->readAll())) {
        const QString reason = u"protocol error from the server: %1"_s.arg(decoder->error());
        Q_EMIT q->errorOccurred(reason);
        end(reason);
        return;
    }
    for (const Message &message : decoder->takeMessages()) {
        handle(message);
        if (!device)
            return;
    }
}

void PoolMonitorClientPrivate::handle(const Message &message)
{
    const QCborMap &body = message.body;
    switch (message.type) {
    case MessageType::ServerHello: {
        hello.version = int(body.value(u"version"_s).toInteger());
        hello.application = body.value(u"application"_s).toString();
        hello.pid = body.value(u"pid"_s).toInteger();
        hello.host = body.value(u"host"_s).toString();
        const QCborMap capabilities = body.value(u"capabilities"_s).toMap();
        hello.controlAllowed = capabilities.value(u"control"_s).toBool();
        hello.queryTextAllowed = capabilities.value(u"queryText"_s).toBool();
        hello.sessionsAllowed = capabilities.value(u"sessions"_s).toBool();
        hello.revision = int(body.value(u"revision"_s).toInteger());
        for (const QCborValue &name : body.value(u"pools"_s).toArray())
            hello.pools.append(name.toString());
        connected = true;
        Q_EMIT q->connected(hello);
        return;
    }
    case MessageType::Pools: {
        hello.pools.clear();
        for (const QCborValue &name : body.value(u"pools"_s).toArray())
            hello.pools.append(name.toString());
        Q_EMIT q->poolsChanged(hello.pools);
        return;
    }
    case MessageType::Snapshot:
        Q_EMIT q->snapshot(body.value(u"pool"_s).toString(), decodePoolStats(body.value(u"stats"_s).toMap()),
                           decodeConnections(body.value(u"connections"_s).toArray()));
        return;
    case MessageType::Event: {
        MonitorPoolEvent event;
        event.pool = body.value(u"pool"_s).toString();
        event.kind = body.value(u"event"_s).toString();
        event.time = QDateTime::fromMSecsSinceEpoch(body.value(u"time"_s).toInteger());
        event.connectionId = quint64(body.value(u"connection"_s).toInteger());
        event.backendPid = int(body.value(u"backendPid"_s).toInteger());
        event.reason = body.value(u"reason"_s).toString();
        event.message = body.value(u"message"_s).toString();
        event.holder = body.value(u"holder"_s).toString();
        event.heldMs = body.value(u"heldMs"_s).toInteger();
        Q_EMIT q->poolEvent(event);
        return;
    }
    case MessageType::Reply: {
        const quint64 id = quint64(body.value(u"id"_s).toInteger());
        if (!pendingCommands.remove(id))
            return; // not ours, or from before a reconnect
        if (body.value(u"ok"_s).toBool())
            Q_EMIT q->commandFinished(id);
        else
            Q_EMIT q->commandFailed(id, body.value(u"error"_s).toString());
        return;
    }
    case MessageType::Sessions: {
        const quint64 id = quint64(body.value(u"id"_s).toInteger());
        const QString pool = pendingSessions.take(id);
        if (pool.isNull())
            return; // not ours, or from before a reconnect
        if (body.contains(u"error"_s) || !body.value(u"rows"_s).isArray())
            Q_EMIT q->sessionsFailed(id, pool, body.value(u"error"_s).toString(u"no rows in the answer"_s));
        else
            Q_EMIT q->sessionsReceived(id, pool, decodeSessions(body.value(u"rows"_s).toArray()));
        return;
    }
    case MessageType::Error:
        serverError = body.value(u"message"_s).toString();
        Q_EMIT q->errorOccurred(serverError);
        return;
    default:
        return;
    }
}

quint64 PoolMonitorClientPrivate::command(const QString &pool, const QString &action,
                                          std::initializer_list<std::pair<QString, QCborValue>> fields)
{
    const quint64 id = nextId++;
    if (!connected) {
        QMetaObject::invokeMethod(q, [this, id] { Q_EMIT q->commandFailed(id, u"not connected"_s); }, Qt::QueuedConnection);
        return id;
    }
    QCborMap message = newMessage(MessageType::Command);
    message.insert(u"id"_s, qint64(id));
    message.insert(u"pool"_s, pool);
    message.insert(u"action"_s, action);
    for (const auto &[key, value] : fields)
        message.insert(key, value);
    pendingCommands.insert(id);
    send(message);
    return id;
}

void PoolMonitorClientPrivate::end(const QString &reason)
{
    if (!device)
        return;
    QIODevice *old = device;
    device = nullptr;
    old->disconnect(q);
    if (abortDevice)
        std::exchange(abortDevice, nullptr)();
    old->deleteLater();
    connected = false;
    const QSet<quint64> failed = std::exchange(pendingCommands, {});
    for (quint64 id : failed)
        Q_EMIT q->commandFailed(id, u"disconnected"_s);
    const QHash<quint64, QString> unanswered = std::exchange(pendingSessions, {});
    for (auto it = unanswered.cbegin(); it != unanswered.cend(); ++it)
        Q_EMIT q->sessionsFailed(it.key(), it.value(), u"disconnected"_s);
    Q_EMIT q->disconnected(reason.isEmpty() ? serverError : reason);
}

// ---------------------------------------------------------------------------------------------

PoolMonitorClient::PoolMonitorClient(QObject *parent)
    : QObject(parent)
    , d(std::make_unique<PoolMonitorClientPrivate>(this))
{
}

PoolMonitorClient::~PoolMonitorClient()
{
    if (d->device) {
        d->device->disconnect(this);
        delete d->device.data();
    }
}

QList<MonitorEndpoint> PoolMonitorClient::discover(const QString &directory)
{
    const QString dir = directory.isEmpty() ? Monitoring::defaultSocketDirectory() : directory;
    QString error;
    if (!isPrivateDirectory(dir, &error))
        return {}; // none there, or not one to trust
    QList<MonitorEndpoint> endpoints;
    for (const SocketEntry &entry : listSockets(dir, false))
        endpoints.append({entry.application, entry.pid, entry.path});
    return endpoints;
}

QString PoolMonitorClient::defaultSocketDirectory()
{
    return Monitoring::defaultSocketDirectory();
}

void PoolMonitorClient::connectToLocal(const QString &socketPath)
{
    d->end(u"reconnecting"_s);
    auto *socket = new QLocalSocket(this);
    d->attach(socket);
    d->abortDevice = [socket] { socket->abort(); };
    connect(socket, &QLocalSocket::connected, this, [this] { d->sayHello({}); });
    connect(socket, &QLocalSocket::disconnected, this, [this] { d->end({}); });
    connect(socket, &QLocalSocket::errorOccurred, this, [this, socket](QLocalSocket::LocalSocketError error) {
        if (error != QLocalSocket::PeerClosedError)
            d->end(socket->errorString());
    });
    socket->connectToServer(socketPath);
}

void PoolMonitorClient::connectToHost(const QString &host, quint16 port, const QByteArray &token,
                                      const MonitorTlsOptions &tls)
{
    d->end(u"reconnecting"_s);
    auto *socket = new QSslSocket(this);
    d->attach(socket);
    d->abortDevice = [socket] { socket->abort(); };
    connect(socket, &QTcpSocket::disconnected, this, [this] { d->end({}); });
    connect(socket, &QAbstractSocket::errorOccurred, this, [this, socket](QAbstractSocket::SocketError error) {
        if (error != QAbstractSocket::RemoteHostClosedError)
            d->end(socket->errorString());
    });
    if (tls.enabled) {
        QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
        if (!tls.caCertificates.isEmpty())
            configuration.addCaCertificates(tls.caCertificates);
        socket->setSslConfiguration(configuration);
        connect(socket, &QSslSocket::encrypted, this, [this, token] { d->sayHello(token); });
        connect(socket, &QSslSocket::sslErrors, this, [this](const QList<QSslError> &errors) {
            if (!errors.isEmpty())
                Q_EMIT errorOccurred(errors.first().errorString());
        });
        socket->connectToHostEncrypted(host, port, tls.peerVerifyName.isEmpty() ? host : tls.peerVerifyName);
    } else {
        connect(socket, &QTcpSocket::connected, this, [this, token] { d->sayHello(token); });
        socket->connectToHost(host, port);
    }
}

void PoolMonitorClient::disconnectFromServer()
{
    d->end({});
}

bool PoolMonitorClient::isConnected() const
{
    return d->connected;
}

MonitorHello PoolMonitorClient::hello() const
{
    return d->hello;
}

QStringList PoolMonitorClient::pools() const
{
    return d->hello.pools;
}

void PoolMonitorClient::subscribe(double rate, const QStringList &pools)
{
    QCborMap message = newMessage(MessageType::Subscribe);
    message.insert(u"rate"_s, rate);
    if (!pools.isEmpty())
        message.insert(u"pools"_s, QCborArray::fromStringList(pools));
    d->send(message);
}

void PoolMonitorClient::requestPools()
{
    d->send(newMessage(MessageType::ListPools));
}

quint64 PoolMonitorClient::expireConnections(const QString &pool)
{
    return d->command(pool, u"expire"_s, {});
}

quint64 PoolMonitorClient::resize(const QString &pool, int minSize, int maxSize)
{
    return d->command(pool, u"resize"_s, {{u"minSize"_s, minSize}, {u"maxSize"_s, maxSize}});
}

quint64 PoolMonitorClient::closePool(const QString &pool)
{
    return d->command(pool, u"close"_s, {});
}

quint64 PoolMonitorClient::terminatePool(const QString &pool)
{
    return d->command(pool, u"terminate"_s, {});
}

quint64 PoolMonitorClient::cancelQuery(const QString &pool, quint64 connectionId)
{
    return d->command(pool, u"cancelQuery"_s, {{u"connection"_s, qint64(connectionId)}});
}

quint64 PoolMonitorClient::cancelBackend(const QString &pool, int backendPid)
{
    return d->command(pool, u"cancelBackend"_s, {{u"pid"_s, backendPid}});
}

quint64 PoolMonitorClient::terminateBackend(const QString &pool, int backendPid)
{
    return d->command(pool, u"terminateBackend"_s, {{u"pid"_s, backendPid}});
}

quint64 PoolMonitorClient::requestSessions(const QString &pool)
{
    const quint64 id = d->nextId++;
    QString refusal;
    if (!d->connected)
        refusal = u"not connected"_s;
    else if (d->hello.revision < 1)
        refusal = u"the application's QPgPool predates the sessions view"_s;
    if (!refusal.isEmpty()) {
        QMetaObject::invokeMethod(this, [this, id, pool, refusal] { Q_EMIT sessionsFailed(id, pool, refusal); },
                                  Qt::QueuedConnection);
        return id;
    }
    QCborMap message = newMessage(MessageType::SessionsRequest);
    message.insert(u"id"_s, qint64(id));
    message.insert(u"pool"_s, pool);
    d->pendingSessions.insert(id, pool);
    d->send(message);
    return id;
}

} // namespace QPg
