// SPDX-License-Identifier: MIT
#include "connectionsmodel.h"

#include "theme.h"

#include <QPg/pooloptions.h>

#include <QtGui/QFont>
#include <QtGui/QGuiApplication>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitor {

ConnectionsModel::ConnectionsModel(QObject *parent)
    : QAbstractTableModel(parent)
    , m_maxQueries(QPg::PoolOptions().maxQueries) // the monitor's pools keep the default
{
}

ConnectionsModel::~ConnectionsModel() = default;

void ConnectionsModel::setConnections(const QList<QPg::ConnectionInfo> &connections)
{
    bool sameRows = connections.size() == m_connections.size();
    for (qsizetype i = 0; sameRows && i < connections.size(); ++i)
        sameRows = connections[i].id == m_connections[i].id;
    if (sameRows) {
        // Same connections: update in place, so selection and scroll position survive.
        m_connections = connections;
        if (!m_connections.isEmpty())
            Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
        return;
    }
    beginResetModel();
    m_connections = connections;
    endResetModel();
}

void ConnectionsModel::setMaxQueries(qint64 maxQueries)
{
    m_maxQueries = maxQueries;
}

int ConnectionsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_connections.size());
}

int ConnectionsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString ConnectionsModel::formatDuration(qint64 ms)
{
    if (ms < 1000)
        return u"%1 ms"_s.arg(ms);
    if (ms < 60'000)
        return u"%1 s"_s.arg(double(ms) / 1000.0, 0, 'f', 1);
    if (ms < 3'600'000)
        return u"%1 min %2 s"_s.arg(ms / 60'000).arg((ms / 1000) % 60);
    return u"%1 h %2 min"_s.arg(ms / 3'600'000).arg((ms / 60'000) % 60);
}

QVariant ConnectionsModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_connections.size())
        return {};
    const QPg::ConnectionInfo &c = m_connections.at(index.row());
    const bool idle = c.state == QPg::ConnectionInfo::State::Idle;
    const bool busy = !c.currentQuery.isEmpty();
    if (role == SortRole) {
        switch (index.column()) {
        case Id:
            return c.id;
        case BackendPid:
            return c.backendPid;
        case State:
            return int(c.state);
        case Age:
            return c.ageMs;
        case IdleFor:
            return c.idleMs;
        case Queries:
            return c.queries;
        case Generation:
            return c.generation;
        case TransactionStatus:
            return c.transactionStatus;
        case CurrentQuery:
            return c.currentQuery;
        case QueryTime:
            return c.currentQueryMs;
        case Holder:
            return c.holder;
        }
        return {};
    }
    if (role == Qt::DisplayRole || role == Qt::ToolTipRole) {
        switch (index.column()) {
        case Id:
            return u"#%1"_s.arg(c.id);
        case BackendPid:
            return c.backendPid ? QVariant(c.backendPid) : QVariant(u"–"_s);
        case State:
            return QPg::connectionStateName(c.state);
        case Age:
            return formatDuration(c.ageMs);
        case IdleFor:
            return idle ? formatDuration(c.idleMs) : QString();
        case Queries:
            return m_maxQueries > 0 ? u"%1 / %2"_s.arg(c.queries).arg(m_maxQueries) : QString::number(c.queries);
        case Generation:
            return c.generation;
        case TransactionStatus:
            return c.transactionStatus;
        case CurrentQuery:
            return role == Qt::ToolTipRole ? c.currentQuery : c.currentQuery.simplified();
        case QueryTime:
            return busy ? formatDuration(c.currentQueryMs) : QString();
        case Holder:
            return c.state == QPg::ConnectionInfo::State::Acquired ? c.holder : QString();
        }
        return {};
    }
    if (role == Qt::TextAlignmentRole) {
        switch (index.column()) {
        case Id:
        case BackendPid:
        case Age:
        case IdleFor:
        case Queries:
        case Generation:
        case QueryTime:
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        default:
            return QVariant(Qt::AlignLeft | Qt::AlignVCenter);
        }
    }
    if (role == Qt::ForegroundRole && index.column() == State) {
        const QPalette palette = QGuiApplication::palette();
        switch (c.state) {
        case QPg::ConnectionInfo::State::Idle:
            return Theme::seriesColor(Theme::Series::Idle, palette);
        case QPg::ConnectionInfo::State::Acquired:
            return Theme::seriesColor(Theme::Series::Active, palette);
        case QPg::ConnectionInfo::State::Closing:
            return Theme::errorColor(palette);
        default:
            return Theme::subtleTextColor(palette);
        }
    }
    return {};
}

QVariant ConnectionsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Id:
        return u"Id"_s;
    case BackendPid:
        return u"Backend PID"_s;
    case State:
        return u"State"_s;
    case Age:
        return u"Age"_s;
    case IdleFor:
        return u"Idle for"_s;
    case Queries:
        return u"Queries / max"_s;
    case Generation:
        return u"Generation"_s;
    case TransactionStatus:
        return u"Transaction"_s;
    case CurrentQuery:
        return u"Current query"_s;
    case QueryTime:
        return u"Running for"_s;
    case Holder:
        return u"Holder"_s;
    }
    return {};
}

} // namespace QPg::Monitor
