// SPDX-License-Identifier: MIT
#include "qmlquerymodel.h"

#include "qmlvalues_p.h"

#include <QPg/errors.h>

#include <QtQml/QJSEngine>

namespace QPg::Qml {

QmlQueryModel::QmlQueryModel(QObject *parent)
    : QueryModel(parent)
{
    connect(this, &QueryModel::statusChanged, this, &QmlQueryModel::errorChanged);
    connect(this, &QueryModel::listeningChanged, this, &QmlQueryModel::listeningStateChanged);
    // One rowCount notification for every way the row count can change.
    const auto countMayHaveChanged = [this] {
        if (rowCount() == m_lastRowCount)
            return;
        m_lastRowCount = rowCount();
        Q_EMIT rowCountChanged();
    };
    connect(this, &QAbstractItemModel::rowsInserted, this, countMayHaveChanged);
    connect(this, &QAbstractItemModel::rowsRemoved, this, countMayHaveChanged);
    connect(this, &QAbstractItemModel::modelReset, this, countMayHaveChanged);
    connect(this, &QAbstractItemModel::layoutChanged, this, countMayHaveChanged);
}

QmlQueryModel::~QmlQueryModel() = default;

void QmlQueryModel::setPoolElement(QmlPool *pool)
{
    if (pool == m_pool)
        return;
    if (m_pool)
        disconnect(m_pool, nullptr, this, nullptr);
    m_pool = pool;
    if (m_pool)
        connect(m_pool, &QmlPool::opened, this, &QmlQueryModel::scheduleRun);
    Q_EMIT poolChanged();
    scheduleRun();
}

void QmlQueryModel::setQueryText(const QString &sql)
{
    if (sql == m_query)
        return;
    m_query = sql;
    Q_EMIT queryChanged();
    scheduleRun();
}

void QmlQueryModel::setArgumentList(const QVariantList &arguments)
{
    if (arguments == m_arguments)
        return;
    m_arguments = arguments;
    Q_EMIT argumentsChanged();
    scheduleRun();
}

QString QmlQueryModel::sqlState() const
{
    const auto *serverError = dynamic_cast<const ServerError *>(error());
    return serverError ? serverError->sqlState() : QString();
}

int QmlQueryModel::errorPosition() const
{
    const auto *serverError = dynamic_cast<const ServerError *>(error());
    return serverError ? serverError->position() : 0;
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
    if (channel == refreshChannel())
        return;
    setRefreshOnNotify(channel, std::chrono::milliseconds(m_refreshDelay));
    Q_EMIT refreshChannelChanged();
}

void QmlQueryModel::setRefreshDelay(int milliseconds)
{
    milliseconds = std::max(0, milliseconds);
    if (milliseconds == m_refreshDelay)
        return;
    m_refreshDelay = milliseconds;
    setRefreshOnNotify(refreshChannel(), std::chrono::milliseconds(m_refreshDelay));
    Q_EMIT refreshDelayChanged();
}

void QmlQueryModel::clear()
{
    // QueryModel::clear() forgets the channel too; the property still names it, so listen again.
    const QString channel = refreshChannel();
    m_runScheduled = false;
    QueryModel::clear();
    setRefreshOnNotify(channel, std::chrono::milliseconds(m_refreshDelay));
}

QJSValue QmlQueryModel::get(int row) const
{
    QJSEngine *engine = qjsEngine(this);
    if (!engine || row < 0 || row >= rowCount())
        return QJSValue(QJSValue::UndefinedValue);
    return toJsObject(engine, record(row));
}

QHash<int, QByteArray> QmlQueryModel::roleNames() const
{
    QHash<int, QByteArray> names = QueryModel::roleNames();
    const QStringList columns = columnNames();
    for (int column = 0; column < columns.size(); ++column) {
        names.remove(ColumnRole + column);
        const QByteArray name = columns.at(column).toUtf8();
        auto id = m_roleIds.constFind(name);
        if (id == m_roleIds.cend()) {
            id = m_roleIds.insert(name, NamedColumnRole + int(m_roleNames.size()));
            m_roleNames.append(name);
        }
        names.insert(*id, name);
    }
    return names;
}

QVariant QmlQueryModel::data(const QModelIndex &index, int role) const
{
    if (role < NamedColumnRole)
        return QueryModel::data(index, role);
    const qsizetype named = role - NamedColumnRole;
    if (named >= m_roleNames.size() || !index.isValid())
        return {};
    const int column = int(columnNames().indexOf(QString::fromUtf8(m_roleNames.at(named))));
    if (column < 0)
        return {}; // a column of an earlier query
    return QueryModel::data(index, ColumnRole + column);
}

void QmlQueryModel::componentComplete()
{
    m_complete = true;
    scheduleRun();
}

void QmlQueryModel::scheduleRun()
{
    if (!m_complete || m_runScheduled)
        return;
    m_runScheduled = true;
    QMetaObject::invokeMethod(this, &QmlQueryModel::run, Qt::QueuedConnection);
}

void QmlQueryModel::run()
{
    if (!std::exchange(m_runScheduled, false))
        return; // cleared meanwhile
    if (!m_pool || m_pool->status() != QmlPool::Status::Open || !m_pool->pool() || m_query.isEmpty())
        return; // runs when the pool opens or a query is set
    setQuery(m_pool->pool(), m_query, m_arguments);
}

} // namespace QPg::Qml
