// SPDX-License-Identifier: MIT
// Single-row streams: a query's rows handed over in chunks as the server sends them
// (Connection::streamRows), without a cursor.
#include "rowstream_p.h"

#include "binarycodec_p.h"
#include "connection_p.h"
#include "marshal_p.h"

#include <QPg/connection.h>

using namespace std::chrono_literals;

namespace QPg {

namespace {

// A chunk that has not filled up goes this long after its first row: rows of a slow query show
// up promptly, and a fast one still comes in big chunks.
constexpr auto StreamDelay = 20ms;
// A chunk of wide rows goes before it reaches this size: memory in flight stays bounded, and the
// values' offsets fit in 32 bits.
constexpr qsizetype MaxChunkBytes = 64 * 1024 * 1024;

} // namespace

namespace Private {

std::shared_ptr<RowStream> RowStream::create(QObject *context, std::function<void(RecordList &&rows)> onRows)
{
    std::shared_ptr<RowStream> stream(new RowStream, [](RowStream *s) { s->deleteLater(); });
    stream->m_shared->promise.start();
    const auto handOver = [shared = stream->m_shared, onRows = std::move(onRows)] {
        for (RecordList &rows : shared->takePending())
            onRows(std::move(rows));
    };
    // Queued: onRows never runs inside the connection's result loop, even in the same thread.
    QObject::connect(stream.get(), &RowStream::rowsReady, context, handOver, Qt::QueuedConnection);
    QObject::connect(
        stream.get(), &RowStream::ended, context,
        [shared = stream->m_shared, handOver] {
            handOver(); // nothing should be left; but never finish ahead of a chunk
            if (shared->error)
                shared->promise.setException(shared->error);
            else
                shared->promise.addResult(shared->header);
            shared->promise.finish();
        },
        Qt::QueuedConnection);
    return stream;
}

QList<RecordList> RowStream::Shared::takePending()
{
    const QMutexLocker lock(&mutex);
    return std::exchange(pending, {});
}

void RowStream::deliver(RecordList &&rows)
{
    bool first = false;
    {
        const QMutexLocker lock(&m_shared->mutex);
        first = m_shared->pending.isEmpty();
        m_shared->pending.append(std::move(rows));
    }
    if (first)
        Q_EMIT rowsReady();
}

void RowStream::finish(const Record &header)
{
    m_shared->header = header;
    Q_EMIT ended();
}

void RowStream::fail(const QException &error)
{
    m_shared->error = exceptionPtr(error);
    Q_EMIT ended();
}

} // namespace Private

using Private::Operation;

void ConnectionPrivate::startStream(const QString &sql, const QVariantList &args, const QueryOptions &queryOptions,
                                    int chunkRows, const std::shared_ptr<Private::RowStream> &stream)
{
    if (chunkRows < 1) {
        stream->fail(InterfaceError(QStringLiteral("streamRows() needs a positive chunk size")));
        return;
    }
    std::optional<InterfaceError> error;
    std::unique_ptr<Operation> op;
    try {
        op = makeOperation(sql, args, queryOptions, /*allowScript*/ false, &error);
    } catch (const QException &e) {
        stream->fail(e);
        return;
    }
    if (!op) {
        stream->fail(*error);
        return;
    }
    // The rows come in binary when every column has a binary decoder: cheaper for the server to
    // produce than text (timestamps, numbers). The column types come from the statement run with
    // LIMIT 0 first, in the same operation; if that fails, the stream goes in text.
    QString body = sql.trimmed();
    while (body.endsWith(u';'))
        body = body.chopped(1).trimmed();
    op->preludeSql = QStringLiteral("SELECT * FROM (\n%1\n) AS qpg_stream LIMIT 0").arg(body).toUtf8();
    op->preludeParameters = op->parameters;
    op->preludeIsOptional = true;
    op->onPrelude = [codecs = customCodecs](const PGresult *result, Operation &described) {
        bool binary = PQnfields(result) > 0;
        for (int c = 0; binary && c < PQnfields(result); ++c)
            binary = Private::hasBinaryDecoder(PQftype(result, c)) && !(codecs && codecs->byType.contains(PQftype(result, c)));
        described.streamBinary = binary;
    };
    Private::RowStream *s = stream.get();
    op->target = stream;
    op->streamChunkRows = chunkRows;
    op->onStreamChunk = [s, codecs = customCodecs](Private::CopiedRows &&chunk) {
        s->deliver(ResultData::records(std::make_shared<const ResultData>(std::move(chunk), codecs)));
    };
    op->complete = [s](Private::Outcome &&outcome) { s->finish(Private::Convert::firstRow(std::move(outcome))); };
    op->fail = [s](const QException &e) { s->fail(e); };
    op->isCanceled = [s] { return s->isCanceled(); };
    enqueueOperation(std::move(op));
}

void ConnectionPrivate::appendStreamRow(Operation &op, Private::PGresultPtr row)
{
    if (!op.cancelSent && op.isCanceled && op.isCanceled()) {
        op.cancelSent = true;
        requestCancel(); // the caller cancelled the future: stop the server
    }
    if (op.error || op.cancelSent)
        return; // the rest is drained, not delivered
    if (!op.streamChunk) {
        op.streamChunk = std::make_unique<Private::CopiedRows>();
        streamTimer->start(StreamDelay);
    }
    op.streamChunk->append(std::move(row));
    if (op.streamChunk->rows >= op.streamChunkRows || op.streamChunk->bytes() >= MaxChunkBytes)
        handOverStreamChunk(op);
}

void ConnectionPrivate::handOverStreamChunk(Operation &op)
{
    streamTimer->stop();
    if (const std::unique_ptr<Private::CopiedRows> chunk = std::move(op.streamChunk))
        op.onStreamChunk(std::move(*chunk));
}

void ConnectionPrivate::onStreamTimer()
{
    if (running && !queue.empty() && queue.front()->streamChunk)
        handOverStreamChunk(*queue.front());
}

QFuture<Record> Connection::streamRows(const QString &sql, const QVariantList &args, QObject *context,
                                       std::function<void(RecordList &&rows)> onRows, int chunkRows,
                                       const QueryOptions &options)
{
    if (!context)
        return Private::failedFuture<Record>(InterfaceError(QStringLiteral("streamRows() needs a context object")));
    const std::shared_ptr<Private::RowStream> stream = Private::RowStream::create(context, std::move(onRows));
    d->startStream(sql, args, options, chunkRows, stream);
    return stream->future();
}

} // namespace QPg
