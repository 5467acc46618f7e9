// SPDX-License-Identifier: MIT
// TLS and authentication against a real server with ssl=on (issue 13): sslmode, certificate
// verification failures, client certificates, SCRAM with channel binding, wrong passwords, and no
// password or key passphrase in any log line, error message or pool report.
#include <QPg/connection.h>
#include <QPg/pool.h>

#include "await.h"
#include "privatecluster.h"
#include "tlscluster.h"

#include <QtCore/QLoggingCategory>
#include <QtCore/QMutex>
#include <QtCore/QProcess>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace Qt::Literals::StringLiterals;
using namespace QPgTest;

namespace {

const auto certRole = u"qpg_cert"_s;
const auto otherCertRole = u"qpg_cert_other"_s;
const auto passwordRole = u"qpg_tls_pw"_s;
// Distinctive, so finding one in captured output cannot be a coincidence.
const auto rolePassword = u"Tls-S3cret-Pw-4711"_s;
const auto badPassword = u"Wr0ng-Guess-Pw-0815"_s;
const auto keyPassphrase = u"Key-Passphrase-9q2"_s;

// Every message Qt logs while it is installed, from every thread.
class MessageCapture
{
public:
    MessageCapture()
    {
        instance = this;
        QLoggingCategory::setFilterRules(u"qpgpool.*=true"_s);
        previous = qInstallMessageHandler(&MessageCapture::handle);
    }
    ~MessageCapture()
    {
        qInstallMessageHandler(previous);
        QLoggingCategory::setFilterRules(QString());
        instance = nullptr;
    }
    QStringList lines() const
    {
        QMutexLocker locker(&mutex);
        return captured;
    }

private:
    static void handle(QtMsgType type, const QMessageLogContext &context, const QString &message)
    {
        {
            QMutexLocker locker(&instance->mutex);
            instance->captured.append(QString::fromUtf8(context.category) + u": "_s + message);
        }
        instance->previous(type, context, message);
    }

    static inline MessageCapture *instance = nullptr;
    QtMessageHandler previous = nullptr;
    mutable QMutex mutex;
    QStringList captured;
};

// The error a future failed with, as its dynamic type; nullptr when it succeeded.
template<typename T>
std::unique_ptr<QPg::Error> failureOf(const QFuture<T> &future)
{
    try {
        await(future);
    } catch (const QPg::Error &e) {
        return std::unique_ptr<QPg::Error>(e.clone());
    }
    return nullptr;
}

// Why opening a connection, or a pool, on dsn failed; nullptr when it worked.
std::unique_ptr<QPg::Error> connectionFailure(const QString &dsn)
{
    QPg::Connection con(dsn);
    return failureOf(con.open());
}

QPg::PoolOptions poolOptions(const QString &dsn)
{
    QPg::PoolOptions options = QPg::PoolOptions::fromDsn(dsn);
    options.minSize = 2;
    options.maxSize = 2;
    return options;
}

std::unique_ptr<QPg::Error> poolFailure(const QString &dsn)
{
    QPg::Pool pool(poolOptions(dsn));
    return failureOf(pool.open());
}

bool isPlainConnectionError(const QPg::Error *error)
{
    return dynamic_cast<const QPg::ConnectionError *>(error) && !dynamic_cast<const QPg::ServerError *>(error);
}

} // namespace

class tst_Tls : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void sslModes_data();
    void sslModes();
    void verificationFailures_data();
    void verificationFailures();
    void clientCertificate_data();
    void clientCertificate();
    void clientCertificateThroughPool();
    void rejectedClientCertificate_data();
    void rejectedClientCertificate();
    void rejectedClientCertificateThroughPool();
    void scramWithChannelBinding();
    void channelBindingRefusesWhatItCannotBind_data();
    void channelBindingRefusesWhatItCannotBind();
    void wrongPassword();
    void secretsNeverShown();
#ifdef QPG_MONITOR_EXECUTABLE
    void monitorHidesSecrets();
#endif

