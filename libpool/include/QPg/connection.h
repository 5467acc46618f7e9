// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/connectoptions.h>
#include <QPg/copy.h>
#include <QPg/cursor.h>
#include <QPg/errors.h>
#include <QPg/qpgpool_export.h>
#include <QPg/record.h>
#include <QPg/reply.h>
#include <QPg/transaction.h>
#include <QPg/variadicqueries.h>

#include <QtCore/QFuture>
#include <QtCore/QObject>
#include <QtCore/QVariant>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>

namespace QPg {

// Per-call settings of a query.
struct QueryOptions
{
    // Command timeout for this call; unset uses the connection's default, zero disables it.
    std::optional<std::chrono::milliseconds> timeout;
    // fetchValue(): the column whose value is returned.
    int column = 0;
    // Shown by currentQuery() (and the pool's ConnectionInfo) while this call runs, instead of its
    // SQL: say, the query a cursor's FETCH reads. Empty: the SQL itself.
    QString label;
};

// A NOTIFY received on a channel this connection listens to.
struct Notification
{
    QString channel;
    QString payload;
    int processId = 0; // backend pid of the notifying session
};

// A NOTICE, WARNING or other non-error message from the server.
struct Notice
{
    QString severity;
    QString sqlState;
    QString message;
    QString detail;
    QString hint;
};

class ConnectionPrivate;

// One PostgreSQL session driven by the Qt event loop of the thread it lives in: libpq's non-blocking
// API, socket notifiers, no call that blocks the loop. Operations return QFutures (awaitable with
// QCoro) and run one at a time in the order they were called.
class QPGPOOL_EXPORT Connection : public QObject, public VariadicQueries<Connection>
{
    Q_OBJECT
public:
    enum class State { Disconnected, Connecting, Ready, Closing, Closed };
    Q_ENUM(State)
    enum class TransactionStatus { Idle, Active, InTransaction, InError, Unknown };
    Q_ENUM(TransactionStatus)

    explicit Connection(const ConnectOptions &options, QObject *parent = nullptr);
    explicit Connection(const QString &dsn, QObject *parent = nullptr);
    // Terminates the session if it is still open; pending operations fail with ConnectionLostError.
    ~Connection() override;

    // Connects. Fails with ConnectionError (TimeoutError after connectTimeout, a ServerError such
    // as InvalidPasswordError when the server refused). Calling it again returns the same future.
    QFuture<void> open();

    State state() const;
    bool isReady() const { return state() == State::Ready; }
    bool isClosed() const { return state() == State::Closed; }
    const ConnectOptions &options() const;

    // Runs a command and gives its status tag ("INSERT 0 1"). Without arguments the text may hold
    // several statements separated by semicolons (simple protocol); the last tag is returned.
    QFuture<QString> execute(const QString &sql, const QVariantList &args = {}, const QueryOptions &options = {});
    // All rows of the result.
    QFuture<RecordList> fetch(const QString &sql, const QVariantList &args = {}, const QueryOptions &options = {});
    // The first row, or an invalid Record when there is none.
    QFuture<Record> fetchRow(const QString &sql, const QVariantList &args = {}, const QueryOptions &options = {});
    // One value of the first row (options.column), or an invalid QVariant when there is no row.
    QFuture<QVariant> fetchValue(const QString &sql, const QVariantList &args = {}, const QueryOptions &options = {});

    // The same with a callback instead of a future (no QFuture, no result store): onReply gets the
    // outcome in context's thread, at once when that is this connection's thread, queued
    // otherwise; exactly once, or never when context is destroyed first, and never before the call
    // has returned. What it throws is caught and logged. Call them in the connection's thread.
    void execute(const QString &sql, const QVariantList &args, const QObject *context,
                 std::function<void(Reply<QString>)> onReply, const QueryOptions &options = {});
    void fetch(const QString &sql, const QVariantList &args, const QObject *context,
               std::function<void(Reply<RecordList>)> onReply, const QueryOptions &options = {});
    void fetchRow(const QString &sql, const QVariantList &args, const QObject *context,
                  std::function<void(Reply<Record>)> onReply, const QueryOptions &options = {});
    void fetchValue(const QString &sql, const QVariantList &args, const QObject *context,
                    std::function<void(Reply<QVariant>)> onReply, const QueryOptions &options = {});

    // Rows as a Q_GADGET type, filled by column name (see recordAs()).
    template<typename T>
    QFuture<QList<T>> fetchAs(const QString &sql, const QVariantList &args = {}, const QueryOptions &options = {})
    {
        return fetch(sql, args, options).then([](const RecordList &rows) { return recordsAs<T>(rows); });
    }

    // Variadic forms: execute(sql, 1, u"two"_s, QDate::currentDate()).
    using VariadicQueries<Connection>::execute;
    using VariadicQueries<Connection>::fetch;
    using VariadicQueries<Connection>::fetchRow;
    using VariadicQueries<Connection>::fetchValue;

    // Runs sql once per row of parameters, pipelined in one round trip. Atomic: when any row fails
    // none is kept (outside an explicit transaction; inside one, the transaction is aborted).
    QFuture<void> executeMany(const QString &sql, const QList<QVariantList> &rows, const QueryOptions &options = {});
    // Like executeMany, and returns the rows every execution produced, in order.
    QFuture<RecordList> fetchMany(const QString &sql, const QList<QVariantList> &rows, const QueryOptions &options = {});

