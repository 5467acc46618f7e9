// SPDX-License-Identifier: MIT
// COPY: statement building, the streaming of data in both directions, and the public methods.
#include "connection_p.h"

#include "binarycodec_p.h"
#include "columnencoder_p.h"
#include "marshal_p.h"
#include "sqlquote_p.h"

#include <QtCore/QFile>
#include <QtCore/QFutureWatcher>
#include <QtCore/QIODevice>
#include <QtCore/QtEndian>

#include <libpq-fe.h>

namespace QPg {

using Private::quoteIdentifier;
using Private::quoteLiteral;

using Private::Operation;
using Private::Outcome;

namespace {

// libpq is handed at most this much at a time, so memory stays bounded whatever the input size.
constexpr qint64 CopyChunkSize = 256 * 1024;

QString columnList(const QStringList &columns)
{
    QStringList quoted;
    for (const QString &c : columns)
        quoted.append(quoteIdentifier(c));
    return quoted.join(QStringLiteral(", "));
}

QString tableName(const QString &table, const CopyOptions &options)
{
    QString name = options.schema.isEmpty() ? QString() : quoteIdentifier(options.schema) + u'.';
    name += quoteIdentifier(table);
    if (!options.columns.isEmpty())
        name += QStringLiteral(" (") + columnList(options.columns) + u')';
    return name;
}

// The WITH (...) part. Option names are fixed keywords; values are quoted literals.
QString withClause(const CopyOptions &options, bool out)
{
    QStringList parts;
    if (options.format) {
        switch (*options.format) {
        case CopyOptions::Format::Text: parts.append(QStringLiteral("FORMAT text")); break;
        case CopyOptions::Format::Csv: parts.append(QStringLiteral("FORMAT csv")); break;
        case CopyOptions::Format::Binary: parts.append(QStringLiteral("FORMAT binary")); break;
        }
    }
    if (options.delimiter)
        parts.append(QStringLiteral("DELIMITER ") + quoteLiteral(*options.delimiter));
    if (options.null)
        parts.append(QStringLiteral("NULL ") + quoteLiteral(*options.null));
    if (options.header)
        parts.append(*options.header ? QStringLiteral("HEADER true") : QStringLiteral("HEADER false"));
    if (options.quote)
        parts.append(QStringLiteral("QUOTE ") + quoteLiteral(*options.quote));
    if (options.escape)
        parts.append(QStringLiteral("ESCAPE ") + quoteLiteral(*options.escape));
    if (out && !options.forceQuote.isEmpty()) {
        parts.append(options.forceQuote == QStringList{QStringLiteral("*")}
                         ? QStringLiteral("FORCE_QUOTE *")
                         : QStringLiteral("FORCE_QUOTE (") + columnList(options.forceQuote) + u')');
    }
    if (!out && !options.forceNotNull.isEmpty())
        parts.append(QStringLiteral("FORCE_NOT_NULL (") + columnList(options.forceNotNull) + u')');
    if (!out && !options.forceNull.isEmpty())
        parts.append(QStringLiteral("FORCE_NULL (") + columnList(options.forceNull) + u')');
    if (options.encoding)
        parts.append(QStringLiteral("ENCODING ") + quoteLiteral(*options.encoding));
    return parts.isEmpty() ? QString() : QStringLiteral(" WITH (") + parts.join(QStringLiteral(", ")) + u')';
}

// Reads a QIODevice in chunks; a sequential device with nothing to read yet is waited on.
class DeviceSource : public Private::CopyInSource
{
public:
    DeviceSource(QIODevice *device, std::unique_ptr<QIODevice> owned = nullptr)
        : m_device(device), m_owned(std::move(owned))
    {
    }

    // The source lives as long as its COPY, however that ends (done, timeout, terminate, close):
    // the device's signals must not reach it afterwards.
    ~DeviceSource() override
    {
        QObject::disconnect(m_readyRead);
        QObject::disconnect(m_readFinished);
    }