private:
    // key=value DSN for the TLS server; extra is appended as is.
    QString tlsDsn(const QString &user, const QString &extra) const;
    QString certDsn(const QString &extra = {}) const;
    QString passwordDsn(const QString &password, const QString &extra = {}) const;

    QPg::Dev::PrivateCluster m_cluster;
    TlsFiles m_files;
};

void tst_Tls::initTestCase()
{
    // First match wins: certificate-only for the cert role, SCRAM (with or without TLS, so channel
    // binding can be refused without it) for the password role.
    const QString certRoles = certRole + u',' + otherCertRole;
    const QString hba = u"hostssl   all  %1  127.0.0.1/32  cert\n"
                        u"hostnossl all  %1  127.0.0.1/32  reject\n"
                        u"host      all  %2  127.0.0.1/32  scram-sha-256\n"_s.arg(certRoles, passwordRole);
    QString error;
    QVERIFY2(startTlsCluster(m_cluster, {certRole, keyPassphrase, hba}, &m_files, &error), qPrintable(error));
    QVERIFY2(m_cluster.runPsql({u"-c"_s, u"CREATE ROLE %1 LOGIN"_s.arg(certRole), u"-c"_s,
                                u"CREATE ROLE %1 LOGIN"_s.arg(otherCertRole), u"-c"_s,
                                u"CREATE ROLE %1 LOGIN PASSWORD '%2'"_s.arg(passwordRole, rolePassword)},
                               nullptr, &error),
             qPrintable(error));
}

QString tst_Tls::tlsDsn(const QString &user, const QString &extra) const
{
    return u"host=127.0.0.1 port=%1 dbname=%2 user=%3 connect_timeout=10 %4"_s.arg(m_cluster.port())
        .arg(QPg::Dev::PrivateCluster::databaseName(), user, extra);
}

QString tst_Tls::certDsn(const QString &extra) const
{
    return tlsDsn(certRole, u"sslmode=verify-full sslrootcert=%1 sslcert=%2 sslkey=%3 %4"_s.arg(
                                m_files.caCert, m_files.clientCert, m_files.clientKey, extra));
}

QString tst_Tls::passwordDsn(const QString &password, const QString &extra) const
{
    return tlsDsn(passwordRole, u"password=%1 sslmode=verify-full sslrootcert=%2 %3"_s.arg(password, m_files.caCert, extra));
}

void tst_Tls::sslModes_data()
{
    QTest::addColumn<QString>("parameters");
    QTest::addColumn<bool>("encrypted");
    const QString ca = m_files.caCert;
    QTest::newRow("disable") << u"sslmode=disable"_s << false;
    QTest::newRow("prefer") << u"sslmode=prefer"_s << true;
    QTest::newRow("require") << u"sslmode=require"_s << true;
    QTest::newRow("verify-ca") << u"sslmode=verify-ca sslrootcert="_s + ca << true;
    QTest::newRow("verify-full, IP address") << u"sslmode=verify-full sslrootcert="_s + ca << true;
    // The name is checked against the certificate; libpq connects to hostaddr without DNS.
    QTest::newRow("verify-full, host name") << u"sslmode=verify-full host=localhost hostaddr=127.0.0.1 sslrootcert="_s + ca
                                            << true;
    QTest::newRow("verify-full, resolved name") << u"sslmode=verify-full host=localhost sslrootcert="_s + ca << true;
}

void tst_Tls::sslModes()
{
    QFETCH(QString, parameters);
    QFETCH(bool, encrypted);
    QPg::Connection con(tlsDsn(QPg::Dev::PrivateCluster::superuserName(), parameters));
    await(con.open());
    QCOMPARE(await(con.fetchValue(u"SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"_s)).toBool(), encrypted);
}

void tst_Tls::verificationFailures_data()
{
    QTest::addColumn<QString>("parameters");
    QTest::addColumn<QString>("reason");
    QTest::newRow("wrong CA, verify-ca") << u"sslmode=verify-ca sslrootcert="_s + m_files.otherCaCert
                                         << u"certificate verify failed"_s;
    QTest::newRow("wrong CA, verify-full") << u"sslmode=verify-full sslrootcert="_s + m_files.otherCaCert
                                           << u"certificate verify failed"_s;
    QTest::newRow("wrong host name") << u"sslmode=verify-full host=db.example hostaddr=127.0.0.1 sslrootcert="_s
            + m_files.caCert
                                     << u"does not match host name \"db.example\""_s;
    QTest::newRow("no root certificate") << u"sslmode=verify-ca sslrootcert=/nonexistent/root.crt"_s
                                         << u"root certificate file \"/nonexistent/root.crt\" does not exist"_s;
}

