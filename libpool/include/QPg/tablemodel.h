// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/querymodel.h>

namespace QPg {

class TableModelPrivate;

// An editable table, like QSqlTableModel but without blocking: select() reads the table's facts
// from the catalog (columns, primary key, generated, identity and default columns), then its rows
// through QueryModel (cursor, chunks and row limit apply). Filter and sort run in SQL, the filter's
// values bound as parameters, identifiers quoted.
//
// Edits (setData with EditRole, or a column's ColumnRole as QML delegates write), insertRows() and
// removeRows() are kept in the model until submitAll() (ManualSubmit, the default) or, with
// OnRowChange, until the edits move to another row.
// submitAll() sends every change in ONE transaction on one pooled connection, each row by primary
// key and by the row version it was read with (xmin): a row someone else changed or deleted since
// is reported as ConflictError instead of being overwritten. Values the server makes (defaults,
// identity, generated columns) come back with RETURNING. Any failure rolls the whole transaction
// back; the model is then in the Error state with the typed error and keeps its pending changes,
// so they can be fixed and submitted again (or dropped with revertAll()).
//
// Pending changes show in data(); the vertical header marks a row "*" when inserted, "!" when
// removed (it stays until submitted) and "<n> ~" when edited; RowStateRole gives the RowState.
// Inserted rows sit after the rows read. A table without a primary key is read-only
// (readOnlyReason() says why); generated columns are never editable, nor identity ALWAYS columns,
// which an INSERT never sends. The query is the model's own: setQuery() is not for a TableModel.
class QPGPOOL_EXPORT TableModel : public QueryModel
{
    Q_OBJECT
    Q_PROPERTY(QString table READ tableName NOTIFY tableChanged)
    Q_PROPERTY(QString filter READ filter NOTIFY filterChanged)
    Q_PROPERTY(QVariantList filterArguments READ filterArguments NOTIFY filterChanged)
    Q_PROPERTY(QString sortColumn READ sortColumn WRITE setSortColumn NOTIFY sortChanged)
    Q_PROPERTY(Qt::SortOrder sortOrder READ sortOrder WRITE setSortOrder NOTIFY sortChanged)
    Q_PROPERTY(EditStrategy editStrategy READ editStrategy WRITE setEditStrategy NOTIFY editStrategyChanged)
    Q_PROPERTY(bool readOnly READ isReadOnly NOTIFY readOnlyChanged)
    Q_PROPERTY(QString readOnlyReason READ readOnlyReason NOTIFY readOnlyChanged)
    Q_PROPERTY(bool dirty READ hasPendingChanges NOTIFY pendingChangesChanged)
    Q_PROPERTY(bool submitting READ isSubmitting NOTIFY submittingChanged)
public:
    enum class EditStrategy { ManualSubmit, OnRowChange };
    Q_ENUM(EditStrategy)
    enum class RowState { Unchanged, Inserted, Edited, Removed };
    Q_ENUM(RowState)
    enum TableRole { RowStateRole = QueryModel::IsNullRole + 1 };
    Q_ENUM(TableRole)

    explicit TableModel(QObject *parent = nullptr);
    ~TableModel() override;

    // The table to edit: "name" or "schema.name", each part as written (case and spaces kept, no
    // SQL quoting). Drops pending changes; select() reads it.
    void setTable(Pool *pool, const QString &table);
    QString tableName() const;
    // A SQL condition (WHERE without the WHERE) whose $1, $2... are bound to args; select() applies it.
    void setFilter(const QString &condition, const QVariantList &args = {});
    QString filter() const;
    QVariantList filterArguments() const;
    // Orders by column (a column name; empty for the primary key's order); select() applies it.
    void setSort(const QString &column, Qt::SortOrder order = Qt::AscendingOrder);
    QString sortColumn() const;
    void setSortColumn(const QString &column);
    Qt::SortOrder sortOrder() const;
    void setSortOrder(Qt::SortOrder order);

    // Drops pending changes, reads the table's facts (the first time) and then its rows.
    Q_INVOKABLE void select();
    // Sends the pending changes; false when it cannot start (read-only, already submitting).
    // submitted() tells the outcome; on failure the model is in the Error state.
    Q_INVOKABLE bool submitAll();
    // Drops the pending changes.
    Q_INVOKABLE void revertAll();

    EditStrategy editStrategy() const;
    void setEditStrategy(EditStrategy strategy);
    bool isReadOnly() const;
    QString readOnlyReason() const;
    bool hasPendingChanges() const;
    bool isSubmitting() const;
    RowState rowState(int row) const;
    // Whether the column's values come from the server (generated, identity ALWAYS): never editable.
    bool isServerColumn(int column) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;
    // New rows go after the rows read: row must be at least the number of rows read.
    bool insertRows(int row, int count, const QModelIndex &parent = {}) override;
    // Rows read are marked removed until submitted; inserted rows go at once.
    bool removeRows(int row, int count, const QModelIndex &parent = {}) override;
    // Views call it when editing moves to another row: sends the changes with OnRowChange.
    bool submit() override;
    void revert() override;
    // A click on a header: orders by that column and reads the rows again; pending changes stay.
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

Q_SIGNALS:
    void tableChanged();
    void filterChanged();
    void sortChanged();
    void editStrategyChanged();
    void readOnlyChanged();
    void pendingChangesChanged();
    void submittingChanged();
    // A submitAll() ended: committed (ok) or rolled back (the error is the model's error()).
    void submitted(bool ok);

private:
    friend class TableModelPrivate;
    std::unique_ptr<TableModelPrivate> const d;
};

} // namespace QPg
