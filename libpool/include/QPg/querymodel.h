// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/errors.h>
#include <QPg/qpgpool_export.h>
#include <QPg/record.h>

#include <QtCore/QAbstractTableModel>

#include <chrono>
#include <memory>

namespace QPg {

class Pool;
class QueryModelPrivate;

// A query's result as a table model that never blocks: the query runs through a Pool (in any
// thread), rows stream in chunks, and the model can re-run itself when a NOTIFY arrives.
// Read-only; TableModel adds editing.
//
// Row-returning statements (SELECT, WITH, VALUES, TABLE) are read through a cursor in a
// transaction of their own, which holds one pooled connection until every row is read, the row
// limit is reached, or the model is cleared; other statements run whole. In OnDemand mode views ask
// for rows as they scroll (canFetchMore/fetchMore); in Eager mode the model reads to the end. Eager
// without a row limit needs no cursor: the rows come as the server makes them, in one plain query
// (Connection::streamRows), in chunks of what arrived within 20 ms.
class QPGPOOL_EXPORT QueryModel : public QAbstractTableModel
{
    Q_OBJECT
    Q_PROPERTY(Status status READ status NOTIFY statusChanged)
    Q_PROPERTY(QString errorMessage READ errorMessage NOTIFY statusChanged)
    Q_PROPERTY(FetchMode fetchMode READ fetchMode WRITE setFetchMode)
    Q_PROPERTY(int chunkSize READ chunkSize WRITE setChunkSize)
    Q_PROPERTY(int rowLimit READ rowLimit WRITE setRowLimit)
    Q_PROPERTY(bool truncated READ isTruncated NOTIFY statusChanged)
    Q_PROPERTY(QStringList columnNames READ columnNames NOTIFY columnsChanged)
public:
    enum class Status { Idle, Loading, Ready, Error };
    Q_ENUM(Status)
    enum class FetchMode { OnDemand, Eager };
    Q_ENUM(FetchMode)
    enum Role {
        // The value as decoded (EditRole gives the same): a SQL NULL is a QVariant holding nullptr.
        ValueRole = Qt::UserRole + 1,
        IsNullRole,
        // roleNames() names one role per column, ColumnRole + column, for QML delegates.
        ColumnRole = Qt::UserRole + 256,
    };
    Q_ENUM(Role)

    explicit QueryModel(QObject *parent = nullptr);
    ~QueryModel() override;

    // Runs sql through pool and replaces the rows as the result arrives; a query still running is
    // cancelled on the server first.
    void setQuery(Pool *pool, const QString &sql, const QVariantList &args = {});
    Pool *pool() const;
    QString query() const;
    QVariantList arguments() const;

    // Re-runs the query. Rows are matched by keyColumns() (by position when none are set), so
    // views keep their selection and scroll position; as many rows as are loaded are read again.
    void refresh();
    // Cancels the running query on the server; rows read so far stay and the model is Ready.
    void cancel();
    // Drops the query and the rows; the model is Idle.
    void clear();

    Status status() const;
    // The error that put the model in the Error state, with its type (catch with
    // dynamic_cast or rethrow with raise()); null otherwise. A server error's position counts
    // characters of the query as given.
    const Error *error() const;
    QString errorMessage() const;
    // True when the row limit stopped reading before the end.
    bool isTruncated() const;
    // The server's command tag of a statement that ran whole ("UPDATE 3", "INSERT 0 5",
    // "CREATE TABLE"); empty for a query read through a cursor, and until the statement has
    // finished.
    QString commandTag() const;

    FetchMode fetchMode() const;
    void setFetchMode(FetchMode mode);
    // Rows per FETCH (default 256). In Eager mode with a row limit this is the first FETCH's size;
    // each later one asks for twice as many rows as the one before, up to 65 536 (or the chunk size
    // if larger). Eager without a limit hands over at most 65 536 rows (or the chunk size if larger)
    // at a time.
    int chunkSize() const;
    void setChunkSize(int rows);
    // At most this many rows are kept (0, the default: no limit); reading stops there.
    int rowLimit() const;
    void setRowLimit(int rows);

    // Columns whose values identify a row, used by refresh() to keep rows in place.
    QStringList keyColumns() const;
    void setKeyColumns(const QStringList &columns);

    // Refreshes (debounced) on each NOTIFY on channel; an empty channel stops listening. The
    // listener holds one pooled connection while set; when its session ends the model listens
    // again and refreshes once, since it may have missed notifications.
    void setRefreshOnNotify(const QString &channel, std::chrono::milliseconds debounce = std::chrono::milliseconds(200));
    QString refreshChannel() const;
    // True once the LISTEN is in place.
    bool isListening() const;

    QStringList columnNames() const;
    Record record(int row) const;
    // A value as text for display: NULL as "NULL", timestamps in PostgreSQL's syntax, JSON compact,
    // bytea as \x hex, arrays in braces.
    static QString displayText(const QVariant &value);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;
    bool canFetchMore(const QModelIndex &parent = {}) const override;
    void fetchMore(const QModelIndex &parent = {}) override;

Q_SIGNALS:
    void statusChanged(QPg::QueryModel::Status status);
    void columnsChanged();
    // Every row is in, or reading stopped at the row limit or a cancel.
    void finished();
    void errorOccurred(const QString &message);
    // A refresh() (or a NOTIFY) has been applied.
    void refreshed();
    void listeningChanged(bool listening);

protected:
    // For subclasses (TableModel): the rows as records.
    const RecordList &records() const;
    // The last count columns of the result are the subclass's own (TableModel's xmin): views see
    // neither them (columnCount, headerData, columnNames, roleNames) nor their values.
    void setHiddenColumnCount(int count);
    // Rows changed by the subclass (TableModel's submit), with the usual signals. Records have the
    // query's columns.
    void replaceRecord(int row, const Record &record);
    void removeRecord(int row);
    void appendRecords(const RecordList &records);
    // Sets the status (and the error for Error, emitting errorOccurred) without touching the rows.
    void setStatus(Status status, const Error *error = nullptr);

private:
    friend class QueryModelPrivate;
    std::unique_ptr<QueryModelPrivate> const d;
};

} // namespace QPg
