// SPDX-License-Identifier: MIT
#include "eventlogmodel.h"

#include "theme.h"

#include <QtGui/QGuiApplication>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitor {

EventLogModel::EventLogModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

EventLogModel::~EventLogModel() = default;

void EventLogModel::append(const MonitorEvent &event)
{
    if (m_events.size() >= MaxEvents) {
        const int drop = int(m_events.size()) - MaxEvents + 1;
        beginRemoveRows({}, 0, drop - 1);
        m_events.remove(0, drop);
        endRemoveRows();
    }
    const int row = int(m_events.size());
    beginInsertRows({}, row, row);
    m_events.append(event);
    endInsertRows();
}

void EventLogModel::clear()
{
    beginResetModel();
    m_events.clear();
    endResetModel();
}

int EventLogModel::count(const QString &needle) const
{
    int n = 0;
    for (const MonitorEvent &event : m_events) {
        if (event.text.contains(needle, Qt::CaseInsensitive))
            ++n;
    }
    return n;
}

int EventLogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_events.size());
}

int EventLogModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EventLogModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_events.size())
        return {};
    const MonitorEvent &event = m_events.at(index.row());
    if (role == Qt::DisplayRole || role == Qt::ToolTipRole) {
        switch (index.column()) {
        case Time:
            return event.time.toString(u"HH:mm:ss.zzz"_s);
        case Kind:
            return MonitorEvent::kindName(event.kind);
        case Text:
            return event.text;
        }
    }
    if (role == Qt::ForegroundRole && index.column() == Kind) {
        const QPalette palette = QGuiApplication::palette();
        switch (event.kind) {
        case MonitorEvent::Kind::Opened:
            return Theme::seriesColor(Theme::Series::Idle, palette);
        case MonitorEvent::Kind::Closed:
            return Theme::seriesColor(Theme::Series::Active, palette);
        case MonitorEvent::Kind::Timeout:
        case MonitorEvent::Kind::ConnectFailed:
        case MonitorEvent::Kind::Leak:
        case MonitorEvent::Kind::Error:
            return Theme::errorColor(palette);
        case MonitorEvent::Kind::Info:
            return Theme::subtleTextColor(palette);
        }
    }
    return {};
}

QVariant EventLogModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Time:
        return u"Time"_s;
    case Kind:
        return u"Kind"_s;
    case Text:
        return u"Event"_s;
    }
    return {};
}

} // namespace QPg::Monitor
