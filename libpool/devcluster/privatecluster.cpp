// SPDX-License-Identifier: MIT
#include "privatecluster.h"
#include "devtools_p.h"

#include <QtCore/QDeadlineTimer>
#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QLoggingCategory>
#include <QtCore/QProcess>
#include <QtCore/QSaveFile>
#include <QtCore/QStandardPaths>
#include <QtCore/QThread>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <locale.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

Q_LOGGING_CATEGORY(lcDevCluster, "qpgpool.devcluster", QtInfoMsg)

namespace QPg::Dev {

namespace {

constexpr int initdbTimeoutMs = 180'000;
constexpr int pgCtlTimeoutMs = 120'000; // pg_ctl's own -t is 60 s; this only catches a hung pg_ctl
constexpr int psqlTimeoutMs = 120'000;
constexpr int startAttempts = 5;
const auto baseNamePrefix = u"qpg-cluster-"_s;
const auto ownerFileName = u"qpg-owner.pid"_s;

struct ToolResult
{
    bool ok = false;
    QString output; // stdout and stderr merged
    QString failure; // why it did not run to a zero exit, empty when ok
};

// libpq and the server tools read these; the harness always says explicitly what it wants.
QProcessEnvironment toolEnvironment()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const auto &name : {u"PGDATA"_s, u"PGHOST"_s, u"PGHOSTADDR"_s, u"PGPORT"_s, u"PGUSER"_s,
                             u"PGDATABASE"_s, u"PGOPTIONS"_s, u"PGSERVICE"_s, u"PGSERVICEFILE"_s,
                             u"PGPASSWORD"_s, u"PGPASSFILE"_s, u"PGSSLMODE"_s, u"PGTZ"_s,
                             u"PGCLIENTENCODING"_s}) {
        env.remove(name);
    }
    // English messages, so failures are greppable (the cluster's own locale is set by initdb).
    env.insert(u"LC_ALL"_s, u"C"_s);
    return env;
}

ToolResult runProcess(const QString &program, const QStringList &args, const QString &workDir,
                      int timeoutMs, const QProcessEnvironment &env)
{
    ToolResult result;
    QProcess process;
    process.setProgram(program);
    process.setArguments(args);
    if (!workDir.isEmpty())
        process.setWorkingDirectory(workDir);
    process.setProcessEnvironment(env);
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.setStandardInputFile(QProcess::nullDevice());
    process.start();
    if (!process.waitForStarted(30'000)) {
        result.failure = u"could not start %1: %2"_s.arg(program, process.errorString());
        return result;
    }
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished(5'000);
        result.output = QString::fromLocal8Bit(process.readAll());
        result.failure = u"%1 did not finish within %2 s"_s.arg(program).arg(timeoutMs / 1000);
        return result;
    }
    result.output = QString::fromLocal8Bit(process.readAll()).trimmed();
    if (process.exitStatus() != QProcess::NormalExit)
        result.failure = u"%1 crashed"_s.arg(program);
    else if (process.exitCode() != 0)
        result.failure = u"%1 exited with code %2"_s.arg(program).arg(process.exitCode());
    result.ok = result.failure.isEmpty();
    return result;
}

// Alive and not a zombie: the postmaster is not our child, and a container's init may never reap it.
bool processAlive(qint64 pid)
{
    if (pid <= 0)
        return false;
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM)
        return false;
    QFile stat(u"/proc/%1/stat"_s.arg(pid));
    if (stat.open(QIODevice::ReadOnly)) {
        const QByteArray line = stat.readAll();
        const qsizetype paren = line.lastIndexOf(')');
        if (paren >= 0 && paren + 2 < line.size() && line.at(paren + 2) == 'Z')
            return false;
    }
    return true;
}

bool writeTextFile(const QString &path, const QString &text, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text)) {
        if (error)
            *error = u"cannot write %1: %2"_s.arg(path, file.errorString());
        return false;
    }
    file.write(text.toUtf8());
    return true;
}

// Single quotes for postgresql.conf and libpq values.
QString quoted(const QString &value)
{
    QString escaped = value;
    escaped.replace(u"\\"_s, u"\\\\"_s).replace(u"'"_s, u"\\'"_s);
    return u"'"_s + escaped + u"'"_s;
}

