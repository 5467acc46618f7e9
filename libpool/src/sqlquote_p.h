// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QtCore/QString>

namespace QPg::Private {

// "name" with embedded quotes doubled: any text becomes one SQL identifier, case kept.
inline QString quoteIdentifier(const QString &identifier)
{
    QString quoted = identifier;
    quoted.replace(u'"', QStringLiteral("\"\""));
    return u'"' + quoted + u'"';
}

// 'text' with embedded quotes doubled (standard_conforming_strings is always on).
inline QString quoteLiteral(const QString &text)
{
    QString quoted = text;
    quoted.replace(u'\'', QStringLiteral("''"));
    return u'\'' + quoted + u'\'';
}

} // namespace QPg::Private
