// SPDX-License-Identifier: MIT
// A private PostgreSQL server with TLS, for the TLS and authentication tests.
#pragma once

#include <QtCore/QString>

namespace QPg::Dev {
class PrivateCluster;
}

namespace QPgTest {

// What the client side needs, all in the cluster's directory (nothing is committed: the files are
// made with the openssl command line when the test runs).
struct TlsFiles
{
    QString caCert;             // the CA that signed the server and client certificates
    QString otherCaCert;        // an unrelated CA: verifying the server against it must fail
    QString clientCert;         // CN = the client role
    QString clientKey;          // mode 0600, as libpq demands
    QString encryptedClientKey; // the same key, encrypted with the passphrase (libpq's sslpassword)
};

struct TlsClusterSetup
{
    QString clientRole;    // CN of the client certificate
    QString keyPassphrase; // for encryptedClientKey
    QString hbaRules;      // pg_hba.conf lines placed before the cluster's defaults
};

// Starts cluster with ssl=on: a server certificate for CN localhost with SAN localhost and
// 127.0.0.1, signed by a CA of its own, which the server also trusts for client certificates
// (ssl_ca_file). False with a message when anything fails.
bool startTlsCluster(QPg::Dev::PrivateCluster &cluster, const TlsClusterSetup &setup, TlsFiles *files,
                     QString *error);

} // namespace QPgTest
