// SPDX-License-Identifier: MIT
// The monitoring endpoint: the protocol decoder on its own, then PoolMonitorServer and
// PoolMonitorClient against the test run's server, in this process and with the example
// application qpgpool-monitored-app running as a separate process.

#include <QPg/backendsessions.h>
#include <QPg/errors.h>
#include <QPg/pool.h>
#include <QPg/poolmonitorclient.h>
#include <QPg/poolmonitorserver.h>

#include "monitorcodec_p.h"
#include "monitordecoder_p.h"
#include "pooltest.h"
#include "sessionscodec_p.h"
#include "testserver.h"

#include <QtCore/QCborArray>
#include <QtCore/QElapsedTimer>
#include <QtCore/QProcess>
#include <QtCore/QScopeGuard>
#include <QtCore/QSocketNotifier>
#include <QtCore/QTemporaryDir>
#include <QtCore/QtEndian>
#include <QtNetwork/QLocalSocket>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <cerrno>
#include <functional>
#include <optional>
#include <pwd.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;
using namespace QPgTest;
namespace M = QPg::Monitoring;

namespace {

QByteArray frame(const QByteArray &body)
{
    QByteArray bytes(4, Qt::Uninitialized);
    qToBigEndian(quint32(body.size()), bytes.data());
    return bytes + body;
}

QByteArray message(const QString &type, const QVariantMap &fields = {})
{
    QCborMap map = QCborMap::fromVariantMap(fields);
    map.insert(u"type"_s, type);
    return frame(map.toCborValue().toCbor());
}

QByteArray clientHello()
{
    return message(u"hello"_s, {{u"version"_s, M::ProtocolVersion}});
}

int fileMode(const QString &path)
{
    struct stat st;
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return -1;
    return int(st.st_mode & 07777);
}

// qpgpool-monitored-app as a child process; waits for its "ready" line.
struct MonitoredApp
{
    QProcess process;
    QString socketPath;
    quint16 tcpPort = 0;

    bool start(const QString &socketDir, const QStringList &extra = {})
    {
        process.setProgram(QStringLiteral(QPG_MONITORED_APP));
        process.setArguments(QStringList{u"--dsn"_s, dsn(), u"--socket-dir"_s, socketDir} + extra);
        process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        process.start();
        if (!process.waitForStarted(10000))
            return false;
        QByteArray output;
        QDeadlineTimer deadline(30000);
        while (!output.contains("ready\n") && !deadline.hasExpired()) {
            if (!process.waitForReadyRead(int(deadline.remainingTime())))
                break;
            output += process.readAll();
        }
        for (const QByteArray &line : output.split('\n')) {
            if (line.startsWith("socket: "))
                socketPath = QString::fromLocal8Bit(line.mid(8));
            else if (line.startsWith("tcp: "))
                tcpPort = quint16(line.mid(5).toUInt());
        }
        return output.contains("ready\n");
    }
    ~MonitoredApp()
    {
        if (process.state() != QProcess::NotRunning) {
            process.kill();
            process.waitForFinished(10000);
        }
    }
};

// Publishes pool as name on a socket in directory.
bool publish(QPg::PoolMonitorServer &server, QPg::Pool *pool, const QString &directory,
             QPg::MonitorServerOptions options = {}, const QString &name = u"main"_s)
{
    server.addPool(pool, name);
    options.socketDirectory = directory;
    return server.listen(options);
}

// Connects a client and waits for its hello.
bool attach(QPg::PoolMonitorClient &client, const QString &socketPath)
{
    QSignalSpy connected(&client, &QPg::PoolMonitorClient::connected);
    client.connectToLocal(socketPath);
    return connected.wait(10000);
}

// The backends of the connections that are open (a connecting one has none yet).
QSet<int> backendPids(const QList<QPg::ConnectionInfo> &connections)
{
    QSet<int> pids;
    for (const QPg::ConnectionInfo &c : connections) {
        if (c.backendPid > 0 && c.state != QPg::ConnectionInfo::State::Connecting
            && c.state != QPg::ConnectionInfo::State::Closing)
            pids.insert(c.backendPid);
    }
    return pids;
}

// SQL that counts the backends of pids still in pg_stat_activity.
QString countBackends(const QSet<int> &pids)
{
    QStringList list;
    for (int pid : pids)
        list.append(QString::number(pid));
    return u"SELECT count(*) FROM pg_stat_activity WHERE pid IN (%1)"_s.arg(list.join(u','));
}

// Asks client for the sessions of pool and waits for the answer: the rows, or the error in *error.
std::optional<QList<QPg::MonitorBackendSession>> readSessions(QPg::PoolMonitorClient &client, const QString &pool,
                                                              QString *error = nullptr)
{
    QSignalSpy received(&client, &QPg::PoolMonitorClient::sessionsReceived);
    QSignalSpy failed(&client, &QPg::PoolMonitorClient::sessionsFailed);
    const quint64 id = client.requestSessions(pool);
    if (!QTest::qWaitFor([&] { return !received.isEmpty() || !failed.isEmpty(); }, 15000))
        return std::nullopt;
    if (!failed.isEmpty()) {
        if (error)
            *error = failed.at(0).at(2).toString();
        return std::nullopt;
    }
    if (received.at(0).at(0).toULongLong() != id || received.at(0).at(1).toString() != pool)
        return std::nullopt;
    return received.at(0).at(2).value<QList<QPg::MonitorBackendSession>>();
}

QSet<int> pidsOf(const QList<QPg::MonitorBackendSession> &sessions)
{
    QSet<int> pids;
    for (const QPg::MonitorBackendSession &s : sessions)
        pids.insert(s.pid);
    return pids;
}

// The outcome of one command: empty when it finished, the error when it failed.
std::optional<QString> commandOutcome(QPg::PoolMonitorClient &client, const std::function<quint64()> &send)
{
    QSignalSpy finished(&client, &QPg::PoolMonitorClient::commandFinished);
    QSignalSpy failed(&client, &QPg::PoolMonitorClient::commandFailed);
    const quint64 id = send();
    if (!QTest::qWaitFor([&] { return !finished.isEmpty() || !failed.isEmpty(); }, 15000))
        return std::nullopt;
    if (!finished.isEmpty())
        return finished.at(0).at(0).toULongLong() == id ? std::optional<QString>(QString()) : std::nullopt;
    return failed.at(0).at(0).toULongLong() == id ? std::optional<QString>(failed.at(0).at(1).toString()) : std::nullopt;
}

} // namespace

