// SPDX-License-Identifier: MIT
#include "remotepoolsource.h"

#include "chartswidget.h"
#include "eventlogmodel.h"

#include <QPg/poolmonitorclient.h>

#include <QtCore/QFileInfo>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitor {

namespace {

// How often a missing or departed application is looked for.
constexpr int RetryIntervalMs = 1000;

MonitorEvent::Kind eventKind(const QString &kind)
{
    if (kind == u"connectionOpened")
        return MonitorEvent::Kind::Opened;
    if (kind == u"connectionClosed")
        return MonitorEvent::Kind::Closed;
    if (kind == u"connectFailed")
        return MonitorEvent::Kind::ConnectFailed;
    if (kind == u"acquireTimedOut")
        return MonitorEvent::Kind::Timeout;
    if (kind.startsWith(u"leak"))
        return MonitorEvent::Kind::Leak;
    return MonitorEvent::Kind::Info;
}

QString eventText(const QPg::MonitorPoolEvent &event)
{
    QString text = event.kind;
    if (event.connectionId != 0)
        text += u" #%1"_s.arg(event.connectionId);
    if (event.backendPid != 0)
        text += u" (backend %1)"_s.arg(event.backendPid);
    if (!event.reason.isEmpty())
        text += u": "_s + event.reason;
    if (!event.message.isEmpty())
        text += u": "_s + event.message;
    if (!event.holder.isEmpty())
        text += u", holder %1"_s.arg(event.holder);
    if (event.heldMs > 0)
        text += u", held %1 ms"_s.arg(event.heldMs);
    return text;
}

} // namespace

RemotePoolSource::RemotePoolSource(const AttachTarget &target, double rate, const QString &directory, QObject *parent)
    : QObject(parent)
    , m_target(target)
    , m_rate(rate)
    , m_directory(directory)
    , m_client(new QPg::PoolMonitorClient(this))
{
    m_clock.start();
    if (m_target.kind == AttachTarget::Kind::Name)
        m_endpointName = m_target.name;
    m_retry.setInterval(RetryIntervalMs);
    connect(&m_retry, &QTimer::timeout, this, &RemotePoolSource::retryNow);
    connect(m_client, &QPg::PoolMonitorClient::connected, this, &RemotePoolSource::onConnected);
    connect(m_client, &QPg::PoolMonitorClient::poolsChanged, this, &RemotePoolSource::addPools);
    connect(m_client, &QPg::PoolMonitorClient::snapshot, this, &RemotePoolSource::onSnapshot);
    connect(m_client, &QPg::PoolMonitorClient::poolEvent, this, &RemotePoolSource::onPoolEvent);
    connect(m_client, &QPg::PoolMonitorClient::disconnected, this, &RemotePoolSource::onDisconnected);
    connect(m_client, &QPg::PoolMonitorClient::commandFinished, this, [this](quint64 id) {
        const auto [pool, what] = m_commands.take(id);
        if (!pool.isEmpty())
            log(pool, MonitorEvent::make(MonitorEvent::Kind::Info, u"%1: done"_s.arg(what), what));
        if (const auto signalled = m_backendSignals.take(id); !signalled.first.isEmpty())
            Q_EMIT backendSignalled(signalled.first, signalled.second, {});
    });
    connect(m_client, &QPg::PoolMonitorClient::commandFailed, this, [this](quint64 id, const QString &error) {
        const auto [pool, what] = m_commands.take(id);
        if (!pool.isEmpty())
            log(pool, MonitorEvent::make(MonitorEvent::Kind::Error, u"%1 refused: %2"_s.arg(what, error)));
        if (const auto signalled = m_backendSignals.take(id); !signalled.first.isEmpty())
            Q_EMIT backendSignalled(signalled.first, signalled.second, error);
    });
    connect(m_client, &QPg::PoolMonitorClient::sessionsReceived, this,
            [this](quint64 id, const QString &, const QList<QPg::MonitorBackendSession> &sessions) {
                Q_EMIT sessionsReceived(id, sessions);
            });
    connect(m_client, &QPg::PoolMonitorClient::sessionsFailed, this,
            [this](quint64 id, const QString &, const QString &error) { Q_EMIT sessionsFailed(id, error); });
}

