// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QPg/monitortypes.h>

#include <QtCore/QCborArray>

// The rows of a "sessions" answer (docs/MONITORING.md) as CBOR, both ways. Times are ms since the
// epoch, absent when null; a field of the wrong kind reads as its default.
namespace QPg::Monitoring {

QCborArray encodeSessions(const QList<MonitorBackendSession> &sessions);
QList<MonitorBackendSession> decodeSessions(const QCborArray &array);

} // namespace QPg::Monitoring
