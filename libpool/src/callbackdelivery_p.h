// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include "connection_p.h"
#include "contextrelay_p.h"
#include "logging_p.h"
#include "marshal_p.h"
#include "operation_p.h"

#include <QPg/reply.h>

#include <QtCore/QPointer>
#include <QtCore/QThread>

#include <functional>
#include <memory>
#include <optional>

namespace QPg::Private {

// Where a command's outcome goes in the callback forms (Pool's, PooledConnection's and
// Connection's): the caller's callback, called in its context's thread. At once when that is the
// thread the command completes in (the owner's: where a promise's then(context, …) would run too),
// queued otherwise, and queued as well while the call that made the request is still running (a
// closed pool or a released handle fails it at once), so that the caller never sees its callback
// before the call returns. A context in another thread is reached through a relay connected when
// the request is made (never through a pointer read in the owner's thread). Exactly once, unless
// the context is gone: a request dropped unrun (its owner died first) reports droppedError, from a
// queued call, since the drop happens while the owner is being torn down.
template<typename T>
struct CallbackDelivery
{
    using Value = T;
    // In the caller's thread.
    CallbackDelivery(const QObject *context, QThread *ownerThread, std::function<void(Reply<T>)> onReply,
                     std::exception_ptr (*droppedError)())
        : context(const_cast<QObject *>(context)), onReply(std::move(onReply)), droppedError(droppedError)
    {
        if (context->thread() != ownerThread) {
            relayed = std::make_shared<std::optional<Reply<T>>>();
            relay = ContextRelay::create(context, ownerThread, [payload = relayed, callback = this->onReply] {
                if (payload->has_value())
                    call(callback, std::move(**payload));
            });
        }
    }
    CallbackDelivery(const CallbackDelivery &) = delete;
    CallbackDelivery &operator=(const CallbackDelivery &) = delete;
    ~CallbackDelivery()
    {
        if (onReply)
            post(Reply<T>(droppedError()));
    }
    void deliver(T &&value) { hand(Reply<T>(std::move(value))); }
    void fail(const std::exception_ptr &error) { hand(Reply<T>(error)); }

    // From here on, in the owner's thread.
    void hand(Reply<T> reply)
    {
        if (!inRequest && !relay && context)
            call(std::exchange(onReply, nullptr), std::move(reply));
        else
            post(std::move(reply));
    }
    void post(Reply<T> reply)
    {
        std::function<void(Reply<T>)> callback = std::exchange(onReply, nullptr);
        if (relay) {
            relayed->emplace(std::move(reply));
            std::exchange(relay, nullptr)->fire();
        } else if (context) { // the context lives in this thread: the pointer cannot go stale meanwhile
            QMetaObject::invokeMethod(context.data(), [callback, reply] { call(callback, reply); }, Qt::QueuedConnection);
        }
    }
    // What a callback throws must not unwind through the connection's result handling or the
    // event loop (a future's continuation would have kept it in its own future): it is logged.
    static void call(const std::function<void(Reply<T>)> &callback, Reply<T> reply)
    {
        try {
            callback(std::move(reply));
        } catch (...) {
            qCWarning(lcPool).noquote() << "a query's callback threw:" << messageOf(std::current_exception());
        }
    }

    QPointer<QObject> context; // read only when the context lives in the owner's thread
    std::function<void(Reply<T>)> onReply;
    std::exception_ptr (*droppedError)();
    // For a context in another thread: the relay, fired once, and the reply it carries.
    std::shared_ptr<std::optional<Reply<T>>> relayed;
    ContextRelay *relay = nullptr;
    bool inRequest = true; // until the owner has taken the request
};

// A command's outcome, converted, to delivery (a CallbackDelivery, or a promise's): what a
// converter throws (a row missing, a column out of range) is the command's error.
template<typename Delivery, typename Convert>
void deliverConverted(Delivery &delivery, Convert &convert, Outcome &&outcome)
{
    std::optional<typename Delivery::Value> value;
    try {
        value.emplace(convert(std::move(outcome)));
    } catch (const QException &e) {
        delivery.fail(exceptionPtr(e));
        return;
    }
    delivery.deliver(std::move(*value));
}

// Whether a callback form may run at all: both a context and a callback are needed.
inline bool callbackArgumentsValid(const QObject *context, bool hasCallback, const char *where)
{
    if (context && hasCallback)
        return true;
    qCWarning(lcPool, "%s: a call with a callback needs a context and a callback: not run", where);
    return false;
}

// A command of a callback form, in one allocation that the command's operation owns: where its
// outcome goes and how the outcome is converted.
template<typename T, typename Convert>
struct CallbackCommand
{
    CallbackCommand(Convert convert, const QObject *context, QThread *ownerThread,
                    std::function<void(Reply<T>)> onReply, std::exception_ptr (*droppedError)())
        : delivery(context, ownerThread, std::move(onReply), droppedError), convert(std::move(convert))
    {
    }
    CallbackDelivery<T> delivery;
    Convert convert;
};

// Queues command on connection (in connection's thread); a command that cannot be queued (wrong
// thread, connection closed, bad arguments) fails through the delivery, queued.
template<typename T, typename Convert>
void enqueueCallbackCommand(const std::shared_ptr<CallbackCommand<T, Convert>> &command, ConnectionPrivate *connection,
                            const QString &sql, const QVariantList &args, const QueryOptions &options, bool allowScript)
{
    CallbackCommand<T, Convert> *c = command.get();
    connection->enqueueWithCallbacks(
        sql, args, options, allowScript,
        [c](Outcome &&outcome) { deliverConverted(c->delivery, c->convert, std::move(outcome)); },
        [c](const QException &e) { c->delivery.fail(exceptionPtr(e)); }, command);
}

} // namespace QPg::Private
