// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

namespace QPg::Private {

// Registers QPgPool's value types with Qt's meta-type system (QPg::Timestamp, QPg::Record,
// QPg::Notification, QPg::Notice, for queued signals) and the QVariant converters
// Timestamp -> QDateTime, Timestamp -> QString and QDateTime -> Timestamp. Safe to call any number of
// times from any thread; only the first call does the work.
void registerMetaTypes();

} // namespace QPg::Private
