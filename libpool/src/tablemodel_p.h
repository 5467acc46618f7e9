// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QPg/pooledconnection.h>
#include <QPg/tablemodel.h>

#include "tablesql_p.h"

#include <QtCore/QHash>
#include <QtCore/QPointer>
#include <QtCore/QSet>

#include <optional>

namespace QPg {

namespace Private {

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
    QString key;          // Delete, Update: the row's key as read
    quint64 insertId = 0; // Insert
    Record original;
    TableStatement statement;
    Record result; // what RETURNING gave
};

struct SubmitRun
{
    PooledConnection handle;
    QList<SubmitStep> steps;
    int next = 0;
};

} // namespace Private

// TableModel's state: the table's facts, the pending changes and the submit in flight. The rows
// themselves are QueryModel's. tablemodel.cpp has the model, tablesubmit.cpp the submit.
class TableModelPrivate
{
public:
    using PendingEdit = Private::PendingEdit;
    using InsertedRow = Private::InsertedRow;
    using SubmitStep = Private::SubmitStep;
    using SubmitRun = Private::SubmitRun;
    using TableFacts = Private::TableFacts;

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
    ConflictError conflict(const Private::SubmitStep &step) const;

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

} // namespace QPg
