// SPDX-License-Identifier: MIT
#include <QPg/tablemodel.h>

#include <QPg/pool.h>

#include "marshal_p.h"
#include "tablesql_p.h"

#include <QtCore/QPointer>
#include <QtCore/QSet>

#include <optional>

using namespace Qt::Literals::StringLiterals;

namespace QPg {

namespace {

using Private::TableFacts;
using Private::TableStatement;

// Changes to a row that was read, by the key it was read with.
struct PendingEdit
{
    Record original;
    QMap<int, QVariant> values; // column -> new value
    bool removed = false;
};

// A row made in the model, shown after the rows read.
struct InsertedRow
{
    quint64 id = 0;
    QMap<int, QVariant> values;
};

// One statement of a submit and what it changes in the model once committed.
struct SubmitStep
{
    enum class Kind { Delete, Update, Insert };
    Kind kind = Kind::Update;
    QString key;        // Delete, Update: the row's key as read
    quint64 insertId = 0; // Insert
    Record original;
    TableStatement statement;
    Record result;      // RETURNING
};

struct SubmitRun
{
    PooledConnection handle;
    QList<SubmitStep> steps;
    int next = 0;
};

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

class TableModelPrivate
{
public:
    explicit TableModelPrivate(TableModel *q)
        : q(q)
    {
    }

    int readRows() const { return int(q->records().size()); }
    QString keyOf(const Record &record) const;
    int rowOfKey(const QString &key) const;
    const PendingEdit *editOf(int row) const;
    bool inBatch(int row) const;
    void dropPending(bool keepBatch);
    void rowChanged(int row);
    void runSelect();
    void readFactsThenSelect();
    void runStep(const std::shared_ptr<SubmitRun> &run);
    void commit(const std::shared_ptr<SubmitRun> &run);
    void rollBack(const std::shared_ptr<SubmitRun> &run, const std::exception_ptr &failure);
    void applyCommitted(const SubmitRun &run);
    void endSubmit(bool ok);
    void reportError(const std::exception_ptr &failure);
    ConflictError conflict(const SubmitStep &step) const;

    TableModel *const q;
    QPointer<Pool> pool;
    QString table;
    QString filter;
    QVariantList filterArgs;
    QString sortColumn;
    Qt::SortOrder sortOrder = Qt::AscendingOrder;
    TableModel::EditStrategy strategy = TableModel::EditStrategy::ManualSubmit;
    std::optional<TableFacts> facts;
    quint64 generation = 0; // bumped by setTable(), so a late catalog answer is dropped

    QHash<QString, PendingEdit> edits;
    QList<InsertedRow> inserted;
    quint64 nextInsertId = 1;
    int editingRow = -1; // OnRowChange: the row edited last

