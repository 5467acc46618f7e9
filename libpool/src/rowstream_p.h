// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QPg/errors.h>
#include <QPg/record.h>

#include <QtCore/QFuture>
#include <QtCore/QMutex>
#include <QtCore/QObject>
#include <QtCore/QPromise>

#include <exception>
#include <functional>
#include <memory>

namespace QPg::Private {

// Carries a single-row stream's chunks and its end from the connection's thread to the caller's
// context. It lives in the context's thread and is emitted from the connection's; every delivery
// is queued, even within one thread, so onRows never runs inside the connection's result loop, and
// the end arrives after the last chunk. Qt cuts the deliveries when the context is destroyed; the
// promise then goes with the stream, which cancels its future.
class RowStream : public QObject
{
    Q_OBJECT
public:
    // Call in context's thread. The stream is deleted (later, in its own thread) with the last
    // reference.
    static std::shared_ptr<RowStream> create(QObject *context, std::function<void(RecordList &&rows)> onRows);

    QFuture<Record> future() const { return m_shared->promise.future(); }
    bool isCanceled() const { return m_shared->promise.isCanceled(); }

    // From the connection's thread.
    void deliver(RecordList &&rows);
    void finish(const Record &header);
    void fail(const QException &error);

Q_SIGNALS:
    // Chunks are waiting (emitted when the first one of a batch is queued).
    void rowsReady();
    void ended();

private:
    RowStream() = default;

    // What the two threads share; the queued calls in context's thread hold it too, so it outlives
    // the stream when they run late. The chunks move over whole: no Record is copied.
    struct Shared
    {
        QPromise<Record> promise;
        Record header;           // set before ended() is emitted
        std::exception_ptr error; // likewise
        QMutex mutex;
        QList<RecordList> pending; // guarded by mutex
        QList<RecordList> takePending();
    };
    std::shared_ptr<Shared> m_shared = std::make_shared<Shared>();
};

} // namespace QPg::Private
