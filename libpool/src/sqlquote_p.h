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

// 'text' with embedded quotes doubled; text with a backslash as E'text' with the backslashes
// doubled too, which reads the same whatever standard_conforming_strings is (a connection through
// PgBouncer cannot set it, so the server's default applies).
inline QString quoteLiteral(const QString &text)
{
    QString quoted = text;
    quoted.replace(u'\'', QStringLiteral("''"));
    if (!quoted.contains(u'\\'))
        return u'\'' + quoted + u'\'';
    quoted.replace(u'\\', QStringLiteral("\\\\"));
    return QStringLiteral("E'") + quoted + u'\'';
}

} // namespace QPg::Private