class tst_MonitorServer : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    // The decoder alone.
    void decoderWaitsForPartialFrames();
    void decoderRejects_data();
    void decoderRejects();
    void statsRoundTrip();
    void sessionsRoundTrip();
    // In this process.
    void socketAndDirectoryArePrivate();
    void widerDirectoryIsRefused();
    void directoryOfAnotherUserIsRefused();
    void defaultDirectoryFollowsXdgRuntimeDir();
    void tcpNeedsTokenAndRefusesWrongOne();
    void tlsEndpoint();
    void malformedMessageDropsOnlyThatClient();
    void stuckClientIsDropped();
    void cancelQueryThroughClient();
    void serverGoesWhileCloseRuns();
    void poolInAnotherThread();
    // The sessions view (pg_stat_activity of the pool's backends, cancel/terminate one of them).
    void sessionsRefusedByDefault();
    void sessionsListExactlyThePoolsBackends();
    void sessionsOfSaturatedPoolFailFast();
    void backendSignalsOnlyForThePoolsBackends();
    void sessionsReadOutlivesClientAndServer();
    // The example application as a separate process.
    void discoveryListsApplication();
    void snapshotsChangeUnderLoad();
    void expireChangesBackendPids();
    void readOnlyApplicationRefusesCommands();
    void applicationExitGivesDisconnected();
    void staleSocketIsSkipped();

private:
    std::unique_ptr<QPg::Pool> m_observer; // reads pg_stat_activity
};

void tst_MonitorServer::initTestCase()
{
    qRegisterMetaType<QPg::PoolStats>();
    qRegisterMetaType<QList<QPg::ConnectionInfo>>();
    qRegisterMetaType<QPg::MonitorHello>();
    qRegisterMetaType<QPg::MonitorPoolEvent>();
    qRegisterMetaType<QList<QPg::MonitorBackendSession>>();
    m_observer = openPool(poolOptions(1, 1));
}

void tst_MonitorServer::decoderWaitsForPartialFrames()
{
    const QByteArray bytes = clientHello() + message(u"listPools"_s);
    M::Decoder decoder(M::Sender::Client);
    // Byte by byte: nothing until a frame is whole.
    int seen = 0;
    for (qsizetype i = 0; i < bytes.size(); ++i) {
        QVERIFY(decoder.feed(bytes.sliced(i, 1)));
        seen += int(decoder.takeMessages().size());
        if (i + 1 < clientHello().size())
            QCOMPARE(seen, 0);
    }
    QCOMPARE(seen, 2);
    // The pure form reports what it consumed and leaves the partial rest.
    const M::DecodeResult partial = M::decodeFrames(QByteArrayView(bytes).chopped(3), M::Sender::Client, false);
    QVERIFY(partial.error.isEmpty());
    QCOMPARE(partial.messages.size(), 1);
    QCOMPARE(partial.consumed, clientHello().size());
    QVERIFY(partial.helloSeen);
}

void tst_MonitorServer::decoderRejects_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("error");
    QByteArray oversized(4, Qt::Uninitialized);
    qToBigEndian(quint32(M::MaxFrameBytes + 1), oversized.data());
    QTest::newRow("oversized") << oversized << u"frame length"_s;
    QTest::newRow("empty frame") << QByteArray(4, '\0') << u"frame length"_s;
    QTest::newRow("not a map") << frame(QCborValue(42).toCbor()) << u"one CBOR map"_s;
    QTest::newRow("garbage") << frame("\xff\xfe\x01") << u"CBOR"_s;
    QTest::newRow("trailing bytes") << frame(QCborMap{{u"type"_s, u"hello"_s}, {u"version"_s, 1}}.toCborValue().toCbor() + "x")
                                    << u"bytes after"_s;
    QCborValue nested = QCborArray();
    for (int i = 0; i < 20; ++i)
        nested = QCborArray{nested};
    QTest::newRow("too deep") << frame(QCborMap{{u"type"_s, u"hello"_s}, {u"x"_s, nested}}.toCborValue().toCbor())
                              << u"nested"_s;
    QTest::newRow("unknown type") << clientHello() + message(u"shutdown"_s) << u"unknown message type"_s;
    QTest::newRow("command before hello")
        << message(u"command"_s, {{u"id"_s, 1}, {u"pool"_s, u"p"_s}, {u"action"_s, u"expire"_s}}) << u"before hello"_s;
    QTest::newRow("second hello") << clientHello() + clientHello() << u"second hello"_s;
    QTest::newRow("wrong field type") << message(u"hello"_s, {{u"version"_s, u"one"_s}}) << u"wrong type"_s;
    QTest::newRow("server message from a client") << clientHello() + message(u"snapshot"_s) << u"unknown message type"_s;
    QTest::newRow("sessions without pool") << clientHello() + message(u"sessions"_s, {{u"id"_s, 1}}) << u"\"pool\" is missing"_s;
    QTest::newRow("sessions with text id")
        << clientHello() + message(u"sessions"_s, {{u"id"_s, u"1"_s}, {u"pool"_s, u"main"_s}}) << u"wrong type"_s;
    QTest::newRow("command with text pid")
        << clientHello()
               + message(u"command"_s, {{u"id"_s, 1}, {u"pool"_s, u"p"_s}, {u"action"_s, u"cancelBackend"_s}, {u"pid"_s, u"7"_s}})
        << u"wrong type"_s;
}

void tst_MonitorServer::decoderRejects()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, error);
    M::Decoder decoder(M::Sender::Client);
    QVERIFY(!decoder.feed(bytes));
    QVERIFY2(decoder.error().contains(error), qPrintable(decoder.error()));
    QVERIFY(!decoder.feed(clientHello())); // a broken stream stays broken
}

void tst_MonitorServer::statsRoundTrip()
{
    QPg::PoolStats stats;
    stats.size = 3;
    stats.idle = 1;
    stats.active = 2;
    stats.waiting = 5;
    stats.maxSize = 9;
    stats.acquires = 1234567890123ULL;
    stats.closedByReason[int(QPg::CloseReason::Expired)] = 7;
    stats.acquireWaitP99Ms = 12.5;
    stats.acquireWaitLast10s.count = 3;
    stats.acquireWaitLast10s.p99Ms = 4.5;
    stats.holdTimeLast60s.maxMs = 250;
    stats.connectTime.p50Ms = 7.25;
    stats.oldestWaiterMs = 1500;
    const QPg::PoolStats back = M::decodePoolStats(M::encodePoolStats(stats));
    QCOMPARE(back.size, 3);
    QCOMPARE(back.waiting, 5);
    QCOMPARE(back.maxSize, 9);
    QCOMPARE(back.acquires, 1234567890123ULL);
    QCOMPARE(back.closedByReason[int(QPg::CloseReason::Expired)], 7ULL);
    QCOMPARE(back.acquireWaitP99Ms, 12.5);
    QCOMPARE(back.acquireWaitLast10s.count, 3ULL);
    QCOMPARE(back.acquireWaitLast10s.p99Ms, 4.5);
    QCOMPARE(back.holdTimeLast60s.maxMs, 250.0);
    QCOMPARE(back.connectTime.p50Ms, 7.25);
    QCOMPARE(back.oldestWaiterMs, 1500.0);

    QPg::ConnectionInfo info;
    info.id = 4;
    info.backendPid = 99;
    info.state = QPg::ConnectionInfo::State::Acquired;
    info.currentQuery = u"SELECT 'secret'"_s;
    QCOMPARE(M::decodeConnections(M::encodeConnections({info}, false)).at(0).currentQuery, QString());
    const QPg::ConnectionInfo full = M::decodeConnections(M::encodeConnections({info}, true)).at(0);
    QCOMPARE(full.currentQuery, info.currentQuery);
    QCOMPARE(full.state, QPg::ConnectionInfo::State::Acquired);
    QCOMPARE(full.backendPid, 99);
}

