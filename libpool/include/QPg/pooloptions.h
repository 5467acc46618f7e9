// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/connectoptions.h>
#include <QPg/qpgpool_export.h>

#include <QtCore/QFuture>

#include <chrono>
#include <functional>

namespace QPg {

class Connection;

// What a pool does to a connection coming back from a caller. An open transaction is always rolled
// back first, whatever the policy.
enum class ResetPolicy {
    // Resets only when the session may have changed: a command tagged SET (SET ROLE and SET SESSION
    // AUTHORIZATION included), RESET, LISTEN, UNLISTEN, DECLARE CURSOR, PREPARE, DEALLOCATE, LOCK,
    // SQL text naming pg_advisory or set_config, or SQL text with CREATE and TEMP. The reset is
    // SET SESSION AUTHORIZATION DEFAULT; RESET ROLE; asyncpg's query; and DISCARD TEMP after
    // temporary objects. Otherwise no round trip at all. Limits: session state changed inside a
    // function body (e.g. a PL/pgSQL SET) is not seen.
    Smart,
    // Smart's reset on every release: SET SESSION AUTHORIZATION DEFAULT; RESET ROLE;
    // SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL (+ DISCARD TEMP).
    Always,
    // DISCARD ALL on every release (also drops prepared statements and temporary tables).
    DiscardAll,
    // Only the rollback of an open transaction (and UNLISTEN * when the holder added listeners).
    RollbackOnly,
};

struct QPGPOOL_EXPORT PoolOptions
{
    ConnectOptions connectOptions;

    int minSize = 10; // a floor the pool maintains, not only the initial size
    int maxSize = 10;
    qint64 maxQueries = 50000; // statements per connection before it is replaced
    // Idle connections above minSize are closed after this long; zero disables.
    std::chrono::milliseconds maxInactiveConnectionLifetime = std::chrono::seconds(300);
    // Connections are replaced after this age (minus up to maxLifetimeJitter); zero disables.
    std::chrono::milliseconds maxLifetime = std::chrono::milliseconds(0);
    double maxLifetimeJitter = 0.1;
    // Default acquire timeout; zero waits without limit.
    std::chrono::milliseconds acquireTimeout = std::chrono::milliseconds(0);
    // Callers allowed to wait at once; zero is unlimited. Beyond it acquire fails at once.
    int maxWaiting = 0;
    // A connection idle for longer is pinged (an empty query) before it is handed out; zero disables.
    std::chrono::milliseconds validateIdleAfter = std::chrono::milliseconds(0);
    // Bounds the reset of a released connection (rollback, reset query, reset hook). On overrun the
    // connection is terminated.
    std::chrono::milliseconds resetTimeout = std::chrono::seconds(10);
    // close() waits this long for acquired connections, then terminates them; zero waits forever.
    std::chrono::milliseconds closeTimeout = std::chrono::seconds(60);
    // A connection held longer is reported through leakDetected(); zero disables.
    std::chrono::milliseconds leakThreshold = std::chrono::milliseconds(0);
    // At most this many connections are opened at once by the background refill.
    int maxConcurrentConnects = 2;
    // Backoff between failed background connects: doubles from initial up to max, with jitter.
    std::chrono::milliseconds reconnectBackoffInitial = std::chrono::milliseconds(100);
    std::chrono::milliseconds reconnectBackoffMax = std::chrono::seconds(10);

    ResetPolicy resetPolicy = ResetPolicy::Smart;

    // The connection class: makes the (unopened) Connection; the pool opens it. Default: Connection.
    std::function<Connection *(const ConnectOptions &options)> connectionFactory;
    // Replaces connectionFactory + open entirely: returns an open connection (asyncpg's connect=).
    std::function<QFuture<Connection *>(const ConnectOptions &options)> connect;
    // Once per new connection (asyncpg's init).
    std::function<QFuture<void>(Connection *connection)> init;
    // On every acquire (asyncpg's setup).
    std::function<QFuture<void>(Connection *connection)> setup;
    // On every release, after the reset policy (asyncpg's reset).
    std::function<QFuture<void>(Connection *connection)> reset;

    static PoolOptions fromDsn(const QString &dsn)
    {
        PoolOptions options;
        options.connectOptions.dsn = dsn;
        return options;
    }

    // For a dsn that points at PgBouncer in the given pool mode: connectOptions.pgBouncerMode set,
    // and in transaction mode statementCacheSize 0 (unnamed statements) and ResetPolicy::RollbackOnly
    // (the session a reset would clean is not the one the next holder gets).
    static PoolOptions forPgBouncer(const QString &dsn, PgBouncerMode mode)
    {
        PoolOptions options = fromDsn(dsn);
        options.connectOptions.pgBouncerMode = mode;
        if (mode == PgBouncerMode::Transaction) {
            options.connectOptions.statementCacheSize = 0;
            options.resetPolicy = ResetPolicy::RollbackOnly;
        }
        return options;
    }
};

} // namespace QPg
