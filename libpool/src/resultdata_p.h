// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include "columndecoder_p.h"
#include "copiedrows_p.h"
#include "pgresult_p.h"
#include "typecodecs_p.h"

#include <QPg/record.h>

#include <QtCore/QHash>
#include <QtCore/QList>
#include <QtCore/QVarLengthArray>

#include <mutex>

namespace QPg {

// A completed query result shared by the Records that point into it. Values stay in libpq's
// buffer and are decoded on access, so handing over a large result costs nothing on the loop thread.
// Column names are decoded on first use (a fetchValue never needs them); each column's decoder is
// chosen once, when the result arrives.
class ResultData
{
public:
    explicit ResultData(Private::PGresultPtr result, Private::CustomCodecsPtr codecs = nullptr);
    // Rows a stream copied out of single-row results; the columns are those of rows.header.
    ResultData(Private::CopiedRows &&rows, Private::CustomCodecsPtr codecs);

    int rowCount() const { return m_rows; }
    int columnCount() const { return m_columns; }
    const QString &columnName(int column) const { return columnNames().at(column); }
    const QList<QString> &columnNames() const;
    quint32 columnType(int column) const { return m_decoders[column].typeOid(); }
    int indexOf(QStringView name) const;
    QString commandTag() const { return m_copied ? QString() : QString::fromUtf8(PQcmdStatus(m_result.get())); }

    bool isNull(int row, int column) const;
    QVariant value(int row, int column) const;
    // One value of a libpq result, decoded without making a ResultData (fetchValue's case).
    static QVariant valueOf(const PGresult *result, int row, int column, const Private::CustomCodecs *codecs);

    static RecordList records(const std::shared_ptr<const ResultData> &result);
    static Record record(const std::shared_ptr<const ResultData> &result, int row);
    // The result a record reads from (fetchRow's record carries the whole result, rows or not).
    static const std::shared_ptr<const ResultData> &resultOf(const Record &record) { return record.m_result; }
    static int rowOf(const Record &record) { return record.m_row; }

private:
    void resolveDecoders();
    static QVariant decode(const PGresult *result, int row, int column, const Private::ColumnDecoder &decoder);

    Private::PGresultPtr m_result; // the rows, or for copied rows the header
    std::unique_ptr<Private::CopiedRows> m_copied;
    Private::CustomCodecsPtr m_codecs;
    int m_rows = 0;
    int m_columns = 0;
    // Inline for the usual few columns: no allocation beyond the ResultData's own.
    QVarLengthArray<Private::ColumnDecoder, 8> m_decoders;
    // Filled once, by whichever thread first asks (Records may be read in several threads).
    mutable std::once_flag m_namesOnce;
    mutable QList<QString> m_names;
    mutable QHash<QString, int> m_indexByName;
};

} // namespace QPg
