// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include "pgresult_p.h"
#include "typecodecs_p.h"

#include <QPg/record.h>

#include <QtCore/QHash>
#include <QtCore/QList>

namespace QPg {

// A completed query result shared by the Records that point into it. Values stay in libpq's
// buffer and are decoded on access, so handing over a large result costs nothing on the loop thread.
class ResultData
{
public:
    explicit ResultData(Private::PGresultPtr result, Private::CustomCodecsPtr codecs = nullptr);

    int rowCount() const { return m_rows; }
    int columnCount() const { return int(m_names.size()); }
    const QString &columnName(int column) const { return m_names.at(column); }
    const QList<QString> &columnNames() const { return m_names; }
    quint32 columnType(int column) const { return m_types.at(column); }
    int indexOf(QStringView name) const;

    bool isNull(int row, int column) const;
    QVariant value(int row, int column) const;

    static RecordList records(const std::shared_ptr<const ResultData> &result);
    static Record record(const std::shared_ptr<const ResultData> &result, int row);

private:
    Private::PGresultPtr m_result;
    Private::CustomCodecsPtr m_codecs;
    int m_rows = 0;
    QList<QString> m_names;
    QList<quint32> m_types;
    QHash<QString, int> m_indexByName;
};

} // namespace QPg
