// SPDX-License-Identifier: MIT
#include <QPg/poolmonitorserver.h>

#include "constanttime_p.h"
#include "marshal_p.h"
#include "monitorlogging_p.h"
#include "monitorsession_p.h"
#include "pooltap_p.h"
#include "poolthread_p.h"
#include "sessionscodec_p.h"
#include "socketdirectory_p.h"

#include <QPg/backendsessions.h>
#include <QPg/errors.h>
#include <QPg/pool.h>

#include <QtCore/QCborArray>
#include <QtCore/QCoreApplication>
#include <QtCore/QDateTime>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QThread>
#include <QtNetwork/QHostInfo>
#include <QtNetwork/QLocalServer>
#include <QtNetwork/QLocalSocket>
#include <QtNetwork/QSslServer>
#include <QtNetwork/QSslSocket>

#include <limits>

#include <sys/stat.h>

using namespace Qt::Literals::StringLiterals;

namespace QPg {

using namespace Monitoring;

class PoolMonitorServerPrivate
{
public:
    explicit PoolMonitorServerPrivate(PoolMonitorServer *q) : q(q) { }

    bool listenLocal();
    bool listenTcp();
    MonitorSession *adopt(const MonitorSession::Transport &transport);
    void handle(MonitorSession *session, const Message &message);
    void greet(MonitorSession *session, const QCborMap &hello);
    void command(MonitorSession *session, const QCborMap &message);
    void readSessions(MonitorSession *session, const QCborMap &message);
    void sessionsRead(const QString &poolName, const QFuture<QList<MonitorBackendSession>> &done);
    void signalBackend(const QPointer<MonitorSession> &guard, qint64 id, Pool *pool, const QCborMap &message,
                       BackendSessions::Signal what);
    void requestSnapshots(MonitorSession *session);
    void snapshotReady(PoolTap *tap, const QByteArray &frame);
    void broadcast(const QByteArray &frame, const QString &pool = {});
    QCborArray poolList() const;
    QString applicationName() const;
    PoolTap *addTap(Pool *pool, const QString &name);

