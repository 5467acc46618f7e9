// SPDX-License-Identifier: MIT
#pragma once

#include "attachtarget.h"

#include <QtCore/QAbstractTableModel>

namespace QPg::Monitor {

class RemotePoolSource;

// The attached applications and one row per pool, in the style of PgBouncer's SHOW POOLS. Owns the
// RemotePoolSources: attach() adds one (or returns the one already attached to that target).
class PoolOverviewModel : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PoolOverviewModel)
public:
    enum Column {
        Application,
        Pool,
        State,
        Size,
        Idle,
        Active,
        Waiting,
        MaxWait,
        AcquiresPerSecond,
        ErrorsPerSecond,
        WaitP99,
        ColumnCount
    };

    explicit PoolOverviewModel(QObject *parent = nullptr);
    ~PoolOverviewModel() override;

    // directory: where local applications are discovered (empty: the default). The same target
    // again returns its source, which retries at once (with the new token) if not attached.
    RemotePoolSource *attach(const AttachTarget &target, const QString &directory = {});
    QList<RemotePoolSource *> sources() const { return m_sources; }

    RemotePoolSource *sourceAt(int row) const;
    QString poolAt(int row) const;
    int rowOf(const RemotePoolSource *source, const QString &pool) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    void rebuild();

    QList<RemotePoolSource *> m_sources;
    QList<QPair<RemotePoolSource *, QString>> m_rows;
};

} // namespace QPg::Monitor
