// SPDX-License-Identifier: MIT
#include "sqlhighlighter.h"

#include "theme.h"

#include <QtGui/QGuiApplication>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitor {

namespace {

enum BlockState { Normal = 0, InBlockComment = 1 };

const char *const Keywords[] = {
    "ADD", "ALL", "ALTER", "AND", "ANY", "ARRAY", "AS", "ASC", "BEGIN", "BETWEEN", "BY", "CASE", "CAST",
    "CHECK", "COLUMN", "COMMIT", "CONSTRAINT", "COPY", "CREATE", "CROSS", "CURRENT_DATE", "CURRENT_TIMESTAMP",
    "DEFAULT", "DELETE", "DESC", "DISTINCT", "DO", "DROP", "ELSE", "END", "EXCEPT", "EXISTS", "EXPLAIN",
    "FALSE", "FETCH", "FILTER", "FOR", "FOREIGN", "FROM", "FULL", "FUNCTION", "GRANT", "GROUP", "HAVING",
    "ILIKE", "IN", "INDEX", "INNER", "INSERT", "INTERSECT", "INTERVAL", "INTO", "IS", "JOIN", "KEY",
    "LATERAL", "LEFT", "LIKE", "LIMIT", "NOT", "NULL", "NULLS", "OFFSET", "ON", "OR", "ORDER", "OUTER",
    "OVER", "PARTITION", "PRIMARY", "REFERENCES", "RETURNING", "RIGHT", "ROLLBACK", "SAVEPOINT", "SELECT",
    "SET", "SHOW", "TABLE", "THEN", "TO", "TRUE", "TRUNCATE", "UNION", "UNIQUE", "UPDATE", "USING",
    "VACUUM", "VALUES", "VIEW", "WHEN", "WHERE", "WINDOW", "WITH", "ANALYZE", "RECURSIVE", "LOCK",
};

} // namespace

SqlHighlighter::SqlHighlighter(QTextDocument *document)
    : QSyntaxHighlighter(document)
{
    QStringList words;
    for (const char *keyword : Keywords)
        words.append(QString::fromLatin1(keyword));
    m_keywords.setPattern(u"\\b(?:%1)\\b"_s.arg(words.join(u'|')));
    m_keywords.setPatternOptions(QRegularExpression::CaseInsensitiveOption);
    updateColours(QGuiApplication::palette());
}

SqlHighlighter::~SqlHighlighter() = default;

void SqlHighlighter::updateColours(const QPalette &palette)
{
    m_keywordFormat.setForeground(Theme::seriesColor(Theme::Series::Size, palette));
    m_keywordFormat.setFontWeight(QFont::Bold);
    m_stringFormat.setForeground(Theme::seriesColor(Theme::Series::Idle, palette));
    m_numberFormat.setForeground(Theme::seriesColor(Theme::Series::Active, palette));
    m_commentFormat.setForeground(Theme::subtleTextColor(palette));
    m_commentFormat.setFontItalic(true);
    m_parameterFormat.setForeground(Theme::seriesColor(Theme::Series::Queries, palette));
    m_parameterFormat.setFontWeight(QFont::Bold);
    // Okabe-Ito has few hues to spare: quoted identifiers share the numbers' (both read by shape).
    m_identifierFormat.setForeground(Theme::seriesColor(Theme::Series::WaitP99, palette));
    rehighlight();
}

void SqlHighlighter::highlightBlock(const QString &text)
{
    // Keywords and numbers first; strings and comments painted over them afterwards win.
    for (auto it = m_keywords.globalMatch(text); it.hasNext();) {
        const auto match = it.next();
        setFormat(int(match.capturedStart()), int(match.capturedLength()), m_keywordFormat);
    }
    static const QRegularExpression number(u"\\b\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?\\b"_s);
    for (auto it = number.globalMatch(text); it.hasNext();) {
        const auto match = it.next();
        setFormat(int(match.capturedStart()), int(match.capturedLength()), m_numberFormat);
    }
    static const QRegularExpression parameter(u"\\$\\d+"_s);
    for (auto it = parameter.globalMatch(text); it.hasNext();) {
        const auto match = it.next();
        setFormat(int(match.capturedStart()), int(match.capturedLength()), m_parameterFormat);
    }

    // One left-to-right scan for literals and comments, so "--" inside a string is not a comment.
    setCurrentBlockState(Normal);
    int i = 0;
    const int n = int(text.size());
    if (previousBlockState() == InBlockComment) {
        const int end = int(text.indexOf(u"*/"_s));
        if (end < 0) {
            setFormat(0, n, m_commentFormat);
            setCurrentBlockState(InBlockComment);
            return;
        }
        setFormat(0, end + 2, m_commentFormat);
        i = end + 2;
    }
    while (i < n) {
        const QChar c = text.at(i);
        if (c == u'-' && i + 1 < n && text.at(i + 1) == u'-') {
            setFormat(i, n - i, m_commentFormat);
            return;
        }
        if (c == u'/' && i + 1 < n && text.at(i + 1) == u'*') {
            const int end = int(text.indexOf(u"*/"_s, i + 2));
            if (end < 0) {
                setFormat(i, n - i, m_commentFormat);
                setCurrentBlockState(InBlockComment);
                return;
            }
            setFormat(i, end + 2 - i, m_commentFormat);
            i = end + 2;
            continue;
        }
        if (c == u'\'' || c == u'"') {
            // '' and "" inside are escaped quotes; an unterminated literal runs to the line's end.
            int j = i + 1;
            while (j < n) {
                if (text.at(j) == c) {
                    if (j + 1 < n && text.at(j + 1) == c) {
                        j += 2;
                        continue;
                    }
                    break;
                }
                ++j;
            }
            const int end = std::min(j + 1, n);
            setFormat(i, end - i, c == u'\'' ? m_stringFormat : m_identifierFormat);
            i = end;
            continue;
        }
        ++i;
    }
}

} // namespace QPg::Monitor
