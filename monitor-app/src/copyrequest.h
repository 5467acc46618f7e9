// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/copy.h>

#include <QtCore/QMetaType>
#include <QtCore/QString>

namespace QPg::Monitor {

// A CSV transfer from the CSV tab, sent to the worker thread: a table or a query out to a file
// (COPY TO STDOUT), or a file into a table (COPY FROM STDIN).
struct CopyRequest
{
    enum class Kind { ExportTable, ExportQuery, Import };
    quint64 id = 0;
    Kind kind = Kind::ExportTable;
    QString source; // the table (optionally schema-qualified) or the query
    QString filePath;
    QPg::CopyOptions options;
};

} // namespace QPg::Monitor

Q_DECLARE_METATYPE(QPg::Monitor::CopyRequest)
