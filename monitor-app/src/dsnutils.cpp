// SPDX-License-Identifier: MIT
#include "dsnutils.h"

#include <QtCore/QRegularExpression>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitor {

QString maskedDsn(const QString &dsn)
{
    QString result = dsn;
    // key=value form: password=secret or password='se cret'
    static const QRegularExpression keyValue(u"(\\bpassword\\s*=\\s*)('(?:[^'\\\\]|\\\\.)*'|\\S+)"_s,
                                             QRegularExpression::CaseInsensitiveOption);
    result.replace(keyValue, u"\\1****"_s);
    // URI form: postgresql://user:secret@host and ?password=secret
    static const QRegularExpression uriUserInfo(u"^(postgres(?:ql)?://[^:/@]*):[^@/]*@"_s);
    result.replace(uriUserInfo, u"\\1:****@"_s);
    static const QRegularExpression uriQuery(u"([?&]password=)[^&]*"_s, QRegularExpression::CaseInsensitiveOption);
    result.replace(uriQuery, u"\\1****"_s);
    return result;
}

} // namespace QPg::Monitor
