// SPDX-License-Identifier: MIT
#include "attachtarget.h"

#include <QtCore/QFile>
#include <QtCore/QRegularExpression>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitor {

std::optional<AttachTarget> AttachTarget::parse(const QString &text, const QByteArray &token, QString *error)
{
    const QString trimmed = text.trimmed();
    AttachTarget target;
    target.token = token;
    if (trimmed.isEmpty()) {
        if (error)
            *error = u"an empty name: give an application name, a socket path or host:port"_s;
        return std::nullopt;
    }
    if (trimmed.contains(u'/')) {
        target.kind = Kind::Socket;
        target.socketPath = trimmed;
        return target;
    }
    static const QRegularExpression hostPort(u"^(.+):(\\d{1,5})$"_s);
    if (const QRegularExpressionMatch match = hostPort.match(trimmed); match.hasMatch()) {
        const uint port = match.captured(2).toUInt();
        if (port == 0 || port > 65535) {
            if (error)
                *error = u"%1: the port must be 1..65535"_s.arg(trimmed);
            return std::nullopt;
        }
        target.kind = Kind::Host;
        target.host = match.captured(1);
        target.port = quint16(port);
        return target;
    }
    target.kind = Kind::Name;
    target.name = trimmed;
    return target;
}

std::optional<QByteArray> AttachTarget::readTokenFile(const QString &fileName, QString *error)
{
    QFile file(fileName);
    if (!file.open(QIODevice::ReadOnly)) {
        if (error)
            *error = u"cannot read the token file %1: %2"_s.arg(fileName, file.errorString());
        return std::nullopt;
    }
    const QByteArray token = file.readAll().trimmed();
    if (token.isEmpty()) {
        if (error)
            *error = u"the token file %1 is empty"_s.arg(fileName);
        return std::nullopt;
    }
    return token;
}

QString AttachTarget::displayName() const
{
    switch (kind) {
    case Kind::Name:
        return name;
    case Kind::Socket:
        return socketPath;
    case Kind::Host:
        return u"%1:%2"_s.arg(host).arg(port);
    }
    return QString();
}

} // namespace QPg::Monitor
