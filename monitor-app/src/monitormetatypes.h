// SPDX-License-Identifier: MIT
#pragma once

namespace QPg::Monitor {

// Registers the types that cross the worker thread in queued signals (PoolStats,
// QList<ConnectionInfo>, CloseReason, RecordList and the monitor's own structs). Idempotent.
void registerMetaTypes();

} // namespace QPg::Monitor
