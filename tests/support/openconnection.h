// SPDX-License-Identifier: MIT
// An open connection to the test run's server, for tests that need one of their own.
#pragma once

#include "await.h"
#include "testserver.h"

#include <QPg/connection.h>

#include <memory>

namespace QPgTest {

inline std::unique_ptr<QPg::Connection> openConnection(const QPg::ConnectOptions &options)
{
    auto con = std::make_unique<QPg::Connection>(options);
    await(con->open());
    return con;
}

inline std::unique_ptr<QPg::Connection> openConnection()
{
    return openConnection(QPg::ConnectOptions::fromDsn(dsn()));
}

} // namespace QPgTest