// A sessions answer survives the wire: encoded, framed, decoded as a server message, read back.
void tst_MonitorServer::sessionsRoundTrip()
{
    QPg::MonitorBackendSession blocked;
    blocked.pid = 4242;
    blocked.state = u"active"_s;
    blocked.waitEventType = u"Lock"_s;
    blocked.waitEvent = u"advisory"_s;
    blocked.transactionStart = QDateTime::fromMSecsSinceEpoch(1700000000000);
    blocked.queryStart = QDateTime::fromMSecsSinceEpoch(1700000000123);
    blocked.blockedBy = {17, 18};
    blocked.query = u"SELECT pg_advisory_xact_lock(1)"_s;
    QPg::MonitorBackendSession self;
    self.pid = 17;
    self.state = u"active"_s;
    self.isSelf = true;
    QCborMap answer = M::newMessage(M::MessageType::Sessions);
    answer.insert(u"id"_s, 3);
    answer.insert(u"pool"_s, u"main"_s);
    answer.insert(u"rows"_s, M::encodeSessions({blocked, self}));
    const QByteArray serverHello = message(u"hello"_s, {{u"version"_s, 1}, {u"application"_s, u"a"_s}, {u"pid"_s, 1},
                                                         {u"host"_s, u"h"_s}, {u"capabilities"_s, QVariantMap()},
                                                         {u"pools"_s, QVariantList()}});
    const M::DecodeResult decoded = M::decodeFrames(QByteArray(serverHello + M::encodeFrame(answer)), M::Sender::Server, false);
    QVERIFY2(decoded.error.isEmpty(), qPrintable(decoded.error));
    QCOMPARE(decoded.messages.size(), 2);
    QCOMPARE(decoded.messages.at(1).type, M::MessageType::Sessions);
    const QList<QPg::MonitorBackendSession> rows = M::decodeSessions(decoded.messages.at(1).body.value(u"rows"_s).toArray());
    QCOMPARE(rows.size(), 2);
    QCOMPARE(rows.at(0).pid, 4242);
    QCOMPARE(rows.at(0).waitEvent, u"advisory"_s);
    QCOMPARE(rows.at(0).transactionStart, blocked.transactionStart);
    QCOMPARE(rows.at(0).queryStart, blocked.queryStart);
    QCOMPARE(rows.at(0).blockedBy, QList<int>({17, 18}));
    QCOMPARE(rows.at(0).query, blocked.query);
    QVERIFY(!rows.at(0).isSelf);
    QVERIFY(rows.at(1).isSelf);
    QVERIFY(!rows.at(1).transactionStart.isValid());
}

void tst_MonitorServer::socketAndDirectoryArePrivate()
{
    QTemporaryDir base;
    const QString directory = base.path() + u"/sockets"_s;
    auto pool = openPool(poolOptions(1, 2));
    QPg::PoolMonitorServer server;
    QVERIFY(server.addPool(pool.get(), u"orders"_s));
    QVERIFY(!server.addPool(pool.get(), u"orders"_s)); // names are unique
    QPg::MonitorServerOptions options;
    options.socketDirectory = directory;
    options.applicationName = u"my app/1"_s;
    QVERIFY2(server.listen(options), qPrintable(server.errorString()));
    QCOMPARE(fileMode(directory), 0700);
    QCOMPARE(fileMode(server.socketPath()), 0600);
    QCOMPARE(QFileInfo(server.socketPath()).fileName(), u"my_app_1.%1.sock"_s.arg(QCoreApplication::applicationPid()));

    QPg::PoolMonitorClient client;
    QSignalSpy connected(&client, &QPg::PoolMonitorClient::connected);
    client.connectToLocal(server.socketPath());
    QVERIFY(connected.wait(10000));
    const auto hello = connected.at(0).at(0).value<QPg::MonitorHello>();
    QCOMPARE(hello.application, u"my app/1"_s);
    QCOMPARE(hello.pid, QCoreApplication::applicationPid());
    QCOMPARE(hello.pools, QStringList{u"orders"_s});
    QVERIFY(!hello.controlAllowed);
    QVERIFY(!hello.queryTextAllowed);

    // Pools added later reach attached clients.
    QSignalSpy poolsChanged(&client, &QPg::PoolMonitorClient::poolsChanged);
    auto second = openPool(poolOptions(1, 1));
    QVERIFY(server.addPool(second.get(), u"reports"_s));
    QVERIFY(poolsChanged.wait(10000));
    QCOMPARE(poolsChanged.last().at(0).toStringList(), (QStringList{u"orders"_s, u"reports"_s}));

    server.close();
    QVERIFY(!QFileInfo::exists(server.socketPath().isEmpty() ? directory + u"/x"_s : server.socketPath()));
    QVERIFY(QDir(directory).entryList(QDir::System | QDir::Files).isEmpty());
}

void tst_MonitorServer::widerDirectoryIsRefused()
{
    QTemporaryDir base;
    const QString directory = base.path() + u"/open"_s;
    QVERIFY(QDir().mkpath(directory));
    QVERIFY(::chmod(QFile::encodeName(directory).constData(), 0755) == 0);
    QPg::PoolMonitorServer server;
    QPg::MonitorServerOptions options;
    options.socketDirectory = directory;
    QVERIFY(!server.listen(options));
    QVERIFY2(server.errorString().contains(u"0700"), qPrintable(server.errorString()));
    QVERIFY(QDir(directory).entryList(QDir::System | QDir::Files).isEmpty());
    QVERIFY(QPg::PoolMonitorClient::discover(directory).isEmpty()); // not trusted either
}

void tst_MonitorServer::directoryOfAnotherUserIsRefused()
{
    // Tests run as root (like CI): the directory is handed to the postgres user.
    const passwd *other = ::getpwnam("postgres");
    QVERIFY(other);
    QTemporaryDir base;
    const QString directory = base.path() + u"/theirs"_s;
    QVERIFY(QDir().mkpath(directory));
    QVERIFY(::chmod(QFile::encodeName(directory).constData(), 0700) == 0);
    QVERIFY2(::chown(QFile::encodeName(directory).constData(), other->pw_uid, other->pw_gid) == 0, strerror(errno));
    QPg::PoolMonitorServer server;
    QVERIFY(!server.listen({.socketDirectory = directory}));
    QVERIFY2(server.errorString().contains(u"another user"), qPrintable(server.errorString()));
    QVERIFY(QPg::PoolMonitorClient::discover(directory).isEmpty());
}

