// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/record.h>

#include <QtCore/QAbstractTableModel>

namespace QPg::Monitor {

// A query result as a table. Values are decoded lazily by QPg::Record, only for visible cells.
class RecordTableModel : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RecordTableModel)
public:
    explicit RecordTableModel(QObject *parent = nullptr);
    ~RecordTableModel() override;

    void setRecords(const QPg::RecordList &records);
    // Appends a chunk of a streamed result (rows inserted, no reset: the view keeps its place).
    void appendRecords(const QPg::RecordList &records);
    void clear();
    const QPg::RecordList &records() const { return m_records; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // How a value is shown: NULL, timestamps in PostgreSQL syntax, JSON compact, bytea as \x hex.
    static QString displayText(const QVariant &value);

private:
    QPg::RecordList m_records;
    QStringList m_columns;
};

} // namespace QPg::Monitor
