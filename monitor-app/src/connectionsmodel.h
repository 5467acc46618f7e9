// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/poolstats.h>

#include <QtCore/QAbstractTableModel>

namespace QPg::Monitor {

// One row per pooled connection, from the latest snapshot. Qt::DisplayRole is formatted text;
// SortRole holds raw numbers so a QSortFilterProxyModel sorts ages and counts correctly.
class ConnectionsModel : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectionsModel)
public:
    enum Column {
        Id,
        BackendPid,
        State,
        Age,
        IdleFor,
        Queries,
        Generation,
        TransactionStatus,
        CurrentQuery,
        QueryTime,
        Holder,
        ColumnCount
    };
    static constexpr int SortRole = Qt::UserRole + 1;

    explicit ConnectionsModel(QObject *parent = nullptr);
    ~ConnectionsModel() override;

    void setConnections(const QList<QPg::ConnectionInfo> &connections);
    void setMaxQueries(qint64 maxQueries);
    const QList<QPg::ConnectionInfo> &connections() const { return m_connections; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    static QString formatDuration(qint64 ms);

private:
    QList<QPg::ConnectionInfo> m_connections;
    qint64 m_maxQueries;
};

} // namespace QPg::Monitor
