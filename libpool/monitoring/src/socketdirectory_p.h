// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QtCore/QList>
#include <QtCore/QString>

// Where local monitor sockets live and how they are named: one private directory per user,
// $XDG_RUNTIME_DIR/qpgpool (or <temp>/qpgpool-<uid>), mode 0700, holding <app>.<pid>[.<n>].sock.
namespace QPg::Monitoring {

struct SocketEntry
{
    QString application;
    qint64 pid = 0;
    QString path;
};

QString defaultSocketDirectory();
// Creates directory (0700) if needed. False with a message when it is not a directory, is a
// symbolic link, belongs to another user or lets others in.
bool ensurePrivateDirectory(const QString &directory, QString *error);
// The same check without creating anything.
bool isPrivateDirectory(const QString &directory, QString *error);

// The socket name's application part: letters, digits, '-' and '_' (others become '_').
QString socketApplicationName(const QString &application);
// Parses <app>.<pid>[.<n>].sock; false for other names.
bool parseSocketName(const QString &fileName, QString *application, qint64 *pid);

// True when a process listens on the socket: its pid is alive and a connect succeeds.
bool isLiveSocket(const QString &path, qint64 pid);
// The sockets of live processes in directory. When removeStale, the others are deleted.
QList<SocketEntry> listSockets(const QString &directory, bool removeStale);

} // namespace QPg::Monitoring
