// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/record.h>

#include <QtCore/QMetaType>
#include <QtCore/QString>

namespace QPg::Monitor {

// The result of a QueryRequest: rows, or the server's error with its fields.
struct QueryOutcome
{
    quint64 id = 0;
    bool ok = false;
    QPg::RecordList rows;
    bool truncated = false; // more rows than the row limit existed
    double elapsedMs = 0;

    QString message;
    QString sqlState;
    QString severity;
    QString detail;
    QString hint;
    int position = 0; // 1-based character position in the statement as typed, 0 if none
};

} // namespace QPg::Monitor

Q_DECLARE_METATYPE(QPg::Monitor::QueryOutcome)
