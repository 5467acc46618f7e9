// SPDX-License-Identifier: MIT
#include "connectparams_p.h"

#include <QtCore/QHash>
#include <QtCore/QRegularExpression>
#include <QtCore/QUrl>
#include <QtNetwork/QHostAddress>

#include <libpq-fe.h>

namespace QPg::Private {

namespace {

// Backslash-escapes whitespace and backslashes for the libpq "options" keyword. The server splits
// it on every isspace() character, not only spaces: an unescaped tab or newline in a value would
// start another "-c" option. libpq sends it as a C string, so a NUL would cut off what follows.
QByteArray escapeOptionValue(const QString &value)
{
    if (value.contains(QChar(u'\0')))
        throw InterfaceError(QStringLiteral("a serverSettings name or value contains a NUL character"));
    QByteArray out;
    for (char c : value.toUtf8()) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == '\\')
            out += '\\';
        out += c;
    }
    return out;
}

const QString Mask = QStringLiteral("********");

// The passwords a connection string may carry, as written and percent-decoded: the URI's
// user:password@ part, and password=... or sslpassword=... (a client key's passphrase) in key/value
// form or in the URI's query. Found without libpq, for the strings it cannot parse.
QStringList passwordsIn(const QString &dsn)
{
    QStringList found;
    static const QRegularExpression userInfo(QStringLiteral(R"(^\s*postgres(?:ql)?://([^@/]*)@)"));
    if (const auto m = userInfo.match(dsn); m.hasMatch()) {
        const QString info = m.captured(1);
        if (const qsizetype colon = info.indexOf(u':'); colon >= 0)
            found.append(info.mid(colon + 1));
    }
    static const QRegularExpression keyword(QStringLiteral(R"((?:^|[\s?&])(?:ssl)?password\s*=\s*('(?:[^'\\]|\\.)*'?|[^\s&]*))"));
    for (auto it = keyword.globalMatch(dsn); it.hasNext();) {
        QString value = it.next().captured(1);
        if (value.startsWith(u'\''))
            value = value.mid(1).chopped(value.endsWith(u'\'') && value.size() > 1 ? 1 : 0);
        found.append(value);
    }
    QStringList all;
    for (const QString &secret : std::as_const(found)) {
        if (secret.isEmpty())
            continue;
        all.append(secret);
        all.append(QUrl::fromPercentEncoding(secret.toUtf8()));
    }
    // Longest first, so a decoded form inside the written one is not masked by halves.
    std::sort(all.begin(), all.end(), [](const QString &a, const QString &b) { return a.size() > b.size(); });
    all.removeDuplicates();
    return all;
}

QString masked(QString message, const QStringList &secrets)
{
    for (const QString &secret : secrets)
        message.replace(secret, Mask);
    return message;
}

bool needsResolution(const QString &host)
{
    if (host.isEmpty() || host.startsWith(u'/') || host.startsWith(u'@'))
        return false; // default, Unix socket directory, abstract socket
    return QHostAddress(host).isNull();
}

QStringList splitList(const QByteArray &value)
{
    if (value.isEmpty())
        return {};
    return QString::fromUtf8(value).split(u',');
}

} // namespace

