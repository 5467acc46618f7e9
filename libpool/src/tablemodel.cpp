// SPDX-License-Identifier: MIT
#include "tablemodel_p.h"

#include <QPg/pool.h>

#include "marshal_p.h"

using namespace Qt::Literals::StringLiterals;

namespace QPg {

namespace {

using Private::InsertedRow;
using Private::PendingEdit;

QVariant nullValue()
{
    return QVariant::fromValue(nullptr);
}

// The roles QueryModel answers from a value, for a pending value.
QVariant pendingData(const QVariant &value, int role)
{
    switch (role) {
    case Qt::DisplayRole:
    case Qt::ToolTipRole:
        return QueryModel::displayText(value);
    case Qt::EditRole:
    case QueryModel::ValueRole:
        return value;
    case QueryModel::IsNullRole:
        return value.isNull();
    default:
        return role >= QueryModel::ColumnRole ? value : QVariant();
    }
}

} // namespace

QString TableModelPrivate::keyOf(const Record &record) const
{
    QString key;
    if (!facts)
        return key;
    for (int index : facts->keyColumns) {
        key += QueryModel::displayText(record.value(index));
        key += u'\x1f';
    }
    return key;
}

int TableModelPrivate::rowOfKey(const QString &key) const
{
    const RecordList &rows = q->records();
    for (int row = 0; row < rows.size(); ++row) {
        if (keyOf(rows.at(row)) == key)
            return row;
    }
    return -1;
}

const PendingEdit *TableModelPrivate::editOf(int row) const
{
    if (edits.isEmpty() || row < 0 || row >= readRows())
        return nullptr;
    const auto it = edits.constFind(keyOf(q->records().at(row)));
    return it == edits.cend() ? nullptr : &*it;
}

bool TableModelPrivate::inBatch(int row) const
{
    if (!submitRun)
        return false;
    if (row >= readRows())
        return batchInserts.contains(inserted.at(row - readRows()).id);
    return batchKeys.contains(keyOf(q->records().at(row)));
}

void TableModelPrivate::rowChanged(int row)
{
    const int columns = q->columnCount();
    if (columns > 0)
        Q_EMIT q->dataChanged(q->index(row, 0), q->index(row, columns - 1));
    Q_EMIT q->headerDataChanged(Qt::Vertical, row, row);
}

// Drops the pending changes; keepBatch keeps those a submit in flight is sending.
void TableModelPrivate::dropPending(bool keepBatch)
{
    const bool had = q->hasPendingChanges();
    QList<int> changedRows;
    for (auto it = edits.begin(); it != edits.end();) {
        if (keepBatch && batchKeys.contains(it.key())) {
            ++it;
            continue;
        }
        changedRows.append(rowOfKey(it.key()));
        it = edits.erase(it);
    }
    for (int i = int(inserted.size()) - 1; i >= 0; --i) {
        if (keepBatch && batchInserts.contains(inserted.at(i).id))
            continue;
        const int row = readRows() + i;
        q->beginRemoveRows({}, row, row);
        inserted.removeAt(i);
        q->endRemoveRows();
    }
    if (!keepBatch) {
        batchKeys.clear();
        batchInserts.clear();
    }
    for (int row : std::as_const(changedRows)) {
        if (row >= 0)
            rowChanged(row);
    }
    editingRow = -1;
    if (had != q->hasPendingChanges())
        Q_EMIT q->pendingChangesChanged();
}

void TableModelPrivate::readFactsThenSelect()
{
    const quint64 asked = generation;
    q->setStatus(QueryModel::Status::Loading);
    Private::whenFinishedLater<RecordList>(
        pool->fetch(Private::tableFactsQuery(), {Private::qualifiedTableName(table)}), q,
        [this, asked](const QFuture<RecordList> &answered) {
            if (asked != generation)
                return;
            if (const std::exception_ptr failure = Private::errorOf(answered)) {
                q->setQuery(pool, {}); // no rows: the table is unknown
                reportError(failure);
                return;
            }
            facts = Private::tableFactsFrom(table, answered.result());
            Q_EMIT q->readOnlyChanged();
            runSelect();
        });
}

// The Error state with the failure as its typed error; the rows stay.
void TableModelPrivate::reportError(const std::exception_ptr &failure)
{
    try {
        std::rethrow_exception(failure);
    } catch (const Error &e) {
        q->setStatus(QueryModel::Status::Error, &e);
    } catch (const std::exception &e) {
        const Error error(QString::fromUtf8(e.what()));
        q->setStatus(QueryModel::Status::Error, &error);
    }
}

void TableModelPrivate::runSelect()
{
    q->setHiddenColumnCount(facts->isEditable() ? 1 : 0); // xmin
    QStringList keyNames;
    for (int index : facts->keyColumns)
        keyNames.append(facts->columns.at(index).name);
    q->setKeyColumns(keyNames);
    q->setQuery(pool, Private::selectRowsSql(*facts, filter, sortColumn, sortOrder), filterArgs);
}

TableModel::TableModel(QObject *parent)
    : QueryModel(parent)
    , d(std::make_unique<TableModelPrivate>(this))
{
}

TableModel::~TableModel() = default;

void TableModel::setTable(Pool *pool, const QString &table)
{
    d->dropPending(/*keepBatch*/ false);
    d->submitRun.reset(); // a submit in flight still ends on the server; its outcome is not shown
    d->submitFailed = false;
    ++d->generation;
    d->pool = pool;
    d->table = table;
    d->facts.reset();
    setQuery(pool, {});
    Q_EMIT tableChanged();
    Q_EMIT readOnlyChanged();
}

QString TableModel::tableName() const
{
    return d->table;
}

void TableModel::setFilter(const QString &condition, const QVariantList &args)
{
    d->filter = condition;
    d->filterArgs = args;
    Q_EMIT filterChanged();
}

QString TableModel::filter() const
{
    return d->filter;
}

QVariantList TableModel::filterArguments() const
{
    return d->filterArgs;
}

void TableModel::setSort(const QString &column, Qt::SortOrder order)
{
    d->sortColumn = column;
    d->sortOrder = order;
    Q_EMIT sortChanged();
}

QString TableModel::sortColumn() const
{
    return d->sortColumn;
}

void TableModel::setSortColumn(const QString &column)
{
    setSort(column, d->sortOrder);
}

Qt::SortOrder TableModel::sortOrder() const
{
    return d->sortOrder;
}

void TableModel::setSortOrder(Qt::SortOrder order)
{
    setSort(d->sortColumn, order);
}

void TableModel::select()
{
    d->dropPending(/*keepBatch*/ bool(d->submitRun));
    d->submitFailed = false; // the new query's status replaces it
    if (!d->pool || d->table.isEmpty()) {
        setQuery(d->pool, {});
        return;
    }
    if (d->facts)
        d->runSelect();
    else
        d->readFactsThenSelect();
}

void TableModel::revertAll()
{
    d->dropPending(/*keepBatch*/ bool(d->submitRun));
}

TableModel::EditStrategy TableModel::editStrategy() const
{
    return d->strategy;
}

void TableModel::setEditStrategy(EditStrategy strategy)
{
    if (strategy == d->strategy)
        return;
    d->strategy = strategy;
    Q_EMIT editStrategyChanged();
}

bool TableModel::isReadOnly() const
{
    return !d->facts || !d->facts->isEditable();
}

QString TableModel::readOnlyReason() const
{
    if (!d->facts)
        return d->table.isEmpty() ? u"no table is set"_s : u"the table has not been read yet (select())"_s;
    if (!d->facts->isEditable())
        return u"table %1 has no primary key, so its rows cannot be told apart for updates"_s.arg(d->table);
    return {};
}

bool TableModel::hasPendingChanges() const
{
    return !d->edits.isEmpty() || !d->inserted.isEmpty();
}

bool TableModel::isSubmitting() const
{
    return bool(d->submitRun);
}

TableModel::RowState TableModel::rowState(int row) const
{
    if (row >= d->readRows() && row < rowCount())
        return RowState::Inserted;
    const PendingEdit *edit = d->editOf(row);
    if (!edit)
        return RowState::Unchanged;
    return edit->removed ? RowState::Removed : RowState::Edited;
}

bool TableModel::isServerColumn(int column) const
{
    if (!d->facts || column < 0 || column >= d->facts->columns.size())
        return false;
    const Private::TableColumn &facts = d->facts->columns.at(column);
    return facts.generated || facts.identity == 'a';
}

int TableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : d->readRows() + int(d->inserted.size());
}

