// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QtCore/QLoggingCategory>

namespace QPg::Monitoring {
Q_DECLARE_LOGGING_CATEGORY(lcMonitor) // qpgpool.monitor
} // namespace QPg::Monitoring