    // A server-side cursor over sql (see Cursor); rows are fetched in chunks as the caller asks.
    Cursor cursor(const QString &sql, const QVariantList &args = {});
    // Streams the result through onChunk, chunkSize rows at a time, in bounded memory; onChunk
    // returns false to stop early. Gives the number of rows delivered.
    QFuture<qint64> stream(const QString &sql, const QVariantList &args,
                           std::function<bool(const RecordList &chunk)> onChunk, int chunkSize = 10000);

    // The rows of one query as the server makes them: a plain query in libpq's single-row mode,
    // with no cursor and no transaction of its own, so the server streams the rows while it
    // computes them (a cursor's FETCH computes its whole chunk before sending any). The rows are
    // gathered into chunks of at most chunkRows, or whatever has come within 20 ms, and handed to
    // onRows in context's thread, in order, and all before the future finishes. The future gives
    // the result's header: a Record without values whose columnNames() are the query's columns,
    // also when there were no rows. Outside a transaction the rows come in binary when every
    // column has a binary decoder (the statement is first run with LIMIT 0 for its column types).
    // There is no back-pressure but TCP's: chunks queue up in
    // context's thread while it is busy. Rows handed over stay delivered if the query fails later.
    // Stop early with cancel() or by cancelling the future (the server cancels the query). Nothing
    // is called once context is destroyed; the future is then cancelled.
    QFuture<Record> streamRows(const QString &sql, const QVariantList &args, QObject *context,
                               std::function<void(RecordList &&rows)> onRows, int chunkRows = 10000,
                               const QueryOptions &options = {});

    // COPY, streamed in bounded memory; each gives the number of rows copied. Cancelling the future
    // stops the COPY (the server rolls it back); a failed COPY leaves the table as it was and the
    // ServerError's context() names the line.
    QFuture<qint64> copyFromTable(const QString &table, const CopyOutput &output, const CopyOptions &options = {});
    QFuture<qint64> copyFromQuery(const QString &query, const CopyOutput &output, const CopyOptions &options = {});
    QFuture<qint64> copyToTable(const QString &table, const CopyInput &input, const CopyOptions &options = {});
    // Rows of values (in the order of options.columns, or the table's) into the table.
    QFuture<qint64> copyRecordsToTable(const QString &table, const QList<QVariantList> &records,
                                       const CopyOptions &options = {});

    // Decodes values of typeName with decoder and sends values of qtType as typeName with encoder,
    // both in PostgreSQL's text format (asyncpg's set_type_codec). Takes effect for queries made
    // after the future finishes; usable from a pool's init or setup hook.
    QFuture<void> setTypeCodec(const QString &typeName, QMetaType qtType,
                               std::function<QByteArray(const QVariant &value)> encoder,
                               std::function<QVariant(const QByteArray &text)> decoder);

    // A transaction helper: start() begins it (a savepoint when one is already open), commit() or
    // rollback() ends it, and destroying it unfinished rolls back.
    Transaction transaction(const TransactionOptions &options = {});

    // LISTEN on channel; callback runs for each notification on it (the notification() signal fires
    // for every channel too).
    QFuture<void> addListener(const QString &channel, std::function<void(const Notification &)> callback);
    // Drops the channel's callbacks and UNLISTENs.
    QFuture<void> removeListener(const QString &channel);
    QStringList listenedChannels() const;

    std::chrono::milliseconds commandTimeout() const;
    void setCommandTimeout(std::chrono::milliseconds timeout);

    int backendPid() const;
    int serverVersion() const; // e.g. 150018
    QString parameterStatus(const QString &name) const;
    TransactionStatus transactionStatus() const;
    // True while an operation runs or waits in the queue.
    bool isBusy() const;
    int pendingOperations() const;
    // Statements this session has run (every command sent, scripts count once).
    qint64 queryCount() const;
    // The statement currently running on the server (or the label its QueryOptions gave), empty
    // when idle.
    QString currentQuery() const;

    // Asks the server to cancel the command running now (from the thread pool: libpq 15's cancel
    // blocks). The command then fails with QueryCanceledError; queued ones are untouched. Returns
    // false when nothing runs.
    bool cancel();

    // Waits for queued operations, then ends the session politely.
    QFuture<void> close();
    // Ends the session now; queued and running operations fail with ConnectionLostError.
    void terminate();

Q_SIGNALS:
    void stateChanged(QPg::Connection::State state);
    void notification(const QPg::Notification &notification);
    void notice(const QPg::Notice &notice);
    // The session ended without close() or terminate() (server closed it, network failure).
    void connectionLost(const QString &reason);
    void closed();
    // COPY progress: bytes and rows transferred so far.
    void copyProgress(qint64 bytes, qint64 rows);

private:
    friend class ConnectionPrivate;
    friend class PoolPrivate;
    friend class Pool;
    friend class Transaction;
    friend struct CursorData;
    friend class PooledConnection; // streamRows() from another thread
    std::unique_ptr<ConnectionPrivate> const d;
};

} // namespace QPg

Q_DECLARE_METATYPE(QPg::Notification)
Q_DECLARE_METATYPE(QPg::Notice)
