// SPDX-License-Identifier: MIT
#include <QPg/pooledconnection.h>

#include "callbackdelivery_p.h"
#include "connection_p.h"
#include "marshal_p.h"
#include "notificationrelay_p.h"
#include "operation_p.h"
#include "pool_p.h"
#include "rowstream_p.h"

namespace QPg {

namespace {

ConnectionReleasedError releasedError(const char *method)
{
    return ConnectionReleasedError(QStringLiteral("cannot call PooledConnection::%1(): the connection has been "
                                                  "released back to the pool")
                                       .arg(QLatin1StringView(method)));
}

// Runs call on the lease's connection in the pool's thread, or fails when the lease is over.
template<typename T>
QFuture<T> onConnection(const std::shared_ptr<PoolLease> &lease, const char *method,
                        std::function<QFuture<T>(Connection *)> call)
{
    if (!lease || lease->released)
        return Private::failedFuture<T>(releasedError(method));
    return lease->anchor->future<T>(releasedError(method).message(), [lease, method, call](PoolPrivate *) {
        if (lease->released || !lease->connection)
            return Private::failedFuture<T>(releasedError(method));
        return call(lease->connection.data());
    });
}

// A callback form's request dropped unrun: its posted call died with the pool.
std::exception_ptr poolGoneError()
{
    return std::make_exception_ptr(ConnectionReleasedError(
        QStringLiteral("the query did not run: the pool of this connection was destroyed")));
}

// onConnection() for the callback forms: the command runs in the pool's thread, on the lease's
// connection, or fails with ConnectionReleasedError when the lease is over by then.
template<typename T, typename Convert>
void onConnectionWithCallback(const std::shared_ptr<PoolLease> &lease, const char *method, const QString &sql,
                              const QVariantList &args, const QueryOptions &options, bool allowScript,
                              Convert convert, const QObject *context, std::function<void(Reply<T>)> onReply)
{
    if (!Private::callbackArgumentsValid(context, bool(onReply), "PooledConnection"))
        return;
    // A handle without a lease, released, or whose pool is gone fails at once, in this thread;
    // otherwise the outcome is handed over in the pool's thread.
    QThread *poolThread = lease && !lease->released ? lease->anchor->thread() : nullptr;
    auto command = std::make_shared<Private::CallbackCommand<T, Convert>>(
        std::move(convert), context, poolThread ? poolThread : QThread::currentThread(), std::move(onReply),
        &poolGoneError);
    if (!poolThread) {
        command->delivery.fail(Private::exceptionPtr(releasedError(method)));
        return;
    }
    lease->anchor->run([lease, method, command, sql, args, options, allowScript](PoolPrivate *) {
        if (lease->released || !lease->connection)
            command->delivery.fail(Private::exceptionPtr(releasedError(method)));
        else
            Private::enqueueCallbackCommand(command, ConnectionPrivate::get(lease->connection.data()), sql, args,
                                            options, allowScript);
        command->delivery.inRequest = false;
    });
}

} // namespace

PooledConnection::PooledConnection() = default;
PooledConnection::~PooledConnection() = default;
PooledConnection::PooledConnection(const PooledConnection &other) = default;
PooledConnection &PooledConnection::operator=(const PooledConnection &other) = default;
PooledConnection::PooledConnection(PooledConnection &&other) noexcept = default;
PooledConnection &PooledConnection::operator=(PooledConnection &&other) noexcept = default;

PooledConnection::PooledConnection(std::shared_ptr<PoolLease> lease)
    : m_lease(std::move(lease))
{
}

bool PooledConnection::isReleased() const
{
    return !m_lease || m_lease->released;
}

Connection *PooledConnection::connection() const
{
    return isReleased() ? nullptr : m_lease->connection.data();
}

QFuture<QString> PooledConnection::execute(const QString &sql, const QVariantList &args, const QueryOptions &options)
{
    return onConnection<QString>(m_lease, "execute", [=](Connection *c) { return c->execute(sql, args, options); });
}

QFuture<RecordList> PooledConnection::fetch(const QString &sql, const QVariantList &args, const QueryOptions &options)
{
    return onConnection<RecordList>(m_lease, "fetch", [=](Connection *c) { return c->fetch(sql, args, options); });
}

QFuture<Record> PooledConnection::fetchRow(const QString &sql, const QVariantList &args, const QueryOptions &options)
{
    return onConnection<Record>(m_lease, "fetchRow", [=](Connection *c) { return c->fetchRow(sql, args, options); });
}

QFuture<QVariant> PooledConnection::fetchValue(const QString &sql, const QVariantList &args, const QueryOptions &options)
{
    return onConnection<QVariant>(m_lease, "fetchValue", [=](Connection *c) { return c->fetchValue(sql, args, options); });
}

void PooledConnection::execute(const QString &sql, const QVariantList &args, const QObject *context,
                               std::function<void(Reply<QString>)> onReply, const QueryOptions &options) const
{
    onConnectionWithCallback<QString>(m_lease, "execute", sql, args, options, true, &Private::Convert::commandTag,
                                      context, std::move(onReply));
}

void PooledConnection::fetch(const QString &sql, const QVariantList &args, const QObject *context,
                             std::function<void(Reply<RecordList>)> onReply, const QueryOptions &options) const
{
    onConnectionWithCallback<RecordList>(m_lease, "fetch", sql, args, options, false, &Private::Convert::records,
                                         context, std::move(onReply));
}

void PooledConnection::fetchRow(const QString &sql, const QVariantList &args, const QObject *context,
                                std::function<void(Reply<Record>)> onReply, const QueryOptions &options) const
{
    onConnectionWithCallback<Record>(m_lease, "fetchRow", sql, args, options, false, &Private::Convert::firstRow,
                                     context, std::move(onReply));
}

void PooledConnection::fetchValue(const QString &sql, const QVariantList &args, const QObject *context,
                                  std::function<void(Reply<QVariant>)> onReply, const QueryOptions &options) const
{
    const int column = options.column;
    onConnectionWithCallback<QVariant>(
        m_lease, "fetchValue", sql, args, options, false,
        [column](Private::Outcome &&o) { return Private::Convert::value(std::move(o), column); }, context,
        std::move(onReply));
}

QFuture<Record> PooledConnection::streamRows(const QString &sql, const QVariantList &args, QObject *context,
                                             std::function<void(RecordList &&rows)> onRows, int chunkRows,
                                             const QueryOptions &options)
{
    if (!context)
        return Private::failedFuture<Record>(InterfaceError(QStringLiteral("streamRows() needs a context object")));
    // Made here, in context's thread, while context is known alive (see RowStream).
    const std::shared_ptr<Private::RowStream> stream = Private::RowStream::create(context, std::move(onRows));
    return onConnection<Record>(m_lease, "streamRows", [=](Connection *c) {
        c->d->startStream(sql, args, options, chunkRows, stream);
        return stream->future();
    });
}

QFuture<void> PooledConnection::addListener(const QString &channel, QObject *context,
                                           std::function<void(const Notification &)> callback,
                                           std::function<void()> sessionEnded) const
{
    if (!context)
        return Private::failedFuture<void>(InterfaceError(QStringLiteral("addListener() needs a context object")));
    // The relay lives in context's thread and is connected there, while context is known alive; the
    // listener in the pool's thread owns it, so it goes when the checkout's listeners are dropped.
    auto *relay = new Private::NotificationRelay;
    QObject::connect(relay, &Private::NotificationRelay::notified, context, std::move(callback));
    if (sessionEnded)
        QObject::connect(relay, &Private::NotificationRelay::sessionEnded, context, std::move(sessionEnded));
    std::shared_ptr<Private::NotificationRelay> owned(relay, [](Private::NotificationRelay *r) { r->deleteLater(); });
    return onConnection<void>(m_lease, "addListener", [channel, owned](Connection *c) {
        const std::weak_ptr<Private::NotificationRelay> weak = owned;
        auto watch = std::make_shared<QList<QMetaObject::Connection>>();
        const auto ended = [weak] {
            if (const auto r = weak.lock())
                Q_EMIT r->sessionEnded();
        };
        watch->append(QObject::connect(c, &Connection::connectionLost, c, ended));
        watch->append(QObject::connect(c, &Connection::closed, c, ended));
        // The watch connections go with the listener, so a later holder's session end is not reported.
        std::shared_ptr<void> unwatch(nullptr, [watch](void *) {
            for (const QMetaObject::Connection &w : *watch)
                QObject::disconnect(w);
        });
        return c->addListener(channel, [owned, unwatch](const Notification &n) { Q_EMIT owned->notified(n); });
    });
}

QFuture<bool> PooledConnection::cancel() const
{
    return onConnection<bool>(m_lease, "cancel",
                              [](Connection *c) { return QtFuture::makeReadyFuture(c->cancel()); });
}

QFuture<void> PooledConnection::release() const
{
    if (!m_lease || m_lease->released || !m_lease->anchor->isAlive())
        return QtFuture::makeReadyFuture(); // nothing to give back
    std::shared_ptr<PoolLease> lease = m_lease;
    return lease->anchor->future<void>(QString(), [lease](PoolPrivate *d) { return d->release(*lease); });
}

} // namespace QPg
