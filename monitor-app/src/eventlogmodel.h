// SPDX-License-Identifier: MIT
#pragma once

#include "monitorevent.h"

#include <QtCore/QAbstractTableModel>

namespace QPg::Monitor {

// The event log: time, kind, text. Keeps the newest MaxEvents entries so it cannot grow forever.
class EventLogModel : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EventLogModel)
public:
    enum Column { Time, Kind, Text, ColumnCount };
    static constexpr int MaxEvents = 5000;

    explicit EventLogModel(QObject *parent = nullptr);
    ~EventLogModel() override;

    void append(const QPg::Monitor::MonitorEvent &event);
    void clear();
    const QList<MonitorEvent> &events() const { return m_events; }
    // Events whose text contains needle (case-insensitive), for tests and the status bar.
    int count(const QString &needle) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<MonitorEvent> m_events;
};

} // namespace QPg::Monitor