void tst_Tls::verificationFailures()
{
    QFETCH(QString, parameters);
    QFETCH(QString, reason);
    const QString dsn = tlsDsn(QPg::Dev::PrivateCluster::superuserName(), parameters);

    const auto error = connectionFailure(dsn);
    QVERIFY(error);
    QVERIFY2(isPlainConnectionError(error.get()), error->what());
    QVERIFY2(error->message().contains(reason), error->what());

    const auto poolError = poolFailure(dsn);
    QVERIFY(poolError);
    QVERIFY2(isPlainConnectionError(poolError.get()), poolError->what());
    QVERIFY2(poolError->message().contains(reason), poolError->what());
}

void tst_Tls::clientCertificate_data()
{
    QTest::addColumn<QString>("parameters");
    QTest::newRow("plain key") << QString();
    QTest::newRow("encrypted key") << u"sslkey=%1 sslpassword=%2"_s.arg(m_files.encryptedClientKey, keyPassphrase);
}

void tst_Tls::clientCertificate()
{
    QFETCH(QString, parameters);
    QPg::Connection con(certDsn(parameters)); // a later sslkey wins
    await(con.open());
    QCOMPARE(await(con.fetchValue(u"SELECT current_user"_s)).toString(), certRole);
    QCOMPARE(await(con.fetchValue(u"SELECT client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()"_s)).toString(),
             u"/CN="_s + certRole);
}

void tst_Tls::clientCertificateThroughPool()
{
    QPg::Pool pool(poolOptions(certDsn(u"application_name=tls_cert_pool"_s)));
    await(pool.open());
    QCOMPARE(pool.size(), 2);
    QCOMPARE(await(pool.fetchValue(u"SELECT current_user"_s)).toString(), certRole);
    QCOMPARE(await(pool.fetchValue(u"SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
                                   "WHERE a.application_name = 'tls_cert_pool' AND a.usename = $1 AND s.ssl "
                                   "AND s.client_dn = $2"_s,
                                   certRole, QString(u"/CN="_s + certRole)))
                 .toInt(),
             2);
    await(pool.close());
}

void tst_Tls::rejectedClientCertificate_data()
{
    QTest::addColumn<QString>("dsn");
    QTest::addColumn<QString>("reason");
    // The server asks for a certificate; libpq has none to give (HOME has none either).
    QTest::newRow("no certificate") << tlsDsn(certRole, u"sslmode=verify-full sslrootcert=%1 sslcert=/nonexistent.crt"_s.arg(m_files.caCert))
                                    << u"connection requires a valid client certificate"_s;
    QTest::newRow("without TLS") << tlsDsn(certRole, u"sslmode=disable"_s) << u"pg_hba.conf rejects connection"_s;
    // A valid certificate, but its CN names another role.
    QTest::newRow("certificate of another role")
        << tlsDsn(otherCertRole, u"sslmode=verify-full sslrootcert=%1 sslcert=%2 sslkey=%3"_s.arg(
                                     m_files.caCert, m_files.clientCert, m_files.clientKey))
        << u"certificate authentication failed for user \"%1\""_s.arg(otherCertRole);
}

void tst_Tls::rejectedClientCertificate()
{
    QFETCH(QString, dsn);
    QFETCH(QString, reason);
    const auto error = connectionFailure(dsn);
    QVERIFY(error);
    const auto *serverError = dynamic_cast<const QPg::InvalidAuthorizationSpecificationError *>(error.get());
    QVERIFY2(serverError, error->what());
    QVERIFY2(serverError->sqlState().startsWith(u"28"_s), qPrintable(serverError->sqlState()));
    QVERIFY2(error->message().contains(reason), error->what());
}

