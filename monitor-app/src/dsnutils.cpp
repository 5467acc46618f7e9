// SPDX-License-Identifier: MIT
#include "dsnutils.h"

#include <QtCore/QRegularExpression>
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
