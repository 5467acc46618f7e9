// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QtCore/QString>

// Helpers shared by the development servers (PrivateCluster, PgBouncer).
namespace QPg::Dev {

// runuser(1), which runs the servers as `postgres` when we are root; empty when not installed.
QString runuserExecutable();

// A TCP port of 127.0.0.1 free right now, 0 when none. Someone may take it before the server
// binds: callers retry on "address in use".
int freeLoopbackPort();

} // namespace QPg::Dev
