// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QRegularExpression>
#include <QtGui/QSyntaxHighlighter>
#include <QtGui/QTextCharFormat>

namespace QPg::Monitor {

// SQL highlighting for the query editor: keywords, numbers, 'strings', "identifiers", $n parameters,
// -- line comments and /* block comments */ (which may span lines: block state 1 = inside one).
class SqlHighlighter : public QSyntaxHighlighter
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SqlHighlighter)
public:
    explicit SqlHighlighter(QTextDocument *document);
    ~SqlHighlighter() override;

    void updateColours(const QPalette &palette);

protected:
    void highlightBlock(const QString &text) override;

private:
    QRegularExpression m_keywords;
    QTextCharFormat m_keywordFormat;
    QTextCharFormat m_stringFormat;
    QTextCharFormat m_numberFormat;
    QTextCharFormat m_commentFormat;
    QTextCharFormat m_parameterFormat;
    QTextCharFormat m_identifierFormat;
};

} // namespace QPg::Monitor