// libpq key=value: quote only when needed, so DSNs stay readable.
QString conninfoValue(const QString &value)
{
    const bool plain = !value.isEmpty()
        && std::none_of(value.cbegin(), value.cend(),
                        [](QChar c) { return c.isSpace() || c == u'\'' || c == u'\\'; });
    return plain ? value : quoted(value);
}

bool hasCUtf8Locale()
{
    locale_t locale = ::newlocale(LC_ALL_MASK, "C.UTF-8", locale_t(nullptr));
    if (!locale)
        return false;
    ::freelocale(locale);
    return true;
}

} // namespace

class PrivateClusterPrivate
{
public:
    ~PrivateClusterPrivate()
    {
        if (!keepOnExit)
            stopAndRemove();
    }

    QString dataDir() const { return baseDir + u"/data"_s; }
    QString logPath() const { return baseDir + u"/server.log"_s; }

    // Runs a server tool, as the postgres user when we are root.
    ToolResult runTool(const QString &tool, const QStringList &args, int timeoutMs) const
    {
        const QString program = binDir + u'/' + tool;
        if (runAs.isEmpty())
            return runProcess(program, args, baseDir, timeoutMs, toolEnvironment());
        QStringList runuserArgs{u"-u"_s, runAs, u"--"_s, program};
        runuserArgs += args;
        return runProcess(runuserExecutable(), runuserArgs, baseDir, timeoutMs, toolEnvironment());
    }

    qint64 postmasterPid() const
    {
        QFile pidFile(dataDir() + u"/postmaster.pid"_s);
        if (!pidFile.open(QIODevice::ReadOnly))
            return 0;
        return pidFile.readLine().trimmed().toLongLong();
    }

    bool serverRunning() const { return !baseDir.isEmpty() && processAlive(postmasterPid()); }

    QString logTail(int lines) const
    {
        QFile log(logPath());
        if (!log.open(QIODevice::ReadOnly))
            return u"(no server log at %1)"_s.arg(logPath());
        QStringList all = QString::fromLocal8Bit(log.readAll()).split(u'\n');
        while (!all.isEmpty() && all.constLast().trimmed().isEmpty())
            all.removeLast();
        if (all.size() > lines)
            all = all.mid(all.size() - lines);
        return all.join(u'\n');
    }

    bool stopServer(PrivateCluster::ShutdownMode mode, QString *error)
    {
        if (!serverRunning())
            return true;
        const QString modeName = mode == PrivateCluster::ShutdownMode::Smart ? u"smart"_s
            : mode == PrivateCluster::ShutdownMode::Fast                     ? u"fast"_s
                                                                             : u"immediate"_s;
        const ToolResult r = runTool(u"pg_ctl"_s,
                                     {u"-D"_s, dataDir(), u"-m"_s, modeName, u"-w"_s, u"-t"_s, u"60"_s,
                                      u"-s"_s, u"stop"_s},
                                     pgCtlTimeoutMs);
        if (r.ok)
            return true;
        if (!serverRunning())
            return true; // it went away anyway (crashed or stopped by someone else)
        if (error)
            *error = u"pg_ctl stop -m %1 failed: %2\n%3"_s.arg(modeName, r.failure, r.output);
        return false;
    }

