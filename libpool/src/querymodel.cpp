// SPDX-License-Identifier: MIT
#include <QPg/querymodel.h>

#include <QPg/pool.h>

#include "logging_p.h"
#include "marshal_p.h"
#include "resultdata_p.h"
#include "rowdiff_p.h"
#include "sqlmask_p.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonValue>
#include <QtCore/QPointer>
#include <QtCore/QRegularExpression>
#include <QtCore/QTimer>
#include <QtCore/QUuid>

#include <algorithm>

using namespace Qt::Literals::StringLiterals;

namespace QPg {

namespace {

// The model's own cursor, one per checkout, so its DECLARE prefix is known and server error
// positions can be mapped back to the query as given.
const QString CursorName = u"qpg_model_rows"_s;
const QString CursorPrefix = u"DECLARE qpg_model_rows NO SCROLL CURSOR FOR "_s;
constexpr int DisplayLength = 200; // long cells are cut for display; EditRole has the whole value
constexpr std::chrono::milliseconds RelistenDelay{1000};
// FETCHes kept in flight when reading eagerly: the server makes the next chunk while this thread
// hands the previous one to the views.
constexpr int ReadAhead = 2;
// Reading eagerly, each FETCH asks for twice the rows of the one before, up to this many (or the
// chunk size when that is larger): the first rows still come quickly, a long result costs a few
// round trips (each a pause of the server) instead of one per chunk, and the GUI thread takes in
// at most this many rows at a time.
constexpr int MaxGrownFetch = 65536;

// Statements a cursor can read: one row-returning statement that modifies nothing (a DECLARE
// refuses data-modifying WITH and FOR UPDATE anyway, and the error would be confusing).
bool readsThroughCursor(const QString &sql)
{
    QString body = Private::maskSqlQuotes(sql).trimmed();
    while (body.endsWith(u';'))
        body = body.chopped(1).trimmed();
    if (body.contains(u';'))
        return false; // several statements: run them whole
    static const QRegularExpression readOnly(u"^\\(*\\s*(SELECT|WITH|VALUES|TABLE)\\b"_s,
                                             QRegularExpression::CaseInsensitiveOption);
    static const QRegularExpression modifying(
        u"\\b(INSERT|UPDATE|DELETE|MERGE|INTO|FOR\\s+(UPDATE|SHARE|NO\\s+KEY|KEY))\\b"_s,
        QRegularExpression::CaseInsensitiveOption);
    return readOnly.match(body).hasMatch() && !modifying.match(body).hasMatch();
}

bool isNumericType(quint32 oid)
{
    switch (oid) {
    case 20: // int8
    case 21: // int2
    case 23: // int4
    case 26: // oid
    case 700: // float4
    case 701: // float8
    case 790: // money
    case 1700: // numeric
        return true;
    default:
        return false;
    }
}

// A copy of the error held in failure, of its own type; a server error's position is moved back by
// prefixLength so it counts characters of the query as the caller gave it.
std::unique_ptr<Error> typedError(const std::exception_ptr &failure, int prefixLength)
{
    try {
        std::rethrow_exception(failure);
    } catch (const ServerError &e) {
        ServerErrorFields fields = e.fields();
        fields.position = fields.position > prefixLength ? fields.position - prefixLength : 0;
        return ServerError::create(fields);
    } catch (const Error &e) {
        return std::unique_ptr<Error>(e.clone());
    } catch (const std::exception &e) {
        return std::make_unique<Error>(QString::fromUtf8(e.what()));
    } catch (...) {
        return std::make_unique<Error>(u"unknown error"_s);
    }
}

} // namespace

// One run of the query: its checkout, and where the cursor stands.
struct QueryRun
{
    PooledConnection handle;
    bool cursor = false;   // reading through CursorName
    bool busy = false;     // a step other than FETCH is in flight, or rows are being handed over
    int fetchesInFlight = 0;
    int rowsRequested = 0; // by the FETCHes in flight
    int nextFetch = 0;     // rows the next eager FETCH asks for (grows from the chunk size)
    bool atEnd = false;
    bool canceled = false;
    bool refresh = false;  // rows go to pending and replace the model's in one step
    int refreshRows = 0;   // rows the first FETCH of a refresh reads
    RecordList pending;
};

class QueryModelPrivate
{
public:
    explicit QueryModelPrivate(QueryModel *q)
        : q(q)
    {
        debounce.setSingleShot(true);
        relisten.setSingleShot(true);
        QObject::connect(&debounce, &QTimer::timeout, q, [this] { refreshFromNotify(); });
        QObject::connect(&relisten, &QTimer::timeout, q, [this] { listen(/*refreshAfter*/ true); });
    }

