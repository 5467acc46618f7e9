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
    int rowLimit = 0;  // 0: no limit
};

} // namespace QPg::Monitor

Q_DECLARE_METATYPE(QPg::Monitor::QueryRequest)
