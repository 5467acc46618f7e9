// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/record.h>

#include <QtCore/QMetaType>
#include <QtCore/QString>

namespace QPg::Monitor {

// The end of a QueryRequest: the row count (the rows themselves came before in chunks through
// queryRows(); statements that cannot be streamed carry their rows here), or the server's error.
struct QueryOutcome
{
    quint64 id = 0;
    bool ok = false;
    bool canceled = false;  // Cancel was pressed (the server cancelled the statement)
    bool streamed = false;  // rows came in chunks through a cursor
    QPg::RecordList rows;   // only when not streamed
    qint64 rowCount = 0;    // rows delivered in total
    bool truncated = false; // stopped at the in-memory maximum: more rows existed
    double elapsedMs = 0;
    double firstRowsMs = 0; // until the first chunk was sent

    QString message;
    QString sqlState;
    QString severity;
    QString detail;
    QString hint;
    int position = 0; // 1-based character position in the statement as typed, 0 if none
};

} // namespace QPg::Monitor

Q_DECLARE_METATYPE(QPg::Monitor::QueryOutcome)
