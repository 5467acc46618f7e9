// SPDX-License-Identifier: MIT
#include "monitorcodec_p.h"

#include <iterator>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitoring {

namespace {

constexpr int CloseReasonCount = int(std::size(PoolStats{}.closedByReason));
constexpr ConnectionInfo::State States[] = {ConnectionInfo::State::Connecting, ConnectionInfo::State::Idle,
                                            ConnectionInfo::State::Acquired, ConnectionInfo::State::Resetting,
                                            ConnectionInfo::State::Closing};

quint64 unsignedValue(const QCborMap &map, const QString &key)
{
    return quint64(qMax<qint64>(0, map.value(key).toInteger()));
}

QCborMap encodeSummary(const LatencySummary &summary)
{
    return QCborMap{{u"count"_s, qint64(summary.count)}, {u"totalMs"_s, summary.totalMs},
                    {u"p50Ms"_s, summary.p50Ms},         {u"p99Ms"_s, summary.p99Ms},
                    {u"maxMs"_s, summary.maxMs}};
}

LatencySummary decodeSummary(const QCborValue &value)
{
    const QCborMap map = value.toMap();
    LatencySummary summary;
    summary.count = unsignedValue(map, u"count"_s);
    summary.totalMs = map.value(u"totalMs"_s).toDouble();
    summary.p50Ms = map.value(u"p50Ms"_s).toDouble();
    summary.p99Ms = map.value(u"p99Ms"_s).toDouble();
    summary.maxMs = map.value(u"maxMs"_s).toDouble();
    return summary;
}

} // namespace

// The one place that lists the fields of PoolStats on the wire.
QCborMap encodePoolStats(const PoolStats &s)
{
    QCborMap map;
    map.insert(u"size"_s, s.size);
    map.insert(u"idle"_s, s.idle);
    map.insert(u"active"_s, s.active);
    map.insert(u"waiting"_s, s.waiting);
    map.insert(u"connecting"_s, s.connecting);
    map.insert(u"minSize"_s, s.minSize);
    map.insert(u"maxSize"_s, s.maxSize);
    map.insert(u"acquires"_s, qint64(s.acquires));
    map.insert(u"acquiresWaited"_s, qint64(s.acquiresWaited));
    map.insert(u"acquireTimeouts"_s, qint64(s.acquireTimeouts));
    map.insert(u"connectionsOpened"_s, qint64(s.connectionsOpened));
    map.insert(u"connectFailures"_s, qint64(s.connectFailures));
    map.insert(u"connectionsClosed"_s, qint64(s.connectionsClosed));
    QCborMap byReason;
    for (int i = 0; i < CloseReasonCount; ++i)
        byReason.insert(closeReasonName(CloseReason(i)), qint64(s.closedByReason[i]));
    map.insert(u"closedByReason"_s, byReason);
    map.insert(u"queries"_s, qint64(s.queries));
    map.insert(u"queryErrors"_s, qint64(s.queryErrors));
    map.insert(u"acquireWaitTotalMs"_s, s.acquireWaitTotalMs);
    map.insert(u"acquireWaitP50Ms"_s, s.acquireWaitP50Ms);
    map.insert(u"acquireWaitP99Ms"_s, s.acquireWaitP99Ms);
    map.insert(u"acquireWaitMaxMs"_s, s.acquireWaitMaxMs);
    // The windowed and time summaries; the Prometheus buckets stay out (the metrics endpoint has them).
    map.insert(u"acquireWaitLast10s"_s, encodeSummary(s.acquireWaitLast10s));
    map.insert(u"acquireWaitLast60s"_s, encodeSummary(s.acquireWaitLast60s));
    map.insert(u"holdTime"_s, encodeSummary(s.holdTime));
    map.insert(u"holdTimeLast60s"_s, encodeSummary(s.holdTimeLast60s));
    map.insert(u"connectTime"_s, encodeSummary(s.connectTime));
    map.insert(u"oldestWaiterMs"_s, s.oldestWaiterMs);
    return map;
}

