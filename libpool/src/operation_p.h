// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include "resultdata_p.h"
#include "sqlfacts_p.h"
#include "statementcache_p.h"
#include "textcodec_p.h"

#include <QPg/errors.h>

#include <QtCore/QPromise>

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

namespace QPg::Private {

class BatchRowEncoder; // columnencoder_p.h

// What a finished command produced: the last result with rows (or the last result at all), which
// also gives the status tag of the last statement. It becomes a shared ResultData only for the
// methods that hand out Records.
struct Outcome
{
    PGresultPtr lastResult;
    CustomCodecsPtr codecs;
    std::shared_ptr<const ResultData> takeResult()
    {
        return lastResult ? std::make_shared<const ResultData>(std::move(lastResult), std::move(codecs)) : nullptr;
    }
    std::vector<std::shared_ptr<const ResultData>> batchResults; // fetchMany: one per row set
    qint64 copiedRows = 0;                                       // COPY: rows the server counted
};

// Where COPY FROM STDIN data comes from. next() either delivers a chunk now (returns true; an empty
// chunk ends the data) or arranges to call resume() once one is ready (returns false).
class CopyInSource
{
public:
    virtual ~CopyInSource() = default;
    virtual bool next(QByteArray *chunk, QString *error, const std::function<void()> &resume) = 0;
};

// How each query method turns an Outcome into its result (shared by Connection and Pool).
namespace Convert {
inline QString commandTag(Outcome &&o)
{
    return o.lastResult ? QString::fromUtf8(PQcmdStatus(o.lastResult.get())) : QString();
}
inline RecordList records(Outcome &&o)
{
    const std::shared_ptr<const ResultData> result = o.takeResult();
    return result ? ResultData::records(result) : RecordList();
}
inline Record firstRow(Outcome &&o)
{
    return ResultData::record(o.takeResult(), 0);
}
inline RecordList batchRecords(Outcome &&o)
{
    RecordList all;
    for (const auto &result : o.batchResults)
        all += ResultData::records(result);
    return all;
}
inline qint64 copiedRows(Outcome &&o)
{
    return o.copiedRows;
}
inline QVariant value(Outcome &&o, int column)
{
    const PGresult *result = o.lastResult.get();
    if (!result || PQntuples(result) == 0)
        return QVariant();
    const int columns = PQnfields(result);
    if (column < 0 || column >= columns)
        throw InterfaceError(QStringLiteral("column index %1 is out of range: the result has %2 columns")
                                 .arg(column)
                                 .arg(columns));
    return ResultData::valueOf(result, 0, column, o.codecs.get());
}
} // namespace Convert

// One queued request on a connection. Exactly one of complete() or fail() is called, once.
struct Operation
{
    virtual ~Operation() = default; // a query method's operation carries its promise (PromiseOperation)
    QString sql;
    QString label; // what currentQuery() shows instead of sql, when set (QueryOptions::label)
    QByteArray sqlUtf8; // sql in UTF-8, made when first needed (a cached statement never needs it)
    const QByteArray &utf8()
    {
        if (sqlUtf8.isNull() && !sql.isNull())
            sqlUtf8 = sql.toUtf8();
        return sqlUtf8;
    }
    std::vector<EncodedParameter> parameters;
    enum class Kind {
        Query,   // extended protocol, one statement
        Script,  // simple protocol: several statements, no parameters
        Batch,   // one statement per parameter row, pipelined, atomic
        CopyOut, // COPY ... TO STDOUT into copyOutSink
        CopyIn,  // COPY ... FROM STDIN from copyInSource
    };
    Kind kind = Kind::Query;
    SqlFacts facts; // of sql, when it is known up front
    // Script only: builds the SQL when the operation reaches the front of the queue, from the
    // session state every earlier command left (the pool's reset decides on ROLLBACK this way).
    // An empty text completes the operation without a round trip.
    std::function<QString()> sqlAtSend;

    // Query: the arguments, kept to encode them for a prepared statement's resolved types and for
    // the one retry after a stale cached plan.
    QVariantList args;
    std::shared_ptr<PreparedStatement> statement;
    int stage = 0;          // results (NULLs) seen in a prepare pipeline
    int executeStage = -1;  // the stage of the execution; -1: not a prepare pipeline
    bool retried = false;