void tst_MonitorServer::defaultDirectoryFollowsXdgRuntimeDir()
{
    QTemporaryDir runtime;
    const QByteArray saved = qgetenv("XDG_RUNTIME_DIR");
    auto restore = qScopeGuard([saved] {
        if (saved.isNull())
            qunsetenv("XDG_RUNTIME_DIR");
        else
            qputenv("XDG_RUNTIME_DIR", saved);
    });
    qputenv("XDG_RUNTIME_DIR", QFile::encodeName(runtime.path()));
    QCOMPARE(QPg::PoolMonitorClient::defaultSocketDirectory(), runtime.path() + u"/qpgpool"_s);
    auto pool = openPool(poolOptions(1, 1));
    QPg::PoolMonitorServer server;
    server.addPool(pool.get(), u"main"_s);
    QVERIFY2(server.listen({.applicationName = u"xdg"_s}), qPrintable(server.errorString()));
    QCOMPARE(QFileInfo(server.socketPath()).absolutePath(), runtime.path() + u"/qpgpool"_s);
    QCOMPARE(fileMode(runtime.path() + u"/qpgpool"_s), 0700);
    const QList<QPg::MonitorEndpoint> endpoints = QPg::PoolMonitorClient::discover();
    QCOMPARE(endpoints.size(), 1);
    QCOMPARE(endpoints.at(0).socketPath, server.socketPath());
    // Without XDG_RUNTIME_DIR: a per-user directory under the temp directory.
    qunsetenv("XDG_RUNTIME_DIR");
    QCOMPARE(QPg::PoolMonitorClient::defaultSocketDirectory(), QDir::tempPath() + u"/qpgpool-%1"_s.arg(::geteuid()));
}

void tst_MonitorServer::tcpNeedsTokenAndRefusesWrongOne()
{
    auto pool = openPool(poolOptions(1, 2));
    QPg::PoolMonitorServer server;
    server.addPool(pool.get(), u"main"_s);
    QPg::MonitorServerOptions options;
    options.localSocket = false;
    options.tcp = true;
    QVERIFY(!server.listen(options));
    QVERIFY2(server.errorString().contains(u"token"), qPrintable(server.errorString()));
    QVERIFY(!server.isListening());

    options.token = "s3cret-token";
    QVERIFY2(server.listen(options), qPrintable(server.errorString()));
    QVERIFY(server.serverPort() != 0);
    QVERIFY(server.socketPath().isEmpty());

    QPg::PoolMonitorClient wrong;
    QSignalSpy wrongGone(&wrong, &QPg::PoolMonitorClient::disconnected);
    QSignalSpy wrongHello(&wrong, &QPg::PoolMonitorClient::connected);
    wrong.connectToHost(u"127.0.0.1"_s, server.serverPort(), "s3cret-tokeN");
    QVERIFY(wrongGone.wait(10000));
    QCOMPARE(wrongGone.at(0).at(0).toString(), u"wrong token"_s);
    QCOMPARE(wrongHello.count(), 0);

    QPg::PoolMonitorClient none;
    QSignalSpy noneGone(&none, &QPg::PoolMonitorClient::disconnected);
    none.connectToHost(u"127.0.0.1"_s, server.serverPort(), {});
    QVERIFY(noneGone.wait(10000));
    QCOMPARE(noneGone.at(0).at(0).toString(), u"wrong token"_s);

    QPg::PoolMonitorClient right;
    QSignalSpy snapshots(&right, &QPg::PoolMonitorClient::snapshot);
    QSignalSpy connected(&right, &QPg::PoolMonitorClient::connected);
    right.connectToHost(u"127.0.0.1"_s, server.serverPort(), "s3cret-token");
    right.subscribe(10); // before the socket is up: goes out after the hello
    QVERIFY(snapshots.wait(10000));
    QCOMPARE(connected.count(), 1);
    QCOMPARE(snapshots.at(0).at(0).toString(), u"main"_s);
    QCOMPARE(snapshots.at(0).at(1).value<QPg::PoolStats>().maxSize, 2);
}

void tst_MonitorServer::tlsEndpoint()
{
    // A self-signed certificate for localhost, made now (nothing secret is committed).
    QTemporaryDir directory;
    const QString certFile = directory.filePath(u"server.crt"_s);
    const QString keyFile = directory.filePath(u"server.key"_s);
    QProcess openssl;
    openssl.start(u"openssl"_s, {u"req"_s, u"-x509"_s, u"-newkey"_s, u"rsa:2048"_s, u"-nodes"_s, u"-days"_s, u"1"_s,
                                 u"-subj"_s, u"/CN=localhost"_s, u"-addext"_s,
                                 u"subjectAltName=DNS:localhost,IP:127.0.0.1"_s, u"-keyout"_s, keyFile, u"-out"_s, certFile});
    QVERIFY(openssl.waitForFinished(60000));
    QCOMPARE(openssl.exitCode(), 0);
    QFile cert(certFile);
    QFile key(keyFile);
    QVERIFY(cert.open(QIODevice::ReadOnly) && key.open(QIODevice::ReadOnly));
    const QSslCertificate certificate(cert.readAll());
    QVERIFY(!certificate.isNull());

    auto pool = openPool(poolOptions(1, 2));
    QPg::PoolMonitorServer server;
    server.addPool(pool.get(), u"main"_s);
    QPg::MonitorServerOptions options;
    options.localSocket = false;
    options.tcp = true;
    options.token = "tls-token";
    options.certificate = certificate;
    options.privateKey = QSslKey(key.readAll(), QSsl::Rsa);
    QVERIFY(!options.privateKey.isNull());
    QVERIFY2(server.listen(options), qPrintable(server.errorString()));

    QPg::PoolMonitorClient client;
    QSignalSpy connected(&client, &QPg::PoolMonitorClient::connected);
    QSignalSpy snapshots(&client, &QPg::PoolMonitorClient::snapshot);
    client.connectToHost(u"127.0.0.1"_s, server.serverPort(), "tls-token",
                         {.enabled = true, .caCertificates = {certificate}, .peerVerifyName = u"localhost"_s});
    QVERIFY(connected.wait(20000));
    client.subscribe(10);
    QVERIFY(snapshots.wait(10000));

    // Without TLS the server never sees a hello: no connection is made.
    QPg::PoolMonitorClient plain;
    QSignalSpy plainConnected(&plain, &QPg::PoolMonitorClient::connected);
    QSignalSpy plainGone(&plain, &QPg::PoolMonitorClient::disconnected);
    plain.connectToHost(u"127.0.0.1"_s, server.serverPort(), "tls-token");
    QVERIFY(plainGone.wait(20000));
    QCOMPARE(plainConnected.count(), 0);

    // A client that does not trust the certificate refuses the server.
    QPg::PoolMonitorClient untrusting;
    QSignalSpy untrustingConnected(&untrusting, &QPg::PoolMonitorClient::connected);
    QSignalSpy untrustingGone(&untrusting, &QPg::PoolMonitorClient::disconnected);
    untrusting.connectToHost(u"127.0.0.1"_s, server.serverPort(), "tls-token", {.enabled = true});
    QVERIFY(untrustingGone.wait(20000));
    QCOMPARE(untrustingConnected.count(), 0);
}

