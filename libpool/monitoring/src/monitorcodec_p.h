// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QPg/poolstats.h>

#include <QtCore/QCborArray>
#include <QtCore/QCborMap>

// PoolStats and ConnectionInfo as CBOR maps, in both directions. Unknown keys are ignored and
// missing ones keep their defaults, so either side may be newer.
namespace QPg::Monitoring {

QCborMap encodePoolStats(const PoolStats &stats);
PoolStats decodePoolStats(const QCborMap &map);

// currentQuery is sent only when withQueryText.
QCborArray encodeConnections(const QList<ConnectionInfo> &connections, bool withQueryText);
QList<ConnectionInfo> decodeConnections(const QCborArray &array);

} // namespace QPg::Monitoring