RemotePoolSource::~RemotePoolSource() = default;

QString RemotePoolSource::stateName(State state)
{
    switch (state) {
    case State::Searching:
        return u"searching"_s;
    case State::Connecting:
        return u"connecting"_s;
    case State::Attached:
        return u"attached"_s;
    case State::Disconnected:
        return u"disconnected"_s;
    }
    return QString();
}

QString RemotePoolSource::applicationName() const
{
    if (!m_hello.application.isEmpty())
        return m_hello.application;
    return m_endpointName.isEmpty() ? m_target.displayName() : m_endpointName;
}

const RemotePoolSource::PoolData *RemotePoolSource::pool(const QString &name) const
{
    const auto it = m_pools.constFind(name);
    return it == m_pools.cend() ? nullptr : &*it;
}

void RemotePoolSource::start(bool reattach)
{
    m_reattach = reattach;
    connectNow();
}

void RemotePoolSource::retryNow()
{
    if (m_state == State::Searching || m_state == State::Disconnected)
        connectNow();
}

void RemotePoolSource::attachAgain(const QByteArray &token)
{
    m_target.token = token;
    if (m_state != State::Attached && m_state != State::Connecting)
        connectNow();
}

void RemotePoolSource::connectNow()
{
    if (m_target.kind == AttachTarget::Kind::Host) {
        setState(State::Connecting);
        m_client->connectToHost(m_target.host, m_target.port, m_target.token);
        return;
    }
    // A socket path names one process; after it exits, its successor is found by application name
    // in the same directory.
    const bool bySocket = m_target.kind == AttachTarget::Kind::Socket;
    const QString directory = bySocket ? QFileInfo(m_target.socketPath).absolutePath() : m_directory;
    const QList<QPg::MonitorEndpoint> endpoints = QPg::PoolMonitorClient::discover(directory);
    QString socketPath;
    for (const QPg::MonitorEndpoint &endpoint : endpoints) {
        if (bySocket && m_endpointName.isEmpty() && endpoint.socketPath == m_target.socketPath)
            m_endpointName = endpoint.application;
        if (!m_endpointName.isEmpty() && endpoint.application == m_endpointName)
            socketPath = endpoint.socketPath; // the newest listed wins
    }
    if (socketPath.isEmpty()) {
        const QString waiting = u"no running application named %1"_s.arg(m_endpointName.isEmpty() ? m_target.displayName()
                                                                                               : m_endpointName);
        setState(m_state == State::Disconnected ? State::Disconnected : State::Searching,
                 m_state == State::Disconnected ? m_status : waiting);
        if (m_reattach)
            m_retry.start();
        return;
    }
    setState(State::Connecting);
    m_client->connectToLocal(socketPath);
}

void RemotePoolSource::setState(State state, const QString &status)
{
    const bool changed = state != m_state || status != m_status;
    m_state = state;
    m_status = status;
    if (changed)
        Q_EMIT stateChanged(state);
}

void RemotePoolSource::onConnected(const QPg::MonitorHello &hello)
{
    m_retry.stop();
    const bool restarted = m_hello.pid != 0 && m_hello.pid != hello.pid;
    m_hello = hello;
    addPools(hello.pools);
    logAll(MonitorEvent::make(MonitorEvent::Kind::Info,
                              u"%1 %2 (pid %3%4, %5)"_s.arg(restarted ? u"re-attached to"_s : u"attached to"_s,
                                                            hello.application)
                                  .arg(hello.pid)
                                  .arg(hello.host.isEmpty() ? QString() : u" on "_s + hello.host,
                                       hello.controlAllowed ? u"control allowed"_s : u"read-only"_s),
                              restarted ? u"re-attach"_s : u"attach"_s));
    setState(State::Attached);
    m_client->subscribe(m_rate);
}

void RemotePoolSource::addPools(const QStringList &names)
{
    bool added = false;
    for (const QString &name : names) {
        if (m_pools.contains(name))
            continue;
        m_pools.insert(name, PoolData{});
        m_order.append(name);
        added = true;
    }
    if (added)
        Q_EMIT poolsChanged();
}