void tst_MonitorServer::malformedMessageDropsOnlyThatClient()
{
    QTemporaryDir directory;
    auto pool = openPool(poolOptions(1, 2));
    QPg::PoolMonitorServer server;
    QVERIFY(publish(server, pool.get(), directory.path()));

    QPg::PoolMonitorClient good;
    QSignalSpy snapshots(&good, &QPg::PoolMonitorClient::snapshot);
    QVERIFY(attach(good, server.socketPath()));
    good.subscribe(20);
    QVERIFY(snapshots.wait(10000));

    QSignalSpy dropped(&server, &QPg::PoolMonitorServer::clientDisconnected);
    QLocalSocket bad;
    bad.connectToServer(server.socketPath());
    QVERIFY(bad.waitForConnected(10000));
    bad.write(clientHello() + frame("\xa1\x64type\x19")); // a map whose value is cut short
    QTRY_COMPARE_WITH_TIMEOUT(bad.state(), QLocalSocket::UnconnectedState, 10000);
    // The server said why before closing.
    const QByteArray received = bad.readAll();
    QVERIFY2(received.contains("protocol error"), received.constData());
    QTRY_COMPARE(dropped.count(), 1);
    QVERIFY(dropped.at(0).at(0).toString().contains(u"protocol error"));

    // A command before hello, on another connection: refused the same way.
    QLocalSocket early;
    early.connectToServer(server.socketPath());
    QVERIFY(early.waitForConnected(10000));
    early.write(message(u"command"_s, {{u"id"_s, 1}, {u"pool"_s, u"main"_s}, {u"action"_s, u"terminate"_s}}));
    QTRY_COMPARE_WITH_TIMEOUT(early.state(), QLocalSocket::UnconnectedState, 10000);
    QVERIFY(early.readAll().contains("before hello"));

    // The good client keeps receiving, and the pool was not touched.
    const qsizetype before = snapshots.count();
    QTRY_VERIFY_WITH_TIMEOUT(snapshots.count() >= before + 3, 10000);
    QVERIFY(good.isConnected());
    QVERIFY(pool->isOpen());
    QCOMPARE(await(pool->fetchValue(u"SELECT 1"_s)).toInt(), 1);
}

void tst_MonitorServer::stuckClientIsDropped()
{
    QTemporaryDir directory;
    auto pool = openPool(poolOptions(1, 2));
    QPg::PoolMonitorServer server;
    QVERIFY(publish(server, pool.get(), directory.path(), {.sendBufferLimit = 64 * 1024}));

    QPg::PoolMonitorClient good;
    QSignalSpy snapshots(&good, &QPg::PoolMonitorClient::snapshot);
    QVERIFY(attach(good, server.socketPath()));
    good.subscribe(20);

    // A client that asks and asks and never reads the answers, on a raw socket of its own.
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    QVERIFY(fd >= 0);
    auto closeFd = qScopeGuard([fd] { ::close(fd); });
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const QByteArray path = QFile::encodeName(server.socketPath());
    memcpy(address.sun_path, path.constData(), path.size());
    QCOMPARE(::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)), 0);
    QByteArray pending = clientHello();
    const QByteArray ask = message(u"listPools"_s);
    QSignalSpy dropped(&server, &QPg::PoolMonitorServer::clientDisconnected);
    // Writes whenever the socket takes more; the application's event loop keeps turning meanwhile.
    QSocketNotifier writable(fd, QSocketNotifier::Write);
    connect(&writable, &QSocketNotifier::activated, this, [&] {
        while (pending.size() < 64 * 1024)
            pending += ask;
        const ssize_t written = ::send(fd, pending.constData(), size_t(pending.size()), MSG_NOSIGNAL);
        if (written > 0)
            pending.remove(0, written);
        else if (errno != EAGAIN && errno != EWOULDBLOCK)
            writable.setEnabled(false); // the server hung up
    });
    QVERIFY(dropped.wait(60000));
    writable.setEnabled(false);
    QCOMPARE(dropped.count(), 1);
    QVERIFY2(dropped.at(0).at(0).toString().contains(u"does not read"), qPrintable(dropped.at(0).at(0).toString()));
    const qsizetype before = snapshots.count();
    QTRY_VERIFY_WITH_TIMEOUT(snapshots.count() >= before + 2, 10000);
    QCOMPARE(server.clientCount(), 1);
}

void tst_MonitorServer::cancelQueryThroughClient()
{
    QTemporaryDir directory;
    auto pool = openPool(poolOptions(1, 1));
    QPg::PoolMonitorServer server;
    QVERIFY(publish(server, pool.get(), directory.path(), {.allowControl = true, .allowQueryText = true}));
    QPg::PoolMonitorClient client;
    QVERIFY(attach(client, server.socketPath()));
    QVERIFY(client.hello().controlAllowed);
    QVERIFY(client.hello().queryTextAllowed);

    QFuture<QVariant> sleeping = pool->fetchValue(u"SELECT pg_sleep(30)"_s);
    QSignalSpy snapshots(&client, &QPg::PoolMonitorClient::snapshot);
    client.subscribe(20);
    QList<QPg::ConnectionInfo> connections;
    QTRY_VERIFY_WITH_TIMEOUT(!snapshots.isEmpty()
                                 && !(connections = snapshots.last().at(2).value<QList<QPg::ConnectionInfo>>()).isEmpty()
                                 && connections.at(0).currentQuery.contains(u"pg_sleep"),
                             10000);
    QSignalSpy finished(&client, &QPg::PoolMonitorClient::commandFinished);
    QSignalSpy failed(&client, &QPg::PoolMonitorClient::commandFailed);
    const quint64 id = client.cancelQuery(u"main"_s, connections.at(0).id);
    QVERIFY(finished.wait(10000));
    QCOMPARE(finished.at(0).at(0).toULongLong(), id);
    QVERIFY(awaitError<QPg::QueryCanceledError>(sleeping, 10000).has_value());

    const quint64 unknown = client.cancelQuery(u"main"_s, 99999);
    const quint64 noPool = client.expireConnections(u"nope"_s);
    const quint64 badResize = client.resize(u"main"_s, 3, 1);
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 3, 10000);
    QCOMPARE(failed.at(0).at(0).toULongLong(), unknown);
    QVERIFY(failed.at(0).at(1).toString().contains(u"no connection 99999"));
    QCOMPARE(failed.at(1).at(0).toULongLong(), noPool);
    QVERIFY(failed.at(1).at(1).toString().contains(u"no pool named"));
    QCOMPARE(failed.at(2).at(0).toULongLong(), badResize);

    // resize and close go through, and their events and snapshots show it.
    QSignalSpy events(&client, &QPg::PoolMonitorClient::poolEvent);
    client.resize(u"main"_s, 2, 3);
    QTRY_COMPARE_WITH_TIMEOUT(pool->maxSize(), 3, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(snapshots.last().at(1).value<QPg::PoolStats>().maxSize == 3, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(!events.isEmpty(), 10000); // the second connection opened
    QCOMPARE(events.at(0).at(0).value<QPg::MonitorPoolEvent>().kind, u"connectionOpened"_s);
    const quint64 closeId = client.closePool(u"main"_s);
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() >= 3, 10000);
    QCOMPARE(finished.last().at(0).toULongLong(), closeId);
    QVERIFY(pool->isClosing());
}

