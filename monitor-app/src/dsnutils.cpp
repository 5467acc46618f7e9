// SPDX-License-Identifier: MIT
#include "dsnutils.h"

#include <QtCore/QRegularExpression>
#include <QtCore/QUrl>
#include <QtCore/QStringList>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitor {

QString maskedDsn(const QString &dsn)
{
    QString result = dsn;
    static const QRegularExpression uri(u"^\\s*postgres(?:ql)?://"_s);
    if (!uri.match(result).hasMatch()) {
        // key=value form: password=secret or password='se cret'; sslpassword (a key's passphrase) too
        static const QRegularExpression keyValue(u"(\\b(?:ssl)?password\\s*=\\s*)('(?:[^'\\\\]|\\\\.)*'|\\S+)"_s,
                                                 QRegularExpression::CaseInsensitiveOption);
        return result.replace(keyValue, u"\\1****"_s);
    }
    // URI form: postgresql://user:secret@host and ?password=secret (the rest of the query stays)
    static const QRegularExpression uriUserInfo(u"^(\\s*postgres(?:ql)?://[^:/@]*):[^@/]*@"_s);
    result.replace(uriUserInfo, u"\\1:****@"_s);
    static const QRegularExpression uriQuery(u"([?&](?:ssl)?password=)[^&]*"_s, QRegularExpression::CaseInsensitiveOption);
    result.replace(uriQuery, u"\\1****"_s);
    return result;
}

QString dsnWithoutPassword(const QString &dsn)
{
    QString result = dsn.trimmed();
    static const QRegularExpression uri(u"^postgres(?:ql)?://"_s);
    if (!uri.match(result).hasMatch()) {
        static const QRegularExpression keyValue(u"\\s*\\b(?:ssl)?password\\s*=\\s*('(?:[^'\\\\]|\\\\.)*'|\\S+)"_s,
                                                 QRegularExpression::CaseInsensitiveOption);
        return result.replace(keyValue, QString()).trimmed();
    }
    static const QRegularExpression uriUserInfo(u"^(postgres(?:ql)?://[^:/@]*):[^@/]*@"_s);
    result.replace(uriUserInfo, u"\\1@"_s);
    static const QRegularExpression uriQuery(u"([?&])(?:ssl)?password=[^&]*&?"_s, QRegularExpression::CaseInsensitiveOption);
    result.replace(uriQuery, u"\\1"_s);
    while (result.endsWith(u'?') || result.endsWith(u'&'))
        result.chop(1);
    return result.trimmed();
}

QString dsnPassword(const QString &dsn)
{
    static const QRegularExpression uri(u"^\\s*postgres(?:ql)?://"_s);
    if (!uri.match(dsn).hasMatch()) {
        static const QRegularExpression keyValue(u"(?:^|\\s)password\\s*=\\s*(?:'((?:[^'\\\\]|\\\\.)*)'|(\\S+))"_s,
                                                 QRegularExpression::CaseInsensitiveOption);
        const QRegularExpressionMatch match = keyValue.match(dsn);
        if (!match.hasMatch())
            return QString();
        if (match.capturedLength(2) > 0)
            return match.captured(2);
        static const QRegularExpression escaped(u"\\\\(.)"_s);
        return match.captured(1).replace(escaped, u"\\1"_s);
    }
    static const QRegularExpression query(u"[?&]password=([^&]*)"_s, QRegularExpression::CaseInsensitiveOption);
    if (const QRegularExpressionMatch match = query.match(dsn); match.hasMatch())
        return QUrl::fromPercentEncoding(match.captured(1).toUtf8());
    static const QRegularExpression userInfo(u"^\\s*postgres(?:ql)?://[^:/@]*:([^@/]*)@"_s);
    if (const QRegularExpressionMatch match = userInfo.match(dsn); match.hasMatch())
        return QUrl::fromPercentEncoding(match.captured(1).toUtf8());
    return QString();
}

QString dsnWithPassword(const QString &dsn, const QString &password)
{
    if (password.isEmpty())
        return dsn;
    const QString trimmed = dsn.trimmed();
    static const QRegularExpression uri(u"^postgres(?:ql)?://"_s);
    if (!uri.match(trimmed).hasMatch()) {
        const QString keyword = dsnFromKeywords({{u"password"_s, password}});
        return trimmed.isEmpty() ? keyword : QString(trimmed + u' ' + keyword);
    }
    return QString(trimmed + (trimmed.contains(u'?') ? u'&' : u'?') + u"password="_s
                   + QString::fromLatin1(QUrl::toPercentEncoding(password)));
}

QString dsnFromKeywords(const QList<std::pair<QString, QString>> &keywords)
{
    QStringList parts;
    for (const auto &[key, value] : keywords) {
        if (value.isEmpty())
            continue;
        static const QRegularExpression plain(u"^[^\\s'\\\\]+$"_s);
        QString text = value;
        if (!plain.match(value).hasMatch()) {
            text.replace(u'\\', u"\\\\"_s);
            text.replace(u'\'', u"\\'"_s);
            text = u'\'' + text + u'\'';
        }
        parts.append(key + u'=' + text);
    }
    return parts.join(u' ');
}

} // namespace QPg::Monitor
