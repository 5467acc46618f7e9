// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QtCore/QLoggingCategory>

namespace QPg::Private {
Q_DECLARE_LOGGING_CATEGORY(lcConnection) // qpgpool.conn
Q_DECLARE_LOGGING_CATEGORY(lcNotice)     // qpgpool.notice: server notices
Q_DECLARE_LOGGING_CATEGORY(lcPool)       // qpgpool.pool
} // namespace QPg::Private