// A close asked for by a client may still run when the application destroys its monitor server:
// the pool closes, and nothing is left to call into the server that is gone.
void tst_MonitorServer::serverGoesWhileCloseRuns()
{
    QTemporaryDir directory;
    auto pool = openPool(poolOptions(1, 1));
    QPg::PooledConnection held = await(pool->acquire()); // close() waits for it
    auto server = std::make_unique<QPg::PoolMonitorServer>();
    QVERIFY(publish(*server, pool.get(), directory.path(), {.allowControl = true}));
    QPg::PoolMonitorClient client;
    QVERIFY(attach(client, server->socketPath()));
    QSignalSpy closing(pool.get(), &QPg::Pool::closing);
    client.closePool(u"main"_s);
    QVERIFY(closing.wait(10000));
    server.reset();
    QSignalSpy closed(pool.get(), &QPg::Pool::closed);
    await(held.release());
    QVERIFY(closed.count() == 1 || closed.wait(10000));
    QTRY_COMPARE(pool->size(), 0);
}

void tst_MonitorServer::poolInAnotherThread()
{
    QThread thread;
    thread.start();
    auto stop = qScopeGuard([&thread] {
        thread.quit();
        thread.wait();
    });
    auto *pool = new QPg::Pool(poolOptions(2, 2));
    pool->moveToThread(&thread);
    connect(&thread, &QThread::finished, pool, &QObject::deleteLater);
    await(pool->open());

    QTemporaryDir directory;
    QPg::PoolMonitorServer server;
    QVERIFY(publish(server, pool, directory.path(), {.allowControl = true, .allowSessions = true}, u"worker"_s));
    QPg::PoolMonitorClient client;
    QSignalSpy snapshots(&client, &QPg::PoolMonitorClient::snapshot);
    QSignalSpy events(&client, &QPg::PoolMonitorClient::poolEvent);
    QVERIFY(attach(client, server.socketPath()));
    client.subscribe(20);
    QVERIFY(snapshots.wait(10000));
    QCOMPARE(snapshots.at(0).at(1).value<QPg::PoolStats>().size, 2);
    QCOMPARE(snapshots.at(0).at(2).value<QList<QPg::ConnectionInfo>>().size(), 2);
    client.expireConnections(u"worker"_s);
    QTRY_VERIFY_WITH_TIMEOUT(events.size() >= 2, 10000); // closed (expired) and opened again
    bool expired = false;
    for (const QList<QVariant> &e : std::as_const(events)) {
        const auto event = e.at(0).value<QPg::MonitorPoolEvent>();
        expired = expired || (event.kind == u"connectionClosed" && event.reason == u"expired");
    }
    QVERIFY(expired);
    // The sessions read reads the pool's connections in its own thread too (both, once the
    // expired ones are replaced).
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            const auto sessions = readSessions(client, u"worker"_s);
            return sessions && sessions->size() == 2;
        }(),
        10000);
    server.removePool(u"worker"_s);
}

void tst_MonitorServer::sessionsRefusedByDefault()
{
    QTemporaryDir directory;
    auto pool = openPool(poolOptions(1, 1));
    QPg::PoolMonitorServer server;
    QVERIFY(publish(server, pool.get(), directory.path(), {.allowControl = true}));
    QPg::PoolMonitorClient client;
    QVERIFY(attach(client, server.socketPath()));
    QCOMPARE(client.hello().revision, 1); // the server knows the sessions view
    QVERIFY(!client.hello().sessionsAllowed);
    QString error;
    QVERIFY(!readSessions(client, u"main"_s, &error));
    QVERIFY2(error.contains(u"sessions view is disabled"_s) && error.contains(u"allowSessions"_s), qPrintable(error));
    // Control alone does not let a client signal backends.
    const int pid = pool->connectionInfo().at(0).backendPid;
    const auto outcome = commandOutcome(client, [&] { return client.terminateBackend(u"main"_s, pid); });
    QVERIFY(outcome.has_value());
    QVERIFY2(outcome->contains(u"allowSessions"_s), qPrintable(*outcome));
    QCOMPARE(await(m_observer->fetchValue(countBackends({pid}))).toInt(), 1);
    QVERIFY(client.isConnected());
}

// The rows are the pool's own backends, no more and no fewer, as the server sees them: one runs the
// read itself, one a pg_sleep with its state and query; a second request while one is out shares it.
void tst_MonitorServer::sessionsListExactlyThePoolsBackends()
{
    QTemporaryDir directory;
    auto pool = openPool(poolOptions(3, 3));
    QPg::PoolMonitorServer server;
    QVERIFY(publish(server, pool.get(), directory.path(), {.allowQueryText = true, .allowSessions = true}));
    QPg::PoolMonitorClient client;
    QVERIFY(attach(client, server.socketPath()));
    QVERIFY(client.hello().sessionsAllowed);
    QFuture<QVariant> sleeping = pool->fetchValue(u"SELECT pg_sleep(30)"_s);
    auto stop = qScopeGuard([&] { pool->terminate(); });
    QTRY_VERIFY_WITH_TIMEOUT(pool->stats().active == 1, 10000);

    const auto sessions = readSessions(client, u"main"_s);
    QVERIFY(sessions.has_value());
    const QSet<int> expected = backendPids(pool->connectionInfo());
    QCOMPARE(expected.size(), 3);
    QCOMPARE(pidsOf(*sessions), expected);
    // The server agrees that these are live backends, and the observer's own is not among them.
    QCOMPARE(await(m_observer->fetchValue(countBackends(expected))).toInt(), 3);
    const int observerPid = await(m_observer->fetchValue(u"SELECT pg_backend_pid()"_s)).toInt();
    QVERIFY(!pidsOf(*sessions).contains(observerPid));
    int self = 0;
    bool sawSleep = false;
    for (const QPg::MonitorBackendSession &s : *sessions) {
        self += s.isSelf ? 1 : 0;
        if (s.query.contains(u"pg_sleep(30)"_s)) {
            sawSleep = true;
            QCOMPARE(s.state, u"active"_s);
            QVERIFY(s.queryStart.isValid());
            QCOMPARE(s.waitEvent, u"PgSleep"_s);
        }
    }
    QCOMPARE(self, 1);
    QVERIFY(sawSleep);

    // Two requests at once: both answered, by one query on the pool.
    QSignalSpy received(&client, &QPg::PoolMonitorClient::sessionsReceived);
    const quint64 queriesBefore = pool->stats().queries;
    const quint64 first = client.requestSessions(u"main"_s);
    const quint64 second = client.requestSessions(u"main"_s);
    QTRY_COMPARE_WITH_TIMEOUT(received.count(), 2, 10000);
    QCOMPARE(received.at(0).at(0).toULongLong(), first);
    QCOMPARE(received.at(1).at(0).toULongLong(), second);
    QCOMPARE(pool->stats().queries, queriesBefore + 1);

    // Without allowQueryText the query column stays empty.
    QPg::PoolMonitorServer quiet;
    QTemporaryDir quietDirectory;
    QVERIFY(publish(quiet, pool.get(), quietDirectory.path(), {.allowSessions = true}));
    QPg::PoolMonitorClient quietClient;
    QVERIFY(attach(quietClient, quiet.socketPath()));
    const auto withoutText = readSessions(quietClient, u"main"_s);
    QVERIFY(withoutText.has_value());
    QCOMPARE(withoutText->size(), 3);
    for (const QPg::MonitorBackendSession &s : *withoutText)
        QVERIFY2(s.query.isEmpty(), qPrintable(s.query));
    QVERIFY(!sleeping.isFinished());
}

