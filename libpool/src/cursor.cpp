// SPDX-License-Identifier: MIT
#include <QPg/connection.h>
#include <QPg/cursor.h>

#include "connection_p.h"
#include "marshal_p.h"
#include "sqlquote_p.h"

namespace QPg {

using Private::quoteIdentifier;

struct CursorData
{
    QPointer<Connection> connection;
    quint64 leaseEpoch = 0; // the pooled lease it was made in (see Transaction)
    QString name;
    bool ownsTransaction = false;
    bool atEnd = false;
    bool closed = false;
    QFuture<QString> declared; // its error is the query's error
    int prefixLength = 0;      // of "DECLARE ... FOR ", taken off the error position
    QFuture<void> closing = QtFuture::makeReadyFuture();

    // Once the pool has taken the connection back, the cursor is gone with the reset's ROLLBACK
    // and the session may be the next holder's: nothing more is sent.
    bool leaseEnded() const { return connection && connection->d->leaseEpoch != leaseEpoch; }

    // Queues a script whose text makeSql gives when it reaches the front of the queue, once every
    // command queued before it has finished and the session's transaction status is exact.
    QFuture<void> runWhenDue(std::function<QString()> makeSql)
    {
        auto promise = std::make_shared<QPromise<void>>();
        promise->start();
        connection->d->enqueueScriptAtSend(
            std::move(makeSql), QueryOptions{}, [promise](Private::Outcome &&) { promise->finish(); },
            [promise](const QException &error) {
                promise->setException(error);
                promise->finish();
            });
        return promise->future();
    }
};

namespace {

ConnectionReleasedError releasedError()
{
    return ConnectionReleasedError(QStringLiteral("the cursor's connection went back to the pool"));
}

// Ends the cursor on the server: CLOSE, and COMMIT when the cursor opened the transaction.
QFuture<void> finish(const std::shared_ptr<CursorData> &data)
{
    CursorData &d = *data;
    if (!d.closed && d.leaseEnded()) {
        d.atEnd = true;
        d.closed = true;
        d.closing = Private::failedFuture<void>(releasedError());
    }
    if (!d.closed && (!d.connection || d.connection->state() != Connection::State::Ready))
        return QtFuture::makeReadyFuture();
    d.atEnd = true;
    if (d.closed)
        return d.closing;
    d.closed = true;
    // Whether the cursor opened the transaction is only known once its BEGIN was due. The queued
    // script keeps the cursor's data alive.
    d.closing = d.runWhenDue([data] {
        return data->ownsTransaction ? QStringLiteral("CLOSE %1; COMMIT").arg(data->name)
                                     : QStringLiteral("CLOSE %1").arg(data->name);
    });
    return d.closing;
}

// After a failed DECLARE or FETCH: the transaction the cursor opened is aborted, roll it back.
void endAfterError(CursorData &d)
{
    d.atEnd = true;
    if (d.ownsTransaction && d.connection && !d.closed && !d.leaseEnded()) {
        d.closed = true;
        d.connection->execute(QStringLiteral("ROLLBACK"));
    }
}

} // namespace

Cursor Connection::cursor(const QString &sql, const QVariantList &args)
{
    auto data = std::make_shared<CursorData>();
    data->connection = this;
    data->leaseEpoch = d->leaseEpoch;
    data->name = quoteIdentifier(QStringLiteral("qpg_cursor_%1").arg(++d->nextCursor));
    // A cursor only lives inside a transaction; open one unless the caller has one already. That is
    // decided in call order, when the BEGIN is due: the status now reads Active whenever anything
    // is queued, and says nothing of a queued BEGIN or COMMIT.
    QPointer<Connection> self(this);
    data->runWhenDue([self, data] {
        data->ownsTransaction = self && self->transactionStatus() == TransactionStatus::Idle;
        return data->ownsTransaction ? QStringLiteral("BEGIN") : QString();
    });
    const QString prefix = QStringLiteral("DECLARE %1 NO SCROLL CURSOR FOR ").arg(data->name);
    data->prefixLength = int(prefix.size());
    data->declared = execute(prefix + sql, args, QueryOptions{.timeout = std::chrono::milliseconds(0)});
    return Cursor(data);
}

QFuture<qint64> Connection::stream(const QString &sql, const QVariantList &args,
                                   std::function<bool(const RecordList &)> onChunk, int chunkSize)
{
    auto promise = std::make_shared<QPromise<qint64>>();
    promise->start();
    auto total = std::make_shared<qint64>(0);
    Cursor cursor = this->cursor(sql, args);
    // Each chunk is requested only after the previous one was handled: memory stays at one chunk.
    auto step = std::make_shared<std::function<void()>>();
    *step = [this, cursor, promise, total, onChunk, chunkSize, step]() mutable {
        Private::whenFinished<RecordList>(cursor.fetch(chunkSize), this,
                                          [this, cursor, promise, total, onChunk, chunkSize, step](const QFuture<RecordList> &f) mutable {
            RecordList chunk;
            try {
                chunk = f.result();
            } catch (const QException &e) {
                promise->setException(e);
                promise->finish();
                *step = nullptr; // breaks the self-reference
                return;
            }
            *total += chunk.size();
            const bool more = !chunk.isEmpty() && onChunk(chunk) && !cursor.atEnd() && !promise->isCanceled();
            if (more) {
                (*step)();
                return;
            }
            // Done once the cursor (and its transaction) is closed on the server.
            Private::whenFinished<void>(cursor.close(), this, [promise, total](const QFuture<void> &) {
                promise->addResult(*total);
                promise->finish();
            });
            *step = nullptr;
        });
    };
    (*step)();
    return promise->future();
}

Cursor::Cursor() = default;
Cursor::~Cursor() = default;
Cursor::Cursor(const Cursor &) = default;
Cursor &Cursor::operator=(const Cursor &) = default;

Cursor::Cursor(std::shared_ptr<CursorData> data)
    : d(std::move(data))
{
}

bool Cursor::atEnd() const
{
    return !d || d->atEnd;
}

QFuture<RecordList> Cursor::fetch(int count)
{
    if (!d || !d->connection)
        return Private::failedFuture<RecordList>(InterfaceError(QStringLiteral("the cursor's connection is gone")));
    if (d->leaseEnded()) {
        d->atEnd = true;
        return Private::failedFuture<RecordList>(releasedError());
    }
    if (d->atEnd)
        return QtFuture::makeReadyFuture(RecordList());
    if (count <= 0)
        return Private::failedFuture<RecordList>(InterfaceError(QStringLiteral("a cursor fetch needs a positive count")));
    std::shared_ptr<CursorData> data = d;
    QFuture<RecordList> rows = d->connection->fetch(QStringLiteral("FETCH FORWARD %1 FROM %2").arg(count).arg(d->name));
    auto promise = std::make_shared<QPromise<RecordList>>();
    promise->start();
    Private::whenFinished<RecordList>(rows, d->connection.data(), [data, promise, count](const QFuture<RecordList> &f) {
        try {
            // The DECLARE failing is the interesting error, not the FETCH that followed it.
            QFuture<QString>(data->declared).waitForFinished();
            RecordList chunk = f.result();
            if (chunk.size() < count)
                finish(data);
            promise->addResult(chunk);
        } catch (const ServerError &e) {
            // Positions count from the caller's SQL, not from the DECLARE wrapped around it.
            ServerErrorFields fields = e.fields();
            if (Private::hasFailed(data->declared) && fields.position > data->prefixLength)
                fields.position -= data->prefixLength;
            endAfterError(*data);
            promise->setException(*ServerError::create(fields));
            promise->finish();
            return;
        } catch (const QException &e) {
            endAfterError(*data);
            promise->setException(e);
            promise->finish();
            return;
        }
        promise->finish();
    });
    return promise->future();
}

QFuture<void> Cursor::close()
{
    if (!d)
        return QtFuture::makeReadyFuture();
    return finish(d);
}

} // namespace QPg
