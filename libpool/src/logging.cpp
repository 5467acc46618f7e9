// SPDX-License-Identifier: MIT
#include "logging_p.h"

namespace QPg::Private {
Q_LOGGING_CATEGORY(lcConnection, "qpgpool.conn", QtWarningMsg)
Q_LOGGING_CATEGORY(lcNotice, "qpgpool.notice", QtWarningMsg) // NOTICEs need QT_LOGGING_RULES
Q_LOGGING_CATEGORY(lcPool, "qpgpool.pool", QtWarningMsg)
} // namespace QPg::Private
