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
    // A short label when the event also marks the charts (an action taken on the pool: expire,
    // resize, close, reopen); empty otherwise.
    QString marker;

    static MonitorEvent make(Kind kind, const QString &text, const QString &marker = QString());
    static QString kindName(Kind kind);
};

} // namespace QPg::Monitor

Q_DECLARE_METATYPE(QPg::Monitor::MonitorEvent)