    std::shared_ptr<SubmitRun> submitRun;
    bool submitFailed = false; // the Error state is a submit's (a successful one ends it)
    QSet<QString> batchKeys; // rows being submitted: not editable meanwhile
    QSet<quint64> batchInserts;
};

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
    Private::whenFinished<RecordList>(
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

ConflictError TableModelPrivate::conflict(const SubmitStep &step) const
{
    QVariantMap key;
    QStringList parts;
    for (int index : facts->keyColumns) {
        const QString &name = facts->columns.at(index).name;
        key.insert(name, step.original.value(index));
        parts.append(name + u" = "_s + QueryModel::displayText(step.original.value(index)));
    }
    const int row = rowOfKey(step.key);
    const QString message = u"row %1 (%2) of %3 was changed or deleted by another client since it was read; "
                            "nothing was saved (select() to read it again)"_s.arg(row + 1)
                                .arg(parts.join(u", "_s), table);
    return ConflictError(message, table, key, row);
}

void TableModelPrivate::runStep(const std::shared_ptr<SubmitRun> &run)
{
    if (run != submitRun)
        return;
    if (run->next == run->steps.size()) {
        commit(run);
        return;
    }
    SubmitStep &step = run->steps[run->next];
    Private::whenFinished<RecordList>(
        run->handle.fetch(step.statement.sql, step.statement.args), q, [this, run](const QFuture<RecordList> &done) {
            if (run != submitRun)
                return;
            if (const std::exception_ptr failure = Private::errorOf(done)) {
                rollBack(run, failure);
                return;
            }
            SubmitStep &current = run->steps[run->next];
            const RecordList rows = done.result();
            if (rows.isEmpty()) {
                rollBack(run, Private::exceptionPtr(conflict(current)));
                return;
            }
            current.result = rows.first();
            ++run->next;
            runStep(run);
        });
}

void TableModelPrivate::commit(const std::shared_ptr<SubmitRun> &run)
{
    Private::whenFinished<QString>(run->handle.execute(u"COMMIT"_s), q, [this, run](const QFuture<QString> &done) {
        if (run != submitRun)
            return;
        if (const std::exception_ptr failure = Private::errorOf(done)) {
            rollBack(run, failure); // a deferred constraint: nothing was committed
            return;
        }
        run->handle.release();
        applyCommitted(*run);
        endSubmit(true);
    });
}

void TableModelPrivate::rollBack(const std::shared_ptr<SubmitRun> &run, const std::exception_ptr &failure)
{
    const auto report = [this, run, failure] {
        if (run != submitRun)
            return;
        if (run->handle.isValid())
            run->handle.release();
        reportError(failure);
        submitFailed = true;
        endSubmit(false);
    };
    if (!run->handle.isValid()) {
        report();
        return;
    }
    // Reported once the server has rolled back (or the session is gone), so the table is as it was.
    Private::whenFinished<QString>(run->handle.execute(u"ROLLBACK"_s), q,
                                   [report](const QFuture<QString> &) { report(); });
}

void TableModelPrivate::applyCommitted(const SubmitRun &run)
{
    for (const SubmitStep &step : run.steps) {
        switch (step.kind) {
        case SubmitStep::Kind::Delete:
            edits.remove(step.key);
            if (const int row = rowOfKey(step.key); row >= 0)
                q->removeRecord(row);
            break;
        case SubmitStep::Kind::Update:
            if (const int row = rowOfKey(step.key); row >= 0) {
                q->replaceRecord(row, step.result);
                Q_EMIT q->headerDataChanged(Qt::Vertical, row, row);
            }
            edits.remove(step.key);
            break;
        case SubmitStep::Kind::Insert:
            for (int i = 0; i < inserted.size(); ++i) {
                if (inserted.at(i).id != step.insertId)
                    continue;
                const int row = readRows() + i;
                q->beginRemoveRows({}, row, row);
                inserted.removeAt(i);
                q->endRemoveRows();
                q->appendRecords({step.result}); // now a row read, with the server's values
                break;
            }
            break;
        }
    }
}

void TableModelPrivate::endSubmit(bool ok)
{
    submitRun.reset();
    batchKeys.clear();
    batchInserts.clear();
    if (ok && std::exchange(submitFailed, false) && q->status() == QueryModel::Status::Error)
        q->setStatus(QueryModel::Status::Ready);
    Q_EMIT q->submittingChanged();
    Q_EMIT q->pendingChangesChanged();
    Q_EMIT q->submitted(ok);
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

bool TableModel::submitAll()
{
    if (d->submitRun || !d->pool || isReadOnly())
        return false;
    auto run = std::make_shared<SubmitRun>();
    // Removals first (a key they free can be taken by an edit), then edits, then new rows; each in
    // the model's row order, so the same changes always run the same way.
    QMultiMap<int, QString> removed; // row -> key (-1 for a row no longer read)
    QMultiMap<int, QString> edited;
    for (auto it = d->edits.cbegin(); it != d->edits.cend(); ++it)
        (it->removed ? removed : edited).insert(d->rowOfKey(it.key()), it.key());
    for (const QString &key : std::as_const(removed)) {
        const PendingEdit &edit = d->edits.value(key);
        run->steps.append(SubmitStep{SubmitStep::Kind::Delete, key, 0, edit.original,
                                     Private::deleteRowStatement(*d->facts, edit.original), {}});
    }
    for (const QString &key : std::as_const(edited)) {
        const PendingEdit &edit = d->edits.value(key);
        run->steps.append(SubmitStep{SubmitStep::Kind::Update, key, 0, edit.original,
                                     Private::updateRowStatement(*d->facts, edit.original, edit.values), {}});
    }
    for (const InsertedRow &row : std::as_const(d->inserted)) {
        SubmitStep step{SubmitStep::Kind::Insert, {}, row.id, {}, Private::insertRowStatement(*d->facts, row.values), {}};
        run->steps.append(step);
    }
    if (run->steps.isEmpty()) {
        d->editingRow = -1;
        d->endSubmit(true);
        return true;
    }
    for (const SubmitStep &step : std::as_const(run->steps)) {
        if (step.kind == SubmitStep::Kind::Insert)
            d->batchInserts.insert(step.insertId);
        else
            d->batchKeys.insert(step.key);
    }
    d->submitRun = run;
    d->editingRow = -1;
    Q_EMIT submittingChanged();
    AcquireOptions options;
    options.tag = u"TableModel submit"_s;
    Private::whenFinished<PooledConnection>(d->pool->acquire(options), this,
                                            [this, run](const QFuture<PooledConnection> &acquired) {
                                                if (run != d->submitRun)
                                                    return;
                                                if (const std::exception_ptr failure = Private::errorOf(acquired)) {
                                                    d->rollBack(run, failure);
                                                    return;
                                                }
                                                run->handle = acquired.result();
                                                run->handle.execute(u"BEGIN"_s); // a failure shows in the next step
                                                d->runStep(run);
                                            });
    return true;
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