    // Last resort after pg_ctl failed: the backends notice the postmaster's death and exit.
    void killServer()
    {
        const qint64 pid = postmasterPid();
        if (!processAlive(pid))
            return;
        qCWarning(lcDevCluster, "killing postmaster %lld", pid);
        ::kill(static_cast<pid_t>(pid), SIGKILL);
        QDeadlineTimer deadline(10'000);
        while (processAlive(pid) && !deadline.hasExpired())
            QThread::msleep(50);
    }

    void stopAndRemove()
    {
        if (baseDir.isEmpty())
            return;
        if (serverRunning()) {
            QString error;
            if (!stopServer(PrivateCluster::ShutdownMode::Fast, &error)) {
                qCWarning(lcDevCluster).noquote() << error;
                if (!stopServer(PrivateCluster::ShutdownMode::Immediate, &error)) {
                    qCWarning(lcDevCluster).noquote() << error;
                    killServer();
                }
            }
        }
        removeBaseDirectory();
        started = false;
    }

    void removeBaseDirectory()
    {
        // Only ever delete a directory this harness made (a state file could name anything).
        const QFileInfo info(baseDir);
        if (info.exists() && info.isDir() && info.fileName().startsWith(baseNamePrefix)
            && info.absolutePath() != u"/"_s) {
            if (!QDir(baseDir).removeRecursively())
                qCWarning(lcDevCluster, "could not remove %s completely", qUtf8Printable(baseDir));
        }
        baseDir.clear();
    }

    bool writeServerConfig(QString *error)
    {
        // postgresql.conf includes qpg.conf, rewritten on each start attempt with a new port.
        const QString confPath = dataDir() + u"/postgresql.conf"_s;
        QFile conf(confPath);
        if (!conf.open(QIODevice::Append | QIODevice::Text)) {
            if (error)
                *error = u"cannot append to %1: %2"_s.arg(confPath, conf.errorString());
            return false;
        }
        conf.write("\n# QPgPool test cluster\ninclude_if_exists = 'qpg.conf'\n");
        conf.close();

        return writeHbaFile(error);
    }

    // pg_hba.conf: the caller's rules first (the first matching line wins), then the defaults.
    bool writeHbaFile(QString *error) const
    {
        // scram-sha-256 for qpg_password everywhere, trust for everything else.
        const QString hba = extraHbaRules + uR"(# QPgPool test cluster
# TYPE  DATABASE     USER           ADDRESS         METHOD
local   all          qpg_password                   scram-sha-256
host    all          qpg_password   127.0.0.1/32    scram-sha-256
host    all          qpg_password   ::1/128         scram-sha-256
local   all          all                            trust
host    all          all            127.0.0.1/32    trust
host    all          all            ::1/128         trust
local   replication  all                            trust
host    replication  all            127.0.0.1/32    trust
)"_s;
        return writeTextFile(dataDir() + u"/pg_hba.conf"_s, hba, error);
    }

