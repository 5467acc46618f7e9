// SPDX-License-Identifier: MIT
#include "sessionssource.h"

#include "monitorsession.h"
#include "remotepoolsource.h"

#include <QPg/errors.h>
#include <QPg/pool.h>

#include <chrono>

using namespace Qt::Literals::StringLiterals;
using namespace std::chrono_literals;

namespace QPg::Monitor {

namespace {

// The pool's connections are all busy for this long: the view says so instead of queueing on.
constexpr auto AcquireTimeout = 5s;

QPg::AcquireOptions acquireOptions()
{
    return {AcquireTimeout, u"sessions view"_s};
}

// The error of a finished future, empty when it succeeded.
template<typename T>
QString failureText(QFuture<T> done)
{
    try {
        done.waitForFinished(); // finished: rethrows its failure without blocking
        if (done.isCanceled())
            return u"cancelled"_s;
    } catch (const QPg::Error &error) {
        return error.message();
    } catch (const std::exception &error) {
        return QString::fromLocal8Bit(error.what());
    } catch (...) {
        return u"unknown error"_s;
    }
    return {};
}

} // namespace

OwnPoolSessions::OwnPoolSessions(MonitorSession *session, QObject *parent)
    : SessionsSource(parent)
    , m_session(session)
{
    connect(&m_read, &QFutureWatcherBase::finished, this, [this] {
        const QString error = failureText(m_read.future());
        if (error.isEmpty())
            Q_EMIT sessionsRead(m_read.future().result());
        else
            Q_EMIT readFailed(error);
    });
    connect(&m_signal, &QFutureWatcherBase::finished, this,
            [this] { Q_EMIT backendSignalled(m_signalPid, failureText(m_signal.future())); });
}

QList<int> OwnPoolSessions::pids() const
{
    return QPg::BackendSessions::pidsOf(m_session->latestConnections());
}

QString OwnPoolSessions::unavailableReason() const
{
    const auto state = m_session->poolState();
    if (!m_session->pool() || (state != PoolController::PoolState::Open && state != PoolController::PoolState::Reconnecting))
        return u"The pool is %1: no sessions to show."_s.arg(PoolController::stateName(state));
    if (pids().isEmpty())
        return u"The pool has no open connections."_s;
    return {};
}

void OwnPoolSessions::read()
{
    m_read.setFuture(QPg::BackendSessions::fetch(m_session->pool(), pids(), true, acquireOptions()));
}

void OwnPoolSessions::signalBackend(int pid, QPg::BackendSessions::Signal what)
{
    // Only the pool's own backends: the PID may have ended (and been reused) since the row was read.
    if (!pids().contains(pid) || !m_session->pool()) {
        Q_EMIT backendSignalled(pid, u"it is no longer one of the pool's connections"_s);
        return;
    }
    m_signalPid = pid;
    m_signal.setFuture(QPg::BackendSessions::signal(m_session->pool(), pid, what, acquireOptions()));
}

AttachedPoolSessions::AttachedPoolSessions(RemotePoolSource *source, const QString &pool, QObject *parent)
    : SessionsSource(parent)
    , m_source(source)
    , m_pool(pool)
{
    connect(source, &RemotePoolSource::sessionsReceived, this,
            [this](quint64 id, const QList<QPg::MonitorBackendSession> &sessions) {
                if (id == m_readId)
                    Q_EMIT sessionsRead(sessions);
            });
    connect(source, &RemotePoolSource::sessionsFailed, this, [this](quint64 id, const QString &error) {
        if (id == m_readId)
            Q_EMIT readFailed(error);
    });
    connect(source, &RemotePoolSource::backendSignalled, this, [this](const QString &pool, int pid, const QString &error) {
        if (pool == m_pool)
            Q_EMIT backendSignalled(pid, error);
    });
}

QString AttachedPoolSessions::unavailableReason() const
{
    if (!m_source)
        return u"The application is gone."_s;
    const QString application = m_source->applicationName();
    if (m_source->state() != RemotePoolSource::State::Attached)
        return u"Not attached to %1 (%2): no sessions to show."_s.arg(application,
                                                                      m_source->statusText().isEmpty()
                                                                          ? RemotePoolSource::stateName(m_source->state())
                                                                          : m_source->statusText());
    const QPg::MonitorHello hello = m_source->hello();
    if (hello.revision < 1)
        return u"%1 runs a QPgPool that predates the sessions view."_s.arg(application);
    if (!hello.sessionsAllowed)
        return u"%1 does not allow the sessions view: it would run a query on the application's pool "
               "(MonitorServerOptions::allowSessions; qpgpool-monitored-app --allow-sessions)."_s.arg(application);
    return {};
}

QString AttachedPoolSessions::controlRefusal() const
{
    if (!m_source || m_source->state() != RemotePoolSource::State::Attached)
        return u"Not attached."_s;
    if (!m_source->controlAllowed())
        return u"%1 publishes its pools read-only: cancel and terminate need "
               "MonitorServerOptions::allowControl (--allow-control)."_s.arg(m_source->applicationName());
    return {};
}

QString AttachedPoolSessions::note() const
{
    if (m_source && !m_source->hello().queryTextAllowed)
        return u"query text withheld by the application (allowQueryText is off)"_s;
    return {};
}

void AttachedPoolSessions::read()
{
    m_readId = m_source->requestSessions(m_pool);
}

void AttachedPoolSessions::signalBackend(int pid, QPg::BackendSessions::Signal what)
{
    m_source->signalBackend(m_pool, pid, what);
}

} // namespace QPg::Monitor
