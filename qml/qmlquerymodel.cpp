// SPDX-License-Identifier: MIT
#include "qmlquerymodel.h"

namespace QPg::Qml {

QmlQueryModel::QmlQueryModel(QObject *parent)
    : QueryModel(parent)
    , m_runner(new QmlModelRunner(this, [this](QPg::Pool *pool) {
        if (!m_query.isEmpty())
            setQuery(pool, m_query, m_arguments);
    }))
{
    connect(this, &QueryModel::statusChanged, this, &QmlQueryModel::errorChanged);
    connect(this, &QueryModel::listeningChanged, this, &QmlQueryModel::listeningStateChanged);
    connect(m_runner, &QmlModelRunner::rowCountChanged, this, &QmlQueryModel::rowCountChanged);
}

QmlQueryModel::~QmlQueryModel() = default;

void QmlQueryModel::setPoolElement(QmlPool *pool)
{
    if (m_runner->setPoolElement(pool))
        Q_EMIT poolChanged();
}

void QmlQueryModel::setQueryText(const QString &sql)
{
    if (sql == m_query)
        return;
    m_query = sql;
    Q_EMIT queryChanged();
    m_runner->schedule();
}

void QmlQueryModel::setArgumentList(const QVariantList &arguments)
{
    if (arguments == m_arguments)
        return;
    m_arguments = arguments;
    Q_EMIT argumentsChanged();
    m_runner->schedule();
}

void QmlQueryModel::setKeyColumnList(const QStringList &columns)
{
    if (columns == keyColumns())
        return;
    setKeyColumns(columns);
    Q_EMIT keyColumnsChanged();
}

void QmlQueryModel::setRefreshChannel(const QString &channel)
{
    if (m_runner->setRefreshChannel(channel))
        Q_EMIT refreshChannelChanged();
}

void QmlQueryModel::setRefreshDelay(int milliseconds)
{
    if (m_runner->setRefreshDelay(milliseconds))
        Q_EMIT refreshDelayChanged();
}

QVariant QmlQueryModel::data(const QModelIndex &index, int role) const
{
    if (!QmlModelRunner::isNamedRole(role))
        return QueryModel::data(index, role);
    const int column = m_runner->columnOfRole(role);
    if (column < 0 || !index.isValid())
        return {}; // a column of an earlier query
    return QueryModel::data(index, ColumnRole + column);
}

} // namespace QPg::Qml