    bool next(QByteArray *chunk, QString *error, const std::function<void()> &resume) override
    {
        if (!m_device) {
            *error = QStringLiteral("the COPY input device was destroyed");
            return true;
        }
        if (!m_device->isReadable()) {
            *error = QStringLiteral("the COPY input is not open for reading");
            return true;
        }
        *chunk = m_device->read(CopyChunkSize);
        if (!chunk->isEmpty())
            return true;
        if (m_device->isSequential() && !m_device->atEnd() && m_device->isOpen()) {
            m_resume = resume;
            if (!m_readyRead) { // once per COPY, not once per wait
                auto wake = [this] {
                    if (auto resume = std::exchange(m_resume, nullptr))
                        resume();
                };
                m_readyRead = QObject::connect(m_device, &QIODevice::readyRead, m_device, wake);
                m_readFinished = QObject::connect(m_device, &QIODevice::readChannelFinished, m_device, wake);
            }
            return false;
        }
        if (!m_device->errorString().isEmpty() && !m_device->atEnd())
            *error = QStringLiteral("reading the COPY input failed: ") + m_device->errorString();
        return true;
    }

private:
    QPointer<QIODevice> m_device;
    std::unique_ptr<QIODevice> m_owned;
    std::function<void()> m_resume; // set while waiting
    QMetaObject::Connection m_readyRead;
    QMetaObject::Connection m_readFinished;
};

// Pulls chunks from an asynchronous source, one future at a time (back-pressure for free).
class FutureSource : public Private::CopyInSource
{
public:
    FutureSource(std::function<QFuture<QByteArray>()> source, QObject *context)
        : m_source(std::move(source)), m_context(context)
    {
    }

    bool next(QByteArray *chunk, QString *error, const std::function<void()> &resume) override
    {
        if (!m_pending) {
            m_pending = m_source();
            if (!m_pending->isFinished()) {
                Private::whenFinished<QByteArray>(*m_pending, m_context, [resume](const QFuture<QByteArray> &) { resume(); });
                return false;
            }
        }
        QFuture<QByteArray> finished = *m_pending;
        m_pending.reset();
        try {
            finished.waitForFinished(); // finished already: rethrows the source's error
            if (finished.isCanceled() && finished.resultCount() == 0)
                *error = QStringLiteral("the COPY source was cancelled");
            else
                *chunk = finished.resultCount() > 0 ? finished.result() : QByteArray();
        } catch (const QException &e) {
            *error = QStringLiteral("the COPY source failed: ") + QString::fromUtf8(e.what());
        } catch (const std::exception &e) {
            *error = QStringLiteral("the COPY source failed: ") + QString::fromUtf8(e.what());
        }
        return true;
    }

private:
    std::function<QFuture<QByteArray>()> m_source;
    QObject *m_context;
    std::optional<QFuture<QByteArray>> m_pending;
};

// One value in COPY's text format: backslash escapes, \N for NULL.
void appendCopyText(QByteArray &line, const QVariant &value)
{
    const Private::EncodedParameter p = Private::encodeParameter(value);
    if (p.isNull) {
        line += "\\N";
        return;
    }
    const QByteArray text = p.binary ? "\\x" + p.value.toHex() : p.value; // binary: bytea
    for (char c : text) {
        switch (c) {
        case '\\': line += "\\\\"; break;
        case '\t': line += "\\t"; break;
        case '\n': line += "\\n"; break;
        case '\r': line += "\\r"; break;
        default: line += c;
        }
    }
}

// Records as COPY text chunks, produced lazily so a large list is not duplicated in memory.
class RecordSource : public Private::CopyInSource
{
public:
    explicit RecordSource(QList<QVariantList> records) : m_records(std::move(records)) {}

