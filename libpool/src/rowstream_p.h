// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QPg/errors.h>
#include <QPg/record.h>

#include <QtCore/QFuture>
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

    QFuture<Record> future() const { return m_promise->future(); }
    bool isCanceled() const { return m_promise->isCanceled(); }

    // From the connection's thread.
    void deliver(const RecordList &rows) { Q_EMIT rowsReady(rows); }
    void finish(const Record &header);
    void fail(const QException &error);

Q_SIGNALS:
    void rowsReady(const QPg::RecordList &rows);
    void ended();

private:
    RowStream() = default;

    // The outcome is set before ended() is emitted; the queued call that reads it comes after.
    struct Outcome
    {
        QPromise<Record> promise;
        Record header;
        std::exception_ptr error;
    };
    std::shared_ptr<Outcome> m_outcome = std::make_shared<Outcome>();
    QPromise<Record> *m_promise = &m_outcome->promise;
};

} // namespace QPg::Private
