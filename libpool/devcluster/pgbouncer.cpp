// SPDX-License-Identifier: MIT
#include "pgbouncer.h"
#include "devtools_p.h"

#include <QtCore/QDeadlineTimer>
#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QProcess>
#include <QtNetwork/QHostAddress>
#include <QtNetwork/QTcpSocket>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <pwd.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Dev {

namespace {

const auto pgbouncerExecutable = u"/usr/sbin/pgbouncer"_s;
constexpr int startAttempts = 5;
constexpr int readyTimeoutMs = 30'000;
constexpr int stopTimeoutMs = 10'000;

} // namespace

class PgBouncerPrivate
{
public:
    explicit PgBouncerPrivate(const PgBouncer::Config &config)
        : config(config)
    {
    }

    QString path(const QString &name) const { return baseDir + u'/' + name; }

    bool writeFile(const QString &name, const QByteArray &text, QString *error) const
    {
        QFile file(path(name));
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(text) != text.size()) {
            *error = u"cannot write %1: %2"_s.arg(file.fileName(), file.errorString());
            return false;
        }
        file.close();
        // PgBouncer runs as postgres when we are root and must read its files and write its log.
        if (runAs && ::chown(QFile::encodeName(file.fileName()).constData(), runAs->pw_uid, runAs->pw_gid) != 0) {
            *error = u"cannot chown %1: %2"_s.arg(file.fileName(), QString::fromLocal8Bit(std::strerror(errno)));
            return false;
        }
        return true;
    }

    QByteArray iniText() const
    {
        QByteArray ini;
        ini += "[databases]\n";
        ini += config.database.toUtf8() + " = host=" + config.backendHost.toUtf8()
            + " port=" + QByteArray::number(config.backendPort) + " dbname=" + config.database.toUtf8()
            + " user=postgres\n";
        ini += "[pgbouncer]\n";
        ini += "listen_addr = 127.0.0.1\n";
        ini += "listen_port = " + QByteArray::number(port) + '\n';
        ini += "unix_socket_dir =\n"; // TCP only: no socket file to clash with the system's
        ini += "auth_type = trust\n";
        ini += "auth_file = " + QFile::encodeName(path(u"userlist.txt"_s)) + '\n';
        ini += "logfile = " + QFile::encodeName(path(u"pgbouncer.log"_s)) + '\n';
        ini += "pidfile = " + QFile::encodeName(path(u"pgbouncer.pid"_s)) + '\n';
        ini += "admin_users = postgres\n";
        ini += "pool_mode = "_ba + (config.poolMode == PgBouncer::PoolMode::Session ? "session" : "transaction") + '\n';
        ini += "default_pool_size = " + QByteArray::number(config.poolSize) + '\n';
        ini += "max_client_conn = 500\n";
        if (!config.ignoreStartupParameters.isEmpty())
            ini += "ignore_startup_parameters = " + config.ignoreStartupParameters.join(u',').toUtf8() + '\n';
        return ini;
    }

    qint64 pgbouncerPid() const
    {
        QFile file(path(u"pgbouncer.pid"_s));
        if (!file.open(QIODevice::ReadOnly))
            return 0;
        return file.readAll().trimmed().toLongLong();
    }

    bool acceptsConnections() const
    {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, quint16(port));
        return socket.waitForConnected(500);
    }

    // One launch on the current port: true once PgBouncer accepts connections.
    bool launch(QString *error)
    {
        process = std::make_unique<QProcess>();
        process->setProcessChannelMode(QProcess::MergedChannels);
        process->setStandardInputFile(QProcess::nullDevice());
        process->setWorkingDirectory(baseDir);
        const QString ini = path(u"pgbouncer.ini"_s);
        if (runAs) {
            process->setProgram(runuserExecutable());
            process->setArguments({u"-u"_s, u"postgres"_s, u"--"_s, pgbouncerExecutable, ini});
        } else {
            process->setProgram(pgbouncerExecutable);
            process->setArguments({ini});
        }
        process->start();
        if (!process->waitForStarted(readyTimeoutMs)) {
            *error = u"could not start %1: %2"_s.arg(process->program(), process->errorString());
            return false;
        }
        const QDeadlineTimer deadline(readyTimeoutMs);
        while (!deadline.hasExpired()) {
            if (process->state() == QProcess::NotRunning) {
                *error = u"pgbouncer exited with code %1"_s.arg(process->exitCode());
                return false;
            }
            if (acceptsConnections())
                return true;
            process->waitForFinished(100); // returns early when PgBouncer dies
        }
        *error = u"pgbouncer did not accept connections within %1 s"_s.arg(readyTimeoutMs / 1000);
        return false;
    }

    void stopProcess()
    {
        if (!process)
            return;
        if (process->state() != QProcess::NotRunning) {
            // Through runuser our child is runuser itself: signal PgBouncer, runuser then exits.
            const qint64 pid = pgbouncerPid();
            if (pid > 0)
                ::kill(pid_t(pid), SIGTERM);
            else
                process->terminate();
            if (!process->waitForFinished(stopTimeoutMs)) {
                if (pid > 0)
                    ::kill(pid_t(pid), SIGKILL);
                process->kill();
                process->waitForFinished(stopTimeoutMs);
            }
        }
        process.reset();
        QFile::remove(path(u"pgbouncer.pid"_s));
    }

    PgBouncer::Config config;
    const passwd *runAs = nullptr;
    QString baseDir;
    int port = 0;
    std::unique_ptr<QProcess> process;
};

