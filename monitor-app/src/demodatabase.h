// SPDX-License-Identifier: MIT
#pragma once

#include "privatecluster.h"

#include <QtCore/QString>

namespace QPg::Monitor {

// The --demo database: a throwaway PostgreSQL cluster (QPg::Dev::PrivateCluster) with a small
// customers/orders schema. Blocking (initdb, pg_ctl, psql): run it on the worker thread.
class DemoDatabase
{
public:
    DemoDatabase();
    ~DemoDatabase(); // stops the cluster and deletes its files
    DemoDatabase(const DemoDatabase &) = delete;
    DemoDatabase &operator=(const DemoDatabase &) = delete;

    bool start(QString *errorMessage);
    void stop();
    bool isStarted() const { return m_cluster.isStarted(); }
    QString dsn() const;

    // A query for the load generator that touches the sample data and holds its connection for a
    // few milliseconds, so waiting and idle connections show up on the charts.
    static QString loadQuery();
    static int customerCount() { return 1000; }
    static int orderCount() { return 5000; }

private:
    QPg::Dev::PrivateCluster m_cluster;
};

} // namespace QPg::Monitor