PoolStats decodePoolStats(const QCborMap &map)
{
    PoolStats s;
    s.size = int(map.value(u"size"_s).toInteger());
    s.idle = int(map.value(u"idle"_s).toInteger());
    s.active = int(map.value(u"active"_s).toInteger());
    s.waiting = int(map.value(u"waiting"_s).toInteger());
    s.connecting = int(map.value(u"connecting"_s).toInteger());
    s.minSize = int(map.value(u"minSize"_s).toInteger());
    s.maxSize = int(map.value(u"maxSize"_s).toInteger());
    s.acquires = unsignedValue(map, u"acquires"_s);
    s.acquiresWaited = unsignedValue(map, u"acquiresWaited"_s);
    s.acquireTimeouts = unsignedValue(map, u"acquireTimeouts"_s);
    s.connectionsOpened = unsignedValue(map, u"connectionsOpened"_s);
    s.connectFailures = unsignedValue(map, u"connectFailures"_s);
    s.connectionsClosed = unsignedValue(map, u"connectionsClosed"_s);
    const QCborMap byReason = map.value(u"closedByReason"_s).toMap();
    for (int i = 0; i < CloseReasonCount; ++i)
        s.closedByReason[i] = unsignedValue(byReason, closeReasonName(CloseReason(i)));
    s.queries = unsignedValue(map, u"queries"_s);
    s.queryErrors = unsignedValue(map, u"queryErrors"_s);
    s.acquireWaitTotalMs = map.value(u"acquireWaitTotalMs"_s).toDouble();
    s.acquireWaitP50Ms = map.value(u"acquireWaitP50Ms"_s).toDouble();
    s.acquireWaitP99Ms = map.value(u"acquireWaitP99Ms"_s).toDouble();
    s.acquireWaitMaxMs = map.value(u"acquireWaitMaxMs"_s).toDouble();
    s.acquireWaitLast10s = decodeSummary(map.value(u"acquireWaitLast10s"_s));
    s.acquireWaitLast60s = decodeSummary(map.value(u"acquireWaitLast60s"_s));
    s.holdTime = decodeSummary(map.value(u"holdTime"_s));
    s.holdTimeLast60s = decodeSummary(map.value(u"holdTimeLast60s"_s));
    s.connectTime = decodeSummary(map.value(u"connectTime"_s));
    s.oldestWaiterMs = map.value(u"oldestWaiterMs"_s).toDouble();
    return s;
}

QCborArray encodeConnections(const QList<ConnectionInfo> &connections, bool withQueryText)
{
    QCborArray array;
    for (const ConnectionInfo &c : connections) {
        QCborMap map;
        map.insert(u"id"_s, qint64(c.id));
        map.insert(u"backendPid"_s, c.backendPid);
        map.insert(u"state"_s, connectionStateName(c.state));
        map.insert(u"ageMs"_s, c.ageMs);
        map.insert(u"idleMs"_s, c.idleMs);
        map.insert(u"heldMs"_s, c.heldMs);
        map.insert(u"queries"_s, c.queries);
        map.insert(u"generation"_s, c.generation);
        map.insert(u"transactionStatus"_s, c.transactionStatus);
        if (withQueryText)
            map.insert(u"currentQuery"_s, c.currentQuery);
        map.insert(u"running"_s, !c.currentQuery.isEmpty());
        map.insert(u"currentQueryMs"_s, c.currentQueryMs);
        map.insert(u"holder"_s, c.holder);
        array.append(map);
    }
    return array;
}

QList<ConnectionInfo> decodeConnections(const QCborArray &array)
{
    QList<ConnectionInfo> list;
    for (const QCborValue &value : array) {
        const QCborMap map = value.toMap();
        ConnectionInfo c;
        c.id = unsignedValue(map, u"id"_s);
        c.backendPid = int(map.value(u"backendPid"_s).toInteger());
        const QString state = map.value(u"state"_s).toString();
        for (ConnectionInfo::State candidate : States) {
            if (connectionStateName(candidate) == state)
                c.state = candidate;
        }
        c.ageMs = map.value(u"ageMs"_s).toInteger();
        c.idleMs = map.value(u"idleMs"_s).toInteger();
        c.heldMs = map.value(u"heldMs"_s).toInteger();
        c.queries = map.value(u"queries"_s).toInteger();
        c.generation = int(map.value(u"generation"_s).toInteger());
        c.transactionStatus = map.value(u"transactionStatus"_s).toString();
        c.currentQuery = map.value(u"currentQuery"_s).toString();
        c.currentQueryMs = map.value(u"currentQueryMs"_s).toInteger();
        c.holder = map.value(u"holder"_s).toString();
        list.append(c);
    }
    return list;
}

} // namespace QPg::Monitoring
