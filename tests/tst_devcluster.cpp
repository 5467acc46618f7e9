// SPDX-License-Identifier: MIT
// Checks the test harness itself: the run's server from the pgcluster fixture, its roles and
// settings, and the PrivateCluster life cycle. Talks to the server through psql only, so it does not
// depend on the library under test.

#include "privatecluster.h"
#include "testserver.h"

#include <QtCore/QDir>
#include <QtCore/QFileInfo>
#include <QtCore/QRegularExpression>
#include <QtCore/QTemporaryDir>
#include <QtTest/QTest>

using namespace Qt::Literals::StringLiterals;
using QPg::Dev::PrivateCluster;

namespace {

std::optional<QString> query(const QString &dsn, const QString &sql, QString *error = nullptr)
{
    return PrivateCluster::querySingleValue(dsn, sql, error);
}

// The scram role over the Unix socket of the private cluster.
QString socketPasswordDsn(const QString &password)
{
    return QPgTest::withDsnParameter(QPgTest::withDsnParameter(QPgTest::socketDsn(), u"user"_s,
                                                               PrivateCluster::passwordRoleName()),
                                     u"password"_s, password);
}

} // namespace

class tst_DevCluster : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void superuserConnects();
    void socketConnects();
    void passwordRole_data();
    void passwordRole();
    void passwordRoleUsesScram();
    void serverSettings_data();
    void serverSettings();
    void withDsnParameter_data();
    void withDsnParameter();
    void lifeCycle();
    void startFailsCleanly();
};

void tst_DevCluster::initTestCase()
{
    qInfo().noquote() << PrivateCluster::describe();
    qInfo().noquote() << "test server:" << QPgTest::dsn();
}

void tst_DevCluster::superuserConnects()
{
    QString error;
    const auto one = query(QPgTest::dsn(), u"SELECT 1"_s, &error);
    QVERIFY2(one, qPrintable(error));
    QCOMPARE(*one, u"1"_s);
    if (QPgTest::isPrivateCluster()) {
        QCOMPARE(query(QPgTest::dsn(), u"SELECT current_user || '@' || current_database()"_s).value_or(QString()),
                 u"postgres@qpgtest"_s);
        QCOMPARE(query(QPgTest::dsn(), u"SELECT rolsuper FROM pg_roles WHERE rolname = current_user"_s)
                     .value_or(QString()),
                 u"t"_s);
        const int version = query(QPgTest::dsn(), u"SHOW server_version_num"_s).value_or(QString()).toInt();
        QVERIFY2(version >= 150000, qPrintable(QString::number(version)));
    }
}

void tst_DevCluster::socketConnects()
{
    if (!QPgTest::isPrivateCluster() && QPgTest::stateValue(u"SOCKET_DSN"_s).isEmpty())
        QSKIP("outside server (QPG_TEST_DSN) without QPG_TEST_SOCKET_DSN");
    QString error;
    const auto address = query(QPgTest::socketDsn(), u"SELECT coalesce(inet_server_addr()::text, 'socket')"_s, &error);
    QVERIFY2(address, qPrintable(error));
    QCOMPARE(*address, u"socket"_s);
}

void tst_DevCluster::passwordRole_data()
{
    QTest::addColumn<QString>("dsn");
    QTest::addColumn<bool>("accepted");

    QTest::newRow("tcp, right password") << QPgTest::passwordDsn() << true;
    QTest::newRow("tcp, wrong password") << QPgTest::passwordDsnWith(u"wrong-pw"_s) << false;
    QTest::newRow("tcp, empty password") << QPgTest::passwordDsnWith(QString()) << false;
    if (QPgTest::isPrivateCluster()) {
        QTest::newRow("socket, right password") << socketPasswordDsn(PrivateCluster::passwordRolePassword()) << true;
        QTest::newRow("socket, wrong password") << socketPasswordDsn(u"Secret-pw"_s) << false;
    }
}

void tst_DevCluster::passwordRole()
{
    QFETCH(QString, dsn);
    QFETCH(bool, accepted);

    QString error;
    const auto user = query(dsn, u"SELECT current_user"_s, &error);
    if (accepted) {
        QVERIFY2(user, qPrintable(error));
        QCOMPARE(*user, PrivateCluster::passwordRoleName());
    } else {
        QVERIFY2(!user, "the server accepted a wrong password");
        QVERIFY2(error.contains(u"password authentication failed"_s) || error.contains(u"no password supplied"_s),
                 qPrintable(error));
    }
}