    void start(bool refresh);
    void abandon();
    void onAcquired(const std::shared_ptr<QueryRun> &run, const QFuture<PooledConnection> &acquired);
    void stream(const std::shared_ptr<QueryRun> &run);
    bool fetchNext(const std::shared_ptr<QueryRun> &run);
    void readAhead(const std::shared_ptr<QueryRun> &run);
    void onChunk(const std::shared_ptr<QueryRun> &run, int asked, RecordList chunk,
                 std::shared_ptr<const ResultData> fetched = {});
    void finishRun(const std::shared_ptr<QueryRun> &run);
    void fail(const std::shared_ptr<QueryRun> &run, const std::exception_ptr &failure, int prefixLength);
    void append(RecordList &&chunk);
    void append(const std::shared_ptr<const ResultData> &fetched, int count);
    void replaceRows(const RecordList &fresh);
    void setColumns(const QStringList &names);
    void setStatus(QueryModel::Status status);
    int loadedRows(const QueryRun &run) const { return int(run.refresh ? run.pending.size() : rows.size()); }
    // The cursor's DECLARE and FETCHes show the query they read in the pool's connection info.
    QueryOptions labelled() const
    {
        QueryOptions options;
        options.label = sql; // shared, not copied
        return options;
    }
    QList<QString> keysOf(const RecordList &list) const;

    void listen(bool refreshAfter);
    void stopListening();
    void refreshFromNotify();

    QueryModel *const q;
    QPointer<Pool> pool;
    QString sql;
    QVariantList args;
    QueryModel::Status status = QueryModel::Status::Idle;
    std::unique_ptr<Error> error;
    QString commandTag;
    bool truncated = false;
    QueryModel::FetchMode fetchMode = QueryModel::FetchMode::OnDemand;
    int chunkSize = 256;
    int rowLimit = 0;
    QStringList keyColumns;
    RecordList rows;
    QStringList columns;
    int hiddenColumns = 0; // trailing columns kept from views (a subclass's own)
    int visibleColumns() const { return std::max(0, int(columns.size()) - hiddenColumns); }
    std::shared_ptr<QueryRun> run;
    bool refreshAgain = false;

