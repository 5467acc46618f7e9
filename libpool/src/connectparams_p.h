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

    // Per host (or per address of a resolved name), as libpq documents connect_timeout.
    std::chrono::milliseconds connectTimeout() const { return m_connectTimeout; }

    // The servers to try, in order: one per entry of the host/hostaddr/port lists. libpq's
    // non-blocking connect has no timeout of its own, so each is tried alone, with its own timer.
    qsizetype targetCount() const { return qMax<qsizetype>(m_targets.size(), 1); }
    // "host:port" of target i, for messages.
    QString targetName(qsizetype i) const;
    // The target_session_attrs of each pass over the targets: prefer-standby is a pass that asks
    // for a standby, then one that takes any server (libpq 15's order); the rest are one pass.
    QList<QByteArray> sessionAttributePasses() const;
    // Points keywords()/values() at target i alone, asking for sessionAttributes.
    void selectTarget(qsizetype i, const QByteArray &sessionAttributes);

    struct Target
    {
        QByteArray host;
        QByteArray hostaddr;
        QByteArray port;
    };
    // Empty when the string names a single server.
    const QList<Target> &targets() const { return m_targets; }

    // message with the connection's password and sslpassword masked: libpq's messages may quote
    // parameter values.
    QString redact(const QString &message) const;

    // NULL-terminated arrays, valid as long as this object lives.
    const char *const *keywords() const { return m_keywordPointers.constData(); }
    const char *const *values() const { return m_valuePointers.constData(); }

private:
    QByteArray value(const char *keyword) const;
    void set(const QByteArray &keyword, const QByteArray &value);
    void unset(const QByteArray &keyword);
    void rebuildPointers();
    void splitTargets();

    // Empty when the string names one server, or lists libpq will reject (left for it to report).
    QList<Target> m_targets;
    QByteArray m_sessionAttributes;

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