void tst_DevCluster::passwordRoleUsesScram()
{
    if (!QPgTest::isPrivateCluster())
        QSKIP("checks the private cluster's setup");
    QCOMPARE(query(QPgTest::dsn(),
                   u"SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = 'qpg_password'"_s)
                 .value_or(QString()),
             u"t"_s);
    // Every pg_hba.conf rule for the role asks for scram, and they come before the trust rules.
    QCOMPARE(query(QPgTest::dsn(),
                   u"SELECT string_agg(DISTINCT auth_method, ',') FROM pg_hba_file_rules "
                   "WHERE 'qpg_password' = ANY(user_name)"_s)
                 .value_or(QString()),
             u"scram-sha-256"_s);
    QCOMPARE(query(QPgTest::dsn(),
                   u"SELECT max(line_number) FILTER (WHERE 'qpg_password' = ANY(user_name)) "
                   "< min(line_number) FILTER (WHERE auth_method = 'trust') FROM pg_hba_file_rules"_s)
                 .value_or(QString()),
             u"t"_s);
}

void tst_DevCluster::serverSettings_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("value");
    QTest::newRow("fsync") << u"fsync"_s << u"off"_s;
    QTest::newRow("synchronous_commit") << u"synchronous_commit"_s << u"off"_s;
    QTest::newRow("full_page_writes") << u"full_page_writes"_s << u"off"_s;
    QTest::newRow("max_connections") << u"max_connections"_s << u"200"_s;
    QTest::newRow("password_encryption") << u"password_encryption"_s << u"scram-sha-256"_s;
    QTest::newRow("listen_addresses") << u"listen_addresses"_s << u"127.0.0.1"_s;
    QTest::newRow("server_encoding") << u"server_encoding"_s << u"UTF8"_s;
    QTest::newRow("TimeZone") << u"TimeZone"_s << u"UTC"_s;
}

void tst_DevCluster::serverSettings()
{
    if (!QPgTest::isPrivateCluster())
        QSKIP("checks the private cluster's setup");
    QFETCH(QString, name);
    QFETCH(QString, value);
    QString error;
    const auto actual = query(QPgTest::dsn(), u"SHOW "_s + name, &error);
    QVERIFY2(actual, qPrintable(error));
    QCOMPARE(*actual, value);
}

void tst_DevCluster::withDsnParameter_data()
{
    QTest::addColumn<QString>("dsn");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("expected");

    QTest::newRow("append") << u"host=h port=1"_s << u"password"_s << u"pw"_s << u"host=h port=1 password='pw'"_s;
    QTest::newRow("replace") << u"host=h password=old dbname=d"_s << u"password"_s << u"new"_s
                             << u"host=h dbname=d password='new'"_s;
    QTest::newRow("quoted old value") << u"host=h password='a b\\' c' dbname=d"_s << u"password"_s << u"x"_s
                                      << u"host=h dbname=d password='x'"_s;
    QTest::newRow("spaces around =") << u"host = h  user = u"_s << u"user"_s << u"v"_s << u"host=h user='v'"_s;
    QTest::newRow("escaping") << u"host=h"_s << u"password"_s << u"it's\\"_s << u"host=h password='it\\'s\\\\'"_s;
    QTest::newRow("empty value") << u"host=h password=x"_s << u"password"_s << QString() << u"host=h password=''"_s;
}

void tst_DevCluster::withDsnParameter()
{
    QFETCH(QString, dsn);
    QFETCH(QString, key);
    QFETCH(QString, value);
    QFETCH(QString, expected);
    QCOMPARE(QPgTest::withDsnParameter(dsn, key, value), expected);
}

