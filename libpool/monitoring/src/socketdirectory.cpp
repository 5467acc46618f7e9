// SPDX-License-Identifier: MIT
#include "socketdirectory_p.h"

#include <QtCore/QDir>
#include <QtCore/QFile>

#include <cerrno>
#include <csignal>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitoring {

QString defaultSocketDirectory()
{
    const QString runtime = qEnvironmentVariable("XDG_RUNTIME_DIR");
    if (!runtime.isEmpty() && QDir(runtime).exists())
        return runtime + u"/qpgpool"_s;
    return QDir::tempPath() + u"/qpgpool-%1"_s.arg(::geteuid());
}

bool isPrivateDirectory(const QString &directory, QString *error)
{
    struct stat st;
    if (::lstat(QFile::encodeName(directory).constData(), &st) != 0) {
        *error = u"%1: %2"_s.arg(directory, QString::fromLocal8Bit(strerror(errno)));
        return false;
    }
    if (!S_ISDIR(st.st_mode)) {
        *error = u"%1 is not a directory"_s.arg(directory);
        return false;
    }
    if (st.st_uid != ::geteuid()) {
        *error = u"%1 belongs to another user (uid %2)"_s.arg(directory).arg(st.st_uid);
        return false;
    }
    if ((st.st_mode & 0077) != 0) {
        *error = u"%1 has mode %2; it must be 0700"_s.arg(directory, QString::number(st.st_mode & 0777, 8));
        return false;
    }
    return true;
}

bool ensurePrivateDirectory(const QString &directory, QString *error)
{
    if (::mkdir(QFile::encodeName(directory).constData(), 0700) != 0 && errno != EEXIST) {
        *error = u"cannot create %1: %2"_s.arg(directory, QString::fromLocal8Bit(strerror(errno)));
        return false;
    }
    return isPrivateDirectory(directory, error);
}

QString socketApplicationName(const QString &application)
{
    QString name = application.left(64);
    for (QChar &c : name) {
        if (!(c.isLetterOrNumber() && c.unicode() < 128) && c != u'-' && c != u'_')
            c = u'_';
    }
    return name.isEmpty() ? u"app"_s : name;
}

bool parseSocketName(const QString &fileName, QString *application, qint64 *pid)
{
    if (!fileName.endsWith(u".sock"))
        return false;
    const QStringList parts = fileName.chopped(5).split(u'.');
    if (parts.size() < 2 || parts.size() > 3 || parts.at(0).isEmpty())
        return false;
    bool ok = false;
    *pid = parts.at(1).toLongLong(&ok);
    if (!ok || *pid <= 0)
        return false;
    if (parts.size() == 3) {
        parts.at(2).toInt(&ok);
        if (!ok)
            return false;
    }
    *application = parts.at(0);
    return true;
}

bool isLiveSocket(const QString &path, qint64 pid)
{
    if (::kill(pid_t(pid), 0) != 0 && errno == ESRCH)
        return false;
    // A live pid may be another program that reused it: the socket must also accept. A Unix
    // socket's connect does not wait: it succeeds or is refused at once.
    const QByteArray encoded = QFile::encodeName(path);
    sockaddr_un address{};
    if (encoded.size() >= qsizetype(sizeof(address.sun_path)))
        return false;
    address.sun_family = AF_UNIX;
    memcpy(address.sun_path, encoded.constData(), encoded.size());
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    const bool accepted = ::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) == 0;
    ::close(fd);
    return accepted;
}

QList<SocketEntry> listSockets(const QString &directory, bool removeStale)
{
    QList<SocketEntry> entries;
    const QStringList names = QDir(directory).entryList({u"*.sock"_s}, QDir::System | QDir::Files, QDir::Name);
    for (const QString &name : names) {
        SocketEntry entry;
        if (!parseSocketName(name, &entry.application, &entry.pid))
            continue;
        entry.path = directory + u'/' + name;
        if (isLiveSocket(entry.path, entry.pid))
            entries.append(entry);
        else if (removeStale)
            QFile::remove(entry.path);
    }
    return entries;
}

} // namespace QPg::Monitoring
