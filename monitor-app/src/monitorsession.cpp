// SPDX-License-Identifier: MIT
#include "monitorsession.h"

#include "monitormetatypes.h"

#include <utility>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitor {

MonitorSession::MonitorSession(QObject *parent)
    : QObject(parent)
{
    registerMetaTypes();
    m_thread.setObjectName(u"qpgpool-monitor worker"_s);
    m_controller = new PoolController; // no parent: it moves to the worker thread
    m_controller->moveToThread(&m_thread);
    // Deleted in its own thread once the thread's loop has ended.
    connect(&m_thread, &QThread::finished, m_controller, &QObject::deleteLater);

    // Queued: the controller emits in the worker thread, this object lives in the GUI thread.
    connect(m_controller, &PoolController::snapshot, this,
            [this](double time, const QPg::PoolStats &stats, const QList<QPg::ConnectionInfo> &connections) {
                m_time = time;
                m_stats = stats;
                m_connections = connections;
                ++m_snapshots;
                Q_EMIT snapshot(time, stats, connections);
            });
    connect(m_controller, &PoolController::serversSnapshot, this, &MonitorSession::serversSnapshot);
    connect(m_controller, &PoolController::event, this, &MonitorSession::event);
    connect(m_controller, &PoolController::poolStateChanged, this,
            [this](PoolController::PoolState state, const QString &dsn) {
                m_state = state;
                m_maskedDsn = dsn;
                Q_EMIT poolStateChanged(state, dsn);
            });
    connect(m_controller, &PoolController::loadStateChanged, this,
            [this](bool running, const LoadSettings &settings) {
                m_loadRunning = running;
                m_loadSettings = settings;
                Q_EMIT loadStateChanged(running, settings);
            });
    connect(m_controller, &PoolController::poolChanged, this, [this](QPg::Pool *pool) {
        if (!m_thread.isRunning())
            return; // shut down: the pool is gone
        m_pool = pool;
    });
    connect(m_controller, &PoolController::copyProgress, this, &MonitorSession::copyProgress);
    connect(m_controller, &PoolController::copyFinished, this, &MonitorSession::copyFinished);
    connect(m_controller, &PoolController::connectionTested, this, &MonitorSession::connectionTested);
    connect(m_controller, &PoolController::dsnChanged, this, [this](const QString &dsn) { m_dsn = dsn; });
    m_thread.start();
}

MonitorSession::~MonitorSession()
{
    shutdown();
}

template<typename Function>
void MonitorSession::post(Function &&function)
{
    if (!m_thread.isRunning())
        return;
    QMetaObject::invokeMethod(m_controller, std::forward<Function>(function), Qt::QueuedConnection);
}

void MonitorSession::openPool(const QString &dsn, int minSize, int maxSize)
{
    post([c = m_controller, dsn, minSize, maxSize] { c->openPool(dsn, minSize, maxSize); });
}

void MonitorSession::startDemo(int minSize, int maxSize, bool startLoad)
{
    post([c = m_controller, minSize, maxSize, startLoad] { c->startDemo(minSize, maxSize, startLoad); });
}

void MonitorSession::expireConnections()
{
    post([c = m_controller] { c->expireConnections(); });
}

void MonitorSession::closePool(int timeoutMs)
{
    post([c = m_controller, timeoutMs] { c->closePool(timeoutMs); });
}

void MonitorSession::terminatePool()
{
    post([c = m_controller] { c->terminatePool(); });
}

void MonitorSession::reopenPool()
{
    post([c = m_controller] { c->reopenPool(); });
}

void MonitorSession::resizePool(int minSize, int maxSize)
{
    post([c = m_controller, minSize, maxSize] { c->resizePool(minSize, maxSize); });
}

void MonitorSession::startLoad(const LoadSettings &settings)
{
    post([c = m_controller, settings] { c->startLoad(settings); });
}

void MonitorSession::stopLoad()
{
    post([c = m_controller] { c->stopLoad(); });
}

quint64 MonitorSession::runCopy(CopyRequest request)
{
    request.id = m_nextCopyId++;
    post([c = m_controller, request] { c->runCopy(request); });
    return request.id;
}

void MonitorSession::cancelCopy(quint64 id)
{
    post([c = m_controller, id] { c->cancelCopy(id); });
}

quint64 MonitorSession::testConnection(const QString &dsn)
{
    const quint64 id = m_nextTestId++;
    post([c = m_controller, id, dsn] { c->testConnection(id, dsn); });
    return id;
}

void MonitorSession::setSampleInterval(int milliseconds)
{
    post([c = m_controller, milliseconds] { c->setSampleInterval(milliseconds); });
}

void MonitorSession::shutdown()
{
    if (!m_thread.isRunning())
        return;
    // Nothing in this thread may call the pool once the controller deletes it.
    m_pool = nullptr;
    // Blocking: the pool and the demo cluster must be gone before the thread (and the process) ends.
    QMetaObject::invokeMethod(m_controller, [c = m_controller] { c->shutdown(); }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

} // namespace QPg::Monitor