    PoolMonitorServer *q;
    MonitorServerOptions options;
    bool listening = false;
    QString error;
    QMap<QString, QPointer<Pool>> pools;
    QMap<QString, PoolTap *> taps; // while listening
    QList<MonitorSession *> sessions;
    // The clients (and their request ids) waiting for the sessions read under way, by pool: one
    // read per pool at a time, whoever asks.
    QHash<QString, QList<QPair<QPointer<MonitorSession>, qint64>>> sessionReads;
    QLocalServer *localServer = nullptr;
    QTcpServer *tcpServer = nullptr;
    QString socketPath;
};

namespace {

QCborMap reply(qint64 id, const QString &error)
{
    QCborMap message = newMessage(MessageType::Reply);
    message.insert(u"id"_s, id);
    message.insert(u"ok"_s, error.isEmpty());
    if (!error.isEmpty())
        message.insert(u"error"_s, error);
    return message;
}

void sendReply(const QPointer<MonitorSession> &session, qint64 id, const QString &error)
{
    if (session)
        session->send(encodeFrame(reply(id, error)));
}

// The error text of a finished future, empty when it succeeded.
template<typename T>
QString errorText(const QFuture<T> &finished)
{
    try {
        if (const std::exception_ptr failure = Private::errorOf(finished))
            std::rethrow_exception(failure);
    } catch (const std::exception &e) {
        return QString::fromUtf8(e.what());
    } catch (...) {
        return u"unknown error"_s;
    }
    return {};
}

// A sessions read or a backend signal borrows one of the application's connections briefly: a
// saturated pool answers with an error instead of queueing monitoring work behind its callers.
AcquireOptions sessionsAcquireOptions()
{
    return {std::chrono::milliseconds(SessionsAcquireTimeoutMs), u"monitor sessions view"_s};
}

QString sessionsErrorText(const QFuture<QList<MonitorBackendSession>> &finished)
{
    try {
        if (const std::exception_ptr failure = Private::errorOf(finished))
            std::rethrow_exception(failure);
    } catch (const AcquireTimeoutError &) {
        return u"the pool is saturated: no connection was free within %1 ms for the sessions query"_s.arg(
            SessionsAcquireTimeoutMs);
    } catch (...) {
    }
    return errorText(finished);
}

} // namespace

QString PoolMonitorServerPrivate::applicationName() const
{
    if (!options.applicationName.isEmpty())
        return options.applicationName;
    const QString name = QCoreApplication::applicationName();
    return name.isEmpty() ? u"app"_s : name;
}

PoolTap *PoolMonitorServerPrivate::addTap(Pool *pool, const QString &name)
{
    auto *tap = new PoolTap(pool, name, options.allowQueryText, q);
    QObject::connect(tap, &PoolTap::snapshotReady, q, [this, tap](const QByteArray &frame) { snapshotReady(tap, frame); });
    QObject::connect(tap, &PoolTap::event, q, [this, name](const QCborMap &message) { broadcast(encodeFrame(message), name); });
    taps.insert(name, tap);
    return tap;
}

bool PoolMonitorServerPrivate::listenLocal()
{
    const QString directory = options.socketDirectory.isEmpty() ? defaultSocketDirectory() : options.socketDirectory;
    if (!ensurePrivateDirectory(directory, &error))
        return false;
    listSockets(directory, true); // removes the sockets of processes that are gone
    const QString base = directory + u'/' + socketApplicationName(applicationName()) + u'.'
                         + QString::number(QCoreApplication::applicationPid());
    QString path = base + u".sock"_s;
    for (int n = 2; QFileInfo::exists(path); ++n)
        path = base + u'.' + QString::number(n) + u".sock"_s;
    localServer = new QLocalServer(q);
    localServer->setSocketOptions(QLocalServer::UserAccessOption);
    if (!localServer->listen(path)) {
        error = u"cannot listen on %1: %2"_s.arg(path, localServer->errorString());
        return false;
    }
    // Qt gives the owner rwx; a socket needs rw only. The directory (0700) already keeps others out.
    ::chmod(QFile::encodeName(path).constData(), 0600);
    socketPath = path;
    QObject::connect(localServer, &QLocalServer::newConnection, q, [this] {
        while (QLocalSocket *socket = localServer->nextPendingConnection()) {
            MonitorSession *session =
                adopt({socket, [socket] { socket->disconnectFromServer(); }, [socket] { socket->abort(); }, false});
            QObject::connect(socket, &QLocalSocket::disconnected, session, [session] { session->finish(); });
            if (socket->state() == QLocalSocket::UnconnectedState)
                session->finish(); // gone before it was adopted
        }
    });
    return true;
}

bool PoolMonitorServerPrivate::listenTcp()
{
    if (options.token.isEmpty()) {
        error = u"TCP monitoring needs a token (MonitorServerOptions::token)"_s;
        return false;
    }
    if (!options.certificate.isNull()) {
        auto *ssl = new QSslServer(q);
        QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
        configuration.setLocalCertificate(options.certificate);
        configuration.setPrivateKey(options.privateKey);
        configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
        ssl->setSslConfiguration(configuration);
        QObject::connect(ssl, &QSslServer::errorOccurred, q, [](QSslSocket *, QAbstractSocket::SocketError e) {
            qCInfo(lcMonitor) << "TLS handshake with a monitor client failed:" << e;
        });
        tcpServer = ssl;
    } else {
        tcpServer = new QTcpServer(q);
    }
    if (!tcpServer->listen(options.tcpAddress, options.tcpPort)) {
        error = u"cannot listen on %1:%2: %3"_s.arg(options.tcpAddress.toString()).arg(options.tcpPort).arg(tcpServer->errorString());
        return false;
    }
    // QSslServer announces a connection once its handshake is done.
    QObject::connect(tcpServer, &QTcpServer::pendingConnectionAvailable, q, [this] {
        while (QTcpSocket *socket = tcpServer->nextPendingConnection()) {
            MonitorSession *session =
                adopt({socket, [socket] { socket->disconnectFromHost(); }, [socket] { socket->abort(); }, true});
            QObject::connect(socket, &QTcpSocket::disconnected, session, [session] { session->finish(); });
            if (socket->state() == QAbstractSocket::UnconnectedState)
                session->finish();
        }
    });
    return true;
}

MonitorSession *PoolMonitorServerPrivate::adopt(const MonitorSession::Transport &transport)
{
    auto *session = new MonitorSession(transport, options.sendBufferLimit, q);
    sessions.append(session);
    QObject::connect(session, &MonitorSession::messageReceived, q,
                     [this, session](const Message &message) { handle(session, message); });
    QObject::connect(session, &MonitorSession::snapshotDue, q, [this, session] { requestSnapshots(session); });
    QObject::connect(session, &MonitorSession::finished, q, [this, session](const QString &reason) {
        sessions.removeOne(session);
        session->deleteLater();
        Q_EMIT q->clientDisconnected(reason);
    });
    Q_EMIT q->clientConnected();
    return session;
}

void PoolMonitorServerPrivate::handle(MonitorSession *session, const Message &message)
{
    switch (message.type) {
    case MessageType::ClientHello:
        greet(session, message.body);
        return;
    case MessageType::ListPools: {
        QCborMap pools = newMessage(MessageType::Pools);
        pools.insert(u"pools"_s, poolList());
        session->send(encodeFrame(pools));
        return;
    }
    case MessageType::Subscribe: {
        QStringList names;
        for (const QCborValue &name : message.body.value(u"pools"_s).toArray())
            names.append(name.toString());
        session->subscribe(message.body.value(u"rate"_s).toDouble(), names);
        return;
    }
    case MessageType::Command:
        command(session, message.body);
        return;
    case MessageType::SessionsRequest:
        readSessions(session, message.body);
        return;
    default:
        session->fail(u"unexpected message"_s); // the decoder lets only client messages through
        return;
    }
}

void PoolMonitorServerPrivate::greet(MonitorSession *session, const QCborMap &hello)
{
    const qint64 version = hello.value(u"version"_s).toInteger();
    if (version != ProtocolVersion) {
        session->fail(u"unsupported protocol version %1; this server speaks version %2"_s.arg(version).arg(ProtocolVersion));
        return;
    }
    if (session->isRemote() && !sameSecret(hello.value(u"token"_s).toString().toUtf8(), options.token)) {
        session->fail(u"wrong token"_s);
        return;
    }
    session->setGreeted();
    QCborMap answer = newMessage(MessageType::ServerHello);
    answer.insert(u"version"_s, ProtocolVersion);
    answer.insert(u"application"_s, applicationName());
    answer.insert(u"pid"_s, QCoreApplication::applicationPid());
    answer.insert(u"host"_s, QHostInfo::localHostName());
    QCborMap capabilities;
    capabilities.insert(u"control"_s, options.allowControl);
    capabilities.insert(u"queryText"_s, options.allowQueryText);
    capabilities.insert(u"sessions"_s, options.allowSessions);
    answer.insert(u"capabilities"_s, capabilities);
    answer.insert(u"revision"_s, ProtocolRevision);
    answer.insert(u"pools"_s, poolList());
    session->send(encodeFrame(answer));
}

void PoolMonitorServerPrivate::command(MonitorSession *session, const QCborMap &message)
{
    const qint64 id = message.value(u"id"_s).toInteger();
    const QString poolName = message.value(u"pool"_s).toString();
    const QString action = message.value(u"action"_s).toString();
    const QPointer<MonitorSession> guard(session);
    if (!options.allowControl) {
        sendReply(guard, id, u"control is disabled: this application publishes its pools read-only "
                             "(MonitorServerOptions::allowControl)"_s);
        return;
    }
    Pool *pool = pools.value(poolName);
    if (!pool) {
        sendReply(guard, id, u"no pool named \"%1\""_s.arg(poolName.left(100)));
        return;
    }
    qCInfo(lcMonitor) << "monitor command" << action << "on pool" << poolName;
    if (action == u"expire") {
        pool->expireConnections();
        sendReply(guard, id, {});
    } else if (action == u"resize") {
        const qint64 minSize = message.value(u"minSize"_s).toInteger(-1);
        const qint64 maxSize = message.value(u"maxSize"_s).toInteger(-1);
        if (minSize < 0 || maxSize <= 0 || minSize > maxSize || maxSize > 100000) {
            sendReply(guard, id, u"resize needs 0 <= minSize <= maxSize and maxSize > 0 (got %1, %2)"_s.arg(minSize).arg(maxSize));
            return;
        }
        pool->resize(int(minSize), int(maxSize));
        sendReply(guard, id, {});
    } else if (action == u"close") {
        // Not then(q, ...): Qt 6.4 asserts when that context is gone before the future ends, and
        // the server may go while the pool still closes.
        Private::whenFinished<void>(pool->close(), q, [guard, id](const QFuture<void> &closed) {
            sendReply(guard, id, errorText(closed));
        });
    } else if (action == u"terminate") {
        // Pool::terminate() from another thread waits for that thread: ask it instead.
        if (pool->thread() == q->thread())
            pool->terminate();
        else
            QMetaObject::invokeMethod(pool, [pool] { pool->terminate(); }, Qt::QueuedConnection);
        sendReply(guard, id, {});
    } else if (action == u"cancelQuery") {
        if (!message.contains(u"connection"_s)) {
            sendReply(guard, id, u"cancelQuery needs \"connection\" (a connection id)"_s);
            return;
        }
        Private::whenFinished<bool>(
            pool->cancelQuery(quint64(message.value(u"connection"_s).toInteger())), q,
            [guard, id](const QFuture<bool> &cancelled) {
                QString error = errorText(cancelled);
                if (error.isEmpty() && !cancelled.result())
                    error = u"that connection runs no query"_s;
                sendReply(guard, id, error);
            });
    } else if (action == u"cancelBackend") {
        signalBackend(guard, id, pool, message, BackendSessions::Signal::Cancel);
    } else if (action == u"terminateBackend") {
        signalBackend(guard, id, pool, message, BackendSessions::Signal::Terminate);
    } else {
        sendReply(guard, id, u"unknown action \"%1\" (expire, resize, close, terminate, cancelQuery, "
                             "cancelBackend, terminateBackend)"_s.arg(action.left(100)));
    }
}

void PoolMonitorServerPrivate::signalBackend(const QPointer<MonitorSession> &guard, qint64 id, Pool *pool,
                                             const QCborMap &message, BackendSessions::Signal what)
{
    if (!options.allowSessions) {
        sendReply(guard, id, u"signalling backends is part of the sessions view, which this application does not "
                             "allow (MonitorServerOptions::allowSessions)"_s);
        return;
    }
    if (!message.value(u"pid"_s).isInteger()) {
        sendReply(guard, id, u"cancelBackend and terminateBackend need \"pid\" (a backend PID)"_s);
        return;
    }
    const qint64 pid = message.value(u"pid"_s).toInteger();
    // Never an arbitrary backend: only one of this pool's connections, checked in the pool's thread
    // right before the request goes out.
    const QFuture<void> done = inPoolThread<void>(pool, [pool, pid, what]() -> QFuture<void> {
        if (pid <= 0 || pid > std::numeric_limits<int>::max()
            || !BackendSessions::pidsOf(pool->connectionInfo()).contains(int(pid)))
            return Private::failedFuture<void>(Private::exceptionPtr(InterfaceError(
                u"backend %1 is not one of this pool's connections: only the pool's own backends can be "
                "signalled"_s.arg(pid))));
        return BackendSessions::signal(pool, int(pid), what, sessionsAcquireOptions());
    });
    Private::whenFinished<void>(done, q, [guard, id](const QFuture<void> &finished) {
        sendReply(guard, id, errorText(finished));
    });
}

void PoolMonitorServerPrivate::readSessions(MonitorSession *session, const QCborMap &message)
{
    const qint64 id = message.value(u"id"_s).toInteger();
    const QString poolName = message.value(u"pool"_s).toString();
    const QPointer<MonitorSession> guard(session);
    auto refuse = [&](const QString &error) {
        QCborMap answer = newMessage(MessageType::Sessions);
        answer.insert(u"id"_s, id);
        answer.insert(u"pool"_s, poolName);
        answer.insert(u"error"_s, error);
        session->send(encodeFrame(answer));
    };
    if (!options.allowSessions) {
        refuse(u"the sessions view is disabled: this application does not allow it "
               "(MonitorServerOptions::allowSessions)"_s);
        return;
    }
    Pool *pool = pools.value(poolName);
    if (!pool) {
        refuse(u"no pool named \"%1\""_s.arg(poolName.left(100)));
        return;
    }
    QList<QPair<QPointer<MonitorSession>, qint64>> &waiting = sessionReads[poolName];
    waiting.append({guard, id});
    if (waiting.size() > 1)
        return; // the read under way answers this one too
    const bool withQueryText = options.allowQueryText;
    const QFuture<QList<MonitorBackendSession>> read = inPoolThread<QList<MonitorBackendSession>>(pool, [pool, withQueryText] {
        const QList<int> pids = BackendSessions::pidsOf(pool->connectionInfo());
        if (pids.isEmpty())
            return QtFuture::makeReadyFuture(QList<MonitorBackendSession>());
        return BackendSessions::fetch(pool, pids, withQueryText, sessionsAcquireOptions());
    });
    // Not then(q, ...): the server may be destroyed while the read runs (see command()).
    Private::whenFinished<QList<MonitorBackendSession>>(
        read, q, [this, poolName](const QFuture<QList<MonitorBackendSession>> &done) { sessionsRead(poolName, done); });
}

void PoolMonitorServerPrivate::sessionsRead(const QString &poolName, const QFuture<QList<MonitorBackendSession>> &done)
{
    QCborMap answer = newMessage(MessageType::Sessions);
    answer.insert(u"pool"_s, poolName);
    answer.insert(u"time"_s, QDateTime::currentMSecsSinceEpoch());
    const QString error = sessionsErrorText(done);
    if (error.isEmpty())
        answer.insert(u"rows"_s, encodeSessions(done.result()));
    else
        answer.insert(u"error"_s, error);
    const QList<QPair<QPointer<MonitorSession>, qint64>> waiting = sessionReads.take(poolName);
    for (const auto &[session, id] : waiting) {
        if (!session)
            continue; // that client left meanwhile
        answer.insert(u"id"_s, id);
        session->send(encodeFrame(answer));
    }
}

void PoolMonitorServerPrivate::requestSnapshots(MonitorSession *session)
{
    for (PoolTap *tap : std::as_const(taps)) {
        if (!session->isSubscribedTo(tap->name()))
            continue;
        session->markPending(tap->name());
        tap->requestSnapshot();
    }
}

void PoolMonitorServerPrivate::snapshotReady(PoolTap *tap, const QByteArray &frame)
{
    // Copied: a send may drop a session (finished() removes it from the list).
    const QList<MonitorSession *> current = sessions;
    for (MonitorSession *session : current) {
        if (session->takePending(tap->name()))
            session->send(frame);
    }
}

void PoolMonitorServerPrivate::broadcast(const QByteArray &frame, const QString &pool)
{
    const QList<MonitorSession *> current = sessions;
    for (MonitorSession *session : current) {
        if (session->isGreeted() && (pool.isEmpty() || session->isSubscribedTo(pool)))
            session->send(frame);
    }
}

QCborArray PoolMonitorServerPrivate::poolList() const
{
    QCborArray list;
    for (auto it = pools.cbegin(); it != pools.cend(); ++it) {
        if (it.value())
            list.append(it.key());
    }
    return list;
}

// ---------------------------------------------------------------------------------------------

PoolMonitorServer::PoolMonitorServer(QObject *parent)
    : QObject(parent)
    , d(std::make_unique<PoolMonitorServerPrivate>(this))
{
}

PoolMonitorServer::~PoolMonitorServer()
{
    close();
}

bool PoolMonitorServer::addPool(Pool *pool, const QString &name)
{
    if (!pool || name.isEmpty() || d->pools.contains(name))
        return false;
    d->pools.insert(name, pool);
    if (d->listening) {
        d->addTap(pool, name);
        QCborMap message = newMessage(MessageType::Pools);
        message.insert(u"pools"_s, d->poolList());
        d->broadcast(encodeFrame(message));
    }
    return true;
}

void PoolMonitorServer::removePool(const QString &name)
{
    if (!d->pools.remove(name))
        return;
    delete d->taps.take(name);
    if (d->listening) {
        QCborMap message = newMessage(MessageType::Pools);
        message.insert(u"pools"_s, d->poolList());
        d->broadcast(encodeFrame(message));
    }
}

QStringList PoolMonitorServer::poolNames() const
{
    return d->pools.keys();
}

bool PoolMonitorServer::listen(const MonitorServerOptions &options)
{
    close();
    d->options = options;
    d->error.clear();
    if (!options.localSocket && !options.tcp) {
        d->error = u"neither the local socket nor TCP is enabled"_s;
        return false;
    }
    if ((options.localSocket && !d->listenLocal()) || (options.tcp && !d->listenTcp())) {
        const QString error = d->error;
        close();
        d->error = error;
        qCWarning(lcMonitor) << "monitor server:" << error;
        return false;
    }
    d->listening = true;
    for (auto it = d->pools.cbegin(); it != d->pools.cend(); ++it) {
        if (it.value())
            d->addTap(it.value(), it.key());
    }
    return true;
}

void PoolMonitorServer::close()
{
    const QList<MonitorSession *> sessions = std::exchange(d->sessions, {});
    for (MonitorSession *session : sessions)
        delete session;
    qDeleteAll(std::exchange(d->taps, {}));
    delete std::exchange(d->localServer, nullptr); // removes the socket file
    delete std::exchange(d->tcpServer, nullptr);
    d->socketPath.clear();
    d->listening = false;
}

bool PoolMonitorServer::isListening() const
{
    return d->listening;
}

QString PoolMonitorServer::errorString() const
{
    return d->error;
}

QString PoolMonitorServer::socketPath() const
{
    return d->socketPath;
}

quint16 PoolMonitorServer::serverPort() const
{
    return d->tcpServer ? d->tcpServer->serverPort() : 0;
}

int PoolMonitorServer::clientCount() const
{
    return int(d->sessions.size());
}

} // namespace QPg
