// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QString>

#include <optional>

namespace QPg::Monitor {

// What --attach or the Attach view names: an application by its discovered name, a local socket
// path, or host:port (with a token) of a TCP endpoint.
struct AttachTarget
{
    enum class Kind { Name, Socket, Host };

    Kind kind = Kind::Name;
    QString name;       // Name: the application name as discovered
    QString socketPath; // Socket
    QString host;       // Host
    quint16 port = 0;
    QByteArray token;

    // "orders", "/run/user/1000/qpgpool/orders.123.sock" or "db1.example:7654". A text with a slash
    // is a path; NAME:PORT with a numeric port is a host.
    static std::optional<AttachTarget> parse(const QString &text, const QByteArray &token = {},
                                             QString *error = nullptr);
    // Reads a token file (the token is its trimmed content); an error when it cannot be read or is empty.
    static std::optional<QByteArray> readTokenFile(const QString &fileName, QString *error);

    QString displayName() const;
};

} // namespace QPg::Monitor
