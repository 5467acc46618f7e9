// SPDX-License-Identifier: MIT
#include "sqlmask_p.h"

namespace QPg::Private {

namespace {

bool isIdentifierChar(QChar c)
{
    return c.isLetterOrNumber() || c == u'_' || c == u'$';
}

// The index just past the quote opened at start (quote is ' or "); doubled quotes stay inside.
// Escape strings (E'…') also take a backslash as an escape.
qsizetype skipQuoted(QStringView sql, qsizetype start, QChar quote, bool backslashEscapes)
{
    qsizetype i = start + 1;
    while (i < sql.size()) {
        const QChar c = sql.at(i);
        if (backslashEscapes && c == u'\\') {
            i += 2;
        } else if (c == quote) {
            if (i + 1 < sql.size() && sql.at(i + 1) == quote)
                i += 2;
            else
                return i + 1;
        } else {
            ++i;
        }
    }
    return sql.size();
}

// The length of the dollar-quote tag ($$ or $name$) starting at start, or 0 when there is none
// ($1 is a parameter: a tag never starts with a digit).
qsizetype dollarTagLength(QStringView sql, qsizetype start)
{
    qsizetype i = start + 1;
    if (i < sql.size() && sql.at(i).isDigit())
        return 0;
    while (i < sql.size() && (sql.at(i).isLetterOrNumber() || sql.at(i) == u'_'))
        ++i;
    return i < sql.size() && sql.at(i) == u'$' ? i + 1 - start : 0;
}

// PostgreSQL's block comments nest.
qsizetype skipBlockComment(QStringView sql, qsizetype start)
{
    int depth = 0;
    qsizetype i = start;
    while (i < sql.size()) {
        const QStringView two = sql.mid(i, 2);
        if (two == u"/*") {
            ++depth;
            i += 2;
        } else if (two == u"*/") {
            i += 2;
            if (--depth == 0)
                return i;
        } else {
            ++i;
        }
    }
    return sql.size();
}

} // namespace

QString maskSqlQuotes(QStringView sql)
{
    QString masked;
    masked.reserve(sql.size());
    qsizetype i = 0;
    while (i < sql.size()) {
        const QChar c = sql.at(i);
        const bool wordStart = i == 0 || !isIdentifierChar(sql.at(i - 1));
        qsizetype end = -1;
        if (c == u'\'') {
            const bool escapeString = i > 0 && (sql.at(i - 1) == u'E' || sql.at(i - 1) == u'e')
                                      && (i == 1 || !isIdentifierChar(sql.at(i - 2)));
            end = skipQuoted(sql, i, c, escapeString);
        } else if (c == u'"') {
            end = skipQuoted(sql, i, c, false);
        } else if (c == u'-' && sql.mid(i, 2) == u"--") {
            end = sql.indexOf(u'\n', i);
            end = end < 0 ? sql.size() : end;
        } else if (c == u'/' && sql.mid(i, 2) == u"/*") {
            end = skipBlockComment(sql, i);
        } else if (c == u'$' && wordStart) {
            if (const qsizetype tag = dollarTagLength(sql, i)) {
                const qsizetype close = sql.indexOf(sql.mid(i, tag), i + tag);
                end = close < 0 ? sql.size() : close + tag;
            }
        }
        if (end < 0) {
            masked.append(c);
            ++i;
        } else {
            masked.append(u' ');
            i = end;
        }
    }
    return masked;
}

} // namespace QPg::Private