// Every connection busy: the read gives up after its short acquire timeout with a clear error
// instead of queueing behind the application's callers.
void tst_MonitorServer::sessionsOfSaturatedPoolFailFast()
{
    QTemporaryDir directory;
    auto pool = openPool(poolOptions(1, 1));
    QPg::PoolMonitorServer server;
    QVERIFY(publish(server, pool.get(), directory.path(), {.allowSessions = true}));
    QPg::PoolMonitorClient client;
    QVERIFY(attach(client, server.socketPath()));
    QPg::PooledConnection held = await(pool->acquire());
    QElapsedTimer clock;
    clock.start();
    QString error;
    QVERIFY(!readSessions(client, u"main"_s, &error));
    QVERIFY2(error.contains(u"saturated"_s), qPrintable(error));
    QVERIFY(clock.elapsed() >= M::SessionsAcquireTimeoutMs - 100);
    QCOMPARE(pool->waitingCount(), 0);
    await(held.release());
    QVERIFY(readSessions(client, u"main"_s).has_value());
}

void tst_MonitorServer::backendSignalsOnlyForThePoolsBackends()
{
    QTemporaryDir directory;
    auto pool = openPool(poolOptions(2, 2));
    QPg::PoolMonitorServer server;
    QVERIFY(publish(server, pool.get(), directory.path(), {.allowControl = true, .allowSessions = true}));
    QPg::PoolMonitorClient client;
    QVERIFY(attach(client, server.socketPath()));

    // A backend that is not the pool's (the observer's) is never signalled.
    const int observerPid = await(m_observer->fetchValue(u"SELECT pg_backend_pid()"_s)).toInt();
    for (const auto &send : std::initializer_list<std::function<quint64()>>{
             [&] { return client.cancelBackend(u"main"_s, observerPid); },
             [&] { return client.terminateBackend(u"main"_s, observerPid); }}) {
        const auto outcome = commandOutcome(client, send);
        QVERIFY(outcome.has_value());
        QVERIFY2(outcome->contains(u"not one of this pool's connections"_s), qPrintable(*outcome));
    }
    QCOMPARE(await(m_observer->fetchValue(u"SELECT pg_backend_pid()"_s)).toInt(), observerPid);

    // Cancel stops the pg_sleep of a pool backend; the session stays.
    QFuture<QVariant> sleeping = pool->fetchValue(u"SELECT pg_sleep(30)"_s);
    int sleeper = 0;
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            for (const QPg::ConnectionInfo &c : pool->connectionInfo()) {
                if (!c.currentQuery.isEmpty())
                    sleeper = c.backendPid;
            }
            return sleeper != 0;
        }(),
        10000);
    const auto cancelled = commandOutcome(client, [&] { return client.cancelBackend(u"main"_s, sleeper); });
    QVERIFY(cancelled.has_value());
    QVERIFY2(cancelled->isEmpty(), qPrintable(*cancelled));
    QVERIFY(awaitError<QPg::QueryCanceledError>(sleeping, 10000).has_value());
    QCOMPARE(await(m_observer->fetchValue(countBackends({sleeper}))).toInt(), 1);

    // Terminate ends a pool backend; the pool replaces it.
    QSignalSpy closed(pool.get(), &QPg::Pool::connectionClosed);
    const QSet<int> before = backendPids(pool->connectionInfo());
    const int victim = *before.begin();
    const auto terminated = commandOutcome(client, [&] { return client.terminateBackend(u"main"_s, victim); });
    QVERIFY(terminated.has_value());
    QVERIFY2(terminated->isEmpty(), qPrintable(*terminated));
    QTRY_COMPARE_WITH_TIMEOUT(await(m_observer->fetchValue(countBackends({victim}))).toInt(), 0, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            const QSet<int> now = backendPids(pool->connectionInfo());
            return now.size() == 2 && !now.contains(victim);
        }(),
        10000);
    bool sawVictim = false;
    for (const QList<QVariant> &c : std::as_const(closed))
        sawVictim = sawVictim || c.at(1).toInt() == victim;
    QVERIFY(sawVictim);
}

// A sessions read waits for a connection while its client leaves, and while its server is destroyed:
// the read still finishes in the pool, and nothing answers into what is gone.
void tst_MonitorServer::sessionsReadOutlivesClientAndServer()
{
    QTemporaryDir directory;
    auto pool = openPool(poolOptions(1, 1));
    auto server = std::make_unique<QPg::PoolMonitorServer>();
    QVERIFY(publish(*server, pool.get(), directory.path(), {.allowSessions = true}));

    for (const bool destroyServer : {false, true}) {
        QPg::PooledConnection held = await(pool->acquire());
        auto client = std::make_unique<QPg::PoolMonitorClient>();
        QVERIFY(attach(*client, server->socketPath()));
        client->requestSessions(u"main"_s);
        QTRY_COMPARE_WITH_TIMEOUT(pool->waitingCount(), 1, 10000); // the read waits for the held connection
        const quint64 queries = pool->stats().queries;
        if (destroyServer) {
            QSignalSpy disconnected(client.get(), &QPg::PoolMonitorClient::disconnected);
            server.reset();
            QVERIFY(disconnected.wait(10000));
        } else {
            QSignalSpy left(server.get(), &QPg::PoolMonitorServer::clientDisconnected);
            client.reset();
            QVERIFY(left.wait(10000));
        }
        await(held.release());
        QTRY_COMPARE_WITH_TIMEOUT(pool->stats().queries, queries + 1, 10000); // the read ran and finished
        QCOMPARE(pool->waitingCount(), 0);
        QCOMPARE(await(pool->fetchValue(u"SELECT 1"_s)).toInt(), 1);
    }
    QVERIFY(!server);
}

