// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QFileDevice>
#include <QtCore/QMap>
#include <QtCore/QString>
#include <QtCore/QStringList>

#include <memory>
#include <optional>

namespace QPg::Dev {

class PrivateClusterPrivate;

// A throwaway PostgreSQL 15 server for tests and examples (a development tool: it blocks while
// initdb/pg_ctl run, so keep it out of library code).
//
// start() runs initdb into a fresh directory under /tmp and starts the server on a free TCP port of
// 127.0.0.1 plus a Unix socket in that directory, tuned for speed (fsync, synchronous_commit and
// full_page_writes off) and with max_connections=200. PostgreSQL refuses to run as root, so as root
// the directory is given to the `postgres` system user and initdb/pg_ctl run through runuser.
//
// Roles: the superuser `postgres` (trust) and `qpg_password` (LOGIN, password "secret-pw", must use
// scram-sha-256 over the socket and TCP). Database `qpgtest` is owned by postgres.
//
// The destructor stops the server and deletes the directory unless setKeepOnExit(true). saveState()
// and loadState() let one process start a cluster and another one stop it. A cluster whose process
// died without stopping it (crash, kill, sanitizer abort) is removed by the next start() of the
// same user; clusters kept on exit are left alone.
class PrivateCluster
{
public:
    enum class ShutdownMode { Smart, Fast, Immediate };

    PrivateCluster();
    ~PrivateCluster();
    // Moving hands over the server; the moved-from object is empty and may only be destroyed or
    // assigned to.
    PrivateCluster(PrivateCluster &&other) noexcept;
    PrivateCluster &operator=(PrivateCluster &&other) noexcept;
    PrivateCluster(const PrivateCluster &) = delete;
    PrivateCluster &operator=(const PrivateCluster &) = delete;

    // Creates and starts the cluster. On failure returns false with a message that includes the
    // tail of the server log, and leaves nothing behind.
    bool start(QString *errorMessage = nullptr);
    // Creates a hot standby of primary (which must be running) with pg_basebackup -R, streaming
    // from it, and starts it on a port of its own. Roles, databases and settings are the primary's
    // (set wal_keep_size on the primary if the standby may be stopped while it writes a lot).
    bool startReplicaOf(const PrivateCluster &primary, QString *errorMessage = nullptr);
    // pg_ctl promote: the standby becomes a primary (waits until it accepts writes).
    bool promote(QString *errorMessage = nullptr);
    // Stops the server (fast, then immediate, then SIGKILL) and deletes the directory. Idempotent.
    void stop();
    bool isStarted() const;

    // Stop or start only the server process, keeping the data: for crash and restart tests. With
    // synchronous_commit off, an immediate stop loses commits of the last ~200 ms unless the session
    // that made them SET synchronous_commit = on.
    bool stopServer(ShutdownMode mode = ShutdownMode::Fast, QString *errorMessage = nullptr);
    bool startServer(QString *errorMessage = nullptr);
    bool restartServer(QString *errorMessage = nullptr);
    // True when the postmaster of this cluster is alive.
    bool isServerRunning() const;

    // key=value connection strings. dsn(): superuser over TCP; socketDsn(): superuser over the
    // Unix socket; passwordRoleDsn(): qpg_password over TCP with the given password.
    QString dsn() const;
    QString socketDsn() const;
    QString passwordRoleDsn(const QString &password = passwordRolePassword()) const;

    int port() const;
    QString host() const { return QStringLiteral("127.0.0.1"); }
    QString socketDirectory() const;
    QString dataDirectory() const;
    QString baseDirectory() const;
    QString logFile() const;
    QString binDirectory() const;
    // The last lines of the server log, for error messages.
    QString serverLogTail(int lines = 30) const;

    // An extra postgresql.conf setting (value is quoted for you), from the next server start on:
    // set it before start() or call restartServer().
    void setServerSetting(const QString &name, const QString &value);

    // pg_hba.conf lines placed before the default rules (the first matching line wins), replacing
    // earlier ones. Before start() they are written with the defaults; on a started cluster the file
    // is rewritten now, and the server reads it at its next start (restartServer()).
    bool setHbaRules(const QString &rules, QString *errorMessage = nullptr);
    // Writes a file into the data directory (name relative to it) with exactly these permissions,
    // owned by the server's user: e.g. TLS certificates and keys (the server refuses a key file that
    // is not its own or that others may read). Needs a started cluster.
    bool writeDataFile(const QString &name, const QByteArray &contents, QFileDevice::Permissions permissions,
                       QString *errorMessage = nullptr);

    // Keep the server running and its files when this object is destroyed (stop() still works).
    void setKeepOnExit(bool keep);
    bool keepOnExit() const;

    // Writes key=value lines: DSN, PASSWORD_DSN, SOCKET_DSN, PORT, BASE_DIR, DATA_DIR, SOCKET_DIR,
    // LOG_FILE, BIN_DIR, RUN_AS.
    bool saveState(const QString &file, QString *errorMessage = nullptr) const;
    // Takes over a cluster written by saveState(). The result has keepOnExit() set, so reading
    // the state never stops the server by accident: call stop() to end it.
    static std::optional<PrivateCluster> loadState(const QString &file, QString *errorMessage = nullptr);
    // The key=value lines of a state file; nullopt (and an error) when it cannot be read.
    static std::optional<QMap<QString, QString>> readStateFile(const QString &file, QString *errorMessage = nullptr);

    // Runs psql with args (after -X -q -w -v ON_ERROR_STOP=1) on dsn(). out gets stdout; error gets
    // stderr or the reason psql could not run. True when psql exited with 0.
    bool runPsql(const QStringList &args, QByteArray *out = nullptr, QString *error = nullptr) const;
    static bool runPsql(const QString &dsn, const QStringList &args, QByteArray *out = nullptr,
                        QString *error = nullptr);
    // Runs one SQL command with psql -At on dsn; returns its trimmed output, nullopt on failure.
    static std::optional<QString> querySingleValue(const QString &dsn, const QString &sql,
                                                   QString *error = nullptr);

    static QString passwordRoleName() { return QStringLiteral("qpg_password"); }
    static QString passwordRolePassword() { return QStringLiteral("secret-pw"); }
    static QString superuserName() { return QStringLiteral("postgres"); }
    static QString databaseName() { return QStringLiteral("qpgtest"); }

    // Where the PostgreSQL binaries are (QPG_PG_BINDIR, /usr/lib/postgresql/15/bin, PATH); empty
    // when none was found.
    static QString findBinDirectory();
    static QString psqlExecutable();
    // One line on the setup: server version, binaries, the user the server runs as.
    static QString describe();

private:
    std::unique_ptr<PrivateClusterPrivate> d;
};

} // namespace QPg::Dev
