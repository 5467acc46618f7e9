// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include "connectparams_p.h"
#include "operation_p.h"
#include "typecodecs_p.h"

#include <QPg/connection.h>

#include <QtCore/QElapsedTimer>
#include <QtCore/QHash>
#include <QtCore/QPointer>
#include <QtCore/QSocketNotifier>
#include <QtCore/QTimer>

#include <deque>
#include <memory>
#include <string_view>

namespace QPg {

namespace Private {
class RowStream; // rowstream_p.h
}

class ConnectionPrivate
{
public:
    ConnectionPrivate(Connection *q, const ConnectOptions &options);
    ~ConnectionPrivate();
    static ConnectionPrivate *get(Connection *connection) { return connection->d.get(); }

    // Connecting.
    QFuture<void> open();
    void resolveHosts();
    void startAttempts();
    void startConnect();
    void pollConnect();
    void connectSucceeded();
    // One target of the connection string failed: try the next one, or fail the open.
    void attemptFailed(const QString &libpqMessage, bool timedOut);
    void attemptTimedOut();
    void connectFailed(const QException &error);

    // Socket plumbing.
    void updateSocket();
    void onReadable();
    void onWritable();
    bool flush();

    // Operations.
    template<typename T, typename Convert>
    QFuture<T> enqueue(const QString &sql, const QVariantList &args, const QueryOptions &options,
                       Convert convert, bool allowScript = true);
    // Queues a command whose callbacks the caller provides (the pool's one-shot helpers use it to
    // release before delivering). Returns false, having called fail, when it cannot be queued.
    // target becomes the operation's (what the callbacks work on).
    bool enqueueWithCallbacks(const QString &sql, const QVariantList &args, const QueryOptions &options,
                              bool allowScript, std::function<void(Private::Outcome &&)> complete,
                              std::function<void(const QException &)> fail, std::shared_ptr<void> target = {});
    // Queues a simple-protocol script whose text makeSql builds when it is about to be sent.
    bool enqueueScriptAtSend(std::function<QString()> makeSql, const QueryOptions &options,
                             std::function<void(Private::Outcome &&)> complete,
                             std::function<void(const QException &)> fail);
    std::unique_ptr<Private::Operation> makeOperation(const QString &sql, const QVariantList &args,
                                                      const QueryOptions &options, bool allowScript,
                                                      std::optional<InterfaceError> *error);
    // makeOperation into an operation made by the caller; false (and *error) when it cannot run.
    bool initOperation(Private::Operation &op, const QString &sql, const QVariantList &args,
                       const QueryOptions &options, bool allowScript, std::optional<InterfaceError> *error);
    void noteSessionChange(std::string_view commandTag);
    Private::EncodedParameter encodeArgument(const QVariant &value) const;
    template<typename T, typename Convert>
    QFuture<T> enqueueBatch(const QString &sql, const QList<QVariantList> &rows, const QueryOptions &options,
                            bool keepResults, Convert convert);
    QFuture<qint64> startCopyOut(const QString &sql, const CopyOutput &output, const CopyOptions &options);
    QFuture<qint64> startCopyIn(const QString &sql, std::unique_ptr<Private::CopyInSource> source,
                                const CopyOptions &options);
    void enqueueOperation(std::unique_ptr<Private::Operation> op);
    void sendNext();
    bool sendPrelude(Private::Operation &op);
    bool sendMain(Private::Operation &op);
    bool sendBatch(Private::Operation &op);
    bool sendBatchRows(Private::Operation &op);
    bool isStreamingBatch() const;
    bool sendCached(Private::Operation &op);
    void recordDescription(Private::Operation &op, const PGresult *description);
    bool retryAfterStalePlan(Private::Operation &op);
    // COPY (copy.cpp). Both return false while waiting for more data or room.
    bool receiveCopyData(Private::Operation &op);
    bool sendCopyData(Private::Operation &op);
    void reportCopyProgress(const Private::Operation &op);
    // Single-row streams (rowstream.cpp). stream was made in the caller's thread.
    void startStream(const QString &sql, const QVariantList &args, const QueryOptions &options, int chunkRows,
                     const std::shared_ptr<Private::RowStream> &stream);
    void appendStreamRow(Private::Operation &op, Private::PGresultPtr row);
    void handOverStreamChunk(Private::Operation &op);
    void onStreamTimer();
    void processResults();
    void completeCurrent();
    void drainNotifications();
    void emitPendingNotices();

    // Timeouts and cancellation.
    void onCommandTimeout();
    void requestCancel();

    // Teardown.
    void connectionBroken(const QString &reason);
    void failAll(const QException &error);
    void finishConnection();
    void setState(Connection::State newState);
    void maybeFinishClose();

    static void noticeReceiver(void *arg, const PGresult *result);

    Connection *const q;
    ConnectOptions options;
    Connection::State state = Connection::State::Disconnected;
    PGconn *conn = nullptr;
    std::unique_ptr<Private::ConnectParams> params;
    // Where a multi-host open is: which pass of target_session_attrs, which target, and what the
    // targets tried so far said.
    qsizetype connectPass = 0;
    qsizetype connectTarget = 0;
    QStringList attemptErrors;
    bool onlyTimeouts = true;

    QSocketNotifier *readNotifier = nullptr;
    QSocketNotifier *writeNotifier = nullptr;
    int socket = -1;
    bool flushing = false;
    bool inCopyOut = false;
    bool inCopyIn = false;

    // Children of q, so they follow it to another thread.
    QTimer *connectTimer;
    QTimer *commandTimer;
    QTimer *cancelGraceTimer;
    QTimer *streamTimer; // hands over a stream's chunk that has not filled up in time
    std::shared_ptr<PGcancel> cancelHandle;
    int cancelsInFlight = 0;

    std::optional<QPromise<void>> openPromise;
    QFuture<void> openFuture;
    std::vector<QPromise<void>> closePromises;
    bool suppressSignals = false;

    std::deque<std::unique_ptr<Private::Operation>> queue; // front is running once `running` is set
    bool running = false;
    QElapsedTimer runningSince;
    qint64 queryCount = 0;

    int backendPid = 0;
    int serverVersion = 0;

    QHash<QString, QList<std::function<void(const Notification &)>>> listeners;
    QList<Notice> pendingNotices;
    Private::StatementCache statementCache;
    Private::SqlFactsCache sqlFacts;
    Private::CustomCodecsPtr customCodecs;
    QHash<QString, Private::TableColumns> tableColumns; // by qualified table name
    // The pool drops every connection's cache when one of them meets a stale plan.
    std::function<void()> onStatementCacheInvalidated;

    // Set when a command may have changed session state (SET, LISTEN, advisory locks...); the pool's
    // Smart reset policy runs its reset query only then.
    bool sessionChanged = false;
    // A command failed with a disconnect-class SQLSTATE (08, 57P..): the pool does not reuse it.
    bool sawDisconnectError = false;
    int nextSavepoint = 0;
    int nextCursor = 0;
    int transactionDepth = 0;
    // Bumped by the pool when a checkout ends. Transactions and cursors remember the epoch they were
    // made in and fail with ConnectionReleasedError once it has moved on.
    quint64 leaseEpoch = 0;
    // A command may have created temporary objects (CREATE TEMP ...): the reset adds DISCARD TEMP.
    bool tempObjectsCreated = false;
};

} // namespace QPg
