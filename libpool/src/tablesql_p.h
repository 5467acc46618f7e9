// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QPg/record.h>

#include <QtCore/QMap>
#include <QtCore/QString>
#include <QtCore/QVariant>

namespace QPg::Private {

// One column of a table as the catalog describes it.
struct TableColumn
{
    QString name;
    QString typeName;
    bool key = false;
    bool generated = false;    // GENERATED ALWAYS AS (...) STORED: never written
    char identity = 0;         // 'a' (ALWAYS: never sent), 'd' (BY DEFAULT), 0
    QString defaultExpression; // DEFAULT ..., empty for none
};

// What TableModel knows about its table before it reads rows.
struct TableFacts
{
    QString name;            // as given to setTable()
    QString qualifiedName;   // quoted, ready for SQL
    QList<TableColumn> columns;
    QList<int> keyColumns;   // indexes into columns, in the primary key's order
    bool isEditable() const { return !keyColumns.isEmpty(); }
};

// A statement and its bound arguments.
struct TableStatement
{
    QString sql;
    QVariantList args;
};

// "name" or "schema.name" (split at the first dot) as a quoted SQL name.
QString qualifiedTableName(const QString &table);
// The catalog query; its one argument is qualifiedTableName(). Fails with 42P01 when there is no
// such relation.
QString tableFactsQuery();
TableFacts tableFactsFrom(const QString &table, const RecordList &catalogRows);

// The rows of the table: its columns, then xmin as text when it is editable (the row version that
// optimistic concurrency checks). filter is a condition with $n parameters.
QString selectRowsSql(const TableFacts &facts, const QString &filter, const QString &sortColumn, Qt::SortOrder order);

// The changes, each returning the row as selectRowsSql() reads it (DELETE returns one column), or
// no row when the row's version is no longer the one read. values maps column index -> value.
TableStatement insertRowStatement(const TableFacts &facts, const QMap<int, QVariant> &values);
TableStatement updateRowStatement(const TableFacts &facts, const Record &original, const QMap<int, QVariant> &values);
TableStatement deleteRowStatement(const TableFacts &facts, const Record &original);

} // namespace QPg::Private
