// SPDX-License-Identifier: MIT
// Connection strings that list several hosts: each host gets its own connect timeout, hosts that
// refuse, stay silent or do not meet target_session_attrs are skipped, as libpq 15 does when it
// blocks. Run against the test run's server plus sockets that refuse or never answer.
#include "openconnection.h"
#include "pooltest.h"

#include <QPg/errors.h>
#include <QPg/pool.h>

#include <QtCore/QElapsedTimer>
#include <QtNetwork/QTcpServer>
#include <QtTest/QTest>

using namespace Qt::Literals::StringLiterals;
using namespace QPgTest;

namespace {

// A TCP port that accepts the handshake (the kernel does it) but never says a word: libpq waits
// for the server's answer until its timeout.
class BlackHole
{
public:
    BlackHole()
    {
        QVERIFY2(m_server.listen(QHostAddress::LocalHost), qPrintable(m_server.errorString()));
        m_server.pauseAccepting();
    }
    quint16 port() const { return m_server.serverPort(); }

private:
    QTcpServer m_server;
};

// A port nobody listens on: connecting is refused at once.
quint16 refusedPort()
{
    QTcpServer server;
    if (!server.listen(QHostAddress::LocalHost))
        return 0;
    const quint16 port = server.serverPort();
    server.close();
    return port;
}

// The TCP port of the test run's server, as the server itself reports it.
QString realPort()
{
    static const QString port = [] {
        auto con = openConnection();
        return await(con->fetchValue("SELECT inet_server_port()")).toString();
    }();
    return port;
}

// The test server's DSN with host and port lists.
QString multiHostDsn(const QString &hosts, const QString &ports, const QString &extra = {})
{
    QString result = withDsnParameter(dsn(), u"host"_s, hosts);
    result = withDsnParameter(result, u"port"_s, ports);
    result = withDsnParameter(result, u"connect_timeout"_s, u"2"_s);
    return extra.isEmpty() ? result : result + u' ' + extra;
}

int connectedPort(QPg::Connection &con)
{
    return await(con.fetchValue("SELECT inet_server_port()")).toInt();
}

} // namespace