QVariant TableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    if (role == RowStateRole)
        return QVariant::fromValue(rowState(index.row()));
    const int column = role >= ColumnRole ? role - ColumnRole : index.column();
    if (index.row() >= d->readRows()) {
        const InsertedRow &row = d->inserted.at(index.row() - d->readRows());
        if (const auto it = row.values.constFind(column); it != row.values.cend())
            return pendingData(*it, role);
        const bool serverValue = d->facts && column < d->facts->columns.size()
            && (isServerColumn(column) || d->facts->columns.at(column).identity
                || !d->facts->columns.at(column).defaultExpression.isEmpty());
        if (serverValue && (role == Qt::DisplayRole || role == Qt::ToolTipRole))
            return u"DEFAULT"_s; // the server fills it in on submit
        return pendingData(nullValue(), role);
    }
    if (const PendingEdit *edit = d->editOf(index.row())) {
        if (const auto it = edit->values.constFind(column); it != edit->values.cend()) {
            const QVariant value = pendingData(*it, role);
            if (value.isValid())
                return value;
        }
    }
    return QueryModel::data(index, role);
}

bool TableModel::setData(const QModelIndex &cell, const QVariant &value, int role)
{
    // A QML delegate writes a column by its role name, on any index of the row.
    const QModelIndex index = role >= ColumnRole && cell.isValid() ? this->index(cell.row(), role - ColumnRole) : cell;
    if ((role != Qt::EditRole && role != ValueRole && role < ColumnRole) || !(flags(index) & Qt::ItemIsEditable))
        return false;
    const int row = index.row();
    const QVariant stored = value.isValid() ? value : nullValue();
    const bool had = hasPendingChanges();
    if (d->strategy == EditStrategy::OnRowChange && d->editingRow >= 0 && d->editingRow != row && had)
        submitAll(); // the previous row is done; this edit waits for the next row change
    if (d->inBatch(row))
        return false; // its earlier edits are being sent
    if (row >= d->readRows()) {
        d->inserted[row - d->readRows()].values.insert(index.column(), stored);
    } else {
        const Record &original = records().at(row);
        const QString key = d->keyOf(original);
        PendingEdit &edit = d->edits[key];
        edit.original = original;
        const QVariant read = original.value(index.column());
        if (read.metaType() == stored.metaType() && read == stored)
            edit.values.remove(index.column()); // back to the value read
        else
            edit.values.insert(index.column(), stored);
        if (edit.values.isEmpty() && !edit.removed)
            d->edits.remove(key);
    }
    d->editingRow = row;
    d->rowChanged(row);
    if (had != hasPendingChanges())
        Q_EMIT pendingChangesChanged();
    return true;
}