    // A file in the data directory, the server's own with exactly these permissions (the server
    // refuses a TLS key that others can read or that is not its user's).
    bool writeDataFile(const QString &name, const QByteArray &contents, QFileDevice::Permissions permissions,
                       QString *error) const
    {
        const QString path = dataDir() + u'/' + name;
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(contents) != contents.size()
            || !file.setPermissions(permissions)) {
            if (error)
                *error = u"cannot write %1: %2"_s.arg(path, file.errorString());
            return false;
        }
        file.close();
        chownToServerUser(path);
        return true;
    }

    bool writePortConfig(QString *error)
    {
        const QString settings = u"# Written by QPg::Dev::PrivateCluster\n"_s
            + u"listen_addresses = '127.0.0.1'\n"_s
            + u"port = %1\n"_s.arg(port)
            + u"unix_socket_directories = %1\n"_s.arg(quoted(baseDir))
            // Durability is worthless for a throwaway cluster and costs seconds per test.
            + u"fsync = off\n"_s
            + u"synchronous_commit = off\n"_s
            + u"full_page_writes = off\n"_s
            + u"max_connections = 200\n"_s
            + u"password_encryption = 'scram-sha-256'\n"_s
            // A fixed zone, so results do not depend on the machine; tests SET others.
            + u"timezone = 'UTC'\n"_s
            + u"log_timezone = 'UTC'\n"_s
            + u"lc_messages = 'C'\n"_s
            + u"log_line_prefix = '%m [%p] %q%u@%d '\n"_s
            + extraSettings();
        const QString path = dataDir() + u"/qpg.conf"_s;
        if (!writeTextFile(path, settings, error))
            return false;
        chownToServerUser(path);
        return true;
    }

    QString extraSettings() const
    {
        QString text;
        for (auto it = serverSettings.cbegin(); it != serverSettings.cend(); ++it)
            text += it.key() + u" = "_s + quoted(it.value()) + u'\n';
        return text;
    }

    void chownToServerUser(const QString &path) const
    {
        if (runAs.isEmpty())
            return;
        if (::chown(QFile::encodeName(path).constData(), serverUid, serverGid) != 0)
            qCWarning(lcDevCluster, "chown %s failed", qUtf8Printable(path));
    }

    bool startServer(QString *error)
    {
        const ToolResult r = runTool(u"pg_ctl"_s,
                                     {u"-D"_s, dataDir(), u"-l"_s, logPath(), u"-w"_s, u"-t"_s, u"60"_s,
                                      u"-s"_s, u"start"_s},
                                     pgCtlTimeoutMs);
        if (r.ok && serverRunning())
            return true;
        if (error) {
            *error = u"pg_ctl start failed (%1)%2\n--- server log %3 (last lines) ---\n%4"_s.arg(
                r.ok ? u"server not running"_s : r.failure,
                r.output.isEmpty() ? QString() : u": "_s + r.output, logPath(), logTail(30));
        }
        // pg_ctl -w may give up while the server is still coming up.
        stopServer(PrivateCluster::ShutdownMode::Immediate, nullptr);
        return false;
    }

    bool startWithFreePort(QString *error)
    {
        QString lastError;
        for (int attempt = 1; attempt <= startAttempts; ++attempt) {
            port = freeLoopbackPort();
            if (port == 0) {
                lastError = u"no free TCP port on 127.0.0.1"_s;
                continue;
            }
            if (!writePortConfig(error))
                return false;
            if (startServer(&lastError))
                return true;
            // Only a lost race for the port is worth another try.
            if (!logTail(10).contains(u"Address already in use"_s))
                break;
            qCInfo(lcDevCluster, "port %d was taken, retrying", port);
        }
        port = 0;
        if (error)
            *error = lastError;
        return false;
    }

    bool createRolesAndDatabase(QString *error)
    {
        const QString superSocket = u"host=%1 port=%2 user=postgres dbname="_s.arg(conninfoValue(baseDir)).arg(port);
        QString psqlError;
        // Separate -c: CREATE DATABASE cannot run inside the implicit transaction of a multi-statement string.
        if (!PrivateCluster::runPsql(superSocket + u"postgres"_s,
                                     {u"-c"_s, u"CREATE DATABASE %1 OWNER postgres"_s.arg(PrivateCluster::databaseName()),
                                      u"-c"_s, u"CREATE ROLE %1 LOGIN PASSWORD %2"_s.arg(
                                                   PrivateCluster::passwordRoleName(),
                                                   quoted(PrivateCluster::passwordRolePassword()))},
                                     nullptr, &psqlError)
            // PostgreSQL 15 no longer lets everyone create in schema public.
            || !PrivateCluster::runPsql(superSocket + PrivateCluster::databaseName(),
                                        {u"-c"_s, u"GRANT ALL ON SCHEMA public TO %1"_s.arg(
                                                      PrivateCluster::passwordRoleName())},
                                        nullptr, &psqlError)) {
            if (error)
                *error = u"setting up roles and database failed: "_s + psqlError;
            return false;
        }
        return true;
    }

    // The process that stops the cluster when it exits, or 0 when nobody does (kept on exit): a
    // cluster whose owner died without stopping it (crash, kill, sanitizer abort) is an orphan.
    void writeOwner() const
    {
        if (baseDir.isEmpty())
            return;
        const QString path = baseDir + u'/' + ownerFileName;
        QString error;
        if (!writeTextFile(path, QString::number(keepOnExit ? 0 : ::getpid()) + u'\n', &error))
            qCWarning(lcDevCluster).noquote() << error;
    }

    // Stops and deletes the orphaned clusters of earlier runs that run as the same user as ours.
    void removeOrphans() const
    {
        const QDir tmp(u"/tmp"_s);
        const QStringList names = tmp.entryList({baseNamePrefix + u'*'}, QDir::Dirs | QDir::NoDotAndDotDot);
        for (const QString &name : names) {
            const QString dir = tmp.filePath(name);
            if (QFileInfo(dir).ownerId() != serverUid)
                continue;
            QFile ownerFile(dir + u'/' + ownerFileName);
            if (!ownerFile.open(QIODevice::ReadOnly))
                continue; // being created right now, or not ours
            bool ok = false;
            const qint64 owner = ownerFile.readAll().trimmed().toLongLong(&ok);
            if (!ok || owner <= 0 || processAlive(owner))
                continue;
            qCInfo(lcDevCluster, "removing the orphaned cluster %s (its process %lld is gone)",
                   qUtf8Printable(dir), owner);
            PrivateClusterPrivate orphan;
            orphan.baseDir = dir;
            orphan.binDir = binDir;
            orphan.runAs = runAs;
            orphan.stopAndRemove();
        }
    }

    bool start(QString *error)
    {
        if (!prepareBaseDirectory(error))
            return false;
        const QString locale = hasCUtf8Locale() ? u"C.UTF-8"_s : u"C"_s;
        const ToolResult init = runTool(u"initdb"_s,
                                        {u"-D"_s, dataDir(), u"-U"_s, u"postgres"_s, u"-A"_s, u"trust"_s,
                                         u"-E"_s, u"UTF8"_s, u"--locale"_s, locale, u"--no-sync"_s,
                                         u"--no-instructions"_s},
                                        initdbTimeoutMs);
        if (!init.ok) {
            *error = u"initdb failed (%1):\n%2"_s.arg(init.failure, init.output);
            removeBaseDirectory();
            return false;
        }

        if (!writeServerConfig(error) || !startWithFreePort(error)) {
            removeBaseDirectory();
            return false;
        }
        started = true;
        if (!createRolesAndDatabase(error)) {
            stopAndRemove();
            return false;
        }
        qCDebug(lcDevCluster, "cluster in %s listening on 127.0.0.1:%d", qUtf8Printable(baseDir), port);
        return true;
    }

    // A hot standby streaming from the server on primaryPort: pg_basebackup -R copies its data
    // directory (settings, roles and databases included) and writes the standby's primary_conninfo.
    bool startReplica(int primaryPort, QString *error)
    {
        if (!prepareBaseDirectory(error))
            return false;
        const ToolResult backup = runTool(u"pg_basebackup"_s,
                                          {u"-D"_s, dataDir(), u"-R"_s, u"-X"_s, u"stream"_s,
                                           u"-c"_s, u"fast"_s, u"--no-sync"_s, u"-h"_s, u"127.0.0.1"_s,
                                           u"-p"_s, QString::number(primaryPort), u"-U"_s, u"postgres"_s},
                                          initdbTimeoutMs);
        if (!backup.ok) {
            *error = u"pg_basebackup failed (%1):\n%2"_s.arg(backup.failure, backup.output);
            removeBaseDirectory();
            return false;
        }
        if (!startWithFreePort(error)) {
            removeBaseDirectory();
            return false;
        }
        started = true;
        qCDebug(lcDevCluster, "replica in %s listening on 127.0.0.1:%d", qUtf8Printable(baseDir), port);
        return true;
    }

    bool prepareBaseDirectory(QString *error)
    {
        binDir = PrivateCluster::findBinDirectory();
        if (binDir.isEmpty()) {
            *error = u"PostgreSQL server binaries (initdb, pg_ctl) not found: install postgresql-15 or set QPG_PG_BINDIR"_s;
            return false;
        }

        if (::geteuid() == 0) {
            // PostgreSQL refuses to run as root: the server and its files belong to `postgres`.
            const passwd *pw = ::getpwnam("postgres");
            if (!pw) {
                *error = u"running as root, but there is no `postgres` system user to run the server as"_s;
                return false;
            }
            if (runuserExecutable().isEmpty()) {
                *error = u"running as root, but runuser (util-linux) is missing"_s;
                return false;
            }
            runAs = u"postgres"_s;
            serverUid = pw->pw_uid;
            serverGid = pw->pw_gid;
        } else {
            serverUid = ::geteuid();
            serverGid = ::getegid();
        }

        removeOrphans();

        // Always /tmp: TMPDIR may be under a directory the postgres user cannot traverse, and the
        // socket path must stay short (sun_path holds 107 bytes).
        QByteArray pattern = "/tmp/" + baseNamePrefix.toUtf8() + "XXXXXX";
        if (!::mkdtemp(pattern.data())) {
            *error = u"cannot create a directory under /tmp: %1"_s.arg(QString::fromLocal8Bit(std::strerror(errno)));
            return false;
        }
        baseDir = QFile::decodeName(pattern);
        ::chmod(pattern.constData(), 0755);
        writeOwner();
        if (!runAs.isEmpty() && ::chown(pattern.constData(), serverUid, serverGid) != 0) {
            *error = u"cannot give %1 to the postgres user: %2"_s.arg(baseDir, QString::fromLocal8Bit(std::strerror(errno)));
            removeBaseDirectory();
            return false;
        }
        return true;
    }

    QString baseDir;
    QString binDir;
    QString runAs; // empty: run the tools as ourselves
    uid_t serverUid = 0;
    gid_t serverGid = 0;
    QMap<QString, QString> serverSettings;
    QString extraHbaRules;
    int port = 0;
    bool keepOnExit = false;
    bool started = false;
};

