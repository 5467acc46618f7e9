// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QFutureWatcher>
#include <QtCore/QThread>

#include <functional>

namespace QPg {

// Continuations bound to the lifetime of a QObject, for code that runs after a future finishes.
// QFuture::then(context, …) of Qt 6.4 asserts in debug builds (and drops the result in release
// builds) when the context is destroyed before the future finishes; these call nothing instead.

// Calls done(future) from context's event loop once future has finished, never inside the caller
// (even when it has finished already): for objects such as models, whose callers must not see
// their signals re-enter mid-call. Nothing is called when context is destroyed first.
template<typename T>
void whenFinishedLater(const QFuture<T> &future, QObject *context, std::function<void(const QFuture<T> &)> done)
{
    auto *watcher = new QFutureWatcher<T>(context); // a finished future's signal is posted, not sent
    QObject::connect(watcher, &QFutureWatcherBase::finished, context, [watcher, done = std::move(done)] {
        watcher->deleteLater();
        done(watcher->future());
    });
    watcher->setFuture(future);
}

// Calls done(future) in context's thread once future has finished (at once if it already has and
// this is context's thread). Nothing is called when context is destroyed first.
template<typename T>
void whenFinished(const QFuture<T> &future, QObject *context, std::function<void(const QFuture<T> &)> done)
{
    if (future.isFinished() && QThread::currentThread() == context->thread()) {
        done(future);
        return;
    }
    whenFinishedLater(future, context, std::move(done));
}

} // namespace QPg
