// SPDX-License-Identifier: MIT
#include "qmlmodelsupport_p.h"

#include "qmlvalues_p.h"

#include <QPg/errors.h>

#include <QtQml/QJSEngine>

namespace QPg::Qml {

QmlModelRunner::QmlModelRunner(QPg::QueryModel *model, std::function<void(QPg::Pool *)> run)
    : QObject(model)
    , m_model(model)
    , m_run(std::move(run))
{
    // One notification for every way the row count can change.
    const auto countMayHaveChanged = [this] {
        const int count = m_model->rowCount();
        if (count == std::exchange(m_lastRowCount, count))
            return;
        Q_EMIT rowCountChanged();
    };
    connect(model, &QAbstractItemModel::rowsInserted, this, countMayHaveChanged);
    connect(model, &QAbstractItemModel::rowsRemoved, this, countMayHaveChanged);
    connect(model, &QAbstractItemModel::modelReset, this, countMayHaveChanged);
    connect(model, &QAbstractItemModel::layoutChanged, this, countMayHaveChanged);
}

bool QmlModelRunner::setPoolElement(QmlPool *pool)
{
    if (pool == m_pool)
        return false;
    if (m_pool)
        disconnect(m_pool, nullptr, this, nullptr);
    m_pool = pool;
    if (m_pool)
        connect(m_pool, &QmlPool::opened, this, &QmlModelRunner::schedule);
    schedule();
    return true;
}

void QmlModelRunner::complete()
{
    m_complete = true;
    schedule();
}

void QmlModelRunner::schedule()
{
    if (!m_complete || m_scheduled)
        return;
    m_scheduled = true;
    QMetaObject::invokeMethod(this, &QmlModelRunner::runNow, Qt::QueuedConnection);
}

void QmlModelRunner::runNow()
{
    if (!std::exchange(m_scheduled, false))
        return; // the model was cleared meanwhile
    if (m_pool && m_pool->status() == QmlPool::Status::Open && m_pool->pool())
        m_run(m_pool->pool()); // otherwise it runs when the pool opens
}

bool QmlModelRunner::setRefreshChannel(const QString &channel)
{
    if (channel == m_model->refreshChannel())
        return false;
    m_model->setRefreshOnNotify(channel, std::chrono::milliseconds(m_refreshDelay));
    return true;
}

bool QmlModelRunner::setRefreshDelay(int milliseconds)
{
    milliseconds = std::max(0, milliseconds);
    if (milliseconds == m_refreshDelay)
        return false;
    m_refreshDelay = milliseconds;
    m_model->setRefreshOnNotify(m_model->refreshChannel(), std::chrono::milliseconds(m_refreshDelay));
    return true;
}

void QmlModelRunner::clearModel()
{
    const QString channel = m_model->refreshChannel();
    m_scheduled = false;
    m_model->clear();
    m_model->setRefreshOnNotify(channel, std::chrono::milliseconds(m_refreshDelay));
}

QHash<int, QByteArray> QmlModelRunner::namedRoles(QHash<int, QByteArray> names) const
{
    const QStringList columns = m_model->columnNames();
    for (int column = 0; column < columns.size(); ++column) {
        names.remove(QPg::QueryModel::ColumnRole + column);
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

int QmlModelRunner::columnOfRole(int role) const
{
    const qsizetype named = qsizetype(role) - NamedColumnRole;
    if (named < 0 || named >= m_roleNames.size())
        return -1;
    return int(m_model->columnNames().indexOf(QString::fromUtf8(m_roleNames.at(named))));
}

QJSValue QmlModelRunner::row(int row) const
{
    QJSEngine *engine = qjsEngine(m_model);
    if (!engine || row < 0 || row >= m_model->rowCount())
        return QJSValue(QJSValue::UndefinedValue);
    // Through data(), so a subclass's pending edits and inserted rows show too.
    const QStringList columns = m_model->columnNames();
    QJSValue object = engine->newObject();
    for (int c = int(columns.size()) - 1; c >= 0; --c) { // the first of duplicate names is set last
        const QVariant value = m_model->data(m_model->index(row, c), Qt::EditRole);
        object.setProperty(columns.at(c), engine->toScriptValue(toQml(value)));
    }
    return object;
}

QString QmlModelRunner::sqlState() const
{
    const auto *serverError = dynamic_cast<const ServerError *>(m_model->error());
    return serverError ? serverError->sqlState() : QString();
}

int QmlModelRunner::errorPosition() const
{
    const auto *serverError = dynamic_cast<const ServerError *>(m_model->error());
    return serverError ? serverError->position() : 0;
}

} // namespace QPg::Qml
