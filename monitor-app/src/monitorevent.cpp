// SPDX-License-Identifier: MIT
#include "monitorevent.h"

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitor {

MonitorEvent MonitorEvent::make(Kind kind, const QString &text, const QString &marker)
{
    return MonitorEvent{QDateTime::currentDateTime(), kind, text, marker};
}

QString MonitorEvent::kindName(Kind kind)
{
    switch (kind) {
    case Kind::Info:
        return u"info"_s;
    case Kind::Opened:
        return u"opened"_s;
    case Kind::Closed:
        return u"closed"_s;
    case Kind::Timeout:
        return u"timeout"_s;
    case Kind::ConnectFailed:
        return u"connect failed"_s;
    case Kind::Leak:
        return u"leak"_s;
    case Kind::Error:
        return u"error"_s;
    }
    return QString();
}

} // namespace QPg::Monitor
