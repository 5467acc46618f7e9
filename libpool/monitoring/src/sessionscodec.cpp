// SPDX-License-Identifier: MIT
#include "sessionscodec_p.h"

#include <QtCore/QCborMap>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitoring {

namespace {

// At most this many blockers per row are read: a hostile array cannot make a row huge.
constexpr qsizetype MaxBlockers = 1000;

void insertTime(QCborMap &map, const QString &key, const QDateTime &time)
{
    if (time.isValid())
        map.insert(key, time.toMSecsSinceEpoch());
}

QDateTime timeValue(const QCborMap &map, const QString &key)
{
    const QCborValue value = map.value(key);
    return value.isInteger() ? QDateTime::fromMSecsSinceEpoch(value.toInteger()) : QDateTime();
}

} // namespace

QCborArray encodeSessions(const QList<MonitorBackendSession> &sessions)
{
    QCborArray array;
    for (const MonitorBackendSession &s : sessions) {
        QCborMap map;
        map.insert(u"pid"_s, s.pid);
        map.insert(u"state"_s, s.state);
        map.insert(u"waitEventType"_s, s.waitEventType);
        map.insert(u"waitEvent"_s, s.waitEvent);
        insertTime(map, u"xactStart"_s, s.transactionStart);
        insertTime(map, u"queryStart"_s, s.queryStart);
        QCborArray blockers;
        for (int pid : s.blockedBy)
            blockers.append(pid);
        map.insert(u"blockedBy"_s, blockers);
        if (!s.query.isEmpty())
            map.insert(u"query"_s, s.query);
        map.insert(u"self"_s, s.isSelf);
        array.append(map);
    }
    return array;
}

QList<MonitorBackendSession> decodeSessions(const QCborArray &array)
{
    QList<MonitorBackendSession> sessions;
    for (const QCborValue &value : array) {
        const QCborMap map = value.toMap();
        MonitorBackendSession s;
        s.pid = int(map.value(u"pid"_s).toInteger());
        s.state = map.value(u"state"_s).toString();
        s.waitEventType = map.value(u"waitEventType"_s).toString();
        s.waitEvent = map.value(u"waitEvent"_s).toString();
        s.transactionStart = timeValue(map, u"xactStart"_s);
        s.queryStart = timeValue(map, u"queryStart"_s);
        const QCborArray blockers = map.value(u"blockedBy"_s).toArray();
        for (qsizetype i = 0; i < blockers.size() && i < MaxBlockers; ++i)
            s.blockedBy.append(int(blockers.at(i).toInteger()));
        s.query = map.value(u"query"_s).toString();
        s.isSelf = map.value(u"self"_s).toBool();
        sessions.append(s);
    }
    return sessions;
}

} // namespace QPg::Monitoring
