// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QPg/connectoptions.h>
#include <QPg/errors.h>

#include <QtCore/QByteArray>
#include <QtCore/QList>
#include <QtCore/QStringList>

#include <chrono>
#include <memory>

namespace QPg::Private {

// The keyword/value arrays PQconnectStartParams takes, built from ConnectOptions without any network
// access. Host names that need DNS are listed so the caller can resolve them off the loop thread and
// hand libpq numeric addresses (hostaddr) instead.
class ConnectParams
{
public:
    // Throws QPg::InterfaceError when the DSN cannot be parsed.
    explicit ConnectParams(const ConnectOptions &options);

    // Host entries (in order) that are names rather than addresses or socket directories.
    QStringList hostNamesToResolve() const;
    // Supplies the addresses found for each name of hostNamesToResolve(); every entry expands into
    // one host/hostaddr pair per address. A name without addresses makes the connect fail.
    void setResolvedAddresses(const QHash<QString, QStringList> &addresses);

    std::chrono::milliseconds connectTimeout() const { return m_connectTimeout; }

    // message with the connection's password and sslpassword masked: libpq's messages may quote
    // parameter values.
    QString redact(const QString &message) const;

    // NULL-terminated arrays, valid as long as this object lives.
    const char *const *keywords() const { return m_keywordPointers.constData(); }
    const char *const *values() const { return m_valuePointers.constData(); }

private:
    QByteArray value(const char *keyword) const;
    void set(const QByteArray &keyword, const QByteArray &value);
    void rebuildPointers();

    QList<QByteArray> m_keywords;
    QList<QByteArray> m_values;
    QList<const char *> m_keywordPointers;
    QList<const char *> m_valuePointers;
    std::chrono::milliseconds m_connectTimeout;
    QStringList m_secrets;
};

// The error a failed connection attempt maps to. libpq gives connection failures as text only, so
// the server's SQLSTATE is recovered from its well-known messages where possible.
std::unique_ptr<Error> connectError(const QString &libpqMessage);

} // namespace QPg::Private
