// SPDX-License-Identifier: MIT
#include "poolcontroller.h"

#include "demodatabase.h"
#include "dsnutils.h"
#include "loadgenerator.h"
#include "monitormetatypes.h"

#include <QPg/errors.h>
#include <QPg/pool.h>

#include <QtCore/QRegularExpression>

#include <optional>

using namespace Qt::Literals::StringLiterals;
using namespace std::chrono_literals;

namespace QPg::Monitor {

namespace {

constexpr int DefaultSampleIntervalMs = 250;
// The query runner's row limit wraps a plain query in a subquery; the prefix shifts error positions.
const QString LimitPrefix = u"SELECT * FROM (\n"_s;

// The query wrapped so the server stops after rowLimit + 1 rows (the extra row tells that the result
// was cut), or nullopt when the text is not a single read-only query that can be wrapped.
std::optional<QString> limitedSql(const QString &sql, int rowLimit)
{
    if (rowLimit <= 0)
        return std::nullopt;
    QString body = sql.trimmed();
    while (body.endsWith(u';'))
        body = body.chopped(1).trimmed();
    if (body.contains(u';'))
        return std::nullopt; // several statements (or a ';' in a literal: run it unwrapped)
    static const QRegularExpression readOnly(u"^(SELECT|WITH|VALUES|TABLE)\\b"_s,
                                             QRegularExpression::CaseInsensitiveOption);
    static const QRegularExpression modifying(u"\\b(INSERT|UPDATE|DELETE|MERGE|INTO)\\b"_s,
                                              QRegularExpression::CaseInsensitiveOption);
    if (!readOnly.match(body).hasMatch() || modifying.match(body).hasMatch())
        return std::nullopt;
    return LimitPrefix + body + u"\n) AS limited_result LIMIT %1"_s.arg(qint64(rowLimit) + 1);
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

    m_pool = new QPg::Pool(options, this);
    const quint64 epoch = ++m_poolEpoch;
    m_load->setPool(m_pool);

    connect(m_pool, &QPg::Pool::connectionOpened, this, [this](quint64 id, int pid) {
        log(MonitorEvent::Kind::Opened, u"connection #%1 opened (backend pid %2)"_s.arg(id).arg(pid));
    });
    connect(m_pool, &QPg::Pool::connectionClosed, this, [this](quint64 id, int pid, QPg::CloseReason reason) {
        log(MonitorEvent::Kind::Closed, u"connection #%1 closed (backend pid %2): %3"_s.arg(id).arg(pid).arg(
                                            QPg::closeReasonName(reason)));
    });
    connect(m_pool, &QPg::Pool::connectFailed, this, [this](const QString &message) {
        log(MonitorEvent::Kind::ConnectFailed, u"connect failed: %1"_s.arg(message));
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
    m_pool->open().then(this, [this, epoch](QFuture<void> future) {
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
    disconnect(m_pool, nullptr, this, nullptr);
    // Deferred: this may run inside a continuation of one of the pool's own futures.
    m_pool->terminate();
    m_pool->deleteLater();
    m_pool = nullptr;
}

void PoolController::expireConnections()
{
    if (!m_pool)
        return;
    m_pool->expireConnections();
    log(MonitorEvent::Kind::Info, u"expire: idle connections are replaced now, acquired ones on release"_s);
}

void PoolController::closePool(int timeoutMs)
{
    if (!m_pool || m_pool->isClosing())
        return;
    setState(PoolState::Closing);
    log(MonitorEvent::Kind::Info, u"close requested (graceful, timeout %1 ms)"_s.arg(timeoutMs));
    QElapsedTimer took;
    took.start();
    const quint64 epoch = m_poolEpoch;
    m_pool->close(std::chrono::milliseconds(timeoutMs)).then(this, [this, epoch, took](QFuture<void> future) {
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
    log(MonitorEvent::Kind::Info, u"terminate requested: every connection is closed now"_s);
    m_pool->terminate();
    setState(PoolState::Closed);
}

void PoolController::reopenPool()
{
    if (m_dsn.isNull() && !m_pool)
        return;
    log(MonitorEvent::Kind::Info, u"reopen requested"_s);
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
    log(MonitorEvent::Kind::Info, u"resized to min %1, max %2"_s.arg(minSize).arg(maxSize));
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

void PoolController::runQuery(const QueryRequest &request)
{
    QueryOutcome outcome;
    outcome.id = request.id;
    if (!m_pool || m_pool->isClosing()) {
        outcome.message = u"the pool is not open"_s;
        Q_EMIT queryFinished(outcome);
        return;
    }
    const std::optional<QString> limited = limitedSql(request.sql, request.rowLimit);
    const int prefixLength = limited ? int(LimitPrefix.size()) : 0;
    QElapsedTimer took;
    took.start();
    QPg::AcquireOptions acquire;
    acquire.tag = u"query runner"_s;
    m_pool->fetch(limited.value_or(request.sql), request.args, {}, acquire)
        .then(this, [this, outcome, took, prefixLength, limit = request.rowLimit,
                     wrapped = limited.has_value()](QFuture<QPg::RecordList> future) mutable {
            outcome.elapsedMs = double(took.nsecsElapsed()) / 1e6;
            try {
                outcome.rows = future.result();
                outcome.ok = true;
                if (wrapped && outcome.rows.size() > limit) {
                    outcome.rows.resize(limit);
                    outcome.truncated = true;
                }
            } catch (const QPg::ServerError &error) {
                outcome.message = error.message();
                outcome.sqlState = error.sqlState();
                outcome.severity = error.severity();
                outcome.detail = error.detail();
                outcome.hint = error.hint();
                // Positions inside the wrapper's prefix cannot be mapped to the typed text.
                outcome.position = error.position() > prefixLength ? error.position() - prefixLength : 0;
            } catch (const QPg::Error &error) {
                outcome.message = error.message();
            } catch (const std::exception &error) {
                outcome.message = QString::fromLocal8Bit(error.what());
            }
            Q_EMIT queryFinished(outcome);
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
        disconnect(m_pool, nullptr, this, nullptr);
        delete m_pool; // terminates every connection
        m_pool = nullptr;
    }
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
    } else {
        stats.minSize = m_minSize;
        stats.maxSize = m_maxSize;
    }
    Q_EMIT snapshot(double(m_clock.nsecsElapsed()) / 1e9, stats, connections);
}

void PoolController::log(MonitorEvent::Kind kind, const QString &text)
{
    Q_EMIT event(MonitorEvent::make(kind, text));
}

} // namespace QPg::Monitor
