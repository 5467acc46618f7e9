// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QMap>
#include <QtCore/QString>

// The PostgreSQL server of the test run. CTest's pgcluster fixture (qpg-cluster start) writes its
// details to the file named by QPG_TEST_STATE_FILE; QPG_TEST_DSN (plus QPG_TEST_PASSWORD_DSN and
// QPG_TEST_SOCKET_DSN) name an outside server instead. Without either the test fails through qFatal:
// database tests never skip.
//
// Tests that stop, crash or restart a server must not do it to this shared one (tests run in
// parallel): they start a QPg::Dev::PrivateCluster of their own.
namespace QPgTest {

// Superuser `postgres` over TCP, database qpgtest.
QString dsn();
// Role qpg_password (scram-sha-256) with the correct password, over TCP.
QString passwordDsn();
// The same with another password.
QString passwordDsnWith(const QString &password);
// Superuser over the Unix socket.
QString socketDsn();

// True when the run's server is the private cluster (not QPG_TEST_DSN): its data directory, port
// and log are then known.
bool isPrivateCluster();
// A value of the state file (PORT, BASE_DIR, DATA_DIR, LOG_FILE, ...); empty when absent.
QString stateValue(const QString &key);

// Returns dsn with keyword key set to value (replacing an existing one); dsn must be key=value.
QString withDsnParameter(const QString &dsn, const QString &key, const QString &value);

} // namespace QPgTest
