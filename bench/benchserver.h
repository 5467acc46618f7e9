// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QString>

#include <memory>

namespace QPg::Dev {
class PrivateCluster;
}

namespace QPgBench {

// Where the benchmarks find their server: an explicit DSN, the state file of a running private
// cluster (qpg-cluster / qpgpool-bench --start-cluster), QPG_BENCH_DSN, or else a throwaway cluster
// started for this process and removed at exit.
class BenchServer
{
public:
    BenchServer();
    ~BenchServer();

    // Empty dsn and stateFile: QPG_BENCH_DSN, then QPG_BENCH_STATE_FILE, then a private cluster.
    bool resolve(const QString &dsn, const QString &stateFile, QString *errorMessage);
    QString dsn() const { return m_dsn; }
    bool startedCluster() const { return bool(m_cluster); }

    // --start-cluster / --stop-cluster: a cluster outliving this process, named by a state file.
    static int startCluster(const QString &stateFile);
    static int stopCluster(const QString &stateFile);

private:
    QString m_dsn;
    std::unique_ptr<QPg::Dev::PrivateCluster> m_cluster;
};

} // namespace QPgBench
