// SPDX-License-Identifier: MIT
#include "connection_p.h"
#include "callbackdelivery_p.h"
#include "marshal_p.h"

#include "binarycodec_p.h"
#include "columnencoder_p.h"
#include "logging_p.h"
#include "sqlquote_p.h"
#include "metatypes_p.h"

#include <QtCore/QFutureWatcher>
#include <QtCore/QThread>
#include <QtCore/QThreadPool>
#include <QtNetwork/QHostInfo>

#include <libpq-fe.h>

using namespace std::chrono_literals;

namespace QPg {

using Private::quoteIdentifier;

using Private::Operation;
using Private::Outcome;

namespace {

QString stateName(Connection::State state)
{
    switch (state) {
    case Connection::State::Disconnected: return QStringLiteral("not open");
    case Connection::State::Connecting: return QStringLiteral("connecting");
    case Connection::State::Ready: return QStringLiteral("open");
    case Connection::State::Closing: return QStringLiteral("closing");
    case Connection::State::Closed: return QStringLiteral("closed");
    }
    return QString();
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Construction and connecting

ConnectionPrivate::ConnectionPrivate(Connection *q, const ConnectOptions &options)
    : q(q)
    , options(options)
    , connectTimer(new QTimer(q))
    , commandTimer(new QTimer(q))
    , cancelGraceTimer(new QTimer(q))
    , streamTimer(new QTimer(q))
    // Through transaction-mode PgBouncer the next statement may run in another server session.
    , statementCache(options.pgBouncerMode == PgBouncerMode::Transaction ? 0 : options.statementCacheSize,
                     options.maxCacheableStatementSize)
{
    Private::registerMetaTypes();
    for (QTimer *timer : {connectTimer, commandTimer, cancelGraceTimer, streamTimer}) {
        timer->setSingleShot(true);
        timer->setTimerType(Qt::PreciseTimer);
    }
    QObject::connect(connectTimer, &QTimer::timeout, q, [this] { attemptTimedOut(); });
    QObject::connect(commandTimer, &QTimer::timeout, q, [this] { onCommandTimeout(); });
    QObject::connect(streamTimer, &QTimer::timeout, q, [this] { onStreamTimer(); });
    QObject::connect(cancelGraceTimer, &QTimer::timeout, q, [this] {
        connectionBroken(QStringLiteral("the server did not cancel a timed-out command within %1 ms")
                             .arg(qint64(this->options.cancelGracePeriod.count())));
    });
}

ConnectionPrivate::~ConnectionPrivate() = default;

QFuture<void> ConnectionPrivate::open()
{
    if (state != Connection::State::Disconnected)
        return openFuture;
    openPromise.emplace();
    openPromise->start();
    openFuture = openPromise->future();
    setState(Connection::State::Connecting);
    try {
        params = std::make_unique<Private::ConnectParams>(options);
    } catch (const QException &e) {
        connectFailed(e);
        return openFuture;
    }
    connectTimer->start(params->connectTimeout()); // bounds the name lookup too
    if (params->hostNamesToResolve().isEmpty())
        startAttempts();
    else
        resolveHosts();
    return openFuture;
}

// libpq would call getaddrinfo() on this thread; QHostInfo resolves on Qt's thread pool instead.
void ConnectionPrivate::resolveHosts()
{
    const QStringList names = params->hostNamesToResolve();
    auto resolved = std::make_shared<QHash<QString, QStringList>>();
    auto remaining = std::make_shared<int>(int(names.size()));
    for (const QString &name : names) {
        QHostInfo::lookupHost(name, q, [this, name, resolved, remaining](const QHostInfo &info) {
            if (state != Connection::State::Connecting)
                return;
            QStringList addresses;
            for (const QHostAddress &address : info.addresses())
                addresses.append(address.toString());
            resolved->insert(name, addresses);
            if (--*remaining > 0)
                return;
            bool any = false;
            for (const QStringList &list : std::as_const(*resolved))
                any = any || !list.isEmpty();
            if (!any) {
                connectFailed(ConnectionError(QStringLiteral("could not resolve host name \"%1\": %2")
                                                  .arg(name, info.errorString())));
                return;
            }
            params->setResolvedAddresses(*resolved);
            startAttempts();
        });
    }
}

void ConnectionPrivate::startAttempts()
{
    connectPass = 0;
    connectTarget = 0;
    attemptErrors.clear();
    onlyTimeouts = true;
    startConnect();
}

// Connects to the current target alone. libpq would move through a host list by itself, but in
// non-blocking mode it leaves connect_timeout to the caller, so one silent host would use up the
// whole timeout and the next host would never be tried.
void ConnectionPrivate::startConnect()
{
    params->selectTarget(connectTarget, params->sessionAttributePasses().at(connectPass));
    connectTimer->start(params->connectTimeout());
    conn = PQconnectStartParams(params->keywords(), params->values(), /*expand_dbname*/ 0);
    if (!conn) {
        connectFailed(ConnectionError(QStringLiteral("out of memory allocating a connection")));
        return;
    }
    // A bad parameter fails here, with no socket: no notifier would ever fire.
    if (PQstatus(conn) == CONNECTION_BAD) {
        connectFailed(*Private::connectError(params->redact(QString::fromUtf8(PQerrorMessage(conn)))));
        return;
    }
    PQsetNoticeReceiver(conn, &ConnectionPrivate::noticeReceiver, this);
    readNotifier = new QSocketNotifier(QSocketNotifier::Read, q);
    writeNotifier = new QSocketNotifier(QSocketNotifier::Write, q);
    QObject::connect(readNotifier, &QSocketNotifier::activated, q, [this] { onReadable(); });
    QObject::connect(writeNotifier, &QSocketNotifier::activated, q, [this] { onWritable(); });
    // libpq's protocol: behave as if PQconnectPoll had just asked to write.
    updateSocket();
    writeNotifier->setEnabled(true);
}

// libpq may close and reopen the socket during connect (next host, SSL retry), even under the same
// number, so the notifiers are pointed at it again after every poll. setSocket() disables them.
void ConnectionPrivate::updateSocket()
{
    socket = PQsocket(conn);
    readNotifier->setSocket(socket);
    writeNotifier->setSocket(socket);
}

void ConnectionPrivate::pollConnect()
{
    const QPointer<Connection> alive(q); // open()'s continuations may delete the connection
    const PostgresPollingStatusType status = PQconnectPoll(conn);
    switch (status) {
    case PGRES_POLLING_READING:
    case PGRES_POLLING_WRITING:
        updateSocket();
        if (socket < 0) {
            attemptFailed(QString::fromUtf8(PQerrorMessage(conn)), /*timedOut*/ false);
            return;
        }
        readNotifier->setEnabled(status == PGRES_POLLING_READING);
        writeNotifier->setEnabled(status == PGRES_POLLING_WRITING);
        break;
    case PGRES_POLLING_OK:
        connectSucceeded();
        break;
    case PGRES_POLLING_FAILED:
    default:
        attemptFailed(QString::fromUtf8(PQerrorMessage(conn)), /*timedOut*/ false);
        break;
    }
    if (alive)
        emitPendingNotices();
}

void ConnectionPrivate::attemptTimedOut()
{
    const QString limit = QString::number(params ? params->connectTimeout().count() : 0);
    if (!conn) { // still looking up host names
        connectFailed(TimeoutError(QStringLiteral("connection attempt timed out after %1 ms").arg(limit)));
        return;
    }
    attemptFailed(QStringLiteral("connection to %1 timed out after %2 ms")
                      .arg(params->targetName(connectTarget), limit),
                  /*timedOut*/ true);
}

// Like libpq, a host that refuses, stays silent, is starting up or is of the wrong kind for
// target_session_attrs is skipped; an authentication failure ends the attempt, since the next
// host would most likely refuse the same credentials.
void ConnectionPrivate::attemptFailed(const QString &libpqMessage, bool timedOut)
{
    if (state != Connection::State::Connecting)
        return;
    onlyTimeouts = onlyTimeouts && timedOut;
    attemptErrors.append(params->redact(libpqMessage.trimmed()));
    std::unique_ptr<Error> error = Private::connectError(attemptErrors.join(u'\n'));
    const bool authenticationFailed = dynamic_cast<InvalidAuthorizationSpecificationError *>(error.get());
    if (!authenticationFailed && ++connectTarget >= params->targetCount()) {
        connectTarget = 0;
        ++connectPass;
    }
    if (authenticationFailed || connectPass >= params->sessionAttributePasses().size()) {
        if (onlyTimeouts)
            connectFailed(TimeoutError(attemptErrors.join(u'\n')));
        else
            connectFailed(*error);
        return;
    }
    qCDebug(Private::lcConnection) << "trying the next host after:" << attemptErrors.constLast();
    finishConnection();
    startConnect();
}

void ConnectionPrivate::connectSucceeded()
{
    connectTimer->stop();
    PQsetnonblocking(conn, 1);
    backendPid = PQbackendPID(conn);
    serverVersion = PQserverVersion(conn);
    cancelHandle = std::shared_ptr<PGcancel>(PQgetCancel(conn), [](PGcancel *c) {
        if (c)
            PQfreeCancel(c);
    });
    updateSocket();
    readNotifier->setEnabled(true); // stays on while open: notifications and server-side closes
    qCDebug(Private::lcConnection) << "connected, backend pid" << backendPid;
    setState(Connection::State::Ready);
    const QPointer<Connection> alive(q);
    if (openPromise) {
        std::optional<QPromise<void>> promise = std::exchange(openPromise, std::nullopt);
        promise->finish();
    }
    if (alive)
        sendNext();
}

void ConnectionPrivate::connectFailed(const QException &error)
{
    if (state != Connection::State::Connecting)
        return;
    qCDebug(Private::lcConnection) << "connect failed:" << error.what();
    finishConnection();
    setState(Connection::State::Closed);
    const QPointer<Connection> alive(q);
    if (openPromise) {
        std::optional<QPromise<void>> promise = std::exchange(openPromise, std::nullopt);
        promise->setException(error);
        promise->finish();
    }
    if (alive)
        failAll(ConnectionError(QStringLiteral("the connection could not be opened: ")
                                + QString::fromUtf8(error.what())));
}

// ---------------------------------------------------------------------------------------------
// Socket events

void ConnectionPrivate::onReadable()
{
    if (state == Connection::State::Connecting) {
        pollConnect();
        return;
    }
    if (!conn)
        return;
    if (!PQconsumeInput(conn)) {
        connectionBroken(QString::fromUtf8(PQerrorMessage(conn)));
        return;
    }
    // The server may stop reading until we read: keep flushing while there is output pending.
    if (flushing && !flush())
        return;
    // Result callbacks, listeners and signal receivers may delete the connection.
    const QPointer<Connection> alive(q);
    processResults();
    if (!alive || !conn)
        return;
    drainNotifications();
    if (!alive)
        return;
    if (conn && PQstatus(conn) == CONNECTION_BAD) {
        connectionBroken(QString::fromUtf8(PQerrorMessage(conn)));
        return;
    }
    emitPendingNotices();
}

void ConnectionPrivate::onWritable()
{
    if (state == Connection::State::Connecting) {
        pollConnect();
        return;
    }
    if (!conn)
        return;
    if (!flush())
        return;
    if ((inCopyIn || isStreamingBatch()) && !flushing)
        processResults(); // libpq has room again: feed it the next chunk or rows
}

// Returns false when the connection broke.
bool ConnectionPrivate::flush()
{
    const int result = PQflush(conn);
    if (result < 0) {
        connectionBroken(QString::fromUtf8(PQerrorMessage(conn)));
        return false;
    }
    flushing = result == 1;
    // A write notifier left on would spin, except for a batch with rows still to send: writable
    // is when it sends more (the server may not answer the rows it has before it gets more).
    writeNotifier->setEnabled(flushing || isStreamingBatch());
    return true;
}

// ---------------------------------------------------------------------------------------------
// Operations

void ConnectionPrivate::enqueueOperation(std::unique_ptr<Operation> op)
{
    queue.push_back(std::move(op));
    sendNext();
}

namespace {

// The parameter arrays PQsendQueryParams / PQsendQueryPrepared take, pointing into params.
struct ParameterArrays
{
    explicit ParameterArrays(const std::vector<Private::EncodedParameter> &params)
        : types(params.size()), values(params.size()), lengths(params.size()), formats(params.size())
    {
        for (size_t i = 0; i < params.size(); ++i) {
            const Private::EncodedParameter &p = params[i];
            types[i] = p.typeOid;
            values[i] = p.isNull ? nullptr : p.value.constData();
            lengths[i] = int(p.value.size());
            formats[i] = p.binary ? 1 : 0;
        }
    }
    int count() const { return int(types.size()); }
    std::vector<Oid> types;
    std::vector<const char *> values;
    std::vector<int> lengths;
    std::vector<int> formats;
};

} // namespace

namespace {

// "cached plan must not change result type", recognised by where it comes from: the message text
// is translated under a non-English lc_messages.
bool isStalePlan(const Error &error)
{
    auto *server = dynamic_cast<const ServerError *>(&error);
    return server && server->sqlState() == u"0A000" && server->fields().sourceFunction == u"RevalidateCachedQuery";
}

} // namespace

// A cached statement runs with Bind/Execute only, its parameters and results in binary where the
// codecs allow. A new one is prepared, described and executed in one pipelined round trip.
bool ConnectionPrivate::sendCached(Operation &op)
{
    Private::StatementKey key{op.sql, {}};
    key.declaredTypes.reserve(op.parameters.size());
    for (const auto &p : op.parameters)
        key.declaredTypes.push_back(p.typeOid);
    std::shared_ptr<Private::PreparedStatement> statement = statementCache.find(key);
    if (statement && statement->ready) {
        op.statement = statement;
        std::vector<Private::EncodedParameter> params = op.parameters;
        for (size_t i = 0; i < params.size() && i < statement->parameterTypes.size(); ++i) {
            const quint32 type = statement->parameterTypes[i];
            if (params[i].isNull || params[i].binary || !Private::canEncodeBinary(type))
                continue;
            // A custom codec's text stays as its encoder made it, as on the first run.
            if (customCodecs
                && (customCodecs->byType.contains(type) || customCodecs->byType.contains(params[i].typeOid)))
                continue;
            QByteArray binary;
            QString ignored; // the text form, already encoded, is the fallback
            if (Private::encodeBinary(type, op.args.at(qsizetype(i)), &binary, &ignored) && !binary.isNull()) {
                params[i].value = std::move(binary);
                params[i].binary = true;
            }
        }
        const ParameterArrays arrays(params);
        return PQsendQueryPrepared(conn, statement->name.constData(), arrays.count(), arrays.values.data(),
                                   arrays.lengths.data(), arrays.formats.data(), statement->binaryResults ? 1 : 0);
    }
    statement = statementCache.create(key);
    op.statement = statement;
    if (PQenterPipelineMode(conn) != 1)
        return false;
    // In an aborted transaction a DEALLOCATE would fail and its name be lost: they wait.
    const QList<QByteArray> stale = PQtransactionStatus(conn) == PQTRANS_INERROR
        ? QList<QByteArray>()
        : statementCache.takePendingDeallocations();
    for (const QByteArray &name : stale) {
        const QByteArray deallocate = "DEALLOCATE " + name;
        if (!PQsendQueryParams(conn, deallocate.constData(), 0, nullptr, nullptr, nullptr, nullptr, 0))
            return false;
    }
    op.stage = 0;
    op.executeStage = int(stale.size()) + 2; // after the Prepare and the Describe
    const ParameterArrays arrays(op.parameters);
    return PQsendPrepare(conn, statement->name.constData(), op.utf8().constData(), arrays.count(), arrays.types.data())
        && PQsendDescribePrepared(conn, statement->name.constData())
        && PQsendQueryPrepared(conn, statement->name.constData(), arrays.count(), arrays.values.data(),
                               arrays.lengths.data(), arrays.formats.data(), 0)
        && PQpipelineSync(conn) == 1;
}

void ConnectionPrivate::recordDescription(Operation &op, const PGresult *description)
{
    Private::PreparedStatement &statement = *op.statement;
    if (statement.forgotten) {
        // The cache was cleared while the Prepare was on its way: nothing refers to the statement
        // any more, but the server has it.
        statementCache.deallocateLater(statement.name);
        return;
    }
    statement.parameterTypes.clear();
    for (int i = 0; i < PQnparams(description); ++i)
        statement.parameterTypes.push_back(PQparamtype(description, i));
    statement.columnTypes.clear();
    bool binary = PQnfields(description) > 0;
    for (int c = 0; c < PQnfields(description); ++c) {
        statement.columnTypes.push_back(PQftype(description, c));
        binary = binary && Private::hasBinaryDecoder(PQftype(description, c))
            && !(customCodecs && customCodecs->byType.contains(PQftype(description, c)));
    }
    statement.binaryResults = binary;
    statement.ready = true;
}

// "cached plan must not change result type" (after ALTER TABLE, a search_path change...): every
// cached statement may be stale, so the caches go, and the command runs once more, unless it was
// inside a transaction that the error has now aborted: then the caller gets the error, and the
// statement is prepared afresh on its next use.
bool ConnectionPrivate::retryAfterStalePlan(Operation &op)
{
    if (!op.error || !op.statement || !isStalePlan(*op.error))
        return false;
    statementCache.clear(/*serverDropped*/ false);
    tableColumns.clear();
    if (onStatementCacheInvalidated)
        onStatementCacheInvalidated();
    if (op.retried || PQtransactionStatus(conn) != PQTRANS_IDLE)
        return false;
    op.retried = true;
    op.error.reset();
    op.statement.reset();
    op.lastResult.reset();
    op.stage = 0;
    op.executeStage = -1;
    running = false;
    commandTimer->stop();
    sendNext();
    return true;
}

bool ConnectionPrivate::sendBatch(Operation &op)
{
    // One Parse for all rows, then Bind/Execute per row, then one Sync: one round trip, and one
    // implicit transaction, so an error in any row leaves nothing behind.
    if (PQenterPipelineMode(conn) != 1)
        return false;
    const std::vector<Oid> &types = op.batchEncoder->types();
    if (!PQsendPrepare(conn, "", op.utf8().constData(), int(types.size()), types.data()))
        return false;
    op.batchNext = 0;
    op.batchCommands = 1;
    op.batchSynced = false;
    return sendBatchRows(op);
}

// Encodes and queues rows until all are sent (then the Sync), or until the socket takes no more:
// then the write notifier brings processResults() back here. libpq's buffer holds at most a few
// hundred rows beyond what the socket took.
bool ConnectionPrivate::sendBatchRows(Operation &op)
{
    constexpr int RowsBetweenFlushes = 256;
    Private::BatchRowEncoder &encoder = *op.batchEncoder;
    const qsizetype rows = op.batchInput.size();
    while (op.batchNext < rows) {
        for (int n = 0; n < RowsBetweenFlushes && op.batchNext < rows; ++n) {
            QString why;
            if (!encoder.encode(op.batchInput.at(op.batchNext), &why)) {
                // The rows before it are on their way already: a statement the server cannot parse
                // aborts the pipeline, and so its implicit transaction: none of them stays.
                if (!op.error)
                    op.error = std::make_unique<InterfaceError>(QStringLiteral("row %1: %2").arg(op.batchNext).arg(why));
                op.batchNext = rows;
                ++op.batchCommands;
                if (!PQsendQueryParams(conn, "QPgPool: a row of the batch could not be encoded", 0, nullptr,
                                       nullptr, nullptr, nullptr, 0))
                    return false;
                break;
            }
            if (!PQsendQueryPrepared(conn, "", encoder.count(), encoder.values(), encoder.lengths(),
                                     encoder.formats(), 0))
                return false;
            ++op.batchNext;
            ++op.batchCommands;
        }
        if (op.batchNext < rows) {
            const int pending = PQflush(conn);
            if (pending < 0)
                return false;
            if (pending == 1) {
                flushing = true;
                writeNotifier->setEnabled(true);
                return true;
            }
        }
    }
    op.batchSynced = true;
    return PQpipelineSync(conn) == 1;
}

bool ConnectionPrivate::isStreamingBatch() const
{
    return running && !queue.empty() && queue.front()->kind == Operation::Kind::Batch && !queue.front()->batchSynced;
}

bool ConnectionPrivate::sendPrelude(Operation &op)
{
    const ParameterArrays arrays(op.preludeParameters);
    op.inPrelude = PQsendQueryParams(conn, op.preludeSql.constData(), arrays.count(), arrays.types.data(),
                                     arrays.values.data(), arrays.lengths.data(), arrays.formats.data(), 0);
    return op.inPrelude;
}

bool ConnectionPrivate::sendMain(Operation &op)
{
    bool sent = false;
    switch (op.kind) {
    case Operation::Kind::Script:
    case Operation::Kind::CopyOut:
    case Operation::Kind::CopyIn:
        sent = PQsendQuery(conn, op.utf8().constData());
        break;
    case Operation::Kind::Query: {
        // A stream runs unnamed: single-row mode needs the query to be the only one in flight.
        if (op.streamChunkRows == 0 && op.facts.preparable && statementCache.accepts(op.sql, [&op]() -> const QByteArray & { return op.utf8(); })) {
            sent = sendCached(op);
            break;
        }
        const ParameterArrays arrays(op.parameters);
        sent = PQsendQueryParams(conn, op.utf8().constData(), arrays.count(), arrays.types.data(),
                                 arrays.values.data(), arrays.lengths.data(), arrays.formats.data(),
                                 op.streamBinary ? 1 : 0);
        if (sent && op.streamChunkRows > 0)
            PQsetSingleRowMode(conn);
        break;
    }
    case Operation::Kind::Batch:
        sent = sendBatch(op);
        break;
    }
    return sent;
}

void ConnectionPrivate::sendNext()
{
    // Nothing new goes out while a cancel request is on its way: it could hit the next command.
    if (running || state == Connection::State::Connecting || !conn || queue.empty() || cancelsInFlight > 0)
        return;
    Operation &op = *queue.front();
    if (op.sqlAtSend) {
        op.sql = std::exchange(op.sqlAtSend, nullptr)();
        if (op.sql.isEmpty()) {
            std::unique_ptr<Operation> skipped = std::move(queue.front());
            queue.pop_front();
            const QPointer<Connection> alive(q);
            skipped->complete(Outcome());
            if (alive)
                sendNext();
            return;
        }
        op.sqlUtf8 = op.sql.toUtf8();
    }
    bool sent = false;
    if (op.preludeIsOptional && PQtransactionStatus(conn) != PQTRANS_IDLE)
        op.preludeSql.clear();
    if (!op.preludeSql.isEmpty() && !op.inPrelude)
        sent = sendPrelude(op);
    else
        sent = sendMain(op);
    if (!sent) {
        const QString message = QString::fromUtf8(PQerrorMessage(conn)).trimmed();
        if (PQstatus(conn) == CONNECTION_BAD) {
            connectionBroken(message);
            return;
        }
        if (PQpipelineStatus(conn) != PQ_PIPELINE_OFF) {
            // Half a batch may sit in libpq's buffer: the protocol state is unknown, start afresh.
            connectionBroken(QStringLiteral("could not send a batch: ") + message);
            return;
        }
        std::unique_ptr<Operation> failed = std::move(queue.front());
        queue.pop_front();
        const QPointer<Connection> alive(q);
        failed->fail(InterfaceError(QStringLiteral("could not send the query: ") + message));
        if (alive)
            sendNext();
        return;
    }
    running = true;
    ++queryCount;
    op.sequence = queryCount;
    runningSince.start();
    if (op.timeout > 0ms)
        commandTimer->start(op.timeout);
    flush();
}

void ConnectionPrivate::processResults()
{
    // completeCurrent() hands out results: a callback may delete the connection.
    const QPointer<Connection> alive(q);
    while (alive && running && conn) {
        Operation &op = *queue.front();
        if (inCopyOut) {
            if (!receiveCopyData(op))
                return; // more data to come
            continue;
        }
        if (inCopyIn) {
            if (!sendCopyData(op))
                return; // waiting for the socket or the source
            continue;
        }
        if (op.kind == Operation::Kind::Batch && !op.batchSynced) {
            if (!flushing) {
                if (!sendBatchRows(op)) {
                    connectionBroken(QStringLiteral("could not send a batch: ")
                                     + QString::fromUtf8(PQerrorMessage(conn)).trimmed());
                    return;
                }
                if (!flush()) // the Sync too, once it is queued
                    return;
            }
            if (!op.batchSynced && op.stage >= op.batchCommands)
                return; // every result of the rows sent is read: the write notifier sends more
        }
        if (PQisBusy(conn))
            return;
        Private::PGresultPtr result(PQgetResult(conn));
        drainNotifications();
        if (!alive || !conn)
            return;
        if (op.inPrelude) {
            if (result) {
                if (PQresultStatus(result.get()) == PGRES_TUPLES_OK && !op.error)
                    op.onPrelude(result.get(), op);
                else if (PQresultStatus(result.get()) == PGRES_FATAL_ERROR && !op.error && !op.preludeIsOptional)
                    op.error = ServerError::create(Private::serverErrorFields(result.get()));
                continue;
            }
            op.inPrelude = false;
            op.preludeSql.clear();
            if (op.error) {
                completeCurrent();
            } else if (!(op.kind == Operation::Kind::Query ? sendMain(op) : PQsendQuery(conn, op.utf8().constData()))) {
                connectionBroken(QString::fromUtf8(PQerrorMessage(conn)));
                return;
            } else if (!flush()) {
                return;
            }
            continue;
        }
        if (!result) {
            // Pipelines (batches, prepare + execute) end with their Sync result, below.
            if (op.kind == Operation::Kind::Batch || op.executeStage >= 0)
                ++op.stage;
            else
                completeCurrent();
            continue;
        }
        if (op.executeStage >= 0 && op.stage < op.executeStage) {
            // Deallocations, the Prepare, and the Describe whose types the statement keeps.
            const ExecStatusType status = PQresultStatus(result.get());
            if (status == PGRES_COMMAND_OK && op.stage == op.executeStage - 1)
                recordDescription(op, result.get());
            else if (status == PGRES_FATAL_ERROR && !op.error)
                op.error = ServerError::create(Private::serverErrorFields(result.get()));
            continue;
        }
        switch (PQresultStatus(result.get())) {
        case PGRES_SINGLE_TUPLE:
            appendStreamRow(op, std::move(result));
            break;
        case PGRES_TUPLES_OK:
            if (op.streamChunk)
                handOverStreamChunk(op); // the rows before the end, ahead of the completion
            [[fallthrough]];
        case PGRES_COMMAND_OK:
        case PGRES_EMPTY_QUERY:
            noteSessionChange(PQcmdStatus(result.get()));
            if (op.kind == Operation::Kind::Batch) {
                if (op.keepBatchResults && PQresultStatus(result.get()) == PGRES_TUPLES_OK)
                    op.batchResults.push_back(std::make_shared<const ResultData>(std::move(result), customCodecs));
            } else {
                op.lastResult = std::move(result);
            }
            break;
        case PGRES_PIPELINE_SYNC:
            PQexitPipelineMode(conn);
            completeCurrent();
            break;
        case PGRES_PIPELINE_ABORTED:
            break; // a row after the failing one: the error is already recorded
        case PGRES_COPY_OUT:
            if (op.kind != Operation::Kind::CopyOut && !op.error)
                op.error = std::make_unique<InterfaceError>(
                    QStringLiteral("COPY TO STDOUT cannot run through a query method; use the copy methods"));
            inCopyOut = true;
            break;
        case PGRES_COPY_IN:
            if (op.kind != Operation::Kind::CopyIn) {
                // Make the server fail the COPY; its error then ends the command normally.
                PQputCopyEnd(conn, "COPY FROM STDIN cannot run through a query method; use the copy methods");
                if (!flush())
                    return;
                break;
            }
            inCopyIn = true;
            break;
        default:
            if (!op.error)
                op.error = ServerError::create(Private::serverErrorFields(result.get()));
            break;
        }
    }
}

void ConnectionPrivate::completeCurrent()
{
    if (Operation &current = *queue.front(); current.statement) {
        if (!current.statement->ready && !current.statement->forgotten)
            statementCache.remove(current.statement->key); // the Prepare failed
        if (retryAfterStalePlan(current))
            return;
    }
    // A FATAL (or PANIC) error ends the session; others, even of class 08 (a protocol violation
    // in COPY data), leave it usable.
    const auto *serverError = dynamic_cast<const ServerError *>(queue.front()->error.get());
    const bool lost = PQstatus(conn) == CONNECTION_BAD
        || (serverError && (serverError->severity() == u"FATAL" || serverError->severity() == u"PANIC"));
    if (lost) {
        connectionBroken(QString::fromUtf8(queue.front()->error ? queue.front()->error->what()
                                                                 : PQerrorMessage(conn)));
        return;
    }
    commandTimer->stop();
    cancelGraceTimer->stop();
    streamTimer->stop(); // a failed stream's last rows are dropped with it
    std::unique_ptr<Operation> op = std::move(queue.front());
    queue.pop_front();
    running = false;
    if (op->kind == Operation::Kind::CopyIn && op->error)
        tableColumns.clear(); // the types binary COPY used may be out of date
    if (auto *serverError = dynamic_cast<const ServerError *>(op->error.get()); serverError && serverError->isDisconnect())
        sawDisconnectError = true;
    // Start the next command before handing out the result: the callback may queue more or drop
    // the last reference to anything, the connection included.
    const Private::CustomCodecsPtr codecs = customCodecs;
    const QPointer<Connection> alive(q);
    sendNext();
    if (alive)
        maybeFinishClose();
    if (op->timedOut) {
        op->fail(TimeoutError(QStringLiteral("the command timed out after %1 ms and was cancelled")
                                  .arg(qint64(op->timeout.count()))));
    } else if (op->error) {
        op->fail(*op->error);
    } else {
        Outcome outcome;
        outcome.batchResults = std::move(op->batchResults);
        if ((op->kind == Operation::Kind::CopyIn || op->kind == Operation::Kind::CopyOut) && op->lastResult)
            outcome.copiedRows = QByteArray(PQcmdTuples(op->lastResult.get())).toLongLong(); // "COPY n"
        outcome.lastResult = std::move(op->lastResult);
        outcome.codecs = codecs;
        op->complete(std::move(outcome));
    }
}

void ConnectionPrivate::drainNotifications()
{
    PGnotify *raw = conn ? PQnotifies(conn) : nullptr;
    if (!raw)
        return; // the usual case, after every result: no guard needed
    const QPointer<Connection> alive(q); // a listener may delete the connection
    for (; raw; raw = alive && conn ? PQnotifies(conn) : nullptr) {
        Notification n{QString::fromUtf8(raw->relname), QString::fromUtf8(raw->extra), raw->be_pid};
        PQfreemem(raw);
        const auto callbacks = listeners.value(n.channel);
        for (const auto &callback : callbacks) {
            callback(n);
            if (!alive)
                return;
        }
        if (!suppressSignals)
            Q_EMIT q->notification(n);
    }
}

void ConnectionPrivate::noticeReceiver(void *arg, const PGresult *result)
{
    // Runs inside libpq: only record the notice; it is emitted once libpq has returned.
    auto *d = static_cast<ConnectionPrivate *>(arg);
    const ServerErrorFields f = Private::serverErrorFields(result);
    d->pendingNotices.append(Notice{f.severity, f.sqlState, f.message, f.detail, f.hint});
}

void ConnectionPrivate::emitPendingNotices()
{
    const QPointer<Connection> alive(q); // a receiver may delete the connection
    while (alive && !pendingNotices.isEmpty()) {
        const Notice notice = pendingNotices.takeFirst();
        if (notice.severity == u"WARNING")
            qCWarning(Private::lcNotice).noquote() << notice.severity << notice.sqlState << notice.message;
        else
            qCInfo(Private::lcNotice).noquote() << notice.severity << notice.sqlState << notice.message;
        if (!suppressSignals)
            Q_EMIT q->notice(notice);
    }
}

// ---------------------------------------------------------------------------------------------
// Command timeout and cancel

void ConnectionPrivate::onCommandTimeout()
{
    if (!running)
        return;
    Operation *timedOut = queue.front().get();
    timedOut->timedOut = true;
    const qint64 sequence = timedOut->sequence;
    requestCancel();
    cancelGraceTimer->start(options.cancelGracePeriod);
    // A cancel that reaches the backend just before it starts executing is ignored, so the request
    // is repeated while the command runs on, until the grace period closes the connection.
    auto *retry = new QTimer(q);
    retry->setInterval(500);
    QObject::connect(retry, &QTimer::timeout, q, [this, retry, timedOut, sequence] {
        if (!running || queue.empty() || queue.front().get() != timedOut || timedOut->sequence != sequence) {
            retry->deleteLater();
            return;
        }
        if (cancelsInFlight == 0)
            requestCancel();
    });
    retry->start();
}

// libpq 15's PQcancel blocks (it opens a second connection), so it runs on the thread pool with its
// own PGcancel reference; the connection sends nothing new until it has returned.
void ConnectionPrivate::requestCancel()
{
    if (!cancelHandle)
        return;
    ++cancelsInFlight;
    auto done = std::make_shared<QPromise<void>>();
    done->start();
    auto *watcher = new QFutureWatcher<void>(q);
    QObject::connect(watcher, &QFutureWatcherBase::finished, q, [this, watcher] {
        watcher->deleteLater();
        --cancelsInFlight;
        sendNext();
    });
    watcher->setFuture(done->future());
    QThreadPool::globalInstance()->start([handle = cancelHandle, done] {
        char error[256] = {};
        if (!PQcancel(handle.get(), error, sizeof error))
            qCWarning(Private::lcConnection) << "cancel request failed:" << error;
        done->finish();
    });
}

// ---------------------------------------------------------------------------------------------
// Teardown

void ConnectionPrivate::connectionBroken(const QString &reason)
{
    if (state == Connection::State::Closed)
        return;
    const QString message = reason.trimmed().isEmpty() ? QStringLiteral("connection lost") : reason.trimmed();
    qCDebug(Private::lcConnection) << "connection lost:" << message;
    std::deque<std::unique_ptr<Operation>> pending = std::move(queue);
    queue.clear();
    const bool wasRunning = running;
    running = false;
    finishConnection();
    setState(Connection::State::Closed);
    // The callbacks and the signal receivers may delete the connection.
    const QPointer<Connection> alive(q);
    bool first = true;
    for (auto &op : pending) {
        if (first && wasRunning && op->timedOut)
            op->fail(TimeoutError(QStringLiteral("the command timed out and the connection was closed: ") + message));
        else if (first && wasRunning)
            op->fail(ConnectionLostError(QStringLiteral("connection lost while the command ran: ") + message));
        else
            op->fail(ConnectionLostError(QStringLiteral("connection lost: ") + message));
        first = false;
    }
    if (alive && !suppressSignals)
        Q_EMIT q->connectionLost(message);
    if (alive)
        maybeFinishClose();
    if (alive && !suppressSignals)
        Q_EMIT q->closed();
}

void ConnectionPrivate::failAll(const QException &error)
{
    std::deque<std::unique_ptr<Operation>> pending = std::move(queue);
    queue.clear();
    running = false;
    for (auto &op : pending)
        op->fail(error);
}

void ConnectionPrivate::finishConnection()
{
    connectTimer->stop();
    commandTimer->stop();
    cancelGraceTimer->stop();
    // Notifiers go before PQfinish closes the fd (its number is reused); deleteLater because this
    // may run inside one of their own activated() signals.
    for (QSocketNotifier *notifier : {readNotifier, writeNotifier}) {
        if (notifier) {
            notifier->setEnabled(false);
            notifier->deleteLater();
        }
    }
    readNotifier = writeNotifier = nullptr;
    flushing = false;
    inCopyOut = false;
    inCopyIn = false;
    if (conn) {
        PQfinish(conn);
        conn = nullptr;
    }
    socket = -1;
    cancelHandle.reset(); // a running cancel task keeps its own reference
}

void ConnectionPrivate::setState(Connection::State newState)
{
    if (state == newState)
        return;
    state = newState;
    if (!suppressSignals)
        Q_EMIT q->stateChanged(newState);
}

void ConnectionPrivate::maybeFinishClose()
{
    if (state == Connection::State::Closing && queue.empty() && !running) {
        finishConnection();
        setState(Connection::State::Closed);
        if (!suppressSignals)
            Q_EMIT q->closed();
    }
    if (state == Connection::State::Closed) {
        std::vector<QPromise<void>> promises = std::move(closePromises);
        closePromises.clear();
        for (QPromise<void> &promise : promises)
            promise.finish();
    }
}

std::unique_ptr<Operation> ConnectionPrivate::makeOperation(const QString &sql, const QVariantList &args,
                                                          const QueryOptions &queryOptions, bool allowScript,
                                                          std::optional<InterfaceError> *error)
{
    auto op = std::make_unique<Operation>();
    if (!initOperation(*op, sql, args, queryOptions, allowScript, error))
        return nullptr;
    return op;
}

bool ConnectionPrivate::initOperation(Operation &op, const QString &sql, const QVariantList &args,
                                      const QueryOptions &queryOptions, bool allowScript,
                                      std::optional<InterfaceError> *error)
{
    if (QThread::currentThread() != q->thread()) {
        error->emplace(QStringLiteral("a connection can only be used from the thread it lives in"));
        return false;
    }
    if (state != Connection::State::Ready && state != Connection::State::Connecting) {
        error->emplace(QStringLiteral("cannot run a query: the connection is ") + stateName(state));
        return false;
    }
    op.sql = sql;
    op.label = queryOptions.label;
    op.facts = sqlFacts.facts(sql);
    op.kind = allowScript && args.isEmpty() ? Operation::Kind::Script : Operation::Kind::Query;
    op.timeout = queryOptions.timeout.value_or(options.commandTimeout);
    op.args = args;
    op.parameters.reserve(args.size());
    for (const QVariant &arg : args)
        op.parameters.push_back(encodeArgument(arg)); // may throw InterfaceError
    // Session state a command tag cannot reveal.
    if (op.facts.changesSession)
        sessionChanged = true;
    // CREATE TEMP ..., or anything in pg_temp: the reset drops temporary objects (DISCARD TEMP).
    if (op.facts.createsTemp) {
        tempObjectsCreated = true;
        sessionChanged = true;
    }
    return true;
}

namespace {

// A callback form's request dropped unrun: its operation died with the connection.
std::exception_ptr connectionGoneError()
{
    return std::make_exception_ptr(
        ConnectionLostError(QStringLiteral("the connection was destroyed before the command completed")));
}

template<typename T, typename Convert>
void runWithCallback(Connection *connection, const QString &sql, const QVariantList &args,
                     const QueryOptions &options, bool allowScript, Convert convert, const QObject *context,
                     std::function<void(Reply<T>)> onReply)
{
    if (!Private::callbackArgumentsValid(context, bool(onReply), "Connection"))
        return;
    // The outcome is handed over in this thread: the connection's, or a wrong one, where the
    // command fails at once (a context elsewhere is then reached through the relay).
    auto command = std::make_shared<Private::CallbackCommand<T, Convert>>(
        std::move(convert), context, QThread::currentThread(), std::move(onReply), &connectionGoneError);
    Private::enqueueCallbackCommand(command, ConnectionPrivate::get(connection), sql, args, options, allowScript);
    command->delivery.inRequest = false;
}

} // namespace

void Connection::execute(const QString &sql, const QVariantList &args, const QObject *context,
                         std::function<void(Reply<QString>)> onReply, const QueryOptions &options)
{
    runWithCallback<QString>(this, sql, args, options, true, &Private::Convert::commandTag, context, std::move(onReply));
}

void Connection::fetch(const QString &sql, const QVariantList &args, const QObject *context,
                       std::function<void(Reply<RecordList>)> onReply, const QueryOptions &options)
{
    runWithCallback<RecordList>(this, sql, args, options, false, &Private::Convert::records, context,
                                std::move(onReply));
}

void Connection::fetchRow(const QString &sql, const QVariantList &args, const QObject *context,
                          std::function<void(Reply<Record>)> onReply, const QueryOptions &options)
{
    runWithCallback<Record>(this, sql, args, options, false, &Private::Convert::firstRow, context, std::move(onReply));
}

void Connection::fetchValue(const QString &sql, const QVariantList &args, const QObject *context,
                            std::function<void(Reply<QVariant>)> onReply, const QueryOptions &options)
{
    const int column = options.column;
    runWithCallback<QVariant>(
        this, sql, args, options, false, [column](Outcome &&o) { return Private::Convert::value(std::move(o), column); },
        context, std::move(onReply));
}

template<typename T, typename Convert>
QFuture<T> ConnectionPrivate::enqueue(const QString &sql, const QVariantList &args,
                                      const QueryOptions &queryOptions, Convert convert, bool allowScript)
{
    std::optional<InterfaceError> error;
    auto op = std::make_unique<Private::PromiseOperation<T, Convert>>(std::move(convert));
    try {
        if (!initOperation(*op, sql, args, queryOptions, allowScript, &error))
            return Private::failedFuture<T>(*error);
    } catch (const QException &e) {
        return Private::failedFuture<T>(e);
    }
    QFuture<T> future = Private::bindCallbacks<T, Convert>(*op, op.get());
    enqueueOperation(std::move(op));
    return future;
}

bool ConnectionPrivate::enqueueWithCallbacks(const QString &sql, const QVariantList &args,
                                             const QueryOptions &queryOptions, bool allowScript,
                                             std::function<void(Outcome &&)> complete,
                                             std::function<void(const QException &)> fail,
                                             std::shared_ptr<void> target)
{
    std::optional<InterfaceError> error;
    std::unique_ptr<Operation> op;
    try {
        op = makeOperation(sql, args, queryOptions, allowScript, &error);
    } catch (const QException &e) {
        fail(e);
        return false;
    }
    if (!op) {
        fail(*error);
        return false;
    }
    op->complete = std::move(complete);
    op->fail = std::move(fail);
    op->target = std::move(target);
    enqueueOperation(std::move(op));
    return true;
}

bool ConnectionPrivate::enqueueScriptAtSend(std::function<QString()> makeSql, const QueryOptions &queryOptions,
                                            std::function<void(Outcome &&)> complete,
                                            std::function<void(const QException &)> fail)
{
    std::optional<InterfaceError> error;
    std::unique_ptr<Operation> op = makeOperation(QString(), {}, queryOptions, /*allowScript*/ true, &error);
    if (!op) {
        fail(*error);
        return false;
    }
    op->sqlAtSend = std::move(makeSql);
    op->complete = std::move(complete);
    op->fail = std::move(fail);
    enqueueOperation(std::move(op));
    return true;
}

Private::EncodedParameter ConnectionPrivate::encodeArgument(const QVariant &value) const
{
    if (customCodecs) {
        if (auto it = customCodecs->typeByQtType.constFind(value.metaType().id()); it != customCodecs->typeByQtType.cend()) {
            Private::EncodedParameter p;
            p.typeOid = *it;
            p.value = customCodecs->byType.value(*it).encoder(value);
            return p;
        }
    }
    return Private::encodeParameter(value);
}

void ConnectionPrivate::noteSessionChange(std::string_view tag)
{
    // Most results are rows or row counts: nothing below applies to them.
    if (tag.starts_with("SELECT") || tag.starts_with("INSERT") || tag.starts_with("UPDATE")
        || tag.starts_with("DELETE"))
        return;
    if (tag == "DISCARD ALL" || tag == "DEALLOCATE ALL")
        statementCache.clear(/*serverDropped*/ true);
    if (tag.starts_with("ALTER") || tag.starts_with("DROP") || tag.starts_with("CREATE"))
        tableColumns.clear(); // a table's columns may have changed
    static constexpr std::string_view prefixes[] = {
        "SET", "RESET", "LISTEN", "UNLISTEN", "DECLARE", "PREPARE", "DEALLOCATE", "LOCK",
    };
    for (std::string_view prefix : prefixes) {
        if (tag.starts_with(prefix)) {
            sessionChanged = true;
            return;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Connection

Connection::Connection(const ConnectOptions &options, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<ConnectionPrivate>(this, options))
{
}

Connection::Connection(const QString &dsn, QObject *parent)
    : Connection(ConnectOptions::fromDsn(dsn), parent)
{
}

Connection::~Connection()
{
    d->suppressSignals = true;
    terminate();
}

QFuture<void> Connection::open()
{
    return d->open();
}

Connection::State Connection::state() const
{
    return d->state;
}

const ConnectOptions &Connection::options() const
{
    return d->options;
}

QFuture<QString> Connection::execute(const QString &sql, const QVariantList &args, const QueryOptions &options)
{
    return d->enqueue<QString>(sql, args, options, &Private::Convert::commandTag);
}

QFuture<RecordList> Connection::fetch(const QString &sql, const QVariantList &args, const QueryOptions &options)
{
    return d->enqueue<RecordList>(sql, args, options, &Private::Convert::records, /*allowScript*/ false);
}

QFuture<Record> Connection::fetchRow(const QString &sql, const QVariantList &args, const QueryOptions &options)
{
    return d->enqueue<Record>(sql, args, options, &Private::Convert::firstRow, /*allowScript*/ false);
}

QFuture<QVariant> Connection::fetchValue(const QString &sql, const QVariantList &args, const QueryOptions &options)
{
    const int column = options.column;
    return d->enqueue<QVariant>(
        sql, args, options, [column](Outcome &&o) { return Private::Convert::value(std::move(o), column); },
        /*allowScript*/ false);
}

template<typename T, typename Convert>
QFuture<T> ConnectionPrivate::enqueueBatch(const QString &sql, const QList<QVariantList> &rows,
                                           const QueryOptions &queryOptions, bool keepResults, Convert convert)
{
    // libpq 15 accepts COPY in pipeline mode and then never leaves the COPY state.
    if (sql.trimmed().startsWith(u"COPY", Qt::CaseInsensitive))
        return Private::failedFuture<T>(InterfaceError(QStringLiteral("COPY cannot run in a batch; use the copy methods")));
    std::optional<InterfaceError> error;
    std::unique_ptr<Operation> op;
    try {
        op = makeOperation(sql, {}, queryOptions, false, &error);
    } catch (const QException &e) {
        return Private::failedFuture<T>(e);
    }
    if (!op)
        return Private::failedFuture<T>(*error);
    if (rows.isEmpty()) {
        if constexpr (std::is_void_v<T>)
            return QtFuture::makeReadyFuture();
        else
            return QtFuture::makeReadyFuture(convert(Outcome{}));
    }
    op->kind = Operation::Kind::Batch;
    op->keepBatchResults = keepResults;
    // Row lengths and values no encoder takes are found before anything is sent; the rows are
    // encoded as they are sent.
    auto encoder = std::make_shared<Private::BatchRowEncoder>();
    QString invalid;
    if (!encoder->prepare(rows, [this](const QVariant &value) { return encodeArgument(value); }, &invalid))
        return Private::failedFuture<T>(InterfaceError(invalid));
    op->batchEncoder = std::move(encoder);
    op->batchInput = rows;
    QFuture<T> future = Private::bindPromise<T>(*op, std::move(convert));
    enqueueOperation(std::move(op));
    return future;
}

QFuture<void> Connection::executeMany(const QString &sql, const QList<QVariantList> &rows, const QueryOptions &options)
{
    return d->enqueueBatch<void>(sql, rows, options, false, [](Outcome &&) {});
}

QFuture<RecordList> Connection::fetchMany(const QString &sql, const QList<QVariantList> &rows, const QueryOptions &options)
{
    return d->enqueueBatch<RecordList>(sql, rows, options, true, &Private::Convert::batchRecords);
}

QFuture<void> Connection::setTypeCodec(const QString &typeName, QMetaType qtType,
                                       std::function<QByteArray(const QVariant &)> encoder,
                                       std::function<QVariant(const QByteArray &)> decoder)
{
    // The type's OID is looked up once; the codec applies to queries queued after this completes.
    // If the connection goes first, the promise is dropped and the caller's future is cancelled.
    auto installed = std::make_shared<QPromise<void>>();
    installed->start();
    const QFuture<void> result = installed->future();
    Private::whenFinished<QVariant>(fetchValue(QStringLiteral("SELECT $1::regtype::oid"), {typeName}), this,
                                    [this, installed, qtType, encoder, decoder](const QFuture<QVariant> &looked) {
        try {
            const QVariant oid = looked.result();
            auto codecs = std::make_shared<Private::CustomCodecs>(d->customCodecs ? *d->customCodecs : Private::CustomCodecs());
            Private::CustomCodec codec{oid.toUInt(), qtType, encoder, decoder};
            codecs->byType.insert(codec.typeOid, codec);
            if (qtType.isValid())
                codecs->typeByQtType.insert(qtType.id(), codec.typeOid);
            d->customCodecs = codecs;
            // Statements described before may ask for binary results of this type.
            d->statementCache.clear(/*serverDropped*/ false);
        } catch (const QException &e) {
            installed->setException(e);
        } catch (...) {
            installed->setException(std::current_exception());
        }
        installed->finish();
    });
    return result;
}

Transaction Connection::transaction(const TransactionOptions &options)
{
    return Transaction(this, options);
}

QFuture<void> Connection::addListener(const QString &channel, std::function<void(const Notification &)> callback)
{
    if (d->options.pgBouncerMode == PgBouncerMode::Transaction) {
        // The LISTEN would hold for one transaction's server session only; notifications never come.
        return Private::failedFuture<void>(
            InterfaceError(QStringLiteral("LISTEN cannot work through PgBouncer in transaction mode: "
                                          "listen on a direct connection or through session mode")));
    }
    const bool first = !d->listeners.contains(channel);
    d->listeners[channel].append(std::move(callback));
    if (!first)
        return QtFuture::makeReadyFuture();
    auto promise = std::make_shared<QPromise<void>>();
    promise->start();
    QPointer<Connection> self(this);
    d->enqueueWithCallbacks(
        QStringLiteral("LISTEN ") + quoteIdentifier(channel), {}, {}, /*allowScript*/ true,
        [promise](Outcome &&) { promise->finish(); },
        [promise, self, channel](const QException &error) {
            // The server does not listen: forget the channel, or the next addListener would not
            // issue LISTEN again.
            if (self)
                self->d->listeners.remove(channel);
            promise->setException(error);
            promise->finish();
        });
    return promise->future();
}

QFuture<void> Connection::removeListener(const QString &channel)
{
    if (!d->listeners.remove(channel))
        return QtFuture::makeReadyFuture();
    return d->enqueue<void>(QStringLiteral("UNLISTEN ") + quoteIdentifier(channel), {}, {}, [](Outcome &&) {});
}

QStringList Connection::listenedChannels() const
{
    return d->listeners.keys();
}

std::chrono::milliseconds Connection::commandTimeout() const
{
    return d->options.commandTimeout;
}

void Connection::setCommandTimeout(std::chrono::milliseconds timeout)
{
    d->options.commandTimeout = timeout;
}

int Connection::backendPid() const
{
    return d->backendPid;
}

int Connection::serverVersion() const
{
    return d->serverVersion;
}

QString Connection::parameterStatus(const QString &name) const
{
    if (!d->conn)
        return QString();
    return QString::fromUtf8(PQparameterStatus(d->conn, name.toUtf8().constData()));
}

Connection::TransactionStatus Connection::transactionStatus() const
{
    if (!d->conn)
        return TransactionStatus::Unknown;
    switch (PQtransactionStatus(d->conn)) {
    case PQTRANS_IDLE: return TransactionStatus::Idle;
    case PQTRANS_ACTIVE: return TransactionStatus::Active;
    case PQTRANS_INTRANS: return TransactionStatus::InTransaction;
    case PQTRANS_INERROR: return TransactionStatus::InError;
    case PQTRANS_UNKNOWN: break;
    }
    return TransactionStatus::Unknown;
}

bool Connection::isBusy() const
{
    return !d->queue.empty();
}

int Connection::pendingOperations() const
{
    return int(d->queue.size());
}

qint64 Connection::queryCount() const
{
    return d->queryCount;
}

QString Connection::currentQuery() const
{
    if (!d->running)
        return QString();
    const Private::Operation &op = *d->queue.front();
    return op.label.isEmpty() ? op.sql : op.label;
}

bool Connection::cancel()
{
    if (!d->running || !d->conn)
        return false;
    d->requestCancel();
    return true;
}

QFuture<void> Connection::close()
{
    switch (d->state) {
    case State::Closed:
        return QtFuture::makeReadyFuture();
    case State::Disconnected:
        d->setState(State::Closed);
        return QtFuture::makeReadyFuture();
    case State::Connecting:
        terminate();
        return QtFuture::makeReadyFuture();
    case State::Ready:
        d->setState(State::Closing);
        break;
    case State::Closing:
        break;
    }
    d->closePromises.emplace_back();
    d->closePromises.back().start();
    QFuture<void> future = d->closePromises.back().future();
    d->maybeFinishClose();
    return future;
}

void Connection::terminate()
{
    if (d->state == State::Closed)
        return;
    const bool connecting = d->state == State::Connecting;
    d->finishConnection();
    d->setState(State::Closed);
    const QPointer<Connection> alive(this); // a failed operation's callback may delete it
    if (connecting && d->openPromise) {
        std::optional<QPromise<void>> promise = std::exchange(d->openPromise, std::nullopt);
        promise->setException(ConnectionError(QStringLiteral("the connection was terminated while connecting")));
        promise->finish();
    }
    if (!alive)
        return;
    d->failAll(ConnectionLostError(QStringLiteral("the connection was terminated")));
    if (alive)
        d->maybeFinishClose();
    if (alive && !d->suppressSignals)
        Q_EMIT closed();
}

} // namespace QPg
