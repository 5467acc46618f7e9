// SPDX-License-Identifier: MIT
#include "qmlpool.h"

#include "qmlvalues_p.h"

#include <QtCore/QFutureWatcher>
#include <QtQml/QJSEngine>
#include <QtQml/QQmlEngine>

namespace QPg::Qml {

namespace {

QString errorMessage(const QFuture<void> &finished)
{
    try {
        QFuture<void>(finished).waitForFinished();
    } catch (const QException &e) {
        return QString::fromUtf8(e.what());
    }
    return QString();
}

} // namespace

QmlPool::QmlPool(QObject *parent)
    : QObject(parent)
{
    m_statsTimer.setInterval(500);
    connect(&m_statsTimer, &QTimer::timeout, this, &QmlPool::refreshStats);
}

QmlPool::~QmlPool() = default;

void QmlPool::setDsn(const QString &dsn)
{
    if (dsn == m_dsn)
        return;
    m_dsn = dsn;
    Q_EMIT dsnChanged();
}

void QmlPool::setMinSize(int size)
{
    if (size == m_minSize)
        return;
    m_minSize = size;
    if (m_pool && m_status == Status::Open)
        m_pool->resize(m_minSize, m_maxSize);
    Q_EMIT sizeLimitsChanged();
}

void QmlPool::setMaxSize(int size)
{
    if (size == m_maxSize)
        return;
    m_maxSize = size;
    if (m_pool && m_status == Status::Open)
        m_pool->resize(m_minSize, m_maxSize);
    Q_EMIT sizeLimitsChanged();
}

void QmlPool::setStatsInterval(int milliseconds)
{
    if (milliseconds == m_statsTimer.interval())
        return;
    m_statsTimer.setInterval(milliseconds);
    Q_EMIT statsIntervalChanged();
}

void QmlPool::componentComplete()
{
    m_statsTimer.start();
}

void QmlPool::open()
{
    if (m_pool)
        m_pool->terminate();
    QPg::PoolOptions options = QPg::PoolOptions::fromDsn(m_dsn);
    options.minSize = m_minSize;
    options.maxSize = m_maxSize;
    m_pool = std::make_unique<QPg::Pool>(options);
    QPg::Pool *pool = m_pool.get();
    connect(pool, &QPg::Pool::countsChanged, this, [this](int size, int idle, int active, int waiting) {
        m_counts[0] = size;
        m_counts[1] = idle;
        m_counts[2] = active;
        m_counts[3] = waiting;
        Q_EMIT countsChanged();
    });
    connect(pool, &QPg::Pool::connectionOpened, this, [this](quint64, int pid) { Q_EMIT connectionOpened(pid); });
    connect(pool, &QPg::Pool::connectionClosed, this, [this](quint64, int pid, QPg::CloseReason reason) {
        Q_EMIT connectionClosed(pid, closeReasonName(reason));
    });
    setStatus(Status::Opening);
    auto *watcher = new QFutureWatcher<void>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, pool] {
        watcher->deleteLater();
        if (m_pool.get() != pool)
            return; // opened again meanwhile
        const QString error = errorMessage(watcher->future());
        setStatus(error.isEmpty() ? Status::Open : Status::Error, error);
        refreshStats();
    });
    watcher->setFuture(pool->open());
}

void QmlPool::close()
{
    if (!m_pool)
        return;
    setStatus(Status::Closing);
    QPg::Pool *pool = m_pool.get();
    auto *watcher = new QFutureWatcher<void>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, pool] {
        watcher->deleteLater();
        if (m_pool.get() == pool) {
            setStatus(Status::Closed);
            refreshStats();
        }
    });
    watcher->setFuture(pool->close());
}

void QmlPool::terminate()
{
    if (!m_pool)
        return;
    m_pool->terminate();
    setStatus(Status::Closed);
    refreshStats();
}