PrivateCluster::PrivateCluster()
    : d(std::make_unique<PrivateClusterPrivate>())
{
}

PrivateCluster::~PrivateCluster() = default;
PrivateCluster::PrivateCluster(PrivateCluster &&other) noexcept = default;
PrivateCluster &PrivateCluster::operator=(PrivateCluster &&other) noexcept = default;

bool PrivateCluster::start(QString *errorMessage)
{
    QString error;
    if (d->started) {
        error = u"the cluster is already started"_s;
    } else if (d->start(&error)) {
        return true;
    }
    if (errorMessage)
        *errorMessage = error;
    return false;
}

bool PrivateCluster::startReplicaOf(const PrivateCluster &primary, QString *errorMessage)
{
    QString error;
    if (d->started)
        error = u"the cluster is already started"_s;
    else if (!primary.isServerRunning())
        error = u"the primary is not running"_s;
    else if (d->startReplica(primary.port(), &error))
        return true;
    if (errorMessage)
        *errorMessage = error;
    return false;
}

bool PrivateCluster::promote(QString *errorMessage)
{
    const ToolResult r = d->runTool(u"pg_ctl"_s, {u"-D"_s, dataDirectory(), u"-w"_s, u"-t"_s, u"60"_s,
                                                  u"-s"_s, u"promote"_s},
                                    pgCtlTimeoutMs);
    if (!r.ok && errorMessage)
        *errorMessage = u"pg_ctl promote failed (%1): %2"_s.arg(r.failure, r.output);
    return r.ok;
}