void RemotePoolSource::onSnapshot(const QString &pool, const QPg::PoolStats &stats,
                                  const QList<QPg::ConnectionInfo> &connections)
{
    addPools({pool});
    PoolData &data = m_pools[pool];
    const StatsSample sample = data.rates.add(m_clock.elapsed() / 1000.0, stats);
    data.stats = stats;
    data.connections = connections;
    data.closed = false;
    data.history.append(sample);
    // Keep what the charts can show, no more.
    qsizetype old = 0;
    while (old < data.history.size() && data.history.at(old).time < sample.time - ChartsWidget::RetentionSeconds)
        ++old;
    data.history.remove(0, old);
    Q_EMIT sampleAdded(pool, sample);
}

void RemotePoolSource::onPoolEvent(const QPg::MonitorPoolEvent &event)
{
    addPools({event.pool});
    if (event.kind == u"closed")
        m_pools[event.pool].closed = true;
    MonitorEvent line{event.time.isValid() ? event.time.toLocalTime() : QDateTime::currentDateTime(),
                      eventKind(event.kind), eventText(event)};
    log(event.pool, line);
}

void RemotePoolSource::onDisconnected(const QString &reason)
{
    const bool wasAttached = m_state == State::Attached;
    const QString text = reason.isEmpty() ? u"the application closed the connection"_s : reason;
    for (PoolData &data : m_pools)
        data.connections.clear();
    // A refused or failing connection is retried every second: logged when the reason changes.
    if (wasAttached || text != m_status)
        logAll(MonitorEvent::make(MonitorEvent::Kind::Error, u"disconnected: %1"_s.arg(text),
                                  wasAttached ? u"disconnected"_s : QString()));
    setState(State::Disconnected, text);
    if (m_reattach)
        m_retry.start();
}

void RemotePoolSource::log(const QString &pool, const MonitorEvent &event)
{
    PoolData &data = m_pools[pool];
    data.events.append(event);
    if (data.events.size() > EventLogModel::MaxEvents)
        data.events.removeFirst();
    Q_EMIT eventAdded(pool, event);
}

void RemotePoolSource::logAll(const MonitorEvent &event)
{
    for (const QString &pool : std::as_const(m_order))
        log(pool, event);
}

void RemotePoolSource::command(const QString &pool, const QString &what, quint64 id)
{
    log(pool, MonitorEvent::make(MonitorEvent::Kind::Info, u"%1 sent to %2"_s.arg(what, applicationName())));
    if (id != 0)
        m_commands.insert(id, {pool, what});
    else
        log(pool, MonitorEvent::make(MonitorEvent::Kind::Error, u"%1 not sent: not attached"_s.arg(what)));
}

void RemotePoolSource::expireConnections(const QString &pool)
{
    command(pool, u"expire"_s, m_client->expireConnections(pool));
}

void RemotePoolSource::resizePool(const QString &pool, int minSize, int maxSize)
{
    command(pool, u"resize to %1..%2"_s.arg(minSize).arg(maxSize), m_client->resize(pool, minSize, maxSize));
}

void RemotePoolSource::closePool(const QString &pool)
{
    command(pool, u"close"_s, m_client->closePool(pool));
}

void RemotePoolSource::terminatePool(const QString &pool)
{
    command(pool, u"terminate"_s, m_client->terminatePool(pool));
}

quint64 RemotePoolSource::requestSessions(const QString &pool)
{
    return m_client->requestSessions(pool);
}

void RemotePoolSource::signalBackend(const QString &pool, int pid, QPg::BackendSessions::Signal what)
{
    const bool terminate = what == QPg::BackendSessions::Signal::Terminate;
    const quint64 id = terminate ? m_client->terminateBackend(pool, pid) : m_client->cancelBackend(pool, pid);
    command(pool, terminate ? u"terminate backend %1"_s.arg(pid) : u"cancel backend %1"_s.arg(pid), id);
    m_backendSignals.insert(id, {pool, pid});
}

} // namespace QPg::Monitor