    bool next(QByteArray *chunk, QString *error, const std::function<void()> &) override
    {
        try {
            while (m_next < m_records.size() && chunk->size() < CopyChunkSize) {
                const QVariantList &record = m_records.at(m_next++);
                for (qsizetype i = 0; i < record.size(); ++i) {
                    if (i > 0)
                        *chunk += '\t';
                    appendCopyText(*chunk, record.at(i));
                }
                *chunk += '\n';
            }
        } catch (const QException &e) {
            *error = QStringLiteral("record %1: %2").arg(m_next).arg(QString::fromUtf8(e.what()));
        }
        return true;
    }

private:
    QList<QVariantList> m_records;
    qsizetype m_next = 0;
};

// Records in COPY's binary format, encoded for the table's column types as libpq asks for data:
// each column's encoder is chosen once, and every value is written straight into one buffer that
// is reused for each chunk.
class BinaryRecordSource : public Private::CopyInSource
{
public:
    BinaryRecordSource(QList<QVariantList> records, const std::vector<quint32> &types)
        : m_records(std::move(records))
    {
        m_columns.reserve(types.size());
        for (const quint32 type : types)
            m_columns.emplace_back(type);
    }

    bool next(QByteArray *chunk, QString *error, const std::function<void()> &) override
    {
        // The last chunk was handed over by sharing: libpq has copied it by now, so the buffer is
        // ours alone again and keeps its capacity.
        m_buffer.resize(0);
        m_buffer.reserve(CopyChunkSize + 64 * 1024);
        if (!m_headerSent) {
            // Signature, flags, header extension length.
            m_buffer.append("PGCOPY\n\377\r\n\0", 11);
            Private::appendBigEndian<qint32>(m_buffer, 0);
            Private::appendBigEndian<qint32>(m_buffer, 0);
            m_headerSent = true;
        }
        const qsizetype columns = qsizetype(m_columns.size());
        while (m_next < m_records.size() && m_buffer.size() < CopyChunkSize) {
            const QVariantList &record = m_records.at(m_next);
            if (record.size() != columns) {
                *error = QStringLiteral("record %1 has %2 values for %3 columns").arg(m_next).arg(record.size()).arg(columns);
                return true;
            }
            Private::appendBigEndian<qint16>(m_buffer, qint16(columns));
            for (qsizetype c = 0; c < columns; ++c) {
                QString why;
                if (!m_columns[size_t(c)].append(record.at(c), m_buffer, &why)) {
                    *error = QStringLiteral("record %1, column %2: %3").arg(m_next).arg(c + 1).arg(why);
                    return true;
                }
            }
            ++m_next;
        }
        if (m_next == m_records.size() && !m_trailerSent) {
            Private::appendBigEndian<qint16>(m_buffer, -1);
            m_trailerSent = true;
        }
        *chunk = m_buffer;
        return true;
    }

private:
    QList<QVariantList> m_records;
    std::vector<Private::CopyColumnEncoder> m_columns;
    QByteArray m_buffer;
    qsizetype m_next = 0;
    bool m_headerSent = false;
    bool m_trailerSent = false;
};

} // namespace

// ---------------------------------------------------------------------------------------------
// Streaming

bool ConnectionPrivate::receiveCopyData(Operation &op)
{
    for (;;) {
        char *buffer = nullptr;
        const int n = PQgetCopyData(conn, &buffer, /*async*/ 1);
        if (n > 0) {
            if (op.copyOutSink && !op.error) {
                QString error;
                if (!op.copyOutSink(buffer, n, &error)) {
                    op.error = std::make_unique<InterfaceError>(error);
                    requestCancel(); // stop the server instead of draining the rest
                }
            }
            PQfreemem(buffer);
            op.copyBytes += n;
            ++op.copyRows;
            if (!op.cancelSent && op.isCanceled && op.isCanceled()) {
                op.cancelSent = true;
                requestCancel();
            }
            continue;
        }
        if (buffer)
            PQfreemem(buffer);
        reportCopyProgress(op);
        if (n == 0)
            return false; // wait for the socket
        inCopyOut = false; // -1: done, -2: error; PQgetResult tells which
        return true;
    }
}

bool ConnectionPrivate::sendCopyData(Operation &op)
{
    // The source may call back after the COPY ended or the connection is gone; the sequence
    // number identifies the COPY where an address could have been reused.
    auto resume = [connection = QPointer<Connection>(q), sequence = op.sequence] {
        if (!connection)
            return;
        ConnectionPrivate *d = connection->d.get();
        if (d->running && !d->queue.empty() && d->queue.front()->sequence == sequence) {
            d->queue.front()->copyInWaiting = false;
            d->processResults();
        }
    };
    for (;;) {
        if (op.copyInEnded) {
            inCopyIn = false;
            return true;
        }
        if (op.copyInPending.isEmpty()) {
            if (op.copyInWaiting)
                return false;
            QByteArray chunk;
            QString error;
            const bool canceled = op.isCanceled && op.isCanceled();
            if (!canceled && !op.copyInSource->next(&chunk, &error, resume)) {
                op.copyInWaiting = true;
                return false;
            }
            if (canceled || !error.isEmpty() || chunk.isEmpty()) {
                // The end of the data, or an abort that makes the server roll the COPY back.
                QByteArray reason;
                if (canceled)
                    reason = "COPY cancelled by the caller";
                if (!error.isEmpty()) {
                    if (!op.error)
                        op.error = std::make_unique<InterfaceError>(error);
                    reason = error.toUtf8();
                }
                const int ended = PQputCopyEnd(conn, reason.isEmpty() ? nullptr : reason.constData());
                if (ended == 0) {
                    writeNotifier->setEnabled(true);
                    return false; // no room: try again when writable
                }
                op.copyInEnded = true;
                if (ended < 0 || !flush())
                    return conn != nullptr;
                continue;
            }
            op.copyInPending = std::move(chunk);
        }
        const int put = PQputCopyData(conn, op.copyInPending.constData(), int(op.copyInPending.size()));
        if (put == 0) {
            writeNotifier->setEnabled(true);
            return false;
        }
        if (put < 0) {
            // The server already failed the COPY: its error comes with the results.
            inCopyIn = false;
            return true;
        }
        op.copyBytes += op.copyInPending.size();
        if (!op.copyInBinary)
            op.copyRows += op.copyInPending.count('\n'); // text and CSV: a row a line, near enough
        op.copyInPending.clear();
        reportCopyProgress(op);
        // PQputCopyData only queued the data: flush it before taking more, or memory grows.
        if (!flush())
            return false;
        if (flushing)
            return false;
    }
}

void ConnectionPrivate::reportCopyProgress(const Operation &op)
{
    if (!suppressSignals)
        Q_EMIT q->copyProgress(op.copyBytes, op.copyRows);
}

// ---------------------------------------------------------------------------------------------
// Public methods

namespace {

std::function<bool(const char *, int, QString *)> makeSink(const CopyOutput &output, QString *openError)
{
    if (output.callback()) {
        auto callback = output.callback();
        return [callback](const char *data, int size, QString *) {
            callback(QByteArray(data, size));
            return true;
        };
    }
    QIODevice *device = output.device();
    std::shared_ptr<QIODevice> owned;
    if (!device) {
        auto file = std::make_shared<QFile>(output.filePath());
        if (!file->open(QIODevice::WriteOnly | QIODevice::Truncate)) {
            *openError = QStringLiteral("cannot open %1 for writing: %2").arg(output.filePath(), file->errorString());
            return {};
        }
        owned = file;
        device = file.get();
    }
    return [device, owned](const char *data, int size, QString *error) {
        if (device->write(data, size) == size)
            return true;
        *error = QStringLiteral("writing the COPY output failed: ") + device->errorString();
        return false;
    };
}

} // namespace

template<typename T, typename Convert>
static QFuture<T> queueCopy(ConnectionPrivate *d, std::unique_ptr<Operation> op, Convert convert)
{
    QFuture<T> future = Private::bindPromise<T>(*op, std::move(convert));
    // Cancelling the future while the server works on the COPY (all data sent, or rows still
    // coming) asks the server to stop, so the table is left as it was and the connection frees up.
    auto *watcher = new QFutureWatcher<T>(d->q);
    Operation *copy = op.get();
    QObject::connect(watcher, &QFutureWatcherBase::canceled, d->q, [d, copy] {
        if (d->running && !d->queue.empty() && d->queue.front().get() == copy && !copy->cancelSent
            && copy->isCanceled && copy->isCanceled()) {
            copy->cancelSent = true;
            d->requestCancel();
        }
    });
    QObject::connect(watcher, &QFutureWatcherBase::finished, watcher, &QObject::deleteLater);
    watcher->setFuture(future);
    d->enqueueOperation(std::move(op));
    return future;
}

QFuture<qint64> ConnectionPrivate::startCopyOut(const QString &sql, const CopyOutput &output,
                                                const CopyOptions &copyOptions)
{
    QueryOptions queryOptions;
    queryOptions.timeout = copyOptions.timeout;
    std::optional<InterfaceError> error;
    std::unique_ptr<Operation> op = makeOperation(sql, {}, queryOptions, true, &error);
    if (!op)
        return Private::failedFuture<qint64>(*error);
    QString openError;
    op->copyOutSink = makeSink(output, &openError);
    if (!op->copyOutSink)
        return Private::failedFuture<qint64>(InterfaceError(openError));
    op->kind = Operation::Kind::CopyOut;
    return queueCopy<qint64>(this, std::move(op), &Private::Convert::copiedRows);
}

QFuture<qint64> ConnectionPrivate::startCopyIn(const QString &sql, std::unique_ptr<Private::CopyInSource> source,
                                               const CopyOptions &copyOptions)
{
    QueryOptions queryOptions;
    queryOptions.timeout = copyOptions.timeout;
    std::optional<InterfaceError> error;
    std::unique_ptr<Operation> op = makeOperation(sql, {}, queryOptions, true, &error);
    if (!op)
        return Private::failedFuture<qint64>(*error);
    op->kind = Operation::Kind::CopyIn;
    op->copyInSource = std::move(source);
    return queueCopy<qint64>(this, std::move(op), &Private::Convert::copiedRows);
}

QFuture<qint64> Connection::copyFromTable(const QString &table, const CopyOutput &output, const CopyOptions &options)
{
    const QString sql = QStringLiteral("COPY ") + tableName(table, options) + QStringLiteral(" TO STDOUT")
        + withClause(options, true);
    return d->startCopyOut(sql, output, options);
}

QFuture<qint64> Connection::copyFromQuery(const QString &query, const CopyOutput &output, const CopyOptions &options)
{
    const QString sql = QStringLiteral("COPY (") + query + QStringLiteral(") TO STDOUT") + withClause(options, true);
    return d->startCopyOut(sql, output, options);
}

QFuture<qint64> Connection::copyToTable(const QString &table, const CopyInput &input, const CopyOptions &options)
{
    std::unique_ptr<Private::CopyInSource> source;
    if (input.source()) {
        source = std::make_unique<FutureSource>(input.source(), this);
    } else if (input.device()) {
        source = std::make_unique<DeviceSource>(input.device());
    } else {
        auto file = std::make_unique<QFile>(input.filePath());
        if (!file->open(QIODevice::ReadOnly))
            return Private::failedFuture<qint64>(InterfaceError(
                QStringLiteral("cannot open %1 for reading: %2").arg(input.filePath(), file->errorString())));
        QIODevice *device = file.get();
        source = std::make_unique<DeviceSource>(device, std::move(file));
    }
    QString sql = QStringLiteral("COPY ") + tableName(table, options) + QStringLiteral(" FROM STDIN")
        + withClause(options, false);
    if (!options.where.isEmpty())
        sql += QStringLiteral(" WHERE ") + options.where;
    return d->startCopyIn(sql, std::move(source), options);
}

namespace {

// Turns a table's columns into the COPY statement and data source for records.
void prepareRecordCopy(Operation &op, const QString &table, const CopyOptions &options,
                       const Private::TableColumns &tableColumns, const QList<QVariantList> &records)
{
    QHash<QString, quint32> typeOf;
    QStringList allColumns;
    for (const auto &[name, type] : tableColumns) {
        allColumns.append(name);
        typeOf.insert(name, type);
    }
    const QStringList columns = options.columns.isEmpty() ? allColumns : options.columns;
    std::vector<quint32> types;
    bool binary = true;
    for (const QString &column : columns) {
        if (!typeOf.contains(column)) {
            op.error = std::make_unique<InterfaceError>(QStringLiteral("table %1 has no column %2").arg(table, column));
            return;
        }
        types.push_back(typeOf.value(column));
        binary = binary && Private::canEncodeBinary(types.back());
    }
    CopyOptions copy;
    copy.schema = options.schema;
    copy.columns = columns;
    if (binary)
        copy.format = CopyOptions::Format::Binary;
    QString sql = QStringLiteral("COPY ") + tableName(table, copy) + QStringLiteral(" FROM STDIN") + withClause(copy, false);
    if (!options.where.isEmpty())
        sql += QStringLiteral(" WHERE ") + options.where;
    op.sql = sql;
    op.sqlUtf8 = sql.toUtf8();
    op.copyInBinary = binary;
    if (binary)
        op.copyInSource = std::make_unique<BinaryRecordSource>(records, types);
    else
        op.copyInSource = std::make_unique<RecordSource>(records);
}

} // namespace

QFuture<qint64> Connection::copyRecordsToTable(const QString &table, const QList<QVariantList> &records,
                                               const CopyOptions &options)
{
    // Binary COPY needs the exact column types. They are looked up once per table and connection,
    // within the same operation so it keeps its place in the queue; DDL run on this connection or a
    // stale plan anywhere in the pool forgets them. Domains count as their base type; a type
    // without a binary encoder makes it text COPY.
    QueryOptions queryOptions;
    queryOptions.timeout = options.timeout;
    std::optional<InterfaceError> error;
    std::unique_ptr<Operation> op = d->makeOperation(QStringLiteral("COPY"), {}, queryOptions, true, &error);
    if (!op)
        return Private::failedFuture<qint64>(*error);
    op->kind = Operation::Kind::CopyIn;
    QString qualified = options.schema.isEmpty() ? QString() : quoteIdentifier(options.schema) + u'.';
    qualified += quoteIdentifier(table);
    if (auto known = d->tableColumns.constFind(qualified); known != d->tableColumns.cend()) {
        prepareRecordCopy(*op, table, options, *known, records);
        if (op->error)
            return Private::failedFuture<qint64>(*op->error);
        return queueCopy<qint64>(d.get(), std::move(op), &Private::Convert::copiedRows);
    }
    op->preludeSql = "SELECT a.attname, CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END"
                     " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
                     " WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped"
                     " AND a.attgenerated = ''" // COPY cannot be given generated columns
                     " ORDER BY a.attnum";
    op->preludeParameters.push_back(Private::encodeParameter(qualified));
    ConnectionPrivate *connection = d.get();
    op->onPrelude = [connection, qualified, records, options, table](const PGresult *result, Operation &op) {
        Private::TableColumns columns;
        for (int row = 0; row < PQntuples(result); ++row)
            columns.append({QString::fromUtf8(PQgetvalue(result, row, 0)), QByteArray(PQgetvalue(result, row, 1)).toUInt()});
        connection->tableColumns.insert(qualified, columns);
        prepareRecordCopy(op, table, options, columns, records);
    };
    return queueCopy<qint64>(d.get(), std::move(op), &Private::Convert::copiedRows);
}

} // namespace QPg
