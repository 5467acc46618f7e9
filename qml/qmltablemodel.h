// SPDX-License-Identifier: MIT
#pragma once

#include "qmlmodelsupport_p.h"
#include "qmlpool.h"

#include <QPg/tablemodel.h>

#include <QtQml/QJSValue>
#include <QtQml/QQmlParserStatus>
#include <QtQml/qqmlregistration.h>

namespace QPg::Qml {

// QML's TableModel: an editable QPg::TableModel whose pool, table, filter and sort are properties.
// It selects when the component is complete and whenever they change (once per pass) or the Pool
// element (re)opens; edits stay pending until submitAll() (or the next row, with OnRowChange).
//
//   TableModel {
//       id: fruit
//       pool: db
//       table: "fruit"
//       filter: "quantity > $1"; filterArguments: [ 10 ]
//       sortColumn: "name"
//   }
//   TableView {
//       model: fruit
//       delegate: TextField { text: display; onEditingFinished: display = text }  // setData
//   }
//   Button { text: "Save"; enabled: fruit.dirty; onClicked: fruit.submitAll() }
class QmlTableModel : public QPg::TableModel, public QQmlParserStatus
{
    Q_OBJECT
    QML_NAMED_ELEMENT(TableModel)
    Q_INTERFACES(QQmlParserStatus)

    Q_PROPERTY(QPg::Qml::QmlPool *pool READ poolElement WRITE setPoolElement NOTIFY poolChanged)
    // "name" or "schema.name", as written (no SQL quoting).
    Q_PROPERTY(QString table READ tableText WRITE setTableText NOTIFY tableTextChanged)
    // A SQL condition (WHERE without the WHERE) whose $1, $2... are bound to filterArguments.
    Q_PROPERTY(QString filter READ filterText WRITE setFilterText NOTIFY filterTextChanged)
    Q_PROPERTY(QVariantList filterArguments READ filterArgumentList WRITE setFilterArgumentList NOTIFY filterTextChanged)
    Q_PROPERTY(QString sortColumn READ sortColumn WRITE setSortColumnSelecting NOTIFY sortChanged)
    Q_PROPERTY(Qt::SortOrder sortOrder READ sortOrder WRITE setSortOrderSelecting NOTIFY sortChanged)
    Q_PROPERTY(QString sqlState READ sqlState NOTIFY errorChanged)
    Q_PROPERTY(int errorPosition READ errorPosition NOTIFY errorChanged)
    Q_PROPERTY(int rowCount READ rows NOTIFY rowCountChanged)
    // Selects again (debounced by refreshDelay ms) on each NOTIFY on this channel.
    Q_PROPERTY(QString refreshChannel READ refreshChannel WRITE setRefreshChannel NOTIFY refreshChannelChanged)
    Q_PROPERTY(int refreshDelay READ refreshDelay WRITE setRefreshDelay NOTIFY refreshDelayChanged)
    Q_PROPERTY(bool listening READ isListening NOTIFY listeningStateChanged)

public:
    explicit QmlTableModel(QObject *parent = nullptr);
    ~QmlTableModel() override;

    QmlPool *poolElement() const { return m_runner->poolElement(); }
    void setPoolElement(QmlPool *pool);
    QString tableText() const { return m_table; }
    void setTableText(const QString &table);
    QString filterText() const { return m_filter; }
    void setFilterText(const QString &condition);
    QVariantList filterArgumentList() const { return m_filterArguments; }
    void setFilterArgumentList(const QVariantList &arguments);
    void setSortColumnSelecting(const QString &column);
    void setSortOrderSelecting(Qt::SortOrder order);
    QString sqlState() const { return m_runner->sqlState(); }
    int errorPosition() const { return m_runner->errorPosition(); }
    int rows() const { return rowCount(); }
    void setRefreshChannel(const QString &channel);
    int refreshDelay() const { return m_runner->refreshDelay(); }
    void setRefreshDelay(int milliseconds);

    // The row as a JavaScript object keyed by column name, pending edits included.
    Q_INVOKABLE QJSValue get(int row) const { return m_runner->row(row); }
    // Edits one cell (kept until submitAll()); false when the cell is not editable.
    Q_INVOKABLE bool set(int row, const QString &column, const QVariant &value);
    // Adds an empty row at the end (sent by submitAll()); its index, or -1 when read-only.
    Q_INVOKABLE int appendRow();
    // Marks a row read from the table removed (until submitAll()), or drops an inserted one.
    Q_INVOKABLE bool removeRow(int row);

    void classBegin() override {}
    void componentComplete() override { m_runner->complete(); }

    QHash<int, QByteArray> roleNames() const override { return m_runner->namedRoles(TableModel::roleNames()); }
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    // Delegates assign to display, edit or a column's name; each is an edit of that cell.
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;

Q_SIGNALS:
    void poolChanged();
    void tableTextChanged();
    void filterTextChanged();
    void errorChanged();
    void rowCountChanged();
    void refreshChannelChanged();
    void refreshDelayChanged();
    void listeningStateChanged(); // QueryModel::listeningChanged(bool), for the property

private:
    void run(QPg::Pool *pool);

    QmlModelRunner *const m_runner;
    QString m_table;
    QString m_filter;
    QVariantList m_filterArguments;
};

} // namespace QPg::Qml