class tst_MultiHost : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void silentHostIsSkippedAfterItsOwnTimeout()
    {
        BlackHole hole;
        QElapsedTimer elapsed;
        elapsed.start();
        QPg::Connection con(QPg::ConnectOptions::fromDsn(
            multiHostDsn(u"127.0.0.1,127.0.0.1"_s, u"%1,%2"_s.arg(hole.port()).arg(realPort()))));
        await(con.open(), 15000);
        QCOMPARE(connectedPort(con), realPort().toInt());
        QVERIFY2(elapsed.elapsed() >= 1900, qPrintable(QString::number(elapsed.elapsed())));
    }

    void refusingHostIsSkippedAtOnce()
    {
        const quint16 refused = refusedPort();
        QVERIFY(refused != 0);
        QElapsedTimer elapsed;
        elapsed.start();
        QPg::Connection con(QPg::ConnectOptions::fromDsn(
            multiHostDsn(u"127.0.0.1,127.0.0.1"_s, u"%1,%2"_s.arg(refused).arg(realPort()))));
        await(con.open());
        QCOMPARE(connectedPort(con), realPort().toInt());
        QVERIFY2(elapsed.elapsed() < 1900, qPrintable(QString::number(elapsed.elapsed())));
    }

    void allHostsSilentTimesOutOncePerHost()
    {
        BlackHole first, second;
        QElapsedTimer elapsed;
        elapsed.start();
        QPg::Connection con(QPg::ConnectOptions::fromDsn(
            multiHostDsn(u"127.0.0.1,127.0.0.1"_s, u"%1,%2"_s.arg(first.port()).arg(second.port()))));
        const auto error = awaitError<QPg::TimeoutError>(con.open(), 15000);
        QVERIFY(error);
        QVERIFY2(elapsed.elapsed() >= 3800, qPrintable(QString::number(elapsed.elapsed())));
        const QString message = QString::fromUtf8(error->what());
        QVERIFY2(message.contains(QString::number(first.port())) && message.contains(QString::number(second.port())),
                 qPrintable(message));
    }

    void failuresOfEveryHostAreReported()
    {
        const quint16 refused = refusedPort();
        BlackHole hole;
        QPg::Connection con(QPg::ConnectOptions::fromDsn(
            multiHostDsn(u"127.0.0.1,127.0.0.1"_s, u"%1,%2"_s.arg(refused).arg(hole.port()))));
        const auto error = awaitError<QPg::ConnectionError>(con.open(), 15000);
        QVERIFY(error);
        const QString message = QString::fromUtf8(error->what());
        QVERIFY2(message.contains(u"refused"_s), qPrintable(message));
        QVERIFY2(message.contains(u"timed out"_s), qPrintable(message));
    }

    void hostaddrListsWork()
    {
        BlackHole hole;
        QString options = withDsnParameter(dsn(), u"host"_s, u"db.invalid,db.invalid"_s);
        options = withDsnParameter(options, u"hostaddr"_s, u"127.0.0.1,127.0.0.1"_s);
        options = withDsnParameter(options, u"port"_s, u"%1,%2"_s.arg(hole.port()).arg(realPort()));
        options = withDsnParameter(options, u"connect_timeout"_s, u"2"_s);
        QPg::Connection con(QPg::ConnectOptions::fromDsn(options));
        await(con.open(), 15000);
        QCOMPARE(connectedPort(con), realPort().toInt());
    }

    void wrongPasswordStopsTheAttempt()
    {
        QString options = withDsnParameter(passwordDsnWith(u"wrong"_s), u"host"_s, u"127.0.0.1,127.0.0.1"_s);
        options = withDsnParameter(options, u"port"_s, u"%1,%1"_s.arg(realPort()));
        QPg::Connection con(QPg::ConnectOptions::fromDsn(options));
        const auto error = awaitError<QPg::InvalidPasswordError>(con.open());
        QVERIFY(error);
        // libpq stops at an authentication failure instead of trying the next host with it.
        QCOMPARE(QString::fromUtf8(error->what()).count(u"password authentication failed"_s), 1);
    }

    // The test server is a primary: the attributes a primary meets connect, the others fail with
    // libpq's reason, and prefer-standby falls back to it.
    void targetSessionAttributesOnAPrimary_data()
    {
        QTest::addColumn<QString>("attributes");
        QTest::addColumn<bool>("connects");
        QTest::newRow("any") << u"any"_s << true;
        QTest::newRow("read-write") << u"read-write"_s << true;
        QTest::newRow("primary") << u"primary"_s << true;
        QTest::newRow("prefer-standby") << u"prefer-standby"_s << true;
        QTest::newRow("standby") << u"standby"_s << false;
        QTest::newRow("read-only") << u"read-only"_s << false;
    }

    void targetSessionAttributesOnAPrimary()
    {
        QFETCH(QString, attributes);
        QFETCH(bool, connects);
        const quint16 refused = refusedPort();
        QPg::Connection con(QPg::ConnectOptions::fromDsn(multiHostDsn(
            u"127.0.0.1,127.0.0.1"_s, u"%1,%2"_s.arg(refused).arg(realPort()),
            u"target_session_attrs="_s + attributes)));
        if (connects) {
            await(con.open());
            QCOMPARE(connectedPort(con), realPort().toInt());
        } else {
            const auto error = awaitError<QPg::ConnectionError>(con.open());
            QVERIFY(error);
            const QString message = QString::fromUtf8(error->what());
            QVERIFY2(message.contains(u"standby"_s) || message.contains(u"read-only"_s)
                         || message.contains(u"read-write"_s), qPrintable(message));
        }
    }

    void poolSkipsASilentHost()
    {
        BlackHole hole;
        const QPg::PoolOptions options = poolOptions(
            0, 2, multiHostDsn(u"127.0.0.1,127.0.0.1"_s, u"%1,%2"_s.arg(hole.port()).arg(realPort())));
        auto pool = openPool(options);
        QCOMPARE(await(pool->fetchValue("SELECT inet_server_port()"), 15000).toInt(), realPort().toInt());
    }
};

QTEST_GUILESS_MAIN(tst_MultiHost)
#include "tst_multihost.moc"
