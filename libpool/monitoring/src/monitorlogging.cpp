// SPDX-License-Identifier: MIT
#include "monitorlogging_p.h"

namespace QPg::Monitoring {
Q_LOGGING_CATEGORY(lcMonitor, "qpgpool.monitor", QtInfoMsg)
} // namespace QPg::Monitoring