void tst_MonitorServer::discoveryListsApplication()
{
    QTemporaryDir directory;
    MonitoredApp app;
    QVERIFY(app.start(directory.path(), {u"--name"_s, u"orders-service"_s}));
    const QList<QPg::MonitorEndpoint> endpoints = QPg::PoolMonitorClient::discover(directory.path());
    QCOMPARE(endpoints.size(), 1);
    QCOMPARE(endpoints.at(0).application, u"orders-service"_s);
    QCOMPARE(endpoints.at(0).pid, app.process.processId());
    QCOMPARE(endpoints.at(0).socketPath, app.socketPath);
    QCOMPARE(fileMode(app.socketPath), 0600);
    QCOMPARE(fileMode(directory.path()), 0700);

    QPg::PoolMonitorClient client;
    QVERIFY(attach(client, endpoints.at(0).socketPath));
    QCOMPARE(client.pools(), QStringList{u"main"_s});
    QCOMPARE(client.hello().application, u"orders-service"_s);
}

void tst_MonitorServer::snapshotsChangeUnderLoad()
{
    QTemporaryDir directory;
    MonitoredApp app;
    QVERIFY(app.start(directory.path()));
    QPg::PoolMonitorClient client;
    QSignalSpy snapshots(&client, &QPg::PoolMonitorClient::snapshot);
    QVERIFY(attach(client, app.socketPath));
    client.subscribe(10);
    QVERIFY(snapshots.wait(10000));
    const auto first = snapshots.at(0).at(1).value<QPg::PoolStats>();
    QCOMPARE(first.maxSize, 4);
    // The callers keep acquiring: the counters move, and someone holds a connection at times.
    QTRY_VERIFY_WITH_TIMEOUT(snapshots.last().at(1).value<QPg::PoolStats>().acquires >= first.acquires + 20, 20000);
    QTRY_VERIFY_WITH_TIMEOUT(snapshots.last().at(1).value<QPg::PoolStats>().active > 0, 20000);
    // Read-only by default: no query text.
    for (const QList<QVariant> &s : std::as_const(snapshots)) {
        for (const QPg::ConnectionInfo &c : s.at(2).value<QList<QPg::ConnectionInfo>>())
            QVERIFY(c.currentQuery.isEmpty());
    }
}

void tst_MonitorServer::expireChangesBackendPids()
{
    QTemporaryDir directory;
    MonitoredApp app;
    QVERIFY(app.start(directory.path(), {u"--allow-control"_s, u"--min-size"_s, u"2"_s}));
    QPg::PoolMonitorClient client;
    QSignalSpy snapshots(&client, &QPg::PoolMonitorClient::snapshot);
    QVERIFY(attach(client, app.socketPath));
    QVERIFY(client.hello().controlAllowed);
    client.subscribe(10);
    QTRY_VERIFY_WITH_TIMEOUT(!snapshots.isEmpty()
                                 && backendPids(snapshots.last().at(2).value<QList<QPg::ConnectionInfo>>()).size() >= 2,
                             10000);
    const QSet<int> before = backendPids(snapshots.last().at(2).value<QList<QPg::ConnectionInfo>>());
    const QString countOld = countBackends(before);
    QCOMPARE(await(m_observer->fetchValue(countOld)).toInt(), int(before.size()));

    QSignalSpy finished(&client, &QPg::PoolMonitorClient::commandFinished);
    client.expireConnections(u"main"_s);
    QVERIFY(finished.wait(10000));
    // Every old backend goes (held ones when released) and new ones serve the load.
    QTRY_COMPARE_WITH_TIMEOUT(await(m_observer->fetchValue(countOld)).toInt(), 0, 20000);
    // The application now reports only new backends, and they are there on the server. (A
    // connection that was being opened during the expire has a new pid too, and goes when it comes
    // back: hence retried until both hold at once.)
    auto newBackendsServe = [&] {
        const QSet<int> now = backendPids(snapshots.last().at(2).value<QList<QPg::ConnectionInfo>>());
        return !now.isEmpty() && !now.intersects(before)
               && await(m_observer->fetchValue(countBackends(now))).toInt() > 0;
    };
    QTRY_VERIFY_WITH_TIMEOUT(newBackendsServe(), 20000);
}

void tst_MonitorServer::readOnlyApplicationRefusesCommands()
{
    QTemporaryDir directory;
    MonitoredApp app;
    QVERIFY(app.start(directory.path()));
    QPg::PoolMonitorClient client;
    QVERIFY(attach(client, app.socketPath));
    QVERIFY(!client.hello().controlAllowed);
    QSignalSpy failed(&client, &QPg::PoolMonitorClient::commandFailed);
    QSignalSpy finished(&client, &QPg::PoolMonitorClient::commandFinished);
    const quint64 id = client.terminatePool(u"main"_s);
    QVERIFY(failed.wait(10000));
    QCOMPARE(failed.at(0).at(0).toULongLong(), id);
    QVERIFY2(failed.at(0).at(1).toString().contains(u"control is disabled"), qPrintable(failed.at(0).at(1).toString()));
    // The connection stays up, and the pool still serves.
    QVERIFY(client.isConnected());
    QSignalSpy snapshots(&client, &QPg::PoolMonitorClient::snapshot);
    client.subscribe(10);
    QVERIFY(snapshots.wait(10000));
    QVERIFY(snapshots.last().at(1).value<QPg::PoolStats>().size > 0);
    QCOMPARE(finished.count(), 0);
}

void tst_MonitorServer::applicationExitGivesDisconnected()
{
    QTemporaryDir directory;
    MonitoredApp app;
    QVERIFY(app.start(directory.path()));
    QPg::PoolMonitorClient client;
    QVERIFY(attach(client, app.socketPath));
    QSignalSpy disconnected(&client, &QPg::PoolMonitorClient::disconnected);
    app.process.terminate(); // SIGTERM: a clean exit
    QVERIFY(disconnected.wait(10000));
    QVERIFY(!client.isConnected());
    QCOMPARE(disconnected.count(), 1);
    QVERIFY(app.process.waitForFinished(10000));
    QCOMPARE(app.process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(app.process.exitCode(), 0);
    QVERIFY(!QFileInfo::exists(app.socketPath)); // removed on the way out
}

void tst_MonitorServer::staleSocketIsSkipped()
{
    QTemporaryDir directory;
    QString stalePath;
    {
        MonitoredApp app;
        QVERIFY(app.start(directory.path(), {u"--name"_s, u"crashed"_s}));
        stalePath = app.socketPath;
        app.process.kill(); // no chance to remove its socket
        QVERIFY(app.process.waitForFinished(10000));
    }
    QVERIFY(QFileInfo::exists(stalePath));
    MonitoredApp live;
    QVERIFY(live.start(directory.path(), {u"--name"_s, u"alive"_s}));
    const QList<QPg::MonitorEndpoint> endpoints = QPg::PoolMonitorClient::discover(directory.path());
    QCOMPARE(endpoints.size(), 1);
    QCOMPARE(endpoints.at(0).application, u"alive"_s);
    // The server that started next removed it.
    QVERIFY(!QFileInfo::exists(stalePath));
}

QTEST_MAIN(tst_MonitorServer)
#include "tst_monitorserver.moc"
