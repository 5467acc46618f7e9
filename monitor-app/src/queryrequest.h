// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QMetaType>
#include <QtCore/QString>
#include <QtCore/QVariantList>

namespace QPg::Monitor {

// A statement from the query runner, sent to the worker thread.
struct QueryRequest
{
    quint64 id = 0;
    QString sql;
    QVariantList args; // $1, $2, ...
    int maxRows = 0;   // rows kept in memory at most (the cursor is closed there); 0: no maximum
};

} // namespace QPg::Monitor

Q_DECLARE_METATYPE(QPg::Monitor::QueryRequest)
