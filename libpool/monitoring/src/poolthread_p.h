// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include "marshal_p.h"

#include <QPg/pool.h>

#include <QtCore/QPromise>

#include <functional>
#include <memory>

namespace QPg::Monitoring {

// Runs start() in the pool's thread (at once when that is this one) and returns a future of the
// future it starts. What start() reads of the pool (connectionInfo()) is then read there, without
// this thread waiting for that one. When the pool is destroyed first, the future ends cancelled.
template<typename T>
QFuture<T> inPoolThread(Pool *pool, std::function<QFuture<T>()> start)
{
    auto promise = std::make_shared<QPromise<T>>();
    QFuture<T> future = promise->future();
    promise->start();
    auto run = [pool, promise, start = std::move(start)] {
        // The pool as context: if it goes before the query ends, the promise is dropped (cancelled).
        Private::whenFinished<T>(start(), pool, [promise](const QFuture<T> &done) {
            // errorOf() also turns a cancelled future, which has no result to pass on, into an error.
            if (const std::exception_ptr error = Private::errorOf(done)) {
                promise->setException(error);
                promise->finish();
            } else {
                Private::settle(*promise, done);
            }
        });
    };
    if (pool->thread() == QThread::currentThread())
        run();
    else
        QMetaObject::invokeMethod(pool, std::move(run), Qt::QueuedConnection);
    return future;
}

} // namespace QPg::Monitoring