void PrivateCluster::stop()
{
    d->stopAndRemove();
}

bool PrivateCluster::isStarted() const
{
    return d->started;
}

bool PrivateCluster::stopServer(ShutdownMode mode, QString *errorMessage)
{
    return d->stopServer(mode, errorMessage);
}

bool PrivateCluster::startServer(QString *errorMessage)
{
    if (!d->started) {
        if (errorMessage)
            *errorMessage = u"the cluster was never started"_s;
        return false;
    }
    if (d->serverRunning())
        return true;
    QString error;
    if (!d->writePortConfig(&error) || !d->startServer(&error)) {
        if (errorMessage)
            *errorMessage = error;
        return false;
    }
    return true;
}

bool PrivateCluster::restartServer(QString *errorMessage)
{
    return stopServer(ShutdownMode::Fast, errorMessage) && startServer(errorMessage);
}

bool PrivateCluster::isServerRunning() const
{
    return d->serverRunning();
}

QString PrivateCluster::dsn() const
{
    return u"host=127.0.0.1 port=%1 user=postgres dbname=%2"_s.arg(d->port).arg(databaseName());
}

QString PrivateCluster::socketDsn() const
{
    return u"host=%1 port=%2 user=postgres dbname=%3"_s.arg(conninfoValue(d->baseDir)).arg(d->port).arg(databaseName());
}

QString PrivateCluster::passwordRoleDsn(const QString &password) const
{
    return u"host=127.0.0.1 port=%1 user=%2 password=%3 dbname=%4"_s.arg(d->port)
        .arg(passwordRoleName(), conninfoValue(password), databaseName());
}

int PrivateCluster::port() const
{
    return d->port;
}

QString PrivateCluster::socketDirectory() const
{
    return d->baseDir;
}

QString PrivateCluster::dataDirectory() const
{
    return d->baseDir.isEmpty() ? QString() : d->dataDir();
}

QString PrivateCluster::baseDirectory() const
{
    return d->baseDir;
}

QString PrivateCluster::logFile() const
{
    return d->baseDir.isEmpty() ? QString() : d->logPath();
}

QString PrivateCluster::binDirectory() const
{
    return d->binDir;
}

QString PrivateCluster::serverLogTail(int lines) const
{
    return d->logTail(lines);
}

void PrivateCluster::setServerSetting(const QString &name, const QString &value)
{
    d->serverSettings.insert(name, value);
}

bool PrivateCluster::setHbaRules(const QString &rules, QString *errorMessage)
{
    d->extraHbaRules = rules.isEmpty() || rules.endsWith(u'\n') ? rules : rules + u'\n';
    // Before start() the rules are written with the defaults; afterwards the file is rewritten now.
    return d->baseDir.isEmpty() || d->writeHbaFile(errorMessage);
}

bool PrivateCluster::writeDataFile(const QString &name, const QByteArray &contents,
                                   QFileDevice::Permissions permissions, QString *errorMessage)
{
    if (!d->started) {
        if (errorMessage)
            *errorMessage = u"the cluster was never started: there is no data directory yet"_s;
        return false;
    }
    return d->writeDataFile(name, contents, permissions, errorMessage);
}

