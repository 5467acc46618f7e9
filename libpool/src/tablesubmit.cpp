// SPDX-License-Identifier: MIT
// TableModel::submitAll(): every pending change in one transaction on one pooled connection, one
// statement at a time, each checked against the row version it was read with.
#include "tablemodel_p.h"

#include <QPg/pool.h>

#include "marshal_p.h"

using namespace Qt::Literals::StringLiterals;

namespace QPg {

using Private::InsertedRow;
using Private::PendingEdit;
using Private::SubmitRun;
using Private::SubmitStep;

ConflictError TableModelPrivate::conflict(const SubmitStep &step) const
{
    QVariantMap key;
    QStringList parts;
    for (int index : facts->keyColumns) {
        const QString &name = facts->columns.at(index).name;
        key.insert(name, step.original.value(index));
        parts.append(name + u" = "_s + QueryModel::displayText(step.original.value(index)));
    }
    const int row = rowOfKey(step.key); // -1 when a refresh no longer shows it
    const QString which = row >= 0 ? u"row %1 (%2)"_s.arg(row + 1).arg(parts.join(u", "_s))
                                   : u"the row with %1"_s.arg(parts.join(u", "_s));
    const QString message = u"%1 of %2 was changed or deleted by another client since it was read; "
                            "nothing was saved (select() to read it again)"_s.arg(which, table);
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
    Private::whenFinishedLater<RecordList>(
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
    Private::whenFinishedLater<QString>(run->handle.execute(u"COMMIT"_s), q, [this, run](const QFuture<QString> &done) {
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
    Private::whenFinishedLater<QString>(run->handle.execute(u"ROLLBACK"_s), q,
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
            // The edit goes first: views repaint on the signals below and must see the row as sent.
            if (const int row = rowOfKey(step.key); row >= 0) {
                edits.remove(step.key);
                q->replaceRecord(row, step.result);
                Q_EMIT q->headerDataChanged(Qt::Vertical, row, row);
            } else {
                edits.remove(step.key);
            }
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
    Private::whenFinishedLater<PooledConnection>(d->pool->acquire(options), this,
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

} // namespace QPg