void QmlPool::expireConnections()
{
    if (m_pool)
        m_pool->expireConnections();
}

void QmlPool::query(const QString &sql, const QVariantList &params, const QJSValue &callback)
{
    QJSEngine *engine = qjsEngine(this);
    if (!m_pool || m_status != Status::Open) {
        if (callback.isCallable())
            callback.call({QJSValue(QJSValue::NullValue), QJSValue(QStringLiteral("the pool is not open"))});
        return;
    }
    auto *watcher = new QFutureWatcher<QPg::RecordList>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [watcher, callback, engine] {
        watcher->deleteLater();
        if (!callback.isCallable() || !engine)
            return;
        QPg::RecordList rows;
        QString error;
        try {
            rows = watcher->future().result();
        } catch (const QException &e) {
            error = QString::fromUtf8(e.what());
        }
        QJSValue array = engine->newArray(uint(rows.size()));
        for (qsizetype i = 0; i < rows.size(); ++i)
            array.setProperty(quint32(i), toJsObject(engine, rows.at(i)));
        QJSValue(callback).call({error.isEmpty() ? array : QJSValue(QJSValue::NullValue), QJSValue(error)});
    });
    watcher->setFuture(m_pool->fetch(sql, params));
}

void QmlPool::setStatus(Status status, const QString &error)
{
    if (status == m_status && error == m_errorString)
        return;
    m_status = status;
    m_errorString = error;
    Q_EMIT statusChanged();
    if (status == Status::Open)
        Q_EMIT opened();
}

void QmlPool::refreshStats()
{
    if (!m_pool)
        return;
    const QPg::PoolStats s = m_pool->stats();
    QVariantMap map{
        {QStringLiteral("size"), s.size},
        {QStringLiteral("idle"), s.idle},
        {QStringLiteral("active"), s.active},
        {QStringLiteral("waiting"), s.waiting},
        {QStringLiteral("acquires"), double(s.acquires)},
        {QStringLiteral("acquireTimeouts"), double(s.acquireTimeouts)},
        {QStringLiteral("connectionsOpened"), double(s.connectionsOpened)},
        {QStringLiteral("connectionsClosed"), double(s.connectionsClosed)},
        {QStringLiteral("connectFailures"), double(s.connectFailures)},
        {QStringLiteral("queries"), double(s.queries)},
        {QStringLiteral("queryErrors"), double(s.queryErrors)},
        {QStringLiteral("acquireWaitP50Ms"), s.acquireWaitP50Ms},
        {QStringLiteral("acquireWaitP99Ms"), s.acquireWaitP99Ms},
        {QStringLiteral("acquireWaitP50MsLast10s"), s.acquireWaitLast10s.p50Ms},
        {QStringLiteral("acquireWaitP99MsLast10s"), s.acquireWaitLast10s.p99Ms},
        {QStringLiteral("acquireWaitP99MsLast60s"), s.acquireWaitLast60s.p99Ms},
        {QStringLiteral("holdTimeP99MsLast60s"), s.holdTimeLast60s.p99Ms},
        {QStringLiteral("connectTimeP50Ms"), s.connectTime.p50Ms},
        {QStringLiteral("oldestWaiterMs"), s.oldestWaiterMs},
    };
    QVariantList connections;
    for (const QPg::ConnectionInfo &info : m_pool->connectionInfo()) {
        connections.append(QVariantMap{
            {QStringLiteral("backendPid"), info.backendPid},
            {QStringLiteral("state"), connectionStateName(info.state)},
            {QStringLiteral("ageMs"), double(info.ageMs)},
            {QStringLiteral("queries"), double(info.queries)},
            {QStringLiteral("holder"), info.holder},
            {QStringLiteral("currentQuery"), info.currentQuery},
        });
    }
    if (map == m_stats && connections == m_connections)
        return;
    m_stats = map;
    m_connections = connections;
    Q_EMIT statsChanged();
}

} // namespace QPg::Qml
