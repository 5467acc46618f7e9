// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QDateTime>
#include <QtCore/QMetaType>
#include <QtCore/QString>

namespace QPg::Monitor {

// One line of the event log: something the pool reported or the user did.
struct MonitorEvent
{
    enum class Kind { Info, Opened, Closed, Timeout, ConnectFailed, Leak, Error };

    QDateTime time;
    Kind kind = Kind::Info;
    QString text;

    static MonitorEvent make(Kind kind, const QString &text);
    static QString kindName(Kind kind);
};

} // namespace QPg::Monitor

Q_DECLARE_METATYPE(QPg::Monitor::MonitorEvent)