    QString channel;
    QTimer debounce;
    QTimer relisten;
    PooledConnection listener;
    quint64 listenGeneration = 0;
    bool listening = false;
};

void QueryModelPrivate::setStatus(QueryModel::Status next)
{
    if (status == next)
        return;
    status = next;
    Q_EMIT q->statusChanged(status);
}

void QueryModelPrivate::setColumns(const QStringList &names)
{
    if (columns == names)
        return;
    q->beginResetModel();
    columns = names;
    rows.clear();
    q->endResetModel();
    Q_EMIT q->columnsChanged();
}

void QueryModelPrivate::abandon()
{
    if (!run)
        return;
    const std::shared_ptr<QueryRun> old = std::exchange(run, nullptr);
    old->canceled = true;
    if (old->handle.isValid()) {
        if (old->busy || old->fetchesInFlight > 0)
            old->handle.cancel();
        old->handle.release(); // the pool's reset rolls the cursor's transaction back
    }
}

void QueryModelPrivate::start(bool refresh)
{
    abandon();
    refreshAgain = false;
    error.reset();
    commandTag.clear();
    truncated = false;
    if (!refresh) {
        const bool hadColumns = !columns.isEmpty();
        q->beginResetModel();
        rows.clear();
        columns.clear();
        q->endResetModel();
        if (hadColumns)
            Q_EMIT q->columnsChanged();
    }
    if (!pool || sql.isEmpty()) {
        setStatus(QueryModel::Status::Idle);
        return;
    }
    auto next = std::make_shared<QueryRun>();
    next->refresh = refresh;
    next->refreshRows = std::max(chunkSize, int(rows.size()));
    next->busy = true;
    run = next;
    setStatus(QueryModel::Status::Loading);
    AcquireOptions options;
    options.tag = u"QueryModel"_s;
    Private::whenFinishedLater<PooledConnection>(pool->acquire(options), q,
                                            [this, next](const QFuture<PooledConnection> &acquired) {
                                                onAcquired(next, acquired);
                                            });
}

void QueryModelPrivate::onAcquired(const std::shared_ptr<QueryRun> &current, const QFuture<PooledConnection> &acquired)
{
    if (const std::exception_ptr failure = Private::errorOf(acquired)) {
        if (current == run)
            fail(current, failure, 0);
        return;
    }
    current->handle = acquired.result();
    if (current != run) {
        current->handle.release();
        return;
    }
    if (current->canceled) {
        current->busy = false;
        finishRun(current);
        return;
    }
    if (!readsThroughCursor(sql)) {
        // Run whole: statements a cursor cannot hold (DML with RETURNING, utility commands).
        // fetchRow's record carries the whole result, and with it the command tag.
        Private::whenFinishedLater<Record>(current->handle.fetchRow(sql, args), q, [this, current](const QFuture<Record> &f) {
            if (current != run)
                return;
            if (const std::exception_ptr failure = Private::errorOf(f)) {
                current->busy = false;
                fail(current, failure, 0);
                return;
            }
            const std::shared_ptr<const ResultData> result = ResultData::resultOf(f.result());
            RecordList all = result ? ResultData::records(result) : RecordList();
            commandTag = result ? result->commandTag() : QString();
            if (all.isEmpty() && result && columns.isEmpty() && !current->refresh)
                setColumns(result->columnNames()); // no rows, but a grid with its headers
            if (rowLimit > 0 && all.size() > rowLimit) {
                all.resize(rowLimit);
                truncated = true;
            }
            current->atEnd = true;
            if (current->refresh)
                current->pending = all;
            onChunk(current, int(all.size()) + 1, current->refresh ? RecordList() : all);
        });
        return;
    }
    if (fetchMode == QueryModel::FetchMode::Eager && rowLimit == 0) {
        stream(current);
        return;
    }
    current->cursor = true;
    // Read to the end, so the planner should favour the whole result over the first rows.
    current->handle.execute(fetchMode == QueryModel::FetchMode::Eager
                                ? u"BEGIN; SET LOCAL cursor_tuple_fraction = 1"_s
                                : u"BEGIN"_s);
    Private::whenFinishedLater<QString>(current->handle.execute(CursorPrefix + sql, args, labelled()), q,
                                   [this, current](const QFuture<QString> &declared) {
                                       if (current != run)
                                           return;
                                       if (const std::exception_ptr failure = Private::errorOf(declared)) {
                                           current->busy = false;
                                           fail(current, failure, int(CursorPrefix.size()));
                                           return;
                                       }
                                       current->busy = false;
                                       if (current->canceled) {
                                           finishRun(current);
                                           return;
                                       }
                                       if (fetchMode == QueryModel::FetchMode::Eager)
                                           readAhead(current);
                                       else if (current->fetchesInFlight == 0 && !current->atEnd)
                                           fetchNext(current);
                                   });
    // The first FETCH goes out right behind the DECLARE rather than after its answer came through
    // this thread. Should the DECLARE fail, its callback (delivered first) ends the run, and the
    // FETCH's own failure is ignored.
    if (fetchMode == QueryModel::FetchMode::Eager)
        readAhead(current);
    else
        fetchNext(current);
}

// Reading everything, with no limit to stop at, the rows come in one plain query as the server
// makes them (Connection::streamRows) rather than through a cursor, whose FETCHes each compute
// their whole chunk on the server before sending it. The run stays busy: cancel() cancels on the
// server, and views find nothing to fetch.
void QueryModelPrivate::stream(const std::shared_ptr<QueryRun> &current)
{
    const auto onRows = [this, current](RecordList &&rows) {
        if (current != run || current->canceled)
            return;
        if (current->refresh) {
            current->pending += rows;
            return;
        }
        if (columns.isEmpty())
            setColumns(rows.first().columnNames());
        append(std::move(rows));
    };
    const int chunkRows = std::max(chunkSize, MaxGrownFetch);
    Private::whenFinishedLater<Record>(
        current->handle.streamRows(sql, args, q, onRows, chunkRows, labelled()), q,
        [this, current](const QFuture<Record> &f) {
            if (current != run)
                return;
            current->busy = false;
            if (const std::exception_ptr failure = Private::errorOf(f)) {
                fail(current, failure, 0);
                return;
            }
            current->atEnd = true;
            if (current->refresh) {
                current->refresh = false;
                const RecordList fresh = std::exchange(current->pending, {});
                setColumns(f.result().columnNames());
                replaceRows(fresh);
                Q_EMIT q->refreshed();
                if (current != run)
                    return; // a slot started another query
            } else if (columns.isEmpty()) {
                setColumns(f.result().columnNames()); // no rows, but a grid with its headers
            }
            finishRun(current);
        });
}

// Sends one FETCH; false when the row limit leaves nothing to ask for.
bool QueryModelPrivate::fetchNext(const std::shared_ptr<QueryRun> &current)
{
    const int asked = loadedRows(*current) + current->rowsRequested;
    int count = chunkSize;
    if (current->refresh && asked == 0) {
        count = current->refreshRows;
    } else if (fetchMode == QueryModel::FetchMode::Eager) {
        count = std::max(chunkSize, current->nextFetch);
        current->nextFetch = count < MaxGrownFetch / 2 ? count * 2 : std::max(MaxGrownFetch, chunkSize);
    }
    if (rowLimit > 0) // one row more than the limit tells that the result was cut
        count = std::min(count, rowLimit + 1 - asked);
    if (count <= 0)
        return false;
    ++current->fetchesInFlight;
    current->rowsRequested += count;
    setStatus(QueryModel::Status::Loading);
    const QString fetchSql = u"FETCH FORWARD %1 FROM %2"_s.arg(count).arg(CursorName);
    // fetchRow's record carries the whole chunk's result: the Records are made here, once, rather
    // than in the pool's thread and copied again (and an empty chunk still names its columns).
    Private::whenFinishedLater<Record>(current->handle.fetchRow(fetchSql, {}, labelled()), q,
                                      [this, current, count](const QFuture<Record> &f) {
                                          if (current != run)
                                              return;
                                          --current->fetchesInFlight;
                                          current->rowsRequested -= count;
                                          if (current->atEnd)
                                              return; // read ahead past the end: nothing to add
                                          if (const std::exception_ptr failure = Private::errorOf(f)) {
                                              fail(current, failure, 0);
                                              return;
                                          }
                                          const std::shared_ptr<const ResultData> result = ResultData::resultOf(f.result());
                                          if (result && result->rowCount() == 0 && columns.isEmpty())
                                              setColumns(f.result().columnNames());
                                          onChunk(current, count, {}, result);
                                      });
    return true;
}

void QueryModelPrivate::readAhead(const std::shared_ptr<QueryRun> &current)
{
    while (current->fetchesInFlight < ReadAhead && !current->atEnd && fetchNext(current)) {
    }
}

// The rows are chunk, or the first rows of a FETCH's result (fetched), whose Records are made
// straight into the model's list. The run stays busy while they are handed over: views (and Qt's
// model checker) call canFetchMore()/fetchMore() from the signals below, and must not start a
// second FETCH.
void QueryModelPrivate::onChunk(const std::shared_ptr<QueryRun> &current, int asked, RecordList chunk,
                                std::shared_ptr<const ResultData> fetched)
{
    current->busy = true;
    int arrived = fetched ? fetched->rowCount() : int(chunk.size());
    if (arrived < asked)
        current->atEnd = true;
    const int loaded = loadedRows(*current);
    if (rowLimit > 0 && loaded + arrived > rowLimit) {
        arrived = rowLimit - loaded;
        if (!fetched)
            chunk.resize(arrived);
        truncated = true;
        current->atEnd = true;
    }
    if (fetched && current->refresh) {
        for (int row = 0; row < arrived; ++row)
            chunk.append(ResultData::record(fetched, row));
        fetched.reset();
    }
    if (fetched) {
        if (arrived > 0) {
            if (columns.isEmpty())
                setColumns(fetched->columnNames());
            append(fetched, arrived);
        }
    } else if (current->refresh) {
        current->pending += chunk;
        current->refresh = false;
        const RecordList fresh = std::exchange(current->pending, {});
        if (!fresh.isEmpty())
            setColumns(fresh.first().columnNames());
        replaceRows(fresh);
        Q_EMIT q->refreshed();
    } else if (!chunk.isEmpty()) {
        if (columns.isEmpty())
            setColumns(chunk.first().columnNames());
        append(std::move(chunk));
    }
    if (current != run)
        return; // a slot connected to the signals above started another query
    current->busy = false;
    if (current->atEnd || current->canceled) {
        finishRun(current);
        return;
    }
    if (refreshAgain) {
        start(/*refresh*/ true);
        return;
    }
    if (fetchMode == QueryModel::FetchMode::Eager) {
        readAhead(current);
        return;
    }
    if (current->fetchesInFlight == 0)
        setStatus(QueryModel::Status::Ready); // the view asks for more as it scrolls
}

void QueryModelPrivate::finishRun(const std::shared_ptr<QueryRun> &current)
{
    if (current->cursor && current->handle.isValid() && !current->canceled)
        current->handle.execute(u"COMMIT"_s); // what the query did (a function's writes) stays
    if (current->handle.isValid())
        current->handle.release();
    run.reset();
    setStatus(QueryModel::Status::Ready);
    Q_EMIT q->finished();
    if (refreshAgain)
        start(/*refresh*/ true);
}

void QueryModelPrivate::fail(const std::shared_ptr<QueryRun> &current, const std::exception_ptr &failure,
                             int prefixLength)
{
    if (current->canceled) {
        // The user's cancel (the server's QueryCanceledError, or whatever the run was doing when it
        // was stopped): not an error. What was read stays.
        finishRun(current);
        return;
    }
    if (current->handle.isValid())
        current->handle.release();
    run.reset();
    error = typedError(failure, prefixLength);
    truncated = false;
    q->beginResetModel();
    rows.clear();
    q->endResetModel();
    setStatus(QueryModel::Status::Error);
    Q_EMIT q->errorOccurred(error->message());
}

void QueryModelPrivate::append(const std::shared_ptr<const ResultData> &fetched, int count)
{
    const int first = int(rows.size());
    q->beginInsertRows({}, first, first + count - 1);
    if (rows.capacity() < first + count) // grows by doubling, as append() would
        rows.reserve(std::max<qsizetype>(first + count, rows.capacity() * 2));
    for (int row = 0; row < count; ++row)
        rows.append(ResultData::record(fetched, row));
    q->endInsertRows();
}

void QueryModelPrivate::append(RecordList &&chunk)
{
    const int first = int(rows.size());
    q->beginInsertRows({}, first, first + int(chunk.size()) - 1);
    rows.append(std::move(chunk)); // moves the records when the chunk is not shared
    q->endInsertRows();
}

QList<QString> QueryModelPrivate::keysOf(const RecordList &list) const
{
    QList<int> keyIndexes;
    for (const QString &name : keyColumns) {
        const int index = int(columns.indexOf(name));
        if (index < 0)
            return {};
        keyIndexes.append(index);
    }
    if (keyIndexes.isEmpty())
        return {};
    QList<QString> keys;
    keys.reserve(list.size());
    for (const Record &record : list) {
        QString key;
        for (int index : keyIndexes) {
            // A unit separator between parts, and NULL apart from any text.
            key += record.isNull(index) ? u"\x1e"_s : QueryModel::displayText(record.value(index));
            key += u'\x1f';
        }
        keys.append(key);
    }
    return keys;
}

void QueryModelPrivate::replaceRows(const RecordList &fresh)
{
    QList<QString> oldKeys = keysOf(rows);
    QList<QString> newKeys = keysOf(fresh);
    if (oldKeys.isEmpty() != rows.isEmpty() || newKeys.isEmpty() != fresh.isEmpty() || !Private::keysAreUnique(oldKeys)
        || !Private::keysAreUnique(newKeys)) {
        // No usable key: rows stay where they are by position.
        oldKeys.clear();
        newKeys.clear();
        for (int i = 0; i < rows.size(); ++i)
            oldKeys.append(QString::number(i));
        for (int i = 0; i < fresh.size(); ++i)
            newKeys.append(QString::number(i));
    }
    const Private::RowDiff diff = Private::diffRows(oldKeys, newKeys);
    for (const Private::RowDiff::Range &range : diff.removals) {
        q->beginRemoveRows({}, range.first, range.last);
        rows.remove(range.first, range.last - range.first + 1);
        q->endRemoveRows();
    }
    if (!diff.moves.isEmpty()) {
        Q_EMIT q->layoutAboutToBeChanged();
        RecordList reordered(rows.size());
        for (int i = 0; i < rows.size(); ++i)
            reordered[diff.moves.at(i)] = rows.at(i);
        rows = reordered;
        const QModelIndexList persistent = q->persistentIndexList();
        for (const QModelIndex &index : persistent) {
            if (index.row() < diff.moves.size()) // a subclass's rows after the query's stay
                q->changePersistentIndex(index, q->index(diff.moves.at(index.row()), index.column()));
        }
        Q_EMIT q->layoutChanged();
    }
    for (const Private::RowDiff::Range &range : diff.insertions) {
        q->beginInsertRows({}, range.first, range.last);
        rows.insert(range.first, range.last - range.first + 1, Record());
        for (int i = range.first; i <= range.last; ++i)
            rows[i] = fresh.at(i);
        q->endInsertRows();
    }
    rows = fresh;
    if (!rows.isEmpty() && visibleColumns() > 0)
        Q_EMIT q->dataChanged(q->index(0, 0), q->index(int(rows.size()) - 1, visibleColumns() - 1));
}

void QueryModelPrivate::listen(bool refreshAfter)
{
    stopListening();
    if (channel.isEmpty() || !pool)
        return;
    const quint64 generation = ++listenGeneration;
    AcquireOptions options;
    options.tag = u"QueryModel listener"_s;
    Private::whenFinishedLater<PooledConnection>(
        pool->acquire(options), q, [this, generation, refreshAfter](const QFuture<PooledConnection> &acquired) {
            if (generation != listenGeneration)
                return; // stopped or restarted meanwhile; the handle goes back with the future
            if (const std::exception_ptr failure = Private::errorOf(acquired)) {
                qCWarning(Private::lcPool) << "QueryModel: cannot listen on" << channel << ":"
                                           << Private::messageOf(failure);
                if (pool && !pool->isClosing())
                    relisten.start(RelistenDelay);
                return;
            }
            listener = acquired.result();
            const auto onNotify = [this](const Notification &) {
                if (!debounce.isActive())
                    debounce.start();
            };
            const auto onEnded = [this, generation] {
                if (generation != listenGeneration)
                    return;
                listener = {};
                listening = false;
                Q_EMIT q->listeningChanged(false);
                relisten.start(RelistenDelay);
            };
            Private::whenFinishedLater<void>(listener.addListener(channel, q, onNotify, onEnded), q,
                                        [this, generation, refreshAfter](const QFuture<void> &listened) {
                                            if (generation != listenGeneration)
                                                return;
                                            if (const std::exception_ptr failure = Private::errorOf(listened)) {
                                                qCWarning(Private::lcPool) << "QueryModel: LISTEN failed:"
                                                                           << Private::messageOf(failure);
                                                listener.release();
                                                listener = {};
                                                relisten.start(RelistenDelay);
                                                return;
                                            }
                                            listening = true;
                                            Q_EMIT q->listeningChanged(true);
                                            if (refreshAfter)
                                                refreshFromNotify();
                                        });
        });
}

void QueryModelPrivate::stopListening()
{
    ++listenGeneration;
    relisten.stop();
    debounce.stop();
    if (listener.isValid())
        listener.release(); // UNLISTENs
    listener = {};
    if (std::exchange(listening, false))
        Q_EMIT q->listeningChanged(false);
}

void QueryModelPrivate::refreshFromNotify()
{
    if (sql.isEmpty() || !pool)
        return;
    if (run && (run->busy || run->fetchesInFlight > 0)) {
        refreshAgain = true; // after the step in flight has delivered its rows
        return;
    }
    start(/*refresh*/ true); // an idle cursor waiting for fetchMore() is replaced
}

QueryModel::QueryModel(QObject *parent)
    : QAbstractTableModel(parent)
    , d(std::make_unique<QueryModelPrivate>(this))
{
}

QueryModel::~QueryModel()
{
    d->stopListening();
    d->abandon();
}

void QueryModel::setQuery(Pool *pool, const QString &sql, const QVariantList &args)
{
    const bool poolChanged = d->pool != pool;
    d->pool = pool;
    d->sql = sql;
    d->args = args;
    d->start(/*refresh*/ false);
    if (poolChanged || (!d->channel.isEmpty() && !d->listener.isValid() && !d->relisten.isActive()))
        d->listen(/*refreshAfter*/ false);
}

Pool *QueryModel::pool() const
{
    return d->pool;
}

QString QueryModel::query() const
{
    return d->sql;
}

QVariantList QueryModel::arguments() const
{
    return d->args;
}

void QueryModel::refresh()
{
    d->start(/*refresh*/ true);
}

void QueryModel::cancel()
{
    const std::shared_ptr<QueryRun> run = d->run;
    if (!run || run->canceled)
        return;
    run->canceled = true;
    if (run->busy || run->fetchesInFlight > 0) {
        if (run->handle.isValid())
            run->handle.cancel(); // the operation in flight fails with QueryCanceledError
        return; // otherwise the acquire's callback ends the run
    }
    d->finishRun(run); // between two chunks: nothing to cancel on the server
}

void QueryModel::clear()
{
    d->stopListening();
    d->channel.clear();
    d->sql.clear();
    d->args.clear();
    d->abandon();
    d->error.reset();
    d->commandTag.clear();
    d->truncated = false;
    beginResetModel();
    d->rows.clear();
    d->columns.clear();
    endResetModel();
    Q_EMIT columnsChanged();
    d->setStatus(Status::Idle);
}

QueryModel::Status QueryModel::status() const
{
    return d->status;
}

const Error *QueryModel::error() const
{
    return d->error.get();
}

QString QueryModel::errorMessage() const
{
    return d->error ? d->error->message() : QString();
}

bool QueryModel::isTruncated() const
{
    return d->truncated;
}

QString QueryModel::commandTag() const
{
    return d->commandTag;
}

QueryModel::FetchMode QueryModel::fetchMode() const
{
    return d->fetchMode;
}

void QueryModel::setFetchMode(FetchMode mode)
{
    d->fetchMode = mode;
    if (mode == FetchMode::Eager && d->run && d->run->cursor && !d->run->busy && !d->run->atEnd)
        d->readAhead(d->run);
}

int QueryModel::chunkSize() const
{
    return d->chunkSize;
}

void QueryModel::setChunkSize(int rows)
{
    d->chunkSize = std::max(1, rows);
}

int QueryModel::rowLimit() const
{
    return d->rowLimit;
}

void QueryModel::setRowLimit(int rows)
{
    d->rowLimit = std::max(0, rows);
}

QStringList QueryModel::keyColumns() const
{
    return d->keyColumns;
}

void QueryModel::setKeyColumns(const QStringList &columns)
{
    d->keyColumns = columns;
}

void QueryModel::setRefreshOnNotify(const QString &channel, std::chrono::milliseconds debounce)
{
    d->debounce.setInterval(debounce);
    if (channel == d->channel)
        return;
    d->channel = channel;
    d->listen(/*refreshAfter*/ false);
}

QString QueryModel::refreshChannel() const
{
    return d->channel;
}

bool QueryModel::isListening() const
{
    return d->listening;
}

QStringList QueryModel::columnNames() const
{
    return d->columns.first(d->visibleColumns());
}

Record QueryModel::record(int row) const
{
    return row >= 0 && row < d->rows.size() ? d->rows.at(row) : Record();
}

const RecordList &QueryModel::records() const
{
    return d->rows;
}

void QueryModel::setHiddenColumnCount(int count)
{
    if (count == d->hiddenColumns)
        return;
    beginResetModel();
    d->hiddenColumns = std::max(0, count);
    endResetModel();
    Q_EMIT columnsChanged();
}

void QueryModel::replaceRecord(int row, const Record &record)
{
    if (row < 0 || row >= d->rows.size())
        return;
    d->rows[row] = record;
    if (d->visibleColumns() > 0)
        Q_EMIT dataChanged(index(row, 0), index(row, d->visibleColumns() - 1));
}

void QueryModel::removeRecord(int row)
{
    if (row < 0 || row >= d->rows.size())
        return;
    beginRemoveRows({}, row, row);
    d->rows.remove(row);
    endRemoveRows();
}

void QueryModel::appendRecords(const RecordList &records)
{
    if (!records.isEmpty())
        d->append(RecordList(records));
}

void QueryModel::setStatus(Status status, const Error *error)
{
    d->error.reset(error ? error->clone() : nullptr);
    d->setStatus(status);
    if (error)
        Q_EMIT errorOccurred(error->message());
}

QString QueryModel::displayText(const QVariant &value)
{
    if (value.isNull() || !value.isValid())
        return u"NULL"_s;
    const QMetaType type = value.metaType();
    if (type == QMetaType::fromType<Timestamp>())
        return value.value<Timestamp>().toPostgresText();
    if (type == QMetaType::fromType<QJsonValue>()) {
        const QJsonValue json = value.toJsonValue();
        if (json.isObject())
            return QString::fromUtf8(QJsonDocument(json.toObject()).toJson(QJsonDocument::Compact));
        if (json.isArray())
            return QString::fromUtf8(QJsonDocument(json.toArray()).toJson(QJsonDocument::Compact));
        return json.toVariant().toString();
    }
    if (type == QMetaType::fromType<QByteArray>())
        return u"\\x"_s + QString::fromLatin1(value.toByteArray().toHex());
    if (type == QMetaType::fromType<QUuid>())
        return value.toUuid().toString(QUuid::WithoutBraces);
    if (type == QMetaType::fromType<QVariantList>()) {
        QStringList parts;
        for (const QVariant &element : value.toList())
            parts.append(displayText(element));
        return u'{' + parts.join(u',') + u'}';
    }
    if (type == QMetaType::fromType<bool>())
        return value.toBool() ? u"true"_s : u"false"_s;
    return value.toString();
}

int QueryModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(d->rows.size());
}

int QueryModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : d->visibleColumns();
}

QVariant QueryModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Record &record = d->rows.at(index.row());
    int column = index.column();
    if (role >= ColumnRole) {
        // A QML delegate reads every column of its row by name.
        column = role - ColumnRole;
        if (column >= d->visibleColumns())
            return {};
        const QVariant value = record.value(column);
        const QMetaType type = value.metaType();
        if (type == QMetaType::fromType<Timestamp>() || type == QMetaType::fromType<QUuid>())
            return displayText(value);
        return value;
    }
    switch (role) {
    case Qt::DisplayRole: {
        QString text = displayText(record.value(column));
        if (text.size() > DisplayLength) {
            text.truncate(DisplayLength);
            text += u'…';
        }
        return text;
    }
    case Qt::ToolTipRole:
        return displayText(record.value(column)).left(DisplayLength * 10);
    case Qt::EditRole:
    case ValueRole:
        return record.value(column);
    case IsNullRole:
        return record.isNull(column);
    case Qt::TextAlignmentRole:
        return QVariant::fromValue(
            Qt::Alignment((isNumericType(record.columnTypeOid(column)) ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignVCenter));
    default:
        return {};
    }
}

QVariant QueryModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (orientation == Qt::Vertical)
        return section + 1;
    if (section < 0 || section >= d->visibleColumns())
        return {};
    if (role == Qt::ToolTipRole)
        return d->rows.isEmpty() ? QVariant() : QVariant(d->rows.first().columnTypeName(section));
    return d->columns.at(section);
}

QHash<int, QByteArray> QueryModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractTableModel::roleNames();
    names.insert(ValueRole, "value");
    names.insert(IsNullRole, "isNull");
    for (int column = 0; column < d->visibleColumns(); ++column)
        names.insert(ColumnRole + column, d->columns.at(column).toUtf8());
    return names;
}

bool QueryModel::canFetchMore(const QModelIndex &parent) const
{
    const QueryRun *run = d->run.get();
    return !parent.isValid() && run && run->cursor && !run->busy && run->fetchesInFlight == 0 && !run->atEnd
        && !run->canceled;
}

void QueryModel::fetchMore(const QModelIndex &parent)
{
    if (canFetchMore(parent))
        d->fetchNext(d->run);
}

} // namespace QPg
