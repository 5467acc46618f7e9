// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QMetaType>
#include <QtCore/QString>

namespace QPg::Monitor {

// How a CopyRequest ended: the rows copied, or the server's error (context() names the CSV line).
struct CopyOutcome
{
    quint64 id = 0;
    bool ok = false;
    bool canceled = false;
    qint64 rows = 0;
    qint64 bytes = 0;
    double elapsedMs = 0;

    QString message;
    QString sqlState;
    QString detail;
    QString context; // "COPY items, line 4, column qty: ..."
};

} // namespace QPg::Monitor

Q_DECLARE_METATYPE(QPg::Monitor::CopyOutcome)
