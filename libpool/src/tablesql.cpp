// SPDX-License-Identifier: MIT
#include "tablesql_p.h"

#include "sqlquote_p.h"

using namespace Qt::Literals::StringLiterals;

namespace QPg::Private {

namespace {

// The table's columns and the row version, as every statement returns them.
QString returningList(const TableFacts &facts)
{
    QStringList names;
    for (const TableColumn &column : facts.columns)
        names.append(quoteIdentifier(column.name));
    if (facts.isEditable())
        names.append(u"xmin::text AS xmin"_s);
    return names.join(u", "_s);
}

// "key = $n AND ... AND xmin = $m::xid" for the row as it was read; args grows by the values.
QString rowCondition(const TableFacts &facts, const Record &original, QVariantList &args)
{
    QStringList parts;
    for (int index : facts.keyColumns) {
        args.append(original.value(index));
        parts.append(quoteIdentifier(facts.columns.at(index).name) + u" = $"_s + QString::number(args.size()));
    }
    args.append(original.value(int(facts.columns.size())));
    parts.append(u"xmin = $"_s + QString::number(args.size()) + u"::xid"_s);
    return parts.join(u" AND "_s);
}

} // namespace

QString qualifiedTableName(const QString &table)
{
    const qsizetype dot = table.indexOf(u'.');
    if (dot < 0)
        return quoteIdentifier(table);
    return quoteIdentifier(table.left(dot)) + u'.' + quoteIdentifier(table.mid(dot + 1));
}

QString tableFactsQuery()
{
    return u"SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), "
           "coalesce(a.attnum = ANY (i.indkey::int2[]), false), "
           "coalesce(array_position(i.indkey::int2[], a.attnum), 0), "
           "a.attgenerated <> '', a.attidentity::text, "
           "coalesce(pg_get_expr(d.adbin, d.adrelid), '') "
           "FROM pg_attribute a "
           "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
           "LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary "
           "WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped "
           "ORDER BY a.attnum"_s;
}

TableFacts tableFactsFrom(const QString &table, const RecordList &catalogRows)
{
    TableFacts facts;
    facts.name = table;
    facts.qualifiedName = qualifiedTableName(table);
    QMap<int, int> keyOrder; // position in the key -> column index
    for (const Record &row : catalogRows) {
        TableColumn column;
        column.name = row.value(0).toString();
        column.typeName = row.value(1).toString();
        column.key = row.value(2).toBool();
        column.generated = row.value(4).toBool();
        const QString identity = row.value(5).toString();
        column.identity = identity.isEmpty() ? 0 : identity.at(0).toLatin1();
        column.defaultExpression = row.value(6).toString();
        if (column.key)
            keyOrder.insert(row.value(3).toInt(), int(facts.columns.size()));
        facts.columns.append(column);
    }
    facts.keyColumns = keyOrder.values();
    return facts;
}

QString selectRowsSql(const TableFacts &facts, const QString &filter, const QString &sortColumn, Qt::SortOrder order)
{
    QString sql = u"SELECT "_s + returningList(facts) + u" FROM "_s + facts.qualifiedName;
    if (!filter.trimmed().isEmpty())
        sql += u" WHERE ("_s + filter + u"\n)"_s; // the newline ends a trailing -- comment
    QStringList orderBy;
    if (!sortColumn.isEmpty())
        orderBy.append(quoteIdentifier(sortColumn) + (order == Qt::DescendingOrder ? u" DESC"_s : u" ASC"_s));
    // Then by key: a stable order, so chunks and refreshes see the rows the same way.
    for (int index : facts.keyColumns) {
        if (facts.columns.at(index).name != sortColumn)
            orderBy.append(quoteIdentifier(facts.columns.at(index).name));
    }
    if (!orderBy.isEmpty())
        sql += u" ORDER BY "_s + orderBy.join(u", "_s);
    return sql;
}

TableStatement insertRowStatement(const TableFacts &facts, const QMap<int, QVariant> &values)
{
    TableStatement statement;
    QStringList names;
    QStringList placeholders;
    for (auto it = values.cbegin(); it != values.cend(); ++it) {
        const TableColumn &column = facts.columns.at(it.key());
        if (column.generated || column.identity == 'a')
            continue; // the server's alone
        statement.args.append(it.value());
        names.append(quoteIdentifier(column.name));
        placeholders.append(u'$' + QString::number(statement.args.size()));
    }
    statement.sql = u"INSERT INTO "_s + facts.qualifiedName
        + (names.isEmpty() ? u" DEFAULT VALUES"_s
                           : u" ("_s + names.join(u", "_s) + u") VALUES ("_s + placeholders.join(u", "_s) + u')')
        + u" RETURNING "_s + returningList(facts);
    return statement;
}

TableStatement updateRowStatement(const TableFacts &facts, const Record &original, const QMap<int, QVariant> &values)
{
    TableStatement statement;
    QStringList assignments;
    for (auto it = values.cbegin(); it != values.cend(); ++it) {
        statement.args.append(it.value());
        assignments.append(quoteIdentifier(facts.columns.at(it.key()).name) + u" = $"_s
                           + QString::number(statement.args.size()));
    }
    const QString where = rowCondition(facts, original, statement.args);
    statement.sql = u"UPDATE "_s + facts.qualifiedName + u" SET "_s + assignments.join(u", "_s) + u" WHERE "_s + where
        + u" RETURNING "_s + returningList(facts);
    return statement;
}

TableStatement deleteRowStatement(const TableFacts &facts, const Record &original)
{
    TableStatement statement;
    const QString where = rowCondition(facts, original, statement.args);
    statement.sql = u"DELETE FROM "_s + facts.qualifiedName + u" WHERE "_s + where + u" RETURNING 1"_s;
    return statement;
}

} // namespace QPg::Private