Qt::ItemFlags TableModel::flags(const QModelIndex &index) const
{
    Qt::ItemFlags flags = QueryModel::flags(index);
    if (!index.isValid() || isReadOnly() || isServerColumn(index.column()) || d->inBatch(index.row())
        || rowState(index.row()) == RowState::Removed)
        return flags;
    return flags | Qt::ItemIsEditable;
}

QVariant TableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Vertical && role == Qt::DisplayRole && section >= 0 && section < rowCount()) {
        switch (rowState(section)) {
        case RowState::Inserted:
            return u"*"_s;
        case RowState::Removed:
            return u"!"_s;
        case RowState::Edited:
            return QString(QString::number(section + 1) + u" ~"_s);
        case RowState::Unchanged:
            break;
        }
    }
    return QueryModel::headerData(section, orientation, role);
}

QHash<int, QByteArray> TableModel::roleNames() const
{
    QHash<int, QByteArray> names = QueryModel::roleNames();
    names.insert(RowStateRole, "rowState");
    return names;
}

bool TableModel::insertRows(int row, int count, const QModelIndex &parent)
{
    if (parent.isValid() || count < 1 || row < d->readRows() || row > rowCount() || isReadOnly())
        return false;
    const bool had = hasPendingChanges();
    beginInsertRows({}, row, row + count - 1);
    for (int i = 0; i < count; ++i)
        d->inserted.insert(row - d->readRows() + i, InsertedRow{d->nextInsertId++, {}});
    endInsertRows();
    if (!had)
        Q_EMIT pendingChangesChanged();
    return true;
}

bool TableModel::removeRows(int row, int count, const QModelIndex &parent)
{
    if (parent.isValid() || count < 1 || row < 0 || row + count > rowCount() || isReadOnly())
        return false;
    for (int r = row; r < row + count; ++r) {
        if (d->inBatch(r))
            return false;
    }
    const bool had = hasPendingChanges();
    for (int r = row + count - 1; r >= row; --r) {
        if (r >= d->readRows()) {
            beginRemoveRows({}, r, r);
            d->inserted.removeAt(r - d->readRows());
            endRemoveRows();
            continue;
        }
        const Record &original = records().at(r);
        PendingEdit &edit = d->edits[d->keyOf(original)];
        edit.original = original;
        edit.removed = true;
        d->rowChanged(r);
    }
    d->editingRow = -1;
    if (had != hasPendingChanges())
        Q_EMIT pendingChangesChanged();
    if (d->strategy == EditStrategy::OnRowChange)
        submitAll();
    return true;
}

bool TableModel::submit()
{
    if (d->strategy == EditStrategy::OnRowChange && hasPendingChanges())
        return submitAll();
    return true;
}

void TableModel::revert()
{
    if (d->strategy == EditStrategy::OnRowChange)
        revertAll();
}

void TableModel::sort(int column, Qt::SortOrder order)
{
    if (!d->facts || column < 0 || column >= d->facts->columns.size())
        return;
    setSort(d->facts->columns.at(column).name, order);
    d->runSelect(); // pending changes stay: they follow their rows by key
}

} // namespace QPg