    // Batch: the rows as given, encoded one at a time while libpq's output buffer drains
    // (ConnectionPrivate::sendBatchRows), so a batch of any size takes bounded memory.
    QList<QVariantList> batchInput;
    std::shared_ptr<BatchRowEncoder> batchEncoder;
    qsizetype batchNext = 0;  // the next row to send
    int batchCommands = 0;    // sent: the Parse, then one per row; each result ends with a NULL (stage)
    bool batchSynced = false; // the Sync is sent, after the last row
    bool keepBatchResults = false;
    std::vector<std::shared_ptr<const ResultData>> batchResults;

    // A query run first, inside the same operation, whose result shapes the main command (the
    // column types binary COPY needs), so the operation keeps its place in the queue.
    QByteArray preludeSql;
    std::vector<EncodedParameter> preludeParameters;
    std::function<void(const PGresult *result, Operation &op)> onPrelude;
    bool inPrelude = false;
    // The prelude only improves the main command (a stream's binary format): its failure is not
    // the operation's, and inside a transaction, which that failure would abort, it is skipped.
    bool preludeIsOptional = false;

    // Query in single-row mode (rowstream.cpp): rows are copied into streamChunk and handed to
    // onStreamChunk whenever it holds streamChunkRows rows (or the connection's stream timer goes
    // off). 0: not a stream.
    int streamChunkRows = 0;
    std::unique_ptr<CopiedRows> streamChunk;
    std::function<void(CopiedRows &&chunk)> onStreamChunk;
    bool streamBinary = false; // the prelude found a binary decoder for every column

    // COPY
    std::function<bool(const char *data, int size, QString *error)> copyOutSink;
    std::unique_ptr<CopyInSource> copyInSource;
    QByteArray copyInPending; // a chunk libpq has not taken yet
    bool copyInWaiting = false; // copyInSource will call back
    bool copyInEnded = false;
    bool copyInBinary = false; // rows are counted from the final tag, not from newlines
    qint64 copyBytes = 0;
    qint64 copyRows = 0;
    std::function<bool()> isCanceled;
    bool cancelSent = false;
    std::chrono::milliseconds timeout{0};

    std::function<void(Outcome &&)> complete;
    std::function<void(const QException &)> fail;
    // What complete, fail and isCanceled work on (a promise, a pool's one-shot call), owned here so
    // that they capture a plain pointer: std::function keeps one without a heap allocation.
    std::shared_ptr<void> target;

    // Filled while the results arrive.
    PGresultPtr lastResult; // also gives the command tag
    std::unique_ptr<Error> error; // the first error reported
    bool timedOut = false;
    qint64 sequence = 0; // the connection's queryCount when it was sent: identifies it in timers
};

// A promise of T and how an Outcome becomes its result: what a query method's callbacks work on.
template<typename T, typename Convert>
struct PromiseTarget
{
    explicit PromiseTarget(Convert c) : convert(std::move(c)) { }
    QPromise<T> promise;
    Convert convert;
};

// An operation that carries its own promise: one allocation for both.
template<typename T, typename Convert>
struct PromiseOperation : Operation, PromiseTarget<T, Convert>
{
    explicit PromiseOperation(Convert c) : PromiseTarget<T, Convert>(std::move(c)) { }
};

// Binds op's callbacks to t, which op owns (or is), so they capture a plain pointer: std::function
// keeps one without allocating. convert may throw a QException (e.g. for a bad column index).
template<typename T, typename Convert>
QFuture<T> bindCallbacks(Operation &op, PromiseTarget<T, Convert> *t)
{
    t->promise.start();
    op.complete = [t](Outcome &&outcome) {
        try {
            if constexpr (std::is_void_v<T>) {
                t->convert(std::move(outcome));
            } else {
                t->promise.addResult(t->convert(std::move(outcome)));
            }
        } catch (const QException &e) {
            t->promise.setException(e);
        }
        t->promise.finish();
    };
    op.fail = [t](const QException &e) {
        t->promise.setException(e);
        t->promise.finish();
    };
    op.isCanceled = [t] { return t->promise.isCanceled(); };
    return t->promise.future();
}

// bindCallbacks for an operation made without a promise of its own.
template<typename T, typename Convert>
QFuture<T> bindPromise(Operation &op, Convert convert)
{
    auto target = std::make_shared<PromiseTarget<T, Convert>>(std::move(convert));
    PromiseTarget<T, Convert> *t = target.get();
    op.target = std::move(target);
    return bindCallbacks<T, Convert>(op, t);
}

// A future that has already failed with error.
template<typename T>
QFuture<T> failedFuture(const QException &error)
{
    QPromise<T> promise;
    promise.start();
    promise.setException(error);
    promise.finish();
    return promise.future();
}

} // namespace QPg::Private
