// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QList>
#include <QtCore/QString>

#include <utility>

namespace QPg::Monitor {

// A DSN fit for titles, logs and status bars: the password (and sslpassword, a client key's
// passphrase) of a key=value string or a URI is replaced by "****", so it never reaches the screen
// or a file in plain text.
QString maskedDsn(const QString &dsn);

// The DSN without its password and sslpassword (key=value or URI form): what may be stored, e.g. in recent profiles.
QString dsnWithoutPassword(const QString &dsn);

// The password a DSN carries (key=value or URI form, decoded), empty when it has none.
QString dsnPassword(const QString &dsn);

// dsn with password added (key=value: a quoted keyword; URI: a percent-encoded query parameter).
QString dsnWithPassword(const QString &dsn, const QString &password);

// A key=value connection string from libpq keywords in order; empty values are left out, so an
// empty password lets libpq look in ~/.pgpass (PGPASSFILE) and PGPASSWORD, and a service name is
// resolved from pg_service.conf. Values are quoted as libpq wants.
QString dsnFromKeywords(const QList<std::pair<QString, QString>> &keywords);

} // namespace QPg::Monitor
