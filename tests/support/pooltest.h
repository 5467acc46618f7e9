// SPDX-License-Identifier: MIT
// Pools on the test run's server, for the pool tests.
#pragma once

#include "await.h"
#include "testserver.h"

#include <QPg/pool.h>

#include <memory>

namespace QPgTest {

inline QPg::PoolOptions poolOptions(int minSize, int maxSize, const QString &connectDsn = dsn())
{
    QPg::PoolOptions options = QPg::PoolOptions::fromDsn(connectDsn);
    options.minSize = minSize;
    options.maxSize = maxSize;
    return options;
}

inline std::unique_ptr<QPg::Pool> openPool(const QPg::PoolOptions &options)
{
    auto pool = std::make_unique<QPg::Pool>(options);
    await(pool->open());
    return pool;
}

inline int backendPid(QPg::PooledConnection &con)
{
    return await(con.fetchValue(QStringLiteral("SELECT pg_backend_pid()"))).toInt();
}

} // namespace QPgTest
