// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/backendsessions.h>
#include <QPg/monitortypes.h>

#include <QtCore/QFutureWatcher>
#include <QtCore/QObject>
#include <QtCore/QPointer>

namespace QPg::Monitor {

class MonitorSession;
class RemotePoolSource;

// Where the Sessions tab reads a pool's backends and sends cancel/terminate: the pool the dashboard
// opened itself (OwnPoolSessions) or an attached application's pool (AttachedPoolSessions). The
// widget keeps at most one read and one signal out; a source answers each with one signal.
class SessionsSource : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

    // Why nothing can be read now (pool closed, not attached, not allowed); empty when it can.
    virtual QString unavailableReason() const = 0;
    // Why backends cannot be cancelled or terminated here; empty when they can.
    virtual QString controlRefusal() const = 0;
    // Said after the row count in the status line (say, that the query text is withheld).
    virtual QString note() const { return {}; }
    // sessionsRead() or readFailed() follows.
    virtual void read() = 0;
    // backendSignalled() follows.
    virtual void signalBackend(int pid, QPg::BackendSessions::Signal what) = 0;

Q_SIGNALS:
    void sessionsRead(const QList<QPg::MonitorBackendSession> &sessions);
    void readFailed(const QString &error);
    // error is empty when the backend was signalled.
    void backendSignalled(int pid, const QString &error);
};

// The dashboard's own pool: the shared queries of QPg::BackendSessions run on it directly.
class OwnPoolSessions : public SessionsSource
{
    Q_OBJECT
public:
    explicit OwnPoolSessions(MonitorSession *session, QObject *parent = nullptr);

    QString unavailableReason() const override;
    QString controlRefusal() const override { return {}; }
    void read() override;
    void signalBackend(int pid, QPg::BackendSessions::Signal what) override;

private:
    QList<int> pids() const;

    MonitorSession *m_session;
    QFutureWatcher<QList<QPg::MonitorBackendSession>> m_read;
    QFutureWatcher<void> m_signal;
    int m_signalPid = 0;
};

// A pool of an attached application: the application runs the queries on its pool when it allows
// the sessions view (and, for cancel/terminate, control), through RemotePoolSource.
class AttachedPoolSessions : public SessionsSource
{
    Q_OBJECT
public:
    AttachedPoolSessions(RemotePoolSource *source, const QString &pool, QObject *parent = nullptr);

    QString unavailableReason() const override;
    QString controlRefusal() const override;
    QString note() const override;
    void read() override;
    void signalBackend(int pid, QPg::BackendSessions::Signal what) override;

private:
    QPointer<RemotePoolSource> m_source;
    QString m_pool;
    quint64 m_readId = 0;
};

} // namespace QPg::Monitor
