// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QString>

namespace QPg::Monitor {

// A DSN fit for titles, logs and status bars: the password of a key=value string or a URI is
// replaced by "****", so it never reaches the screen or a file in plain text.
QString maskedDsn(const QString &dsn);

} // namespace QPg::Monitor
