// SPDX-License-Identifier: MIT
#include "qmltablemodel.h"

namespace QPg::Qml {

QmlTableModel::QmlTableModel(QObject *parent)
    : TableModel(parent)
    , m_runner(new QmlModelRunner(this, [this](QPg::Pool *pool) { run(pool); }))
{
    connect(this, &QueryModel::statusChanged, this, &QmlTableModel::errorChanged);
    connect(m_runner, &QmlModelRunner::rowCountChanged, this, &QmlTableModel::rowCountChanged);
    connect(this, &QueryModel::listeningChanged, this, &QmlTableModel::listeningStateChanged);
}

QmlTableModel::~QmlTableModel() = default;

void QmlTableModel::run(QPg::Pool *pool)
{
    if (m_table.isEmpty())
        return;
    if (pool != this->pool() || m_table != tableName())
        setTable(pool, m_table);
    setFilter(m_filter, m_filterArguments);
    select();
}

void QmlTableModel::setPoolElement(QmlPool *pool)
{
    if (m_runner->setPoolElement(pool))
        Q_EMIT poolChanged();
}

void QmlTableModel::setTableText(const QString &table)
{
    if (table == m_table)
        return;
    m_table = table;
    Q_EMIT tableTextChanged();
    m_runner->schedule();
}

void QmlTableModel::setFilterText(const QString &condition)
{
    if (condition == m_filter)
        return;
    m_filter = condition;
    Q_EMIT filterTextChanged();
    m_runner->schedule();
}

void QmlTableModel::setFilterArgumentList(const QVariantList &arguments)
{
    if (arguments == m_filterArguments)
        return;
    m_filterArguments = arguments;
    Q_EMIT filterTextChanged();
    m_runner->schedule();
}

void QmlTableModel::setSortColumnSelecting(const QString &column)
{
    if (column == sortColumn())
        return;
    setSortColumn(column);
    m_runner->schedule();
}

void QmlTableModel::setSortOrderSelecting(Qt::SortOrder order)
{
    if (order == sortOrder())
        return;
    setSortOrder(order);
    m_runner->schedule();
}

void QmlTableModel::setRefreshChannel(const QString &channel)
{
    if (m_runner->setRefreshChannel(channel))
        Q_EMIT refreshChannelChanged();
}

void QmlTableModel::setRefreshDelay(int milliseconds)
{
    if (m_runner->setRefreshDelay(milliseconds))
        Q_EMIT refreshDelayChanged();
}

bool QmlTableModel::set(int row, const QString &column, const QVariant &value)
{
    const int c = int(columnNames().indexOf(column));
    return c >= 0 && setData(index(row, c), value, Qt::EditRole);
}

int QmlTableModel::appendRow()
{
    const int row = rowCount();
    return insertRows(row, 1) ? row : -1;
}

bool QmlTableModel::removeRow(int row)
{
    return removeRows(row, 1);
}

QVariant QmlTableModel::data(const QModelIndex &index, int role) const
{
    if (!QmlModelRunner::isNamedRole(role))
        return TableModel::data(index, role);
    const int column = m_runner->columnOfRole(role);
    if (column < 0 || !index.isValid())
        return {}; // a column of an earlier table
    return TableModel::data(index, ColumnRole + column);
}

bool QmlTableModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (QmlModelRunner::isNamedRole(role)) {
        // A list delegate assigns to its row's column by name: index is the row's first cell.
        const int column = m_runner->columnOfRole(role);
        return column >= 0 && TableModel::setData(this->index(index.row(), column), value, Qt::EditRole);
    }
    if (role == Qt::DisplayRole)
        role = Qt::EditRole; // a table delegate assigns to display
    return TableModel::setData(index, value, role);
}

} // namespace QPg::Qml
