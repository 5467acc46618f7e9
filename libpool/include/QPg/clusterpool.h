// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/pool.h>
#include <QPg/pooloptions.h>
#include <QPg/poolstats.h>
#include <QPg/qpgpool_export.h>

#include <QtCore/QFuture>
#include <QtCore/QObject>

#include <chrono>
#include <memory>
#include <optional>

namespace QPg {

class ClusterPoolPrivate;

// What a caller of a ClusterPool is going to do with the connection.
enum class Access {
    ReadWrite, // the primary
    ReadOnly,  // a replica (or the primary, see ClusterPoolOptions::readFromPrimary)
};

enum class ReplicaBalancing {
    LeastBusy, // the replica with the fewest acquired connections and waiters for its size
    Random,
};

struct QPGPOOL_EXPORT ClusterPoolOptions
{
    // The settings of each server's pool (sizes, timeouts, hooks). Its connect options list every
    // server of the cluster, primary and replicas in any order: host=a,b,c with one port each or
    // one for all (hostaddr lists work too).
    PoolOptions pool;
    // Reads go to the primary while no replica is usable; otherwise acquire(ReadOnly) fails.
    bool readFromPrimary = true;
    ReplicaBalancing balancing = ReplicaBalancing::LeastBusy;
    // A replica replaying further behind the primary than this is left out of reads; zero disables.
    std::chrono::milliseconds maxReplicaLag = std::chrono::seconds(10);
    // How often each server's role (primary, replica) and replication lag are checked.
    std::chrono::milliseconds checkInterval = std::chrono::seconds(1);
    // acquire(ReadWrite) keeps trying this long while no primary can be reached (a failover under
    // way); acquire(ReadOnly) likewise while no server at all can be. Zero fails at once.
    std::chrono::milliseconds failoverTimeout = std::chrono::seconds(30);

    static ClusterPoolOptions fromDsn(const QString &dsn);
};

// One server of a ClusterPool as its last check saw it.
struct QPGPOOL_EXPORT ServerStatus
{
    enum class Role { Unknown, Primary, Replica, Down };

    QString name; // host:port as listed
    Role role = Role::Unknown;
    // How far a replica's replay is behind (zero when it has replayed all it received).
    std::optional<std::chrono::milliseconds> replicationLag;
    // A replica currently taking reads: up and within maxReplicaLag.
    bool readable = false;
    // Of the pool serving this server: its replica pool, or for the primary the write pool.
    PoolStats stats;
    // Why the last check failed, for Down.
    QString error;
};

// A pool over a primary and its streaming replicas: writes go to the primary, reads are spread
// over the healthy replicas. Writes use one pool whose connections ask libpq for a read-write
// server among all listed hosts, so after a failover it lands on the new primary by itself; each
// replica has a pool of its own. A check connection per server finds out roles and lag.
//
// Lives in one thread: call it from the thread it belongs to.
class QPGPOOL_EXPORT ClusterPool : public QObject
{
    Q_OBJECT

public:
    explicit ClusterPool(const ClusterPoolOptions &options, QObject *parent = nullptr);
    ~ClusterPool() override;

    // Opens the write pool; replicas take reads as their first check succeeds.
    QFuture<void> open();
    // A connection for access. Waits out a failover (failoverTimeout) instead of failing at once
    // while no suitable server is reachable; an error a server returns is passed on at once.
    QFuture<PooledConnection> acquire(Access access, const AcquireOptions &options = {});
    // The pool acquire(access) would use now: the write pool, a replica's pool, or nullptr for
    // ReadOnly when no replica is usable and readFromPrimary is off.
    Pool *pool(Access access);
    Pool *writePool() const;

    QFuture<void> close();
    void terminate();
    bool isClosing() const;

    QList<ServerStatus> servers() const;
    ClusterPoolOptions options() const;

Q_SIGNALS:
    // A server's role or readability changed.
    void serverChanged(const QPg::ServerStatus &status);

private:
    std::unique_ptr<ClusterPoolPrivate> d;
    friend class ClusterPoolPrivate;
};

} // namespace QPg

Q_DECLARE_METATYPE(QPg::ServerStatus)
