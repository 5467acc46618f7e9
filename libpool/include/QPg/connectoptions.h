// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/qpgpool_export.h>

#include <QtCore/QMap>
#include <QtCore/QString>

#include <chrono>

namespace QPg {

// The PgBouncer pool mode between this client and the server, if any. PgBouncer refuses the
// "options" startup parameter, through which session settings are normally sent, and in
// transaction mode hands each transaction to any of its server sessions (see docs/POOL.md,
// "PgBouncer").
enum class PgBouncerMode {
    None,        // a direct connection
    Session,     // one server session per client connection, for the connection's lifetime
    Transaction, // one server session per transaction: no session state, no LISTEN
};

// How to reach the server and how the session is set up. Mirrors asyncpg's connect() arguments.
struct QPGPOOL_EXPORT ConnectOptions
{
    // A libpq connection string: URI ("postgresql://user@host:5432/db?sslmode=disable") or
    // key=value pairs ("host=/run/postgresql dbname=app"). May be empty (libpq's environment defaults).
    QString dsn;
    // libpq keywords (host, port, user, password, dbname, sslmode, keepalives_idle, ...); they override
    // the same keywords in the DSN.
    QMap<QString, QString> parameters;
    // Server settings (GUCs) applied at session start, like asyncpg's server_settings.
    QMap<QString, QString> serverSettings;
    // Sent as application_name unless the DSN, parameters or serverSettings name one.
    QString applicationName = QStringLiteral("qpgpool");

    // Bounds the whole connection attempt (DNS, every host, TLS, authentication). Overridden by the
    // DSN's connect_timeout when that is set.
    std::chrono::milliseconds connectTimeout = std::chrono::seconds(60);
    // Default per-call command timeout; zero means none.
    std::chrono::milliseconds commandTimeout = std::chrono::milliseconds(0);
    // After a command timeout the server is asked to cancel; if the command has not ended after this
    // long the connection is closed instead (a dead link can never report the cancellation).
    std::chrono::milliseconds cancelGracePeriod = std::chrono::seconds(5);

    // TCP keepalive probes and the TCP user timeout, which catch peers that vanished silently (NAT
    // timeouts, a host gone); zero keeps libpq's and the system's defaults.
    std::chrono::seconds keepalivesIdle = std::chrono::seconds(0);
    std::chrono::seconds keepalivesInterval = std::chrono::seconds(0);
    int keepalivesCount = 0;
    std::chrono::milliseconds tcpUserTimeout = std::chrono::milliseconds(0);

    // Prepared statements kept per connection (asyncpg's statement_cache_size). Zero uses unnamed
    // statements only, which is what PgBouncer in transaction mode needs.
    int statementCacheSize = 100;
    // Longer statements are never cached (asyncpg's max_cacheable_statement_size).
    int maxCacheableStatementSize = 15 * 1024;
    // Not None: the "options" startup parameter is not sent, so DateStyle, standard_conforming_strings
    // and extra_float_digits keep the server's defaults and serverSettings may only name
    // application_name (anything else fails open() with an InterfaceError: set it on the role or
    // database instead). Transaction: also unnamed statements only (statementCacheSize is ignored)
    // and addListener() fails with an InterfaceError. PoolOptions::forPgBouncer() sets this up.
    PgBouncerMode pgBouncerMode = PgBouncerMode::None;

    static ConnectOptions fromDsn(const QString &dsn)
    {
        ConnectOptions options;
        options.dsn = dsn;
        return options;
    }
};

} // namespace QPg
