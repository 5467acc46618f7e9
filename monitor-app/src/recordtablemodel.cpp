// SPDX-License-Identifier: MIT
#include "recordtablemodel.h"

#include "theme.h"

#include <QPg/querymodel.h>

#include <QtGui/QFont>
#include <QtGui/QGuiApplication>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitor {

namespace {
// Long cells are cut for display; the tooltip has a longer excerpt.
constexpr int MaxCellLength = 200;
} // namespace

RecordTableModel::RecordTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

RecordTableModel::~RecordTableModel() = default;

void RecordTableModel::setRecords(const QPg::RecordList &records)
{
    beginResetModel();
    m_records = records;
    m_columns = records.isEmpty() ? QStringList() : records.first().columnNames();
    endResetModel();
}

void RecordTableModel::appendRecords(const QPg::RecordList &records)
{
    if (records.isEmpty())
        return;
    if (m_records.isEmpty()) {
        setRecords(records);
        return;
    }
    const int first = int(m_records.size());
    beginInsertRows({}, first, first + int(records.size()) - 1);
    m_records.append(records);
    endInsertRows();
}

void RecordTableModel::clear()
{
    setRecords({});
}

int RecordTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_records.size());
}

int RecordTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_columns.size());
}

QString RecordTableModel::displayText(const QVariant &value)
{
    return QPg::QueryModel::displayText(value);
}

QVariant RecordTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_records.size())
        return {};
    const QPg::Record &record = m_records.at(index.row());
    switch (role) {
    case Qt::DisplayRole: {
        const QString text = displayText(record.value(index.column()));
        return text.size() > MaxCellLength ? text.left(MaxCellLength) + u'…' : text;
    }
    case Qt::ToolTipRole:
        return displayText(record.value(index.column())).left(MaxCellLength * 10);
    case Qt::ForegroundRole:
        if (record.isNull(index.column()))
            return Theme::subtleTextColor(QGuiApplication::palette());
        return {};
    case Qt::FontRole:
        if (record.isNull(index.column())) {
            QFont font;
            font.setItalic(true);
            return font;
        }
        return {};
    case Qt::TextAlignmentRole: {
        const QMetaType type = record.value(index.column()).metaType();
        const bool numeric = type == QMetaType::fromType<int>() || type == QMetaType::fromType<qlonglong>()
            || type == QMetaType::fromType<double>() || type == QMetaType::fromType<uint>();
        return QVariant((numeric ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignVCenter);
    }
    default:
        return {};
    }
}

QVariant RecordTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (orientation == Qt::Vertical)
        return section + 1;
    if (section < 0 || section >= m_columns.size())
        return {};
    if (role == Qt::ToolTipRole && !m_records.isEmpty())
        return m_records.first().columnTypeName(section);
    return m_columns.at(section);
}

} // namespace QPg::Monitor