void tst_Tls::rejectedClientCertificateThroughPool()
{
    QPg::Pool pool(poolOptions(tlsDsn(certRole, u"sslmode=require sslcert=/nonexistent.crt"_s)));
    QSignalSpy failed(&pool, &QPg::Pool::connectFailed);
    const auto error = failureOf(pool.open());
    QVERIFY(error);
    const auto *serverError = dynamic_cast<const QPg::InvalidAuthorizationSpecificationError *>(error.get());
    QVERIFY2(serverError, error->what());
    QCOMPARE(serverError->sqlState(), u"28000"_s);
    QCOMPARE(pool.size(), 0);
    QVERIFY(!failed.isEmpty());
    QVERIFY(failed.constFirst().constFirst().toString().contains(u"valid client certificate"_s));
}

void tst_Tls::scramWithChannelBinding()
{
    const QString dsn = passwordDsn(rolePassword, u"channel_binding=require"_s);
    QPg::Connection con(dsn);
    await(con.open());
    QCOMPARE(await(con.fetchValue(u"SELECT current_user"_s)).toString(), passwordRole);
    QVERIFY(await(con.fetchValue(u"SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"_s)).toBool());

    QPg::Pool pool(poolOptions(dsn));
    await(pool.open());
    QCOMPARE(pool.size(), 2);
    QCOMPARE(await(pool.fetchValue(u"SELECT current_user"_s)).toString(), passwordRole);
    await(pool.close());
}

void tst_Tls::channelBindingRefusesWhatItCannotBind_data()
{
    QTest::addColumn<QString>("dsn");
    QTest::addColumn<QString>("reason");
    QTest::newRow("no TLS") << tlsDsn(passwordRole, u"password=%1 sslmode=disable channel_binding=require"_s.arg(rolePassword))
                            << u"channel binding required, but SSL not in use"_s;
    // Certificate authentication has no SCRAM exchange to bind.
    QTest::newRow("no SCRAM") << certDsn(u"channel_binding=require"_s)
                              << u"channel binding required"_s;
}

void tst_Tls::channelBindingRefusesWhatItCannotBind()
{
    QFETCH(QString, dsn);
    QFETCH(QString, reason);
    const auto error = connectionFailure(dsn);
    QVERIFY(error);
    QVERIFY2(isPlainConnectionError(error.get()), error->what());
    QVERIFY2(error->message().contains(reason), error->what());
}

void tst_Tls::wrongPassword()
{
    const QString dsn = passwordDsn(badPassword, u"channel_binding=require"_s);
    const auto error = connectionFailure(dsn);
    QVERIFY(error);
    QVERIFY2(dynamic_cast<const QPg::InvalidPasswordError *>(error.get()), error->what());

    const auto poolError = poolFailure(dsn);
    QVERIFY(poolError);
    QVERIFY2(dynamic_cast<const QPg::InvalidPasswordError *>(poolError.get()), poolError->what());
    QCOMPARE(static_cast<const QPg::ServerError *>(poolError.get())->sqlState(), u"28P01"_s);
}

