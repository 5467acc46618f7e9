// SPDX-License-Identifier: MIT
#pragma once

#include "qmlmodelsupport_p.h"
#include "qmlpool.h"

#include <QPg/querymodel.h>

#include <QtQml/QJSValue>
#include <QtQml/QQmlParserStatus>
#include <QtQml/qqmlregistration.h>

namespace QPg::Qml {

// QML's QueryModel: a QPg::QueryModel whose pool, query and arguments are properties. It runs when
// the component is complete, and again whenever they change (several changes in one pass run once)
// or the Pool element (re)opens.
//
//   Pool { id: db; dsn: "dbname=app"; Component.onCompleted: open() }
//   QueryModel {
//       id: fruit
//       pool: db
//       query: "SELECT id, name FROM fruit WHERE quantity > $1 ORDER BY id"
//       arguments: [ minimum.value ]
//       refreshChannel: "fruit_changed"   // re-runs on NOTIFY fruit_changed
//   }
//   ListView { model: fruit; delegate: Text { text: id + ": " + name } }
//   TableView { model: fruit; delegate: Text { text: display } }
class QmlQueryModel : public QPg::QueryModel, public QQmlParserStatus
{
    Q_OBJECT
    QML_NAMED_ELEMENT(QueryModel)
    Q_INTERFACES(QQmlParserStatus)

    Q_PROPERTY(QPg::Qml::QmlPool *pool READ poolElement WRITE setPoolElement NOTIFY poolChanged)
    Q_PROPERTY(QString query READ queryText WRITE setQueryText NOTIFY queryChanged)
    Q_PROPERTY(QVariantList arguments READ argumentList WRITE setArgumentList NOTIFY argumentsChanged)
    Q_PROPERTY(QString sqlState READ sqlState NOTIFY errorChanged)
    Q_PROPERTY(int errorPosition READ errorPosition NOTIFY errorChanged)
    Q_PROPERTY(int rowCount READ rows NOTIFY rowCountChanged)
    Q_PROPERTY(QStringList keyColumns READ keyColumns WRITE setKeyColumnList NOTIFY keyColumnsChanged)
    Q_PROPERTY(QString refreshChannel READ refreshChannel WRITE setRefreshChannel NOTIFY refreshChannelChanged)
    // Milliseconds to wait after a NOTIFY before refreshing, so bursts refresh once (default 200).
    Q_PROPERTY(int refreshDelay READ refreshDelay WRITE setRefreshDelay NOTIFY refreshDelayChanged)
    // True once the LISTEN for refreshChannel is in place (a NOTIFY sent before may be missed).
    Q_PROPERTY(bool listening READ isListening NOTIFY listeningStateChanged)

public:
    explicit QmlQueryModel(QObject *parent = nullptr);
    ~QmlQueryModel() override;

    QmlPool *poolElement() const { return m_runner->poolElement(); }
    void setPoolElement(QmlPool *pool);
    QString queryText() const { return m_query; }
    void setQueryText(const QString &sql);
    QVariantList argumentList() const { return m_arguments; }
    void setArgumentList(const QVariantList &arguments);
    QString sqlState() const { return m_runner->sqlState(); }
    int errorPosition() const { return m_runner->errorPosition(); }
    int rows() const { return rowCount(); }
    void setKeyColumnList(const QStringList &columns);
    void setRefreshChannel(const QString &channel);
    int refreshDelay() const { return m_runner->refreshDelay(); }
    void setRefreshDelay(int milliseconds);

    // Re-runs the query now (QueryModel::refresh(), keeping rows in place by keyColumns).
    Q_INVOKABLE void refresh() { QueryModel::refresh(); }
    // Cancels the running query on the server; the rows read so far stay.
    Q_INVOKABLE void cancel() { QueryModel::cancel(); }
    // Drops the rows and stops running: pool, query and arguments stay, and a change of one runs again.
    Q_INVOKABLE void clear() { m_runner->clearModel(); }
    // The row as a JavaScript object keyed by column name (undefined for a row that does not exist).
    Q_INVOKABLE QJSValue get(int row) const { return m_runner->row(row); }

    void classBegin() override {}
    void componentComplete() override { m_runner->complete(); }

    QHash<int, QByteArray> roleNames() const override { return m_runner->namedRoles(QueryModel::roleNames()); }
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

Q_SIGNALS:
    void poolChanged();
    void queryChanged();
    void argumentsChanged();
    void errorChanged();
    void rowCountChanged();
    void keyColumnsChanged();
    void refreshChannelChanged();
    void refreshDelayChanged();
    void listeningStateChanged(); // QueryModel::listeningChanged(bool), for the property

private:
    QmlModelRunner *const m_runner;
    QString m_query;
    QVariantList m_arguments;
};

} // namespace QPg::Qml
