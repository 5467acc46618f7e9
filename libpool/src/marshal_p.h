// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QtCore/QFutureWatcher>
#include <QtCore/QPromise>
#include <QtCore/QThread>

#include <QPg/errors.h>
#include <QPg/whenfinished.h>

#include <functional>
#include <memory>

namespace QPg::Private {

// The library's own continuations use the public helpers (QPg/whenfinished.h).
using QPg::whenFinished;
using QPg::whenFinishedLater;

// Completes promise with the outcome of a finished future (its result or its error).
template<typename T>
void settle(QPromise<T> &promise, const QFuture<T> &finished)
{
    try {
        if constexpr (std::is_void_v<T>) {
            QFuture<T> copy = finished;
            copy.waitForFinished(); // rethrows a stored error
        } else {
            promise.addResult(finished.result());
        }
    } catch (const QException &e) {
        promise.setException(e);
    } catch (...) {
        promise.setException(std::current_exception());
    }
    promise.finish();
}

// An exception_ptr holding a copy of error, of its exact type (raise() is overridden per class).
inline std::exception_ptr exceptionPtr(const QException &error)
{
    try {
        error.raise();
    } catch (...) {
        return std::current_exception();
    }
    return nullptr;
}

// A future that has already failed with error (any exception, its type kept).
template<typename T>
QFuture<T> failedFuture(const std::exception_ptr &error)
{
    QPromise<T> promise;
    promise.start();
    promise.setException(error);
    promise.finish();
    return promise.future();
}

// The error a finished future failed with; null when it succeeded. A cancelled future counts as
// failed with an InterfaceError.
template<typename T>
std::exception_ptr errorOf(const QFuture<T> &finished)
{
    try {
        QFuture<T>(finished).waitForFinished(); // rethrows a stored error
    } catch (...) {
        return std::current_exception();
    }
    if (finished.isCanceled())
        return std::make_exception_ptr(InterfaceError(QStringLiteral("the operation was cancelled")));
    return nullptr;
}

// The message of an error held in an exception_ptr, for logs and signals.
inline QString messageOf(const std::exception_ptr &error)
{
    try {
        std::rethrow_exception(error);
    } catch (const std::exception &e) {
        return QString::fromUtf8(e.what());
    } catch (...) {
        return QStringLiteral("unknown error");
    }
}

// True when a finished future failed or was cancelled.
template<typename T>
bool hasFailed(const QFuture<T> &finished)
{
    return errorOf(finished) != nullptr;
}

// Calls a user function that returns a future; a throw becomes a failed future.
template<typename T, typename Function, typename... Args>
QFuture<T> callUser(const Function &function, Args &&...args)
{
    try {
        return function(std::forward<Args>(args)...);
    } catch (...) {
        return failedFuture<T>(std::current_exception());
    }
}

// Runs call in context's thread and hands its future back to the calling thread: the pool and its
// connections live in one thread, callers may be anywhere. The caller's future always finishes:
// with call's outcome, also when context is destroyed after running call (whose destructor then
// fails what it ran), or with an InterfaceError when context is destroyed before call could run.
template<typename T>
QFuture<T> runInThreadOf(QObject *context, std::function<QFuture<T>()> call)
{
    if (QThread::currentThread() == context->thread())
        return call();
    // Fails the caller's future if the queued call is dropped unrun (context destroyed first).
    struct Pending
    {
        std::shared_ptr<QPromise<T>> promise = std::make_shared<QPromise<T>>();
        bool ran = false;
        ~Pending()
        {
            if (ran)
                return;
            promise->setException(InterfaceError(QStringLiteral("the object the call was queued to was destroyed first")));
            promise->finish();
        }
    };
    auto pending = std::make_shared<Pending>();
    pending->promise->start();
    QFuture<T> future = pending->promise->future();
    QMetaObject::invokeMethod(
        context,
        [pending, call = std::move(call)] {
            pending->ran = true;
            const std::shared_ptr<QPromise<T>> promise = pending->promise;
            const QFuture<T> inner = call();
            if (inner.isFinished()) {
                settle(*promise, inner);
                return;
            }
            // Not a child of context: the outcome must arrive even if context dies first.
            auto *watcher = new QFutureWatcher<T>();
            QObject::connect(watcher, &QFutureWatcherBase::finished, watcher, [watcher, promise] {
                watcher->deleteLater();
                settle(*promise, watcher->future());
            });
            // Once the thread ends its event loop is gone and the watcher would never hear of the
            // outcome: the caller is told now, and the watcher goes in the thread's last deletions.
            QObject::connect(QThread::currentThread(), &QThread::finished, watcher, [watcher, promise] {
                watcher->deleteLater();
                if (promise->future().isFinished())
                    return;
                promise->setException(InterfaceError(
                    QStringLiteral("the thread the call ran in ended before the call finished")));
                promise->finish();
            });
            watcher->setFuture(inner);
        },
        Qt::QueuedConnection);
    return future;
}

} // namespace QPg::Private
