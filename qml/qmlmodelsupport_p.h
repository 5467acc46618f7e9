// SPDX-License-Identifier: MIT
#pragma once

#include "qmlpool.h"

#include <QPg/querymodel.h>

#include <QtCore/QHash>
#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtQml/QJSValue>

#include <functional>

namespace QPg::Qml {

// What the QueryModel and TableModel elements share, so each declares only its properties.
//
// The Pool element a model runs on, and when it runs: once per pass of the event loop after any
// number of property changes, never before the component is complete or while the pool is not
// open, and again each time the pool (re)opens.
class QmlModelRunner : public QObject
{
    Q_OBJECT
public:
    // run gets the open pool; it is called from the event loop, never from a property setter.
    QmlModelRunner(QPg::QueryModel *model, std::function<void(QPg::Pool *)> run);

    QmlPool *poolElement() const { return m_pool; }
    // False when pool is the current one.
    bool setPoolElement(QmlPool *pool);
    void complete();
    void schedule();

    // Column roles by name whose ids last as long as the model: Qt Quick's views read roleNames()
    // once, when they create their first delegate, so a delegate made for one query must read its
    // column by name (or nothing) after another query, not whatever column now stands there.
    QHash<int, QByteArray> namedRoles(QHash<int, QByteArray> names) const;
    // The column a named role stands for now; -1 when it is not one or the column is gone.
    int columnOfRole(int role) const;
    static bool isNamedRole(int role) { return role >= NamedColumnRole; }

    // QueryModel::setRefreshOnNotify() as two properties; false when unchanged.
    bool setRefreshChannel(const QString &channel);
    int refreshDelay() const { return m_refreshDelay; }
    bool setRefreshDelay(int milliseconds);
    // QueryModel::clear() forgets the channel; the property still names it, so this listens again.
    void clearModel();

    // A row as a JavaScript object keyed by column name; undefined when there is no such row.
    QJSValue row(int row) const;
    // From the model's typed error: a server error's SQLSTATE and 1-based position.
    QString sqlState() const;
    int errorPosition() const;

Q_SIGNALS:
    // The model's row count changed (rows arrived or went, or a reset).
    void rowCountChanged();

private:
    void runNow();

    static constexpr int NamedColumnRole = Qt::UserRole + 0x10000;
    QPg::QueryModel *const m_model;
    const std::function<void(QPg::Pool *)> m_run;
    QPointer<QmlPool> m_pool;
    int m_refreshDelay = 200;
    bool m_complete = false;
    bool m_scheduled = false;
    int m_lastRowCount = 0;
    mutable QHash<QByteArray, int> m_roleIds;
    mutable QList<QByteArray> m_roleNames; // by id - NamedColumnRole
};

} // namespace QPg::Qml
