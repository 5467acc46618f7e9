// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QtCore/QString>

namespace QPg::Private {

// The statement with every comment, string literal ('…', E'…', $tag$…$tag$) and quoted identifier
// replaced by one space, so that a scan for keywords or ';' sees only the statement's own words.
// An unterminated quote or comment is masked to the end: the server reports it when the text runs.
QString maskSqlQuotes(QStringView sql);

} // namespace QPg::Private
