// SPDX-License-Identifier: MIT
#include "benchserver.h"

#include "privatecluster.h"

#include <QtCore/QFile>
#include <QtCore/QFileInfo>

#include <cstdio>

using namespace Qt::Literals::StringLiterals;
using QPg::Dev::PrivateCluster;

namespace QPgBench {

BenchServer::BenchServer() = default;
BenchServer::~BenchServer() = default;

bool BenchServer::resolve(const QString &dsn, const QString &stateFile, QString *errorMessage)
{
    if (!dsn.isEmpty()) {
        m_dsn = dsn;
        return true;
    }
    QString file = stateFile;
    if (file.isEmpty() && !qEnvironmentVariableIsEmpty("QPG_BENCH_DSN")) {
        m_dsn = qEnvironmentVariable("QPG_BENCH_DSN");
        return true;
    }
    if (file.isEmpty())
        file = qEnvironmentVariable("QPG_BENCH_STATE_FILE");
    if (!file.isEmpty()) {
        const auto state = PrivateCluster::readStateFile(file, errorMessage);
        if (!state)
            return false;
        m_dsn = state->value(u"DSN"_s);
        if (m_dsn.isEmpty() && errorMessage)
            *errorMessage = u"%1 names no DSN"_s.arg(file);
        return !m_dsn.isEmpty();
    }
    m_cluster = std::make_unique<PrivateCluster>();
    if (!m_cluster->start(errorMessage)) {
        m_cluster.reset();
        return false;
    }
    m_dsn = m_cluster->dsn();
    return true;
}

int BenchServer::startCluster(const QString &stateFile)
{
    // A killed run may have left its cluster behind.
    if (QFileInfo::exists(stateFile))
        stopCluster(stateFile);
    PrivateCluster cluster;
    QString error;
    if (!cluster.start(&error)) {
        std::fprintf(stderr, "qpgpool-bench: could not start a private PostgreSQL cluster: %s\n", qPrintable(error));
        return 1;
    }
    if (!cluster.saveState(stateFile, &error)) {
        std::fprintf(stderr, "qpgpool-bench: %s\n", qPrintable(error));
        return 1; // the destructor stops the cluster
    }
    cluster.setKeepOnExit(true);
    std::printf("%s\n", qPrintable(cluster.dsn()));
    return 0;
}

int BenchServer::stopCluster(const QString &stateFile)
{
    if (!QFileInfo::exists(stateFile))
        return 0;
    QString error;
    const auto state = PrivateCluster::readStateFile(stateFile, &error);
    if (state && state->value(u"BASE_DIR"_s).isEmpty()) {
        QFile::remove(stateFile); // an outside server: not ours to stop
        return 0;
    }
    auto cluster = PrivateCluster::loadState(stateFile, &error);
    if (!cluster) {
        std::fprintf(stderr, "qpgpool-bench: %s\n", qPrintable(error));
        return 1;
    }
    cluster->stop();
    QFile::remove(stateFile);
    return 0;
}

} // namespace QPgBench
