// SPDX-License-Identifier: MIT
#include "pooloverviewmodel.h"

#include "remotepoolsource.h"

#include <QtGui/QBrush>
#include <QtGui/QPalette>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitor {

PoolOverviewModel::PoolOverviewModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

PoolOverviewModel::~PoolOverviewModel() = default;

RemotePoolSource *PoolOverviewModel::attach(const AttachTarget &target, const QString &directory)
{
    for (RemotePoolSource *source : std::as_const(m_sources)) {
        const AttachTarget &t = source->target();
        if (t.kind == target.kind && t.displayName() == target.displayName()) {
            source->attachAgain(target.token);
            return source;
        }
    }
    auto *source = new RemotePoolSource(target, 4, directory, this);
    m_sources.append(source);
    connect(source, &RemotePoolSource::poolsChanged, this, &PoolOverviewModel::rebuild);
    connect(source, &RemotePoolSource::stateChanged, this, [this, source] {
        for (int row = 0; row < m_rows.size(); ++row) {
            if (m_rows.at(row).first == source)
                Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
        }
    });
    connect(source, &RemotePoolSource::sampleAdded, this, [this, source](const QString &pool) {
        const int row = rowOf(source, pool);
        if (row >= 0)
            Q_EMIT dataChanged(index(row, State), index(row, ColumnCount - 1));
    });
    source->start();
    rebuild();
    return source;
}

void PoolOverviewModel::rebuild()
{
    beginResetModel();
    m_rows.clear();
    for (RemotePoolSource *source : std::as_const(m_sources)) {
        const QStringList pools = source->poolNames();
        if (pools.isEmpty())
            m_rows.append({source, QString()}); // not attached yet: the application's own row
        for (const QString &pool : pools)
            m_rows.append({source, pool});
    }
    endResetModel();
}

RemotePoolSource *PoolOverviewModel::sourceAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows.at(row).first : nullptr;
}

QString PoolOverviewModel::poolAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows.at(row).second : QString();
}

int PoolOverviewModel::rowOf(const RemotePoolSource *source, const QString &pool) const
{
    for (int row = 0; row < m_rows.size(); ++row) {
        if (m_rows.at(row).first == source && m_rows.at(row).second == pool)
            return row;
    }
    return -1;
}

int PoolOverviewModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int PoolOverviewModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant PoolOverviewModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const auto &[source, poolName] = m_rows.at(index.row());
    const RemotePoolSource::PoolData *pool = source->pool(poolName);
    const bool attached = source->state() == RemotePoolSource::State::Attached;
    if (role == Qt::ToolTipRole && index.column() == State)
        return source->statusText().isEmpty() ? QVariant() : QVariant(source->statusText());
    if (role == Qt::ForegroundRole && !attached)
        return QBrush(QPalette().color(QPalette::Disabled, QPalette::Text));
    if (role == Qt::TextAlignmentRole && index.column() >= Size)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};

    const int column = index.column();
    if (column == Application)
        return source->pid() > 0 ? u"%1 (%2)"_s.arg(source->applicationName()).arg(source->pid())
                                 : source->applicationName();
    if (column == Pool)
        return poolName;
    if (column == State) {
        if (attached && pool && pool->closed)
            return u"closed"_s;
        return RemotePoolSource::stateName(source->state());
    }
    if (!pool || pool->history.isEmpty())
        return {};
    const StatsSample &last = pool->history.constLast();
    switch (column) {
    case Size:
        return last.size;
    case Idle:
        return last.idle;
    case Active:
        return last.active;
    case Waiting:
        return last.waiting;
    case MaxWait:
        return u"%1 ms"_s.arg(last.oldestWaitMs, 0, 'f', 1);
    case AcquiresPerSecond:
        return QString::number(last.acquiresPerSecond, 'f', 1);
    case ErrorsPerSecond:
        return QString::number(last.errorsPerSecond, 'f', 1);
    case WaitP99:
        return u"%1 ms"_s.arg(last.waitP99Ms, 0, 'f', 2);
    default:
        return {};
    }
}

QVariant PoolOverviewModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::ToolTipRole && section == MaxWait)
        return u"How long the oldest waiting acquire has waited (PgBouncer's maxwait)"_s;
    if (role == Qt::ToolTipRole && section == WaitP99)
        return u"The 99th percentile of acquire waits over the last 10 s"_s;
    if (role != Qt::DisplayRole)
        return {};
    static const char *const names[] = {"Application", "Pool",       "State",      "Size",
                                        "Idle",        "Active",     "Waiting",    "Max wait",
                                        "Acquires/s",  "Errors/s",   "p99 wait"};
    return section >= 0 && section < ColumnCount ? QString::fromLatin1(names[section]) : QVariant();
}

} // namespace QPg::Monitor