ConnectParams::ConnectParams(const ConnectOptions &options)
    : m_connectTimeout(options.connectTimeout)
{
    if (!options.dsn.trimmed().isEmpty()) {
        char *error = nullptr;
        PQconninfoOption *parsed = PQconninfoParse(options.dsn.toUtf8().constData(), &error);
        if (!parsed) {
            QString message = error ? QString::fromUtf8(error).trimmed() : QStringLiteral("out of memory");
            PQfreemem(error);
            // libpq quotes the token it choked on, or the whole URI; when the string holds a
            // password, a quoted piece may be part of it even where the password was not found.
            const QStringList secrets = passwordsIn(options.dsn);
            message = masked(message, secrets);
            if (!secrets.isEmpty()) {
                static const QRegularExpression quoted(QStringLiteral(R"("[^"]*")"));
                message.replace(quoted, u'"' + Mask + u'"');
            }
            throw InterfaceError(QStringLiteral("invalid connection string: ") + message);
        }
        for (PQconninfoOption *o = parsed; o->keyword; ++o) {
            if (o->val)
                set(QByteArray(o->keyword), QByteArray(o->val));
        }
        PQconninfoFree(parsed);
    }
    for (auto it = options.parameters.cbegin(); it != options.parameters.cend(); ++it)
        set(it.key().toUtf8(), it.value().toUtf8());

    auto setIfPositive = [this](const char *keyword, qint64 value) {
        if (value > 0 && this->value(keyword).isEmpty())
            set(keyword, QByteArray::number(value));
    };
    setIfPositive("keepalives_idle", options.keepalivesIdle.count());
    setIfPositive("keepalives_interval", options.keepalivesInterval.count());
    setIfPositive("keepalives_count", options.keepalivesCount);
    setIfPositive("tcp_user_timeout", options.tcpUserTimeout.count());

    // Environment defaults are applied by libpq itself, but a host name from PGHOST must be resolved
    // here too, or libpq would call getaddrinfo() on the loop thread.
    if (value("host").isEmpty() && value("hostaddr").isEmpty() && qEnvironmentVariableIsSet("PGHOST"))
        set("host", qgetenv("PGHOST"));

    if (const QByteArray timeout = value("connect_timeout"); !timeout.isEmpty()) {
        bool ok = false;
        const int seconds = timeout.toInt(&ok);
        if (ok && seconds > 0)
            m_connectTimeout = std::chrono::seconds(qMax(seconds, 2)); // libpq's own minimum
    }

    // Session settings the decoders rely on come last, so they win over the caller's.
    QMap<QString, QString> settings = options.serverSettings;
    if (!settings.contains(QStringLiteral("application_name")) && value("application_name").isEmpty()
        && !options.applicationName.isEmpty())
        set("application_name", options.applicationName.toUtf8());
    if (options.pgBouncerMode != PgBouncerMode::None) {
        // PgBouncer refuses the "options" startup parameter; application_name it passes through.
        if (const auto name = settings.constFind(QStringLiteral("application_name")); name != settings.cend())
            set("application_name", name->toUtf8());
        settings.remove(QStringLiteral("application_name"));
        if (!settings.isEmpty())
            throw InterfaceError(QStringLiteral("serverSettings (%1) cannot be sent through PgBouncer, which refuses "
                                                "the options startup parameter: set them on the role or database")
                                     .arg(settings.keys().join(QStringLiteral(", "))));
    } else {
        settings.insert(QStringLiteral("DateStyle"), QStringLiteral("ISO, YMD"));
        settings.insert(QStringLiteral("standard_conforming_strings"), QStringLiteral("on"));
        settings.insert(QStringLiteral("extra_float_digits"), QStringLiteral("3")); // floats print exactly
        QByteArray startupOptions = value("options");
        for (auto it = settings.cbegin(); it != settings.cend(); ++it) {
            if (!startupOptions.isEmpty())
                startupOptions += ' ';
            startupOptions += "-c " + escapeOptionValue(it.key()) + '=' + escapeOptionValue(it.value());
        }
        set("options", startupOptions);
    }
    set("client_encoding", "UTF8");
    for (const char *keyword : {"password", "sslpassword"}) {
        if (const QByteArray secret = value(keyword); !secret.isEmpty())
            m_secrets.append(QString::fromUtf8(secret));
    }
    m_sessionAttributes = value("target_session_attrs");
    splitTargets();
    rebuildPointers();
}

QString ConnectParams::redact(const QString &message) const
{
    return masked(message, m_secrets);
}

QByteArray ConnectParams::value(const char *keyword) const
{
    const qsizetype i = m_keywords.indexOf(QByteArray(keyword));
    return i < 0 ? QByteArray() : m_values.at(i);
}

void ConnectParams::set(const QByteArray &keyword, const QByteArray &value)
{
    const qsizetype i = m_keywords.indexOf(keyword);
    if (i < 0) {
        m_keywords.append(keyword);
        m_values.append(value);
    } else {
        m_values[i] = value;
    }
}

void ConnectParams::unset(const QByteArray &keyword)
{
    if (const qsizetype i = m_keywords.indexOf(keyword); i >= 0) {
        m_keywords.removeAt(i);
        m_values.removeAt(i);
    }
}

QStringList ConnectParams::hostNamesToResolve() const
{
    if (!value("hostaddr").isEmpty())
        return {}; // the caller gave addresses already; libpq will not resolve
    QStringList names;
    for (const QString &host : splitList(value("host"))) {
        if (needsResolution(host) && !names.contains(host))
            names.append(host);
    }
    return names;
}

void ConnectParams::setResolvedAddresses(const QHash<QString, QStringList> &addresses)
{
    const QStringList hosts = splitList(value("host"));
    const QStringList ports = splitList(value("port"));
    QStringList newHosts, newAddrs, newPorts;
    for (qsizetype i = 0; i < hosts.size(); ++i) {
        const QString &host = hosts.at(i);
        const QString port = ports.size() == hosts.size() ? ports.at(i) : QString();
        const QStringList found = needsResolution(host) ? addresses.value(host) : QStringList{QString()};
        for (const QString &address : found) {
            newHosts.append(host);
            newAddrs.append(address);
            newPorts.append(port);
        }
    }
    if (newHosts.isEmpty()) {
        // Nothing resolved at all: keep a bogus numeric address so libpq fails without DNS.
        set("hostaddr", "0.0.0.0");
        set("port", "1");
    } else {
        set("host", newHosts.join(u',').toUtf8());
        set("hostaddr", newAddrs.join(u',').toUtf8());
        if (ports.size() == hosts.size() && ports.size() > 1)
            set("port", newPorts.join(u',').toUtf8());
    }
    splitTargets();
    rebuildPointers();
}

void ConnectParams::splitTargets()
{
    m_targets.clear();
    const QList<QByteArray> hosts = value("host").split(',');
    const QList<QByteArray> addresses = value("hostaddr").split(',');
    const QList<QByteArray> ports = value("port").split(',');
    const qsizetype count = qMax(hosts.size(), addresses.size());
    const auto fits = [count](const QList<QByteArray> &list, bool oneForAll) {
        return list.size() == count || (oneForAll && list.size() == 1);
    };
    // A lone empty value splits into one empty entry: it fits any count.
    const bool hostsFit = fits(hosts, value("host").isEmpty());
    const bool addressesFit = fits(addresses, value("hostaddr").isEmpty());
    if (count < 2 || !hostsFit || !addressesFit || !fits(ports, true))
        return;
    for (qsizetype i = 0; i < count; ++i) {
        m_targets.append({hosts.size() == count ? hosts.at(i) : QByteArray(),
                          addresses.size() == count ? addresses.at(i) : QByteArray(),
                          ports.size() == count ? ports.at(i) : ports.constFirst()});
    }
}

QString ConnectParams::targetName(qsizetype i) const
{
    QByteArray host = value("host"), address = value("hostaddr"), port = value("port");
    if (i < m_targets.size()) {
        host = m_targets.at(i).host;
        address = m_targets.at(i).hostaddr;
        port = m_targets.at(i).port;
    }
    const QByteArray name = host.isEmpty() ? (address.isEmpty() ? QByteArray("(default host)") : address) : host;
    return QString::fromUtf8(port.isEmpty() ? name : name + ':' + port);
}

QList<QByteArray> ConnectParams::sessionAttributePasses() const
{
    if (m_sessionAttributes == "prefer-standby")
        return {QByteArray("standby"), QByteArray("any")};
    return {m_sessionAttributes};
}

void ConnectParams::selectTarget(qsizetype i, const QByteArray &sessionAttributes)
{
    if (i < m_targets.size()) {
        const Target &target = m_targets.at(i);
        for (const auto &[keyword, entry] : {std::pair{QByteArray("host"), target.host},
                                             std::pair{QByteArray("hostaddr"), target.hostaddr},
                                             std::pair{QByteArray("port"), target.port}}) {
            if (entry.isEmpty())
                unset(keyword);
            else
                set(keyword, entry);
        }
    }
    if (sessionAttributes.isEmpty())
        unset("target_session_attrs");
    else
        set("target_session_attrs", sessionAttributes);
    rebuildPointers();
}

void ConnectParams::rebuildPointers()
{
    m_keywordPointers.clear();
    m_valuePointers.clear();
    for (qsizetype i = 0; i < m_keywords.size(); ++i) {
        m_keywordPointers.append(m_keywords.at(i).constData());
        m_valuePointers.append(m_values.at(i).constData());
    }
    m_keywordPointers.append(nullptr);
    m_valuePointers.append(nullptr);
}

std::unique_ptr<Error> connectError(const QString &libpqMessage)
{
    const QString message = libpqMessage.trimmed();
    auto serverError = [&](const char *sqlState) {
        ServerErrorFields fields;
        fields.sqlState = QString::fromLatin1(sqlState);
        fields.severity = QStringLiteral("FATAL");
        fields.message = message;
        return ServerError::create(fields);
    };
    if (message.contains(u"password authentication failed"))
        return serverError("28P01");
    if (message.contains(u"no password supplied"))
        return serverError("28P01");
    if (message.contains(u"too many clients already") || message.contains(u"too many connections"))
        return serverError("53300");
    if (message.contains(u"database system is starting up") || message.contains(u"database system is shutting down"))
        return serverError("57P03");
    if (message.contains(u"database \"") && message.contains(u"does not exist"))
        return serverError("3D000");
    if (message.contains(u"role \"") && message.contains(u"does not exist"))
        return serverError("28000");
    if (message.contains(u"no pg_hba.conf entry") || message.contains(u"pg_hba.conf rejects connection"))
        return serverError("28000");
    // Certificate logins the server refused (hba method cert, or clientcert=verify-*).
    if (message.contains(u"requires a valid client certificate")
        || message.contains(u"certificate authentication failed"))
        return serverError("28000");
    return std::make_unique<ConnectionError>(message);
}

} // namespace QPg::Private