void tst_Tls::secretsNeverShown()
{
    QStringList seen; // every error message, signal argument and pool report
    const auto collect = [&seen](const std::unique_ptr<QPg::Error> &error) {
        QVERIFY(error);
        seen << error->message() << QString::fromUtf8(error->what());
    };
    MessageCapture capture;
    {
        // Working connections: the pool's own logging runs with every category on.
        QPg::Pool pool(poolOptions(passwordDsn(rolePassword, u"channel_binding=require"_s)));
        QPg::Pool certPool(poolOptions(certDsn(u"sslkey=%1 sslpassword=%2"_s.arg(m_files.encryptedClientKey, keyPassphrase))));
        await(pool.open());
        await(certPool.open());
        QCOMPARE(await(certPool.fetchValue(u"SELECT current_user"_s)).toString(), certRole);
        QPg::PooledConnection held = await(pool.acquire({.tag = u"holder"_s}));
        for (QPg::Pool *p : {&pool, &certPool}) {
            for (const QPg::ConnectionInfo &info : p->connectionInfo())
                seen << info.transactionStatus << info.currentQuery << info.holder;
        }
        await(held.release());
        await(pool.close());
        await(certPool.close());
    }
    {
        // Failures that carry the secrets in their connection strings.
        QPg::Pool pool(poolOptions(passwordDsn(badPassword)));
        QSignalSpy failed(&pool, &QPg::Pool::connectFailed);
        collect(failureOf(pool.open()));
        for (const QList<QVariant> &args : std::as_const(failed))
            seen << args.constFirst().toString();
        QVERIFY(!failed.isEmpty());
    }
    const QString ipv6 = u"[::1"_s; // an unterminated IPv6 address: libpq quotes the whole URI
    const QStringList badDsns = {
        certDsn(u"sslkey=%1 sslpassword=Wrong-%2"_s.arg(m_files.encryptedClientKey, keyPassphrase)),
        u"postgresql://%1:%2@%3/qpgtest"_s.arg(passwordRole, rolePassword, ipv6),
        u"postgresql://%1@%2/qpgtest?password=%3"_s.arg(passwordRole, ipv6, rolePassword),
        u"postgresql://%1@%2/qpgtest?sslpassword=%3"_s.arg(certRole, ipv6, keyPassphrase),
        u"postgresql://%1:%2%zz@127.0.0.1/qpgtest"_s.arg(passwordRole, rolePassword),
        u"postgresql://%1@127.0.0.1/qpgtest?sslpassword=%2%zz"_s.arg(certRole, keyPassphrase),
        u"host=127.0.0.1 password=%1 sslpassword=%2 junk"_s.arg(rolePassword, keyPassphrase),
        u"host=127.0.0.1 password='%1 sslpassword='%2"_s.arg(rolePassword, keyPassphrase),
    };
    for (const QString &dsn : badDsns) {
        collect(connectionFailure(dsn));
        collect(poolFailure(dsn));
    }

    const QStringList lines = capture.lines();
    // The capture saw the library's logging, so its silence about secrets means something.
    QVERIFY2(lines.filter(u"qpgpool."_s).size() >= 3, qPrintable(lines.join(u'\n')));
    QVERIFY(seen.filter(u"invalid connection string"_s).size() >= 5);
    const QStringList all = seen + lines;
    for (const QString &secret : {rolePassword, badPassword, keyPassphrase}) {
        const QStringList leaks = all.filter(secret);
        QVERIFY2(leaks.isEmpty(), qPrintable(u"%1 appears in:\n%2"_s.arg(secret, leaks.join(u'\n'))));
    }
}

#ifdef QPG_MONITOR_EXECUTABLE
// The dashboard's headless mode prints the DSN and the connect errors: a password and a key
// passphrase must show up masked.
void tst_Tls::monitorHidesSecrets()
{
    const QString keyParameters = u"sslcert=%1 sslkey=%2 sslpassword=%3"_s.arg(m_files.clientCert,
                                                                             m_files.encryptedClientKey, keyPassphrase);
    const QString goodDsn = passwordDsn(rolePassword, u"channel_binding=require "_s + keyParameters);
    const QString badDsn = passwordDsn(badPassword, keyParameters);
    for (const QString &dsn : {goodDsn, badDsn}) {
        QProcess process;
        QSignalSpy finished(&process, &QProcess::finished);
        process.start(QStringLiteral(QPG_MONITOR_EXECUTABLE), {u"--headless"_s, u"--quit-after"_s, u"1"_s, dsn});
        QVERIFY(finished.wait(60000));
        const QString output = QString::fromUtf8(process.readAllStandardOutput() + process.readAllStandardError());
        QVERIFY2(output.contains(u"sslpassword=****"_s) && output.contains(u" password=****"_s), qPrintable(output));
        QVERIFY2(output.contains(dsn == goodDsn ? u"pool open"_s : u"password authentication failed"_s), qPrintable(output));
        for (const QString &secret : {rolePassword, badPassword, keyPassphrase})
            QVERIFY2(!output.contains(secret), qPrintable(output));
    }
}
#endif

QTEST_MAIN(tst_Tls)
#include "tst_tls.moc"
