// SPDX-License-Identifier: MIT
#include "poolcontroller.h"

#include "demodatabase.h"
#include "dsnutils.h"
#include "loadgenerator.h"
#include "monitormetatypes.h"

#include <QPg/clusterpool.h>
#include <QPg/connection.h>
#include <QPg/errors.h>
#include <QPg/pool.h>
#include <QPg/whenfinished.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QFile>
#include <QtCore/QFutureWatcher>
#include <QtCore/QRegularExpression>

#include <exception>
#include <memory>

using namespace Qt::Literals::StringLiterals;
using namespace std::chrono_literals;

namespace QPg::Monitor {

namespace {

constexpr int DefaultSampleIntervalMs = 250;
constexpr int CopyProgressIntervalMs = 100;
constexpr int CopyServerCancelDelayMs = 300;

void describeFailure(CopyOutcome &outcome, const std::exception_ptr &failure)
{
    try {
        std::rethrow_exception(failure);
    } catch (const QPg::ServerError &error) {
        outcome.message = error.message();
        outcome.sqlState = error.sqlState();
        outcome.detail = error.detail();
        outcome.context = error.context();
    } catch (const QPg::Error &error) {
        outcome.message = error.message();
    } catch (const std::exception &error) {
        outcome.message = QString::fromLocal8Bit(error.what());
    } catch (...) {
        outcome.message = u"unknown error"_s;
    }
}

} // namespace

PoolController::PoolController(QObject *parent)
    : QObject(parent)
    , m_load(new LoadGenerator(this))
{
    registerMetaTypes();
    m_clock.start();
    m_sampleTimer.setParent(this);
    m_sampleTimer.setInterval(DefaultSampleIntervalMs);
    connect(&m_sampleTimer, &QTimer::timeout, this, &PoolController::sample);
    connect(m_load, &LoadGenerator::event, this, &PoolController::event);
}

PoolController::~PoolController()
{
    shutdown();
}

QString PoolController::stateName(PoolState state)
{
    switch (state) {
    case PoolState::NotOpen:
        return u"not open"_s;
    case PoolState::Starting:
        return u"starting"_s; // the demo cluster
    case PoolState::Opening:
        return u"opening"_s;
    case PoolState::Open:
        return u"open"_s;
    case PoolState::Reconnecting:
        return u"reconnecting"_s;
    case PoolState::Closing:
        return u"closing"_s;
    case PoolState::Closed:
        return u"closed"_s;
    case PoolState::Failed:
        return u"failed"_s;
    }
    return QString();
}

void PoolController::startDemo(int minSize, int maxSize, bool startLoad)
{
    setState(PoolState::Starting);
    log(MonitorEvent::Kind::Info, u"demo: starting a private PostgreSQL cluster"_s);
    m_demo = std::make_unique<DemoDatabase>();
    QString error;
    if (!m_demo->start(&error)) {
        m_demo.reset();
        log(MonitorEvent::Kind::Error, u"demo: %1"_s.arg(error));
        setState(PoolState::Failed);
        return;
    }
    log(MonitorEvent::Kind::Info, u"demo: cluster ready with %1 customers and %2 orders"_s
                                      .arg(DemoDatabase::customerCount())
                                      .arg(DemoDatabase::orderCount()));
    openPool(m_demo->dsn(), minSize, maxSize);
    if (startLoad) {
        LoadSettings settings;
        // More clients than connections, so the charts show waiting and acquire waits.
        settings.clients = 2 * maxSize;
        settings.query = DemoDatabase::loadQuery();
        settings.thinkMs = 5;
        this->startLoad(settings);
    }
}

void PoolController::openPool(const QString &dsn, int minSize, int maxSize)
{
    m_dsn = dsn;
    Q_EMIT dsnChanged(dsn);
    m_minSize = minSize;
    m_maxSize = maxSize;
    destroyPool();
    createPool();
    m_sampleTimer.start();
    sample(); // the GUI learns the sizes at once, not a sample interval later
}

void PoolController::createPool()
{
    QPg::PoolOptions options = QPg::PoolOptions::fromDsn(m_dsn);
    options.minSize = m_minSize;
    options.maxSize = m_maxSize;
    options.connectOptions.applicationName = u"qpgpool-monitor"_s;
    options.acquireTimeout = 10s;  // a stuck pool shows up as timeouts in the log, not silence
    options.leakThreshold = 30s;
    options.reconnectBackoffMax = 2s;

    // Several servers: a ClusterPool, whose write pool (on the primary) is the pool shown, and
    // whose checks give the Servers tab each server's role and lag.
    QPg::ClusterPoolOptions clusterOptions;
    clusterOptions.pool = options;
    auto *cluster = new QPg::ClusterPool(clusterOptions, this);
    if (cluster->servers().size() > 1) {
        m_cluster = cluster;
        m_pool = cluster->writePool();
    } else {
        delete cluster;
        m_pool = new QPg::Pool(options, this);
    }
    const quint64 epoch = ++m_poolEpoch;
    m_load->setPool(m_pool);
    Q_EMIT poolChanged(m_pool);

    m_lostConnection = false;
    connect(m_pool, &QPg::Pool::connectionOpened, this, [this](quint64 id, int pid) {
        log(MonitorEvent::Kind::Opened, u"connection #%1 opened (backend pid %2)"_s.arg(id).arg(pid));
        m_lostConnection = false;
        if (m_state == PoolState::Reconnecting) {
            setState(PoolState::Open);
            log(MonitorEvent::Kind::Info, u"reconnected: the server accepts connections again"_s, u"reconnected"_s);
        }
    });
    connect(m_pool, &QPg::Pool::connectionClosed, this, [this](quint64 id, int pid, QPg::CloseReason reason) {
        log(MonitorEvent::Kind::Closed, u"connection #%1 closed (backend pid %2): %3"_s.arg(id).arg(pid).arg(
                                            QPg::closeReasonName(reason)));
        if (reason == QPg::CloseReason::Broken)
            m_lostConnection = true;
    });
    connect(m_pool, &QPg::Pool::connectFailed, this, [this](const QString &message) {
        log(MonitorEvent::Kind::ConnectFailed, u"connect failed: %1"_s.arg(message));
        if (m_pool)
            checkReconnecting(m_pool->stats(), true);
    });
    connect(m_pool, &QPg::Pool::acquireTimedOut, this, [this](const QString &tag) {
        log(MonitorEvent::Kind::Timeout,
            u"acquire timed out (%1)"_s.arg(tag.isEmpty() ? u"untagged caller"_s : tag));
    });
    connect(m_pool, &QPg::Pool::leakDetected, this, [this](quint64 id, const QString &holder, qint64 heldMs) {
        log(MonitorEvent::Kind::Leak,
            u"connection #%1 held by %2 for %3 ms: possible leak"_s.arg(id).arg(holder).arg(heldMs));
    });
    connect(m_pool, &QPg::Pool::leakReturned, this, [this](quint64 id, const QString &holder, qint64 heldMs) {
        log(MonitorEvent::Kind::Leak,
            u"connection #%1 returned by %2 after %3 ms"_s.arg(id).arg(holder).arg(heldMs));
    });
    connect(m_pool, &QPg::Pool::closing, this, [this] { log(MonitorEvent::Kind::Info, u"pool closing"_s); });
    connect(m_pool, &QPg::Pool::closed, this, [this] {
        log(MonitorEvent::Kind::Info, u"pool closed"_s);
        setState(PoolState::Closed);
    });

    setState(PoolState::Opening);
    log(MonitorEvent::Kind::Info,
        u"opening pool (min %1, max %2) on %3"_s.arg(m_minSize).arg(m_maxSize).arg(maskedDsn(m_dsn)));
    QPg::whenFinished<void>(m_cluster ? m_cluster->open() : m_pool->open(), this, [this, epoch](QFuture<void> future) {
        if (epoch != m_poolEpoch)
            return;
        try {
            future.waitForFinished();
            setState(PoolState::Open);
            log(MonitorEvent::Kind::Info, u"pool open"_s);
        } catch (const QPg::Error &error) {
            setState(PoolState::Failed);
            log(MonitorEvent::Kind::ConnectFailed, u"opening the pool failed: %1"_s.arg(error.message()));
        } catch (...) {
            setState(PoolState::Failed);
            log(MonitorEvent::Kind::ConnectFailed, u"opening the pool failed"_s);
        }
    });
}

void PoolController::destroyPool()
{
    if (!m_pool)
        return;
    ++m_poolEpoch;
    m_load->setPool(nullptr);
    abortRunning(u"the pool was replaced"_s);
    disconnect(m_pool, nullptr, this, nullptr);
    if (m_cluster)
        m_cluster->terminate();
    else
        m_pool->terminate();
    // Kept until shutdown, not deleted: the GUI's query model may still call the old pool from its
    // thread (it refuses politely once terminated), and a deleted object cannot be called at all.
    m_retired.append(m_cluster ? static_cast<QObject *>(m_cluster) : m_pool);
    m_pool = nullptr;
    m_cluster = nullptr;
    Q_EMIT poolChanged(nullptr);
}

void PoolController::expireConnections()
{
    if (!m_pool)
        return;
    m_pool->expireConnections();
    log(MonitorEvent::Kind::Info, u"expire: idle connections are replaced now, acquired ones on release"_s,
        u"expire"_s);
}

void PoolController::closePool(int timeoutMs)
{
    if (!m_pool || m_pool->isClosing())
        return;
    setState(PoolState::Closing);
    log(MonitorEvent::Kind::Info, u"close requested (graceful, timeout %1 ms)"_s.arg(timeoutMs), u"close"_s);
    QElapsedTimer took;
    took.start();
    const quint64 epoch = m_poolEpoch;
    QPg::whenFinished<void>(m_pool->close(std::chrono::milliseconds(timeoutMs)), this, [this, epoch, took](QFuture<void> future) {
        if (epoch != m_poolEpoch)
            return;
        try {
            future.waitForFinished();
            log(MonitorEvent::Kind::Info, u"close finished after %1 ms"_s.arg(took.elapsed()));
        } catch (const QPg::Error &error) {
            log(MonitorEvent::Kind::Error, u"close failed: %1"_s.arg(error.message()));
        } catch (...) {
            log(MonitorEvent::Kind::Error, u"close failed"_s);
        }
        setState(PoolState::Closed);
    });
}

void PoolController::terminatePool()
{
    if (!m_pool)
        return;
    log(MonitorEvent::Kind::Info, u"terminate requested: every connection is closed now"_s, u"terminate"_s);
    m_pool->terminate();
    setState(PoolState::Closed);
}

void PoolController::reopenPool()
{
    if (m_dsn.isNull() && !m_pool)
        return;
    log(MonitorEvent::Kind::Info, u"reopen requested"_s, u"reopen"_s);
    destroyPool();
    createPool();
    m_sampleTimer.start();
}

void PoolController::resizePool(int minSize, int maxSize)
{
    m_minSize = minSize;
    m_maxSize = maxSize;
    if (!m_pool)
        return;
    m_pool->resize(minSize, maxSize);
    log(MonitorEvent::Kind::Info, u"resized to min %1, max %2"_s.arg(minSize).arg(maxSize),
        u"resize %1–%2"_s.arg(minSize).arg(maxSize));
    sample();
}

void PoolController::startLoad(const LoadSettings &settings)
{
    m_load->start(settings);
    log(MonitorEvent::Kind::Info, u"load generator started: %1 clients, think %2 ms"_s.arg(m_load->settings().clients)
                                      .arg(m_load->settings().thinkMs));
    Q_EMIT loadStateChanged(true, m_load->settings());
}

void PoolController::stopLoad()
{
    if (!m_load->isRunning())
        return;
    m_load->stop();
    log(MonitorEvent::Kind::Info, u"load generator stopped (%1 calls done, %2 failed)"_s.arg(m_load->completed())
                                      .arg(m_load->failed()));
    Q_EMIT loadStateChanged(false, m_load->settings());
}

void PoolController::runCopy(const CopyRequest &request)
{
    CopyOutcome outcome;
    outcome.id = request.id;
    if (!m_pool || m_pool->isClosing()) {
        outcome.message = u"the pool is not open"_s;
        Q_EMIT copyFinished(outcome);
        return;
    }
    RunningCopy &running = m_copies[request.id];
    running.took.start();
    QPg::AcquireOptions acquire;
    acquire.tag = u"CSV copy"_s;
    QPg::whenFinished<QPg::PooledConnection>(m_pool->acquire(acquire), this, [this, request](QFuture<QPg::PooledConnection> future) {
        const quint64 id = request.id;
        auto it = m_copies.find(id);
        if (it == m_copies.end())
            return;
        CopyOutcome outcome;
        outcome.id = id;
        try {
            it->connection = future.result();
        } catch (...) {
            describeFailure(outcome, std::current_exception());
            finishCopy(id, outcome);
            return;
        }
        if (it->cancelRequested) {
            outcome.canceled = true;
            outcome.message = u"canceled before it started"_s;
            finishCopy(id, outcome);
            return;
        }
        QPg::Connection *connection = it->connection.connection();
        auto throttle = std::make_shared<QElapsedTimer>();
        it->progress = connect(connection, &QPg::Connection::copyProgress, this,
                               [this, id, throttle](qint64 bytes, qint64 rows) {
                                   auto it = m_copies.find(id);
                                   if (it == m_copies.end())
                                       return;
                                   it->bytes = bytes;
                                   it->rows = rows;
                                   if (throttle->isValid() && throttle->elapsed() < CopyProgressIntervalMs)
                                       return;
                                   throttle->start();
                                   Q_EMIT copyProgress(id, bytes, rows);
                               });
        switch (request.kind) {
        case CopyRequest::Kind::ExportTable:
            it->future = connection->copyFromTable(request.source, QPg::CopyOutput(request.filePath), request.options);
            break;
        case CopyRequest::Kind::ExportQuery:
            it->future = connection->copyFromQuery(request.source, QPg::CopyOutput(request.filePath), request.options);
            break;
        case CopyRequest::Kind::Import:
            it->future = connection->copyToTable(request.source, QPg::CopyInput(request.filePath), request.options);
            break;
        }
        log(MonitorEvent::Kind::Info, u"CSV: %1 %2 %3 on backend pid %4"_s.arg(
                                          request.kind == CopyRequest::Kind::Import ? u"importing"_s : u"exporting"_s,
                                          request.kind == CopyRequest::Kind::ExportQuery ? u"a query"_s : request.source,
                                          request.kind == CopyRequest::Kind::Import ? u"from "_s + request.filePath
                                                                                    : u"to "_s + request.filePath)
                                          .arg(connection->backendPid()));
        // A watcher, not then(): a continuation does not run when the future is cancelled.
        auto *watcher = new QFutureWatcher<qint64>(this);
        connect(watcher, &QFutureWatcherBase::finished, this, [this, id, watcher, request] {
            watcher->deleteLater();
            auto it = m_copies.find(id);
            if (it == m_copies.end())
                return;
            CopyOutcome outcome;
            outcome.id = id;
            QFuture<qint64> done = watcher->future();
            try {
                done.waitForFinished(); // rethrows the COPY's failure
                if (done.isCanceled() || done.resultCount() == 0) {
                    outcome.canceled = true;
                    outcome.message = u"canceled"_s;
                } else {
                    outcome.rows = done.result();
                    outcome.ok = true;
                }
            } catch (...) {
                describeFailure(outcome, std::current_exception());
            }
            if (!outcome.ok && it->cancelRequested)
                outcome.canceled = true;
            if (!outcome.ok && request.kind != CopyRequest::Kind::Import)
                QFile::remove(request.filePath); // no half-written export left behind
            finishCopy(id, outcome);
        });
        watcher->setFuture(it->future);
    });
}

void PoolController::finishCopy(quint64 id, CopyOutcome outcome)
{
    auto it = m_copies.find(id);
    if (it == m_copies.end())
        return;
    RunningCopy running = *it;
    m_copies.erase(it);
    disconnect(running.progress);
    outcome.elapsedMs = double(running.took.nsecsElapsed()) / 1e6;
    outcome.bytes = running.bytes;
    if (outcome.ok)
        Q_EMIT copyProgress(id, running.bytes, outcome.rows);
    if (running.connection.isValid())
        running.connection.release();
    if (outcome.ok)
        log(MonitorEvent::Kind::Info,
            u"CSV: %1 rows copied in %2 ms"_s.arg(outcome.rows).arg(outcome.elapsedMs, 0, 'f', 0));
    else if (outcome.canceled)
        log(MonitorEvent::Kind::Info, u"CSV: COPY canceled (rolled back)"_s);
    else
        log(MonitorEvent::Kind::Error,
            u"CSV: COPY failed: %1%2"_s.arg(outcome.message,
                                            outcome.context.isEmpty() ? QString() : u" ("_s + outcome.context + u')'));
    Q_EMIT copyFinished(outcome);
}

void PoolController::cancelCopy(quint64 id)
{
    auto it = m_copies.find(id);
    if (it == m_copies.end() || it->cancelRequested)
        return;
    it->cancelRequested = true;
    if (it->future.isValid() && !it->future.isFinished())
        it->future.cancel();
    // Cancelling the future aborts a COPY that is still sending or receiving data. An import whose
    // data has all been sent waits for the server, though (triggers, constraints on a big batch):
    // if the COPY is still there a moment later, cancel the statement on the server as well.
    QTimer::singleShot(CopyServerCancelDelayMs, this, [this, id] {
        auto it = m_copies.find(id);
        if (it == m_copies.end() || !it->connection.isValid())
            return;
        if (QPg::Connection *connection = it->connection.connection(); connection && connection->cancel())
            log(MonitorEvent::Kind::Info,
                u"CSV: cancel sent to backend pid %1 (the COPY was still running on the server)"_s.arg(
                    connection->backendPid()));
    });
}

void PoolController::abortRunning(const QString &reason)
{
    const QList<quint64> copies = m_copies.keys();
    for (quint64 id : copies) {
        if (m_copies[id].future.isValid() && !m_copies[id].future.isFinished())
            m_copies[id].future.cancel();
        CopyOutcome outcome;
        outcome.id = id;
        outcome.message = reason;
        finishCopy(id, outcome);
    }
}

void PoolController::testConnection(quint64 id, const QString &dsn)
{
    QPg::ConnectOptions options = QPg::ConnectOptions::fromDsn(dsn);
    options.applicationName = u"qpgpool-monitor (connection test)"_s;
    options.connectTimeout = std::min<std::chrono::milliseconds>(options.connectTimeout, 15s); // a dialog waits
    auto *trial = new QPg::Connection(options, this);
    log(MonitorEvent::Kind::Info, u"testing a connection to %1"_s.arg(maskedDsn(dsn)));
    QPg::whenFinished<void>(trial->open(), this, [this, id, trial](QFuture<void> opened) {
        bool ok = false;
        QString message;
        try {
            opened.waitForFinished();
            ok = true;
        } catch (const QPg::Error &error) {
            message = error.message();
        } catch (...) {
            message = u"unknown error"_s;
        }
        trial->deleteLater(); // closes the session
        log(ok ? MonitorEvent::Kind::Info : MonitorEvent::Kind::ConnectFailed,
            ok ? u"connection test succeeded"_s : u"connection test failed: %1"_s.arg(message));
        Q_EMIT connectionTested(id, ok, message);
    });
}

void PoolController::setSampleInterval(int milliseconds)
{
    m_sampleTimer.setInterval(milliseconds);
}

void PoolController::shutdown()
{
    m_sampleTimer.stop();
    m_load->stop();
    if (m_pool) {
        ++m_poolEpoch;
        abortRunning(u"the monitor is shutting down"_s);
        disconnect(m_pool, nullptr, this, nullptr);
        if (m_cluster)
            delete m_cluster; // owns m_pool
        else
            delete m_pool; // terminates every connection
        m_pool = nullptr;
        m_cluster = nullptr;
    }
    // The GUI has stopped using pools before it shut the controller down (MonitorSession::shutdown).
    qDeleteAll(std::exchange(m_retired, {}));
    // What the GUI's query model left queued here (a COMMIT, a release) ended with the pools above;
    // the hand-backs to its futures are posted events that must run before this thread finishes,
    // or their watchers are never freed.
    QCoreApplication::sendPostedEvents();
    m_demo.reset(); // stops the demo cluster
}

void PoolController::setState(PoolState state)
{
    if (m_state == state)
        return;
    m_state = state;
    Q_EMIT poolStateChanged(state, maskedDsn(m_dsn));
}

void PoolController::sample()
{
    QPg::PoolStats stats;
    QList<QPg::ConnectionInfo> connections;
    if (m_pool) {
        stats = m_pool->stats();
        connections = m_pool->connectionInfo();
        checkReconnecting(stats, false);
    } else {
        stats.minSize = m_minSize;
        stats.maxSize = m_maxSize;
    }
    Q_EMIT snapshot(double(m_clock.nsecsElapsed()) / 1e9, stats, connections);
    Q_EMIT serversSnapshot(m_cluster ? m_cluster->servers() : QList<QPg::ServerStatus>());
}

void PoolController::checkReconnecting(const QPg::PoolStats &stats, bool connectFailed)
{
    // Nothing open and connects failing, or being retried after a connection broke: the server is
    // gone for now. Open says "serving" to the user, which the pool cannot do then.
    if (m_state != PoolState::Open || stats.size > 0)
        return;
    if (connectFailed || (m_lostConnection && stats.connecting > 0)) {
        setState(PoolState::Reconnecting);
        log(MonitorEvent::Kind::ConnectFailed,
            u"reconnecting: no connection is open and the server cannot be reached; the pool retries"_s,
            u"server lost"_s);
    }
}

void PoolController::log(MonitorEvent::Kind kind, const QString &text, const QString &marker)
{
    Q_EMIT event(MonitorEvent::make(kind, text, marker));
}

} // namespace QPg::Monitor