void PrivateCluster::setKeepOnExit(bool keep)
{
    d->keepOnExit = keep;
    d->writeOwner();
}

bool PrivateCluster::keepOnExit() const
{
    return d->keepOnExit;
}

bool PrivateCluster::saveState(const QString &file, QString *errorMessage) const
{
    QSaveFile out(file);
    if (!out.open(QIODevice::WriteOnly | QIODevice::Text)) {
        if (errorMessage)
            *errorMessage = u"cannot write %1: %2"_s.arg(file, out.errorString());
        return false;
    }
    const QList<std::pair<QString, QString>> values = {
        {u"DSN"_s, dsn()},
        {u"PASSWORD_DSN"_s, passwordRoleDsn()},
        {u"SOCKET_DSN"_s, socketDsn()},
        {u"PORT"_s, QString::number(d->port)},
        {u"BASE_DIR"_s, d->baseDir},
        {u"DATA_DIR"_s, dataDirectory()},
        {u"SOCKET_DIR"_s, socketDirectory()},
        {u"LOG_FILE"_s, logFile()},
        {u"BIN_DIR"_s, d->binDir},
        {u"RUN_AS"_s, d->runAs},
    };
    QString text = u"# QPgPool private PostgreSQL cluster (qpg-cluster)\n"_s;
    for (const auto &[key, value] : values)
        text += key + u'=' + value + u'\n';
    out.write(text.toUtf8());
    if (!out.commit()) {
        if (errorMessage)
            *errorMessage = u"cannot write %1: %2"_s.arg(file, out.errorString());
        return false;
    }
    return true;
}

std::optional<QMap<QString, QString>> PrivateCluster::readStateFile(const QString &file, QString *errorMessage)
{
    QFile in(file);
    if (!in.open(QIODevice::ReadOnly | QIODevice::Text)) {
        if (errorMessage)
            *errorMessage = u"cannot read %1: %2"_s.arg(file, in.errorString());
        return std::nullopt;
    }
    QMap<QString, QString> values;
    const QStringList lines = QString::fromUtf8(in.readAll()).split(u'\n');
    for (const QString &line : lines) {
        if (line.isEmpty() || line.startsWith(u'#'))
            continue;
        const qsizetype eq = line.indexOf(u'=');
        if (eq <= 0)
            continue;
        values.insert(line.left(eq).trimmed(), line.mid(eq + 1));
    }
    return values;
}

std::optional<PrivateCluster> PrivateCluster::loadState(const QString &file, QString *errorMessage)
{
    const auto values = readStateFile(file, errorMessage);
    if (!values)
        return std::nullopt;
    const QString baseDir = values->value(u"BASE_DIR"_s);
    if (baseDir.isEmpty()) {
        if (errorMessage)
            *errorMessage = u"%1 names no private cluster (no BASE_DIR)"_s.arg(file);
        return std::nullopt;
    }
    PrivateCluster cluster;
    cluster.d->keepOnExit = true;
    cluster.d->baseDir = baseDir;
    cluster.d->binDir = values->value(u"BIN_DIR"_s);
    if (cluster.d->binDir.isEmpty())
        cluster.d->binDir = findBinDirectory();
    cluster.d->runAs = values->value(u"RUN_AS"_s);
    if (!cluster.d->runAs.isEmpty()) {
        if (const passwd *pw = ::getpwnam(cluster.d->runAs.toLocal8Bit().constData())) {
            cluster.d->serverUid = pw->pw_uid;
            cluster.d->serverGid = pw->pw_gid;
        }
    }
    cluster.d->port = values->value(u"PORT"_s).toInt();
    cluster.d->started = QFileInfo::exists(baseDir);
    return cluster;
}

bool PrivateCluster::runPsql(const QStringList &args, QByteArray *out, QString *error) const
{
    return runPsql(dsn(), args, out, error);
}

