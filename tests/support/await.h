// SPDX-License-Identifier: MIT
// Waiting on futures in tests: the event loop keeps running, and a deadline turns a hang into a
// failure instead of a stuck test.
#pragma once

#include <QtCore/QEventLoop>
#include <QtCore/QFuture>
#include <QtCore/QFutureWatcher>
#include <QtCore/QTimer>

#include <optional>
#include <stdexcept>

namespace QPgTest {

// Runs the event loop until future finishes or timeoutMs pass. True when it finished.
template<typename T>
bool waitFor(const QFuture<T> &future, int timeoutMs = 20000)
{
    if (future.isFinished())
        return true;
    QEventLoop loop;
    QFutureWatcher<T> watcher;
    QObject::connect(&watcher, &QFutureWatcherBase::finished, &loop, &QEventLoop::quit);
    QTimer deadline;
    deadline.setSingleShot(true);
    QObject::connect(&deadline, &QTimer::timeout, &loop, &QEventLoop::quit);
    deadline.start(timeoutMs);
    watcher.setFuture(future);
    if (!future.isFinished())
        loop.exec();
    return future.isFinished();
}

// The future's result (rethrowing its error); throws std::runtime_error on the deadline.
template<typename T>
T await(const QFuture<T> &future, int timeoutMs = 20000)
{
    if (!waitFor(future, timeoutMs))
        throw std::runtime_error("test deadline passed while waiting for a QFuture");
    if constexpr (std::is_void_v<T>) {
        QFuture<T> copy = future;
        copy.waitForFinished(); // finished already: rethrows a stored error without blocking
    } else {
        return future.result();
    }
}

// The error of type E the future failed with; std::nullopt when it succeeded or failed otherwise.
template<typename E, typename T>
std::optional<E> awaitError(const QFuture<T> &future, int timeoutMs = 20000)
{
    try {
        await(future, timeoutMs);
    } catch (const E &e) {
        return e;
    } catch (...) {
        return std::nullopt;
    }
    return std::nullopt;
}

} // namespace QPgTest