PgBouncer::PgBouncer(const Config &config)
    : d(std::make_unique<PgBouncerPrivate>(config))
{
}

PgBouncer::~PgBouncer()
{
    stop();
}

bool PgBouncer::start(QString *errorMessage)
{
    QString ignored;
    QString *error = errorMessage ? errorMessage : &ignored;
    if (isRunning())
        return true;
    if (!QFile::exists(pgbouncerExecutable)) {
        *error = u"%1 not found: install the pgbouncer package"_s.arg(pgbouncerExecutable);
        return false;
    }
    if (::geteuid() == 0) {
        d->runAs = ::getpwnam("postgres");
        if (!d->runAs || runuserExecutable().isEmpty()) {
            *error = u"running as root, but there is no `postgres` user or no runuser to run pgbouncer as"_s;
            return false;
        }
    }
    QByteArray pattern = "/tmp/qpg-bouncer-XXXXXX";
    if (!::mkdtemp(pattern.data())) {
        *error = u"cannot create a directory under /tmp: %1"_s.arg(QString::fromLocal8Bit(std::strerror(errno)));
        return false;
    }
    d->baseDir = QFile::decodeName(pattern);
    if (d->runAs && ::chown(pattern.constData(), d->runAs->pw_uid, d->runAs->pw_gid) != 0) {
        *error = u"cannot chown %1: %2"_s.arg(d->baseDir, QString::fromLocal8Bit(std::strerror(errno)));
        stop();
        return false;
    }
    if (!d->writeFile(u"userlist.txt"_s, "\"postgres\" \"\"\n", error)) {
        stop();
        return false;
    }
    for (int attempt = 1; attempt <= startAttempts; ++attempt) {
        d->port = freeLoopbackPort();
        if (d->port == 0) {
            *error = u"no free TCP port on 127.0.0.1"_s;
            break;
        }
        if (!d->writeFile(u"pgbouncer.ini"_s, d->iniText(), error))
            break;
        if (d->launch(error))
            return true;
        const QString output = QString::fromLocal8Bit(d->process->readAll());
        d->stopProcess();
        // Only a port taken between our check and PgBouncer's bind is worth another try.
        if (!QString(output + logTail()).contains(u"Address already in use"_s))
            break;
    }
    *error += u"\n"_s + logTail();
    stop();
    return false;
}

void PgBouncer::stop()
{
    d->stopProcess();
    if (!d->baseDir.isEmpty())
        QDir(d->baseDir).removeRecursively();
    d->baseDir.clear();
    d->port = 0;
}

bool PgBouncer::isRunning() const
{
    return d->process && d->process->state() != QProcess::NotRunning;
}

int PgBouncer::port() const
{
    return d->port;
}

QString PgBouncer::dsn() const
{
    return u"host=127.0.0.1 port=%1 user=postgres dbname=%2"_s.arg(d->port).arg(d->config.database);
}

QString PgBouncer::logTail(int lines) const
{
    QFile file(d->path(u"pgbouncer.log"_s));
    if (d->baseDir.isEmpty() || !file.open(QIODevice::ReadOnly))
        return QString();
    const QStringList all = QString::fromLocal8Bit(file.readAll()).split(u'\n');
    return all.mid(qMax(0, all.size() - lines)).join(u'\n');
}

} // namespace QPg::Dev