bool PrivateCluster::runPsql(const QString &dsn, const QStringList &args, QByteArray *out, QString *error)
{
    const QString psql = psqlExecutable();
    if (psql.isEmpty()) {
        if (error)
            *error = u"psql not found (install postgresql-client-15)"_s;
        return false;
    }
    QProcess process;
    process.setProgram(psql);
    // -X: no ~/.psqlrc; -w: never prompt for a password (a prompt would hang a test).
    process.setArguments(QStringList{u"-X"_s, u"-q"_s, u"-w"_s, u"-v"_s, u"ON_ERROR_STOP=1"_s, u"-d"_s, dsn} + args);
    // The DSN says where to connect; PGPASSWORD and friends stay, for outside servers (QPG_TEST_DSN).
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const auto &name : {u"PGHOST"_s, u"PGHOSTADDR"_s, u"PGPORT"_s, u"PGUSER"_s, u"PGDATABASE"_s,
                             u"PGOPTIONS"_s, u"PGSERVICE"_s, u"PGSERVICEFILE"_s}) {
        env.remove(name);
    }
    env.insert(u"LC_ALL"_s, u"C"_s);
    env.insert(u"PGCONNECT_TIMEOUT"_s, u"30"_s);
    process.setProcessEnvironment(env);
    process.setStandardInputFile(QProcess::nullDevice());
    process.start();
    if (!process.waitForStarted(30'000)) {
        if (error)
            *error = u"could not start %1: %2"_s.arg(psql, process.errorString());
        return false;
    }
    if (!process.waitForFinished(psqlTimeoutMs)) {
        process.kill();
        process.waitForFinished(5'000);
        if (error)
            *error = u"psql did not finish within %1 s"_s.arg(psqlTimeoutMs / 1000);
        return false;
    }
    if (out)
        *out = process.readAllStandardOutput();
    const QString stderrText = QString::fromLocal8Bit(process.readAllStandardError()).trimmed();
    const bool ok = process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0;
    if (error) {
        if (ok)
            *error = stderrText;
        else
            *error = stderrText.isEmpty() ? u"psql exited with code %1"_s.arg(process.exitCode()) : stderrText;
    }
    return ok;
}

std::optional<QString> PrivateCluster::querySingleValue(const QString &dsn, const QString &sql, QString *error)
{
    QByteArray out;
    if (!runPsql(dsn, {u"-At"_s, u"-c"_s, sql}, &out, error))
        return std::nullopt;
    return QString::fromUtf8(out).trimmed();
}

QString PrivateCluster::findBinDirectory()
{
    const auto hasTools = [](const QString &dir) {
        return !dir.isEmpty() && QFileInfo(dir + u"/initdb"_s).isExecutable()
            && QFileInfo(dir + u"/pg_ctl"_s).isExecutable();
    };
    const QString fromEnv = qEnvironmentVariable("QPG_PG_BINDIR");
    if (!fromEnv.isEmpty())
        return hasTools(fromEnv) ? fromEnv : QString();
    const QString preferred = u"/usr/lib/postgresql/15/bin"_s;
    if (hasTools(preferred))
        return preferred;
    // Another major version installed the Debian way: take the newest.
    QStringList versions = QDir(u"/usr/lib/postgresql"_s).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    std::sort(versions.begin(), versions.end(),
              [](const QString &a, const QString &b) { return a.toInt() > b.toInt(); });
    for (const QString &version : std::as_const(versions)) {
        const QString dir = u"/usr/lib/postgresql/%1/bin"_s.arg(version);
        if (hasTools(dir))
            return dir;
    }
    const QString initdb = QStandardPaths::findExecutable(u"initdb"_s);
    if (!initdb.isEmpty() && hasTools(QFileInfo(initdb).absolutePath()))
        return QFileInfo(initdb).absolutePath();
    return {};
}

QString PrivateCluster::psqlExecutable()
{
    const QString binDir = findBinDirectory();
    if (!binDir.isEmpty() && QFileInfo(binDir + u"/psql"_s).isExecutable())
        return binDir + u"/psql"_s;
    if (QFileInfo(u"/usr/bin/psql"_s).isExecutable())
        return u"/usr/bin/psql"_s;
    return QStandardPaths::findExecutable(u"psql"_s);
}

QString PrivateCluster::describe()
{
    const QString binDir = findBinDirectory();
    if (binDir.isEmpty())
        return u"no PostgreSQL server binaries found (install postgresql-15 or set QPG_PG_BINDIR)"_s;
    const ToolResult version = runProcess(binDir + u"/postgres"_s, {u"--version"_s}, QString(), 30'000,
                                          toolEnvironment());
    const QString who = ::geteuid() == 0 ? u"user postgres (via runuser, we are root)"_s
                                         : u"the current user"_s;
    return u"%1 from %2, server runs as %3, psql: %4"_s.arg(
        version.ok ? version.output : u"postgres --version failed"_s, binDir, who, psqlExecutable());
}

} // namespace QPg::Dev
