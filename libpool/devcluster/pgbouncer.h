// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QString>
#include <QtCore/QStringList>

#include <memory>

namespace QPg::Dev {

class PgBouncerPrivate;

// A throwaway PgBouncer in front of a PostgreSQL server, for tests (a development tool: start()
// blocks until PgBouncer accepts connections, so keep it out of library code).
//
// start() writes pgbouncer.ini and an auth file into a fresh directory under /tmp, picks a free
// TCP port of 127.0.0.1 and runs /usr/sbin/pgbouncer in the foreground as a child process (through
// runuser as the `postgres` user when we are root; PgBouncer refuses to run as root). The system's
// pgbouncer service is neither needed nor touched. Clients authenticate as `postgres` without a
// password (auth_type trust); PgBouncer connects to the backend as `postgres` too, so the backend
// must trust that role over TCP (PrivateCluster does).
//
// The destructor stops PgBouncer and deletes the directory.
class PgBouncer
{
public:
    enum class PoolMode { Session, Transaction };

    struct Config
    {
        QString backendHost = QStringLiteral("127.0.0.1");
        int backendPort = 5432;
        QString database = QStringLiteral("qpgtest"); // served under the same name
        PoolMode poolMode = PoolMode::Transaction;
        int poolSize = 4; // server connections per database/user pair (default_pool_size)
        // Startup parameters PgBouncer drops instead of refusing the client
        // (ignore_startup_parameters), e.g. {"options", "extra_float_digits"}.
        QStringList ignoreStartupParameters;
    };

    explicit PgBouncer(const Config &config);
    ~PgBouncer();
    PgBouncer(const PgBouncer &) = delete;
    PgBouncer &operator=(const PgBouncer &) = delete;

    // Starts PgBouncer and waits (at most 30 s) until it accepts TCP connections. On failure returns
    // false with a message that includes the tail of PgBouncer's log.
    bool start(QString *errorMessage = nullptr);
    // Stops PgBouncer (SIGTERM: immediate shutdown, then SIGKILL) and deletes the directory. Idempotent.
    void stop();
    bool isRunning() const;

    int port() const;
    // key=value DSN of the configured database through PgBouncer, as `postgres`.
    QString dsn() const;
    // The last lines of PgBouncer's log, for error messages.
    QString logTail(int lines = 30) const;

private:
    std::unique_ptr<PgBouncerPrivate> d;
};

} // namespace QPg::Dev