// A second cluster next to the run's: start, state hand-over, server restart, stop by another object.
void tst_DevCluster::lifeCycle()
{
    PrivateCluster cluster;
    QString error;
    QVERIFY2(cluster.start(&error), qPrintable(error));
    QVERIFY(cluster.isStarted());
    QVERIFY(cluster.isServerRunning());
    QVERIFY(cluster.port() > 0);
    if (QPgTest::isPrivateCluster())
        QVERIFY(cluster.port() != QPgTest::stateValue(u"PORT"_s).toInt());
    const QString baseDir = cluster.baseDirectory();
    QVERIFY(baseDir.startsWith(u"/tmp/qpg-cluster-"_s));
    QVERIFY(QFileInfo(cluster.dataDirectory() + u"/PG_VERSION"_s).exists());
    QCOMPARE(cluster.socketDirectory(), baseDir);
    QVERIFY(QFileInfo::exists(baseDir + u"/.s.PGSQL."_s + QString::number(cluster.port())));

    QByteArray out;
    QVERIFY2(cluster.runPsql({u"-At"_s, u"-c"_s, u"SELECT 40 + 2"_s}, &out, &error), qPrintable(error));
    QCOMPARE(out.trimmed(), "42"_ba);
    QCOMPARE(query(cluster.passwordRoleDsn(), u"SELECT current_user"_s).value_or(QString()), u"qpg_password"_s);
    QVERIFY(!query(cluster.passwordRoleDsn(u"nope"_s), u"SELECT 1"_s));

    // A crash and a restart keep committed data, once the commit waited for its WAL write.
    QVERIFY2(cluster.runPsql({u"-c"_s, u"SET synchronous_commit = on; CREATE TABLE kept(x int); INSERT INTO kept VALUES (7)"_s},
                             nullptr, &error),
             qPrintable(error));
    QVERIFY2(cluster.stopServer(PrivateCluster::ShutdownMode::Immediate, &error), qPrintable(error));
    QVERIFY(!cluster.isServerRunning());
    QVERIFY(!query(cluster.dsn(), u"SELECT 1"_s));
    QVERIFY2(cluster.startServer(&error), qPrintable(error));
    QCOMPARE(query(cluster.dsn(), u"SELECT x FROM kept"_s).value_or(QString()), u"7"_s);

    // Another object (in real use another process) takes over from the state file and stops it.
    QTemporaryDir stateDir;
    QVERIFY(stateDir.isValid());
    const QString stateFile = stateDir.filePath(u"state"_s);
    QVERIFY2(cluster.saveState(stateFile, &error), qPrintable(error));
    const auto values = PrivateCluster::readStateFile(stateFile);
    QVERIFY(values);
    QCOMPARE(values->value(u"DSN"_s), cluster.dsn());
    QCOMPARE(values->value(u"PASSWORD_DSN"_s), cluster.passwordRoleDsn(u"secret-pw"_s));
    QCOMPARE(values->value(u"SOCKET_DSN"_s), cluster.socketDsn());
    QCOMPARE(values->value(u"PORT"_s), QString::number(cluster.port()));
    QCOMPARE(values->value(u"BASE_DIR"_s), baseDir);

    auto loaded = PrivateCluster::loadState(stateFile, &error);
    QVERIFY2(loaded, qPrintable(error));
    QVERIFY(loaded->keepOnExit());
    QCOMPARE(loaded->dsn(), cluster.dsn());
    QCOMPARE(loaded->dataDirectory(), cluster.dataDirectory());
    QVERIFY(loaded->isServerRunning());
    loaded->stop();
    QVERIFY(!QFileInfo::exists(baseDir));
    QVERIFY(!cluster.isServerRunning());
    QVERIFY(!query(cluster.dsn(), u"SELECT 1"_s));
    // Stopping again (and the destructor) must cope with the cluster being gone.
    cluster.stop();
    loaded.reset();
}

void tst_DevCluster::startFailsCleanly()
{
    // A server that cannot start reports why, with the log tail, and leaves nothing behind.
    PrivateCluster cluster;
    cluster.setServerSetting(u"shared_buffers"_s, u"plenty"_s);
    QString error;
    QVERIFY(!cluster.start(&error));
    QVERIFY(!cluster.isStarted());
    QVERIFY(cluster.baseDirectory().isEmpty());
    QVERIFY2(error.contains(u"invalid value for parameter \"shared_buffers\""_s), qPrintable(error));
    const QRegularExpression logPath(u"(/tmp/qpg-cluster-[^/]+)/server\\.log"_s);
    const auto match = logPath.match(error);
    QVERIFY2(match.hasMatch(), qPrintable(error));
    QVERIFY2(!QFileInfo::exists(match.captured(1)), qPrintable(match.captured(1)));
}

QTEST_GUILESS_MAIN(tst_DevCluster)
#include "tst_devcluster.moc"
