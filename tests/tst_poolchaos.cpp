// SPDX-License-Identifier: MIT
// Randomized, model-based stress test of QPg::Pool (issue 9).
//
// Each run is a seeded sequence of pool operations (acquire with and without timeouts, cancelled
// acquires, release, dropped handles, queries, transactions left open, session state changes,
// expireConnections, resize, setConnectArgs, close, terminate, reopen, killed backends, server
// restarts). After every step the pool is compared with a small model and with pg_stat_activity
// (sessions are found by the application_name the test sets); at the end everything is released,
// checked once more and the pool is closed.
//
// Replay one sequence:   tst_poolchaos --seed 1017 [--mode same|hooks|thread|restart]
//                        (or QPG_CHAOS_SEED / QPG_CHAOS_MODE); prints every step as it runs.
// Soak:                  tst_poolchaos --seeds 5000 --minutes 30 [--seed-base N]
//                        (or QPG_CHAOS_SEEDS / QPG_CHAOS_MINUTES / QPG_CHAOS_SEED_BASE)
// Slack for deadlines:   QPG_CHAOS_SLACK_MS (default 3000: ASan builds on a loaded machine).
// Exploration:           QPG_CHAOS_DISABLE=SetRole,CreateTemp leaves actions out (the sequences
//                        then differ from the CI ones), to look past a known defect.
#include <QPg/pool.h>

#include "await.h"
#include "privatecluster.h"
#include "testserver.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFutureWatcher>
#include <QtCore/QPointer>
#include <QtCore/QRandomGenerator>
#include <QtCore/QScopeGuard>
#include <QtCore/QSet>
#include <QtCore/QThread>
#include <QtTest/QTest>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <optional>

using namespace std::chrono_literals;
using namespace Qt::Literals::StringLiterals;
using namespace QPgTest;

namespace {

// ---------------------------------------------------------------------------------------------
// Command line / environment

enum class Mode { SameThread, Hooks, CrossThread, ServerRestart };

QString modeName(Mode mode)
{
    switch (mode) {
    case Mode::SameThread: return u"same"_s;
    case Mode::Hooks: return u"hooks"_s;
    case Mode::CrossThread: return u"thread"_s;
    case Mode::ServerRestart: return u"restart"_s;
    }
    return {};
}

struct ChaosConfig
{
    std::optional<quint32> seed; // replay this seed only
    std::optional<Mode> mode;    // ... in this mode only
    int soakSeeds = 0;           // > 0: soak mode
    int soakMinutes = 0;
    quint32 soakSeedBase = 0;
    bool verbose = false;
    int slackMs = 3000;
    QStringList disabledActions; // exploration only: hides one known defect to look for others
};

ChaosConfig g_config;

std::optional<Mode> parseMode(const QString &name)
{
    for (Mode m : {Mode::SameThread, Mode::Hooks, Mode::CrossThread, Mode::ServerRestart}) {
        if (modeName(m) == name)
            return m;
    }
    return std::nullopt;
}

// Takes the chaos options out of args (QTest must not see them) and reads the environment.
void parseConfig(QStringList &args)
{
    auto env = [](const char *name) { return qEnvironmentVariable(name); };
    if (!env("QPG_CHAOS_SEED").isEmpty())
        g_config.seed = env("QPG_CHAOS_SEED").toUInt();
    if (!env("QPG_CHAOS_MODE").isEmpty())
        g_config.mode = parseMode(env("QPG_CHAOS_MODE"));
    g_config.soakSeeds = env("QPG_CHAOS_SEEDS").toInt();
    g_config.soakMinutes = env("QPG_CHAOS_MINUTES").toInt();
    g_config.soakSeedBase = env("QPG_CHAOS_SEED_BASE").toUInt();
    g_config.verbose = env("QPG_CHAOS_VERBOSE") == u"1";
    if (!env("QPG_CHAOS_SLACK_MS").isEmpty())
        g_config.slackMs = env("QPG_CHAOS_SLACK_MS").toInt();
    g_config.disabledActions = env("QPG_CHAOS_DISABLE").split(u',', Qt::SkipEmptyParts);

    QStringList rest;
    for (int i = 0; i < args.size(); ++i) {
        const QString &a = args[i];
        const bool hasValue = i + 1 < args.size();
        if (a == u"--seed" && hasValue)
            g_config.seed = args[++i].toUInt();
        else if (a == u"--mode" && hasValue)
            g_config.mode = parseMode(args[++i]);
        else if (a == u"--seeds" && hasValue)
            g_config.soakSeeds = args[++i].toInt();
        else if (a == u"--minutes" && hasValue)
            g_config.soakMinutes = args[++i].toInt();
        else if (a == u"--seed-base" && hasValue)
            g_config.soakSeedBase = args[++i].toUInt();
        else if (a == u"--verbose")
            g_config.verbose = true;
        else
            rest.append(a);
    }
    if (g_config.seed)
        g_config.verbose = true;
    if (g_config.soakMinutes > 0 && g_config.soakSeeds <= 0)
        g_config.soakSeeds = std::numeric_limits<int>::max();
    args = rest;
}

// ---------------------------------------------------------------------------------------------
// Waiting without sleeping

// Polls predicate (which may itself run the event loop, e.g. an admin query) until it holds or
// timeoutMs pass; the event loop runs between polls, like QTRY_VERIFY.
bool eventually(const std::function<bool()> &predicate, int timeoutMs)
{
    QElapsedTimer elapsed;
    elapsed.start();
    for (;;) {
        if (predicate())
            return true;
        if (elapsed.elapsed() > timeoutMs)
            return false;
        QTest::qWait(15);
    }
}

// ---------------------------------------------------------------------------------------------
// Error classification

enum class Outcome { Ok, Cancelled, AcquireTimeout, PoolClosed, Released, ConnectionLost, ConnectFailed, Planned,
                     Server, Other };

QString outcomeName(Outcome o)
{
    static const char *names[] = {"ok", "cancelled", "AcquireTimeoutError", "PoolClosedError",
                                  "ConnectionReleasedError", "ConnectionLostError", "ConnectionError",
                                  "planned hook error", "ServerError", "unexpected error"};
    return QString::fromLatin1(names[int(o)]);
}

// The planned hook failures carry this marker, so they are told apart from real errors.
const QString plannedMarker = u"chaos-planned:"_s;

template<typename T>
Outcome classify(const QFuture<T> &finished, QString *message = nullptr)
{
    try {
        QFuture<T> copy = finished;
        copy.waitForFinished();
        if (finished.isCanceled())
            return Outcome::Cancelled;
        if constexpr (!std::is_void_v<T>)
            (void)copy.result();
        return Outcome::Ok;
    } catch (const QPg::AcquireTimeoutError &e) {
        if (message) *message = e.message();
        return Outcome::AcquireTimeout;
    } catch (const QPg::PoolClosedError &e) {
        if (message) *message = e.message();
        return Outcome::PoolClosed;
    } catch (const QPg::ConnectionReleasedError &e) {
        if (message) *message = e.message();
        return Outcome::Released;
    } catch (const QPg::ConnectionLostError &e) {
        if (message) *message = e.message();
        return Outcome::ConnectionLost;
    } catch (const QPg::ConnectionError &e) {
        if (message) *message = e.message();
        return Outcome::ConnectFailed;
    } catch (const QPg::ServerError &e) {
        if (message) *message = e.message();
        return e.message().contains(plannedMarker) ? Outcome::Planned : Outcome::Server;
    } catch (const QPg::Error &e) {
        if (message) *message = e.message();
        return e.message().contains(plannedMarker) ? Outcome::Planned : Outcome::Other;
    } catch (const QException &e) {
        if (message) *message = QString::fromUtf8(e.what());
        return Outcome::Other;
    } catch (const std::exception &e) {
        if (message) *message = QString::fromUtf8(e.what());
        return Outcome::Other;
    }
}

// An error a broken connection (killed backend, restarted server, closed pool) may give.
bool isBreakageOutcome(Outcome o)
{
    return o == Outcome::Released || o == Outcome::ConnectionLost || o == Outcome::ConnectFailed
        || o == Outcome::PoolClosed || o == Outcome::Server;
}

// ---------------------------------------------------------------------------------------------
// Actions

enum class Action {
    Acquire,          // acquire() without timeout
    AcquireTimed,     // acquire({.timeout})
    AcquireCancelled, // acquire() and QFuture::cancel()
    TryAcquire,       // tryAcquire(): a connection at once, or nothing
    Release,          // handle.release()
    Drop,             // the last copy of a handle destroyed without release()
    Query,            // fetchValue with pg_sleep of a few ms, awaited
    QueryInFlight,    // the same, not awaited (the handle may be released while it runs)
    PoolQuery,        // Pool::fetchValue with an acquire timeout, not awaited
    Begin,            // handle.execute("BEGIN"), never committed
    TransactionOpen,  // Connection::transaction().start(), never committed (pool thread only)
    SetRole,          // SET ROLE to a non-superuser role
    SetGuc,           // SET chaos.marker / set_config()
    SetSearchPath,
    Listen,           // LISTEN, or Connection::addListener (pool thread only)
    CreateTemp,       // CREATE TEMP TABLE
    DestroyStaleTransaction, // a Transaction object that outlived its handle goes away now
    UseOrphan,        // a handle of a pool that no longer exists is used
    Expire,
    Resize,
    SetConnectArgs,
    Close,            // close() with a short timeout, releasing some handles meanwhile
    Terminate,
    Reopen,           // a new Pool replaces the old one (the old one is destroyed)
    KillBackend,      // pg_terminate_backend() of a pooled session
    RestartServer,    // only against the test's own cluster
    Count
};

QString actionName(Action a)
{
    static const char *names[] = {"Acquire", "AcquireTimed", "AcquireCancelled", "TryAcquire", "Release", "Drop", "Query",
                                  "QueryInFlight", "PoolQuery", "Begin", "TransactionOpen", "SetRole", "SetGuc",
                                  "SetSearchPath", "Listen", "CreateTemp", "DestroyStaleTransaction", "UseOrphan",
                                  "Expire", "Resize", "SetConnectArgs", "Close", "Terminate", "Reopen",
                                  "KillBackend", "RestartServer"};
    return QString::fromLatin1(names[int(a)]);
}

// Relative frequencies per mode. Handle operations dominate so the pool is usually busy; the
// destructive pool-wide operations are rare enough that sequences do real work in between.
QString actionName(Action a);

int baseWeight(Action a, Mode mode);

int actionWeight(Action a, Mode mode)
{
    return g_config.disabledActions.contains(actionName(a)) ? 0 : baseWeight(a, mode);
}

int baseWeight(Action a, Mode mode)
{
    const bool sameThread = mode != Mode::CrossThread;
    switch (a) {
    case Action::Acquire: return 14;
    case Action::AcquireTimed: return 8;
    case Action::AcquireCancelled: return 3;
    case Action::TryAcquire: return 4;
    case Action::Release: return 10;
    case Action::Drop: return 4;
    case Action::Query: return 8;
    case Action::QueryInFlight: return 4;
    case Action::PoolQuery: return 5;
    case Action::Begin: return 4;
    case Action::TransactionOpen: return sameThread ? 3 : 0;
    case Action::SetRole: return 3;
    case Action::SetGuc: return 3;
    case Action::SetSearchPath: return 2;
    case Action::Listen: return 2;
    case Action::CreateTemp: return 2;
    case Action::DestroyStaleTransaction: return sameThread ? 2 : 0;
    case Action::UseOrphan: return 1;
    case Action::Expire: return 2;
    case Action::Resize: return 3;
    case Action::SetConnectArgs: return 1;
    case Action::Close: return 1;
    case Action::Terminate: return 1;
    case Action::Reopen: return 1;
    case Action::KillBackend: return 2;
    case Action::RestartServer: return mode == Mode::ServerRestart ? 2 : 0;
    case Action::Count: break;
    }
    return 0;
}

// ---------------------------------------------------------------------------------------------
// The model

// A handle the test holds.
struct Held
{
    int id = 0;
    int poolIndex = 0;
    QPg::PooledConnection con;
    int pid = 0;
    std::optional<QPg::Transaction> tx; // from Connection::transaction(), left open
    bool inTransaction = false;         // BEGIN or tx.start() succeeded on this checkout
    bool broken = false;                // killed, restarted or pool gone: errors are allowed
};

// One acquire() the test made, kept for the FIFO check after it finished.
struct AcquireRecord
{
    int id = 0;
    int poolIndex = 0;
    QFuture<QPg::PooledConnection> future; // cleared once harvested
    QElapsedTimer since;
    std::optional<qint64> timeoutMs;
    bool cancelled = false;
    bool harvested = false;
    Outcome outcome = Outcome::Ok;
    int finishOrder = -1; // position among finished acquires, from the watcher
    qint64 finishedAtMs = -1;
};

// A query future the test did not wait for.
struct InFlight
{
    QString what;
    QFuture<QVariant> future;
    QVariant expected;
    QElapsedTimer since;
    qint64 boundMs = 0;
    bool mayFail = false;   // broken handle / closing pool / acquire timeout of a pool helper
    bool poolHelper = false;
    int poolIndex = 0;
};

struct Model
{
    int minSize = 0;
    int maxSize = 1;
    QPg::ResetPolicy policy = QPg::ResetPolicy::Smart;
    int generation = 0;
    bool closed = false;          // close() or terminate() called on the current pool
    int poolIndex = 0;
    QChar argsVariant = u'a';
    bool connectErrorsPossible = false; // kills, restarts, failing init hooks
    bool setupFailuresPlanned = false;

    std::vector<Held> held;
    std::deque<AcquireRecord> acquires; // every acquire of this sequence, in call order
    std::vector<InFlight> inflight;
    std::vector<QPg::Transaction> staleTransactions;
    std::vector<QPg::PooledConnection> orphans; // handles of destroyed pools
    int nextHandleId = 1;
    int nextObjectId = 1;
    int finishCounter = 0;
    std::optional<qint64> expireDeadline; // after expireConnections(): old idle ones gone by then
};

// What the hooks of a pool do; shared with the pool thread, so only atomics.
struct HookPlan
{
    int initFailEvery = 0;  // 0: never; else every n-th init fails (a server error)
    int setupFailEvery = 0; // every n-th setup returns a failed future
    int setupThrowEvery = 0; // every n-th setup throws instead of returning a future
    std::atomic<int> inits{0};
    std::atomic<int> setups{0};
};

// ---------------------------------------------------------------------------------------------
// The environment a run talks to

struct Environment
{
    QString dsn;
    QPg::Dev::PrivateCluster *cluster = nullptr; // set for the restart mode
    QThread *worker = nullptr;                    // set for the cross-thread mode
    std::unique_ptr<QPg::Connection> admin;
    QString baselineSearchPath;

    bool connectAdmin(QString *error)
    {
        admin = std::make_unique<QPg::Connection>(dsn);
        try {
            await(admin->open(), 20000);
            if (baselineSearchPath.isEmpty()) {
                baselineSearchPath = await(admin->fetchValue(u"SHOW search_path"_s)).toString();
                await(admin->execute(u"DO $$ BEGIN CREATE ROLE qpg_chaos_role NOLOGIN; "
                                     "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"_s));
            }
        } catch (const std::exception &e) {
            *error = QString::fromUtf8(e.what());
            return false;
        }
        return true;
    }

    // Rows of an admin query; reconnects once when the admin session itself was lost.
    QPg::RecordList adminFetch(const QString &sql, const QVariantList &args = {})
    {
        for (int attempt = 0;; ++attempt) {
            try {
                if (!admin || !admin->isReady()) {
                    QString error;
                    if (!connectAdmin(&error))
                        throw std::runtime_error(error.toStdString());
                }
                return await(admin->fetch(sql, args), 20000);
            } catch (const std::exception &) {
                if (attempt > 0)
                    throw;
                admin.reset();
            }
        }
    }
};

// One pooled session as seen by the server.
struct ServerSession
{
    int pid = 0;
    QString applicationName;
    QString state;
    bool inTransaction = false;
};

// ---------------------------------------------------------------------------------------------
// One seeded sequence

class ChaosRun
{
public:
    ChaosRun(Mode mode, quint32 seed, Environment &env, int steps)
        : m_mode(mode), m_seed(seed), m_rng(seed), m_env(env), m_stepCount(steps)
    {
        m_appPrefix = u"qpgchaos-%1-%2%3"_s.arg(QCoreApplication::applicationPid()).arg(modeName(mode)).arg(seed);
    }
    ~ChaosRun() { destroyPool(); }

    bool run();
    QString report() const;

private:
    // Pool lifetime.
    QPg::PoolOptions makeOptions();
    bool createPool();
    void destroyPool();
    bool crossThread() const { return m_env.worker != nullptr; }
    void syncWithPool();
    QString currentPoolPrefix() const { return u"%1-p%2-"_s.arg(m_appPrefix).arg(m_model.poolIndex); }

    // Steps.
    Action pickAction();
    void perform(Action action);
    void doAcquire(std::optional<qint64> timeoutMs, bool cancel);
    void doTryAcquire();
    void doRelease(bool drop);
    void doQuery(bool wait);
    void doPoolQuery();
    void doSessionStatement(Action action);
    void doTransactionOpen();
    void doExpire();
    void doResize();
    void doSetConnectArgs();
    void doClose();
    void doTerminate();
    void doReopen();
    void doKillBackend();
    void doRestartServer();
    void doUseOrphan();
    Held *randomHeld(bool liveOnly = true);
    void retireHeld(size_t index);
    void markAllHeldBroken();

    // Invariants.
    void checkStep();
    void harvestAcquires();
    void onAcquired(AcquireRecord &record, QPg::PooledConnection con);
    void checkFreshHolder(Held &held);
    void checkDeadlines();
    void checkInFlight();
    void checkHandlesAndSizes();
    void checkServerSessions();
    void checkFifo();
    void checkPoolGoneFromServer(int poolIndex);
    void finish();
    QList<ServerSession> serverSessions(const QString &prefix);

    void log(const QString &line);
    void fail(const QString &message);
    QString poolSummary() const;
    QString holders() const;

    Mode m_mode;
    quint32 m_seed;
    QRandomGenerator m_rng;
    Environment &m_env;
    int m_stepCount;
    QString m_appPrefix;

    Model m_model;
    std::shared_ptr<HookPlan> m_hooks;
    QPointer<QPg::Pool> m_pool;
    QObject m_context; // parent of the acquire watchers (main thread)

    QStringList m_steps;
    QString m_optionsText;
    QString m_violation;
    bool m_failed = false;
    int m_step = 0;
};

#define CHAOS_CHECK(cond, message)                                                                   \
    do {                                                                                             \
        if (!(cond)) {                                                                               \
            fail(message);                                                                           \
            return;                                                                                  \
        }                                                                                            \
    } while (false)

void ChaosRun::log(const QString &line)
{
    m_steps.append(line);
    if (g_config.verbose)
        qInfo().noquote() << "  " << line;
}

void ChaosRun::fail(const QString &message)
{
    if (m_failed)
        return;
    m_failed = true;
    m_violation = u"step %1: %2"_s.arg(m_step).arg(message);
    log(u"VIOLATION: "_s + message);
}

// The pool's counters, for messages about hangs.
QString ChaosRun::poolSummary() const
{
    if (!m_pool)
        return u"(no pool)"_s;
    const QPg::PoolStats s = m_pool->stats();
    return u"[pool size %1 idle %2 active %3 waiting %4 connecting %5 open %6 closing %7 min %8 max %9 "
           "connectFailures %10]"_s.arg(s.size).arg(s.idle).arg(s.active).arg(s.waiting).arg(s.connecting)
        .arg(m_pool->isOpen()).arg(m_pool->isClosing()).arg(s.minSize).arg(s.maxSize).arg(s.connectFailures)
        + holders();
}

// Who holds the acquired connections, as the pool sees it.
QString ChaosRun::holders() const
{
    QStringList list;
    for (const QPg::ConnectionInfo &info : m_pool->connectionInfo()) {
        if (info.state != QPg::ConnectionInfo::State::Idle)
            list.append(u"%1:%2:%3:%4"_s.arg(info.backendPid).arg(QPg::connectionStateName(info.state), info.holder,
                                               info.transactionStatus));
    }
    return u" entries{"_s + list.join(u", ") + u'}';
}

QString ChaosRun::report() const
{
    QString text = u"chaos mode %1 seed %2 (replay: tst_poolchaos --seed %2 --mode %1)\n"_s.arg(modeName(m_mode)).arg(m_seed);
    text += u"options: "_s + m_optionsText + u'\n';
    text += u"invariant violated at "_s + m_violation + u'\n';
    text += m_steps.join(u'\n');
    return text;
}

// ---------------------------------------------------------------------------------------------
// Pool lifetime

QPg::PoolOptions ChaosRun::makeOptions()
{
    QPg::PoolOptions options = QPg::PoolOptions::fromDsn(m_env.dsn);
    m_model.minSize = int(m_rng.bounded(3));                             // 0..2
    m_model.maxSize = std::max(1, m_model.minSize) + int(m_rng.bounded(3)); // up to 4
    options.minSize = m_model.minSize;
    options.maxSize = m_model.maxSize;
    const QPg::ResetPolicy policies[] = {QPg::ResetPolicy::Smart, QPg::ResetPolicy::Smart, QPg::ResetPolicy::Always,
                                         QPg::ResetPolicy::Always, QPg::ResetPolicy::DiscardAll,
                                         QPg::ResetPolicy::RollbackOnly};
    m_model.policy = policies[m_rng.bounded(6)];
    options.resetPolicy = m_model.policy;
    options.reconnectBackoffInitial = 20ms;
    options.reconnectBackoffMax = 200ms;
    options.resetTimeout = 5s;
    options.closeTimeout = 5s;
    // Recycling and reaping happen during a sequence too, sometimes.
    options.maxQueries = m_rng.bounded(4) == 0 ? 5 + m_rng.bounded(10) : 50000;
    options.maxInactiveConnectionLifetime = m_rng.bounded(4) == 0 ? 200ms : 300000ms;
    options.connectOptions.applicationName = currentPoolPrefix() + m_model.argsVariant;
    options.connectOptions.statementCacheSize = m_rng.bounded(3) == 0 ? 0 : 100;

    m_hooks = std::make_shared<HookPlan>();
    const bool hookMode = m_mode == Mode::Hooks;
    if (hookMode || m_rng.bounded(4) == 0) {
        m_hooks->initFailEvery = hookMode || m_rng.bounded(2) ? 3 + int(m_rng.bounded(4)) : 0;
        m_hooks->setupFailEvery = hookMode || m_rng.bounded(2) ? 3 + int(m_rng.bounded(5)) : 0;
        // A hook that throws (instead of failing its future) is a caller bug the pool must survive.
        m_hooks->setupThrowEvery = hookMode && m_rng.bounded(2) ? 4 + int(m_rng.bounded(4)) : 0;
        std::shared_ptr<HookPlan> plan = m_hooks;
        options.init = [plan](QPg::Connection *c) -> QFuture<void> {
            const int n = ++plan->inits;
            // A server round trip, failing with a server error on plan.
            const QString sql = plan->initFailEvery && n % plan->initFailEvery == 0
                ? u"DO $$ BEGIN RAISE EXCEPTION '%1 init %2'; END $$"_s.arg(plannedMarker).arg(n)
                : u"SELECT 1"_s;
            return c->execute(sql).then([](const QString &) {});
        };
        options.setup = [plan](QPg::Connection *) -> QFuture<void> {
            const int n = ++plan->setups;
            if (plan->setupThrowEvery && n % plan->setupThrowEvery == 0)
                throw QPg::InterfaceError(plannedMarker + u" setup threw"_s);
            if (plan->setupFailEvery && n % plan->setupFailEvery == 0)
                return QtFuture::makeExceptionalFuture(
                    std::make_exception_ptr(QPg::InterfaceError(plannedMarker + u" setup failed"_s)));
            return QtFuture::makeReadyFuture();
        };
    }
    m_model.connectErrorsPossible = m_model.connectErrorsPossible || m_hooks->initFailEvery > 0;
    // Sticky: acquires of an earlier pool of this sequence may still report its planned failures.
    m_model.setupFailuresPlanned = m_model.setupFailuresPlanned || m_hooks->setupFailEvery > 0
        || m_hooks->setupThrowEvery > 0;

    static const char *policyNames[] = {"Smart", "Always", "DiscardAll", "RollbackOnly"};
    m_optionsText += u"[pool %1: min %2 max %3 policy %4 maxQueries %5 idleLifetime %6ms stmtCache %7 initFailEvery %8 "
                     "setupFailEvery %9 setupThrowEvery %10] "_s
                         .arg(m_model.poolIndex)
                         .arg(options.minSize)
                         .arg(options.maxSize)
                         .arg(QLatin1StringView(policyNames[int(options.resetPolicy)]))
                         .arg(options.maxQueries)
                         .arg(options.maxInactiveConnectionLifetime.count())
                         .arg(options.connectOptions.statementCacheSize)
                         .arg(m_hooks->initFailEvery)
                         .arg(m_hooks->setupFailEvery)
                         .arg(m_hooks->setupThrowEvery);
    return options;
}

bool ChaosRun::createPool()
{
    ++m_model.poolIndex;
    m_model.closed = false;
    m_model.generation = 0;
    m_model.argsVariant = u'a';
    m_model.expireDeadline.reset();
    QPg::PoolOptions options = makeOptions();
    m_pool = new QPg::Pool(options);
    if (crossThread())
        m_pool->moveToThread(m_env.worker);
    // Half of the pools open explicitly, the others lazily on the first acquire.
    if (m_rng.bounded(2) == 0) {
        QFuture<void> opening = m_pool->open();
        if (!waitFor(opening, 20000)) {
            fail(u"open() did not finish within 20 s"_s);
            return false;
        }
        QString message;
        const Outcome o = classify(opening, &message);
        log(u"   open() -> %1 %2"_s.arg(outcomeName(o), message));
        if (o != Outcome::Ok && !(m_model.connectErrorsPossible && (o == Outcome::Planned || o == Outcome::Server
                                                                    || o == Outcome::ConnectFailed))) {
            fail(u"open() failed unexpectedly: %1 %2"_s.arg(outcomeName(o), message));
            return false;
        }
    }
    return true;
}

void ChaosRun::destroyPool()
{
    if (!m_pool)
        return;
    QPointer<QPg::Pool> pool = m_pool;
    if (crossThread())
        pool->deleteLater(); // must die in its own thread
    else
        delete pool.data();
    if (!eventually([&pool] { return pool.isNull(); }, 10000))
        fail(u"the pool object was not destroyed within 10 s"_s);
    m_pool.clear();
}

// Cross-thread calls such as resize() are queued; this waits until the pool thread ran them.
void ChaosRun::syncWithPool()
{
    if (crossThread() && m_pool)
        QMetaObject::invokeMethod(m_pool.data(), [] {}, Qt::BlockingQueuedConnection);
}

// ---------------------------------------------------------------------------------------------
// The sequence

bool ChaosRun::run()
{
    qInfo().noquote() << u"chaos: mode %1 seed %2"_s.arg(modeName(m_mode)).arg(m_seed);
    QElapsedTimer elapsed;
    elapsed.start();
    auto done = qScopeGuard([&] {
        qInfo().noquote() << u"chaos: mode %1 seed %2 %3 in %4 ms"_s.arg(modeName(m_mode)).arg(m_seed)
                                 .arg(m_failed ? u"FAILED"_s : u"passed"_s).arg(elapsed.elapsed());
    });
    if (!createPool())
        return false;
    for (m_step = 1; m_step <= m_stepCount && !m_failed; ++m_step) {
        const Action action = pickAction();
        perform(action);
        if (!m_failed)
            checkStep();
    }
    if (!m_failed) {
        m_step = m_stepCount + 1;
        log(u"%1 finish"_s.arg(m_step));
        finish();
    }
    return !m_failed;
}

Action ChaosRun::pickAction()
{
    int total = 0;
    for (int a = 0; a < int(Action::Count); ++a)
        total += actionWeight(Action(a), m_mode);
    int r = int(m_rng.bounded(total));
    for (int a = 0; a < int(Action::Count); ++a) {
        r -= actionWeight(Action(a), m_mode);
        if (r < 0)
            return Action(a);
    }
    return Action::Acquire;
}

void ChaosRun::perform(Action action)
{
    const QString prefix = u"%1 %2"_s.arg(m_step).arg(actionName(action));
    log(prefix);
    switch (action) {
    case Action::Acquire: doAcquire(std::nullopt, false); break;
    case Action::AcquireTimed: doAcquire(20 + m_rng.bounded(180), false); break;
    case Action::AcquireCancelled: doAcquire(std::nullopt, true); break;
    case Action::TryAcquire: doTryAcquire(); break;
    case Action::Release: doRelease(false); break;
    case Action::Drop: doRelease(true); break;
    case Action::Query: doQuery(true); break;
    case Action::QueryInFlight: doQuery(false); break;
    case Action::PoolQuery: doPoolQuery(); break;
    case Action::Begin:
    case Action::SetRole:
    case Action::SetGuc:
    case Action::SetSearchPath:
    case Action::Listen:
    case Action::CreateTemp: doSessionStatement(action); break;
    case Action::TransactionOpen: doTransactionOpen(); break;
    case Action::DestroyStaleTransaction:
        if (!m_model.staleTransactions.empty()) {
            m_model.staleTransactions.erase(m_model.staleTransactions.begin()
                                            + m_rng.bounded(int(m_model.staleTransactions.size())));
        }
        break;
    case Action::UseOrphan: doUseOrphan(); break;
    case Action::Expire: doExpire(); break;
    case Action::Resize: doResize(); break;
    case Action::SetConnectArgs: doSetConnectArgs(); break;
    case Action::Close: doClose(); break;
    case Action::Terminate: doTerminate(); break;
    case Action::Reopen: doReopen(); break;
    case Action::KillBackend: doKillBackend(); break;
    case Action::RestartServer: doRestartServer(); break;
    case Action::Count: break;
    }
}

Held *ChaosRun::randomHeld(bool liveOnly)
{
    std::vector<Held *> candidates;
    for (Held &h : m_model.held) {
        if (!liveOnly || !h.broken)
            candidates.push_back(&h);
    }
    if (candidates.empty())
        return nullptr;
    return candidates[m_rng.bounded(int(candidates.size()))];
}

void ChaosRun::doAcquire(std::optional<qint64> timeoutMs, bool cancel)
{
    const int id = m_model.nextHandleId++;
    QPg::AcquireOptions options;
    options.tag = u"h%1"_s.arg(id);
    if (timeoutMs)
        options.timeout = std::chrono::milliseconds(*timeoutMs);
    // Capacity left: the acquire should be served promptly, so wait a little for it (keeps the
    // sequence close to deterministic); otherwise it queues and the step moves on.
    int livePending = 0;
    for (const AcquireRecord &r : m_model.acquires)
        livePending += (!r.harvested && !r.cancelled) ? 1 : 0;
    const bool capacity = int(m_model.held.size()) + livePending < m_model.maxSize;

    AcquireRecord record;
    record.id = id;
    record.poolIndex = m_model.poolIndex;
    record.timeoutMs = timeoutMs;
    record.since.start();
    record.future = m_pool->acquire(options);
    log(u"   #%1 timeout %2 cancel %3"_s.arg(id).arg(timeoutMs ? QString::number(*timeoutMs) : u"none"_s).arg(cancel));

    // The watcher records the order in which acquires finish, for the FIFO check.
    auto *watcher = new QFutureWatcher<QPg::PooledConnection>(&m_context);
    QObject::connect(watcher, &QFutureWatcherBase::finished, &m_context, [this, watcher, id] {
        for (AcquireRecord &r : m_model.acquires) {
            if (r.id == id) {
                r.finishOrder = m_model.finishCounter++;
                r.finishedAtMs = r.since.elapsed();
            }
        }
        watcher->deleteLater(); // it holds a copy of the result (a lease)
    });
    watcher->setFuture(record.future);
    if (cancel) {
        // Cancelled at once: nothing of it is kept, so a connection it may still get goes back.
        record.cancelled = true;
        record.harvested = true;
        record.outcome = Outcome::Cancelled;
        record.future.cancel();
        record.future = {};
    }
    m_model.acquires.push_back(record);
    if (!cancel && capacity && !m_model.closed)
        waitFor(m_model.acquires.back().future, 2000);
}

// tryAcquire() only ever hands out a connection nobody queues for, and only in the pool's thread.
void ChaosRun::doTryAcquire()
{
    const int id = m_model.nextHandleId++;
    std::optional<QPg::PooledConnection> now = m_pool->tryAcquire({.tag = u"h%1"_s.arg(id)});
    log(u"   #%1 %2"_s.arg(id).arg(now ? u"served"_s : u"nothing"_s));
    if (!now)
        return;
    CHAOS_CHECK(!crossThread(), u"tryAcquire #%1 from another thread returned a connection"_s.arg(id));
    CHAOS_CHECK(!m_model.closed, u"tryAcquire #%1 returned a connection of a closed pool"_s.arg(id));
    for (const AcquireRecord &r : m_model.acquires) {
        const bool queued = !r.harvested && !r.cancelled && !r.future.isFinished() && r.poolIndex == m_model.poolIndex;
        CHAOS_CHECK(!queued, u"tryAcquire #%1 overtook the queued acquire #%2"_s.arg(id).arg(r.id));
    }
    Held h;
    h.id = id;
    h.poolIndex = m_model.poolIndex;
    h.con = std::move(*now);
    m_model.held.push_back(std::move(h));
    checkFreshHolder(m_model.held.back());
}

void ChaosRun::retireHeld(size_t index)
{
    Held &h = m_model.held[index];
    if (h.tx) {
        // Either the Transaction goes now (its rollback is queued before the release), or it outlives
        // the checkout and is destroyed later, when the connection may belong to someone else.
        if (m_rng.bounded(2) == 0)
            m_model.staleTransactions.push_back(std::move(*h.tx));
        h.tx.reset();
    }
    m_model.held.erase(m_model.held.begin() + qsizetype(index));
}

void ChaosRun::doRelease(bool drop)
{
    if (m_model.held.empty())
        return;
    const size_t index = m_rng.bounded(int(m_model.held.size()));
    Held &h = m_model.held[index];
    log(u"   #%1 pid %2"_s.arg(h.id).arg(h.pid));
    if (drop) {
        retireHeld(index); // the last copy goes: the lease gives the connection back
        return;
    }
    QFuture<void> releasing = h.con.release();
    const bool broken = h.broken;
    const int id = h.id;
    retireHeld(index);
    CHAOS_CHECK(waitFor(releasing, 5000 + g_config.slackMs), u"release of #%1 did not finish"_s.arg(id));
    QString message;
    const Outcome o = classify(releasing, &message);
    CHAOS_CHECK(o == Outcome::Ok || (broken && isBreakageOutcome(o)),
                u"release of #%1 failed: %2 %3"_s.arg(id).arg(outcomeName(o), message));
}

void ChaosRun::doQuery(bool wait)
{
    Held *h = randomHeld(false);
    if (!h) {
        doAcquire(std::nullopt, false);
        return;
    }
    const int value = int(m_rng.bounded(1000));
    const int sleepMs = m_rng.bounded(3) == 0 ? 0 : 1 + int(m_rng.bounded(20));
    InFlight q;
    q.what = u"query on #%1 (sleep %2 ms)"_s.arg(h->id).arg(sleepMs);
    q.future = h->con.fetchValue(u"SELECT $1::int FROM pg_sleep($2)"_s, value, sleepMs / 1000.0);
    q.expected = value;
    q.since.start();
    q.boundMs = sleepMs + 5000 + g_config.slackMs;
    q.mayFail = h->broken || m_model.closed;
    q.poolIndex = h->poolIndex;
    log(u"   "_s + q.what);
    m_model.inflight.push_back(q);
    if (wait)
        waitFor(m_model.inflight.back().future, int(q.boundMs));
}

void ChaosRun::doPoolQuery()
{
    const int value = int(m_rng.bounded(1000));
    const int sleepMs = int(m_rng.bounded(10));
    const qint64 acquireTimeout = 50 + m_rng.bounded(300);
    // Odd values go through the callback form (no new draw: the seeds' sequences stay as they were);
    // its reply is relayed into a promise, and a second call of the callback is a failure.
    const bool viaCallback = value % 2 == 1;
    InFlight q;
    q.what = u"Pool::fetchValue%1 (acquire timeout %2 ms, sleep %3 ms)"_s.arg(viaCallback ? u" with a callback"_s : QString())
                 .arg(acquireTimeout)
                 .arg(sleepMs);
    const QString sql = u"SELECT $1::int FROM pg_sleep($2)"_s;
    const QVariantList args{value, sleepMs / 1000.0};
    const QPg::AcquireOptions acquireOptions{.timeout = std::chrono::milliseconds(acquireTimeout), .tag = u"oneshot"_s};
    if (viaCallback) {
        auto relay = std::make_shared<QPromise<QVariant>>();
        relay->start();
        q.future = relay->future();
        m_pool->fetchValue(sql, args, &m_context, [this, relay, what = q.what](QPg::Reply<QVariant> reply) {
            CHAOS_CHECK(!relay->future().isFinished(), what + u": the callback was called twice"_s);
            if (reply.isValid())
                relay->addResult(std::move(reply).value());
            else
                relay->setException(reply.error());
            relay->finish();
        }, {}, acquireOptions);
    } else {
        q.future = m_pool->fetchValue(sql, args, {}, acquireOptions);
    }
    q.expected = value;
    q.since.start();
    q.boundMs = acquireTimeout + sleepMs + 5000 + g_config.slackMs;
    q.mayFail = true; // an acquire timeout is a legitimate outcome when the pool is busy
    q.poolHelper = true;
    q.poolIndex = m_model.poolIndex;
    log(u"   "_s + q.what);
    m_model.inflight.push_back(q);
}

// BEGIN and session state changes on a held handle; every later holder must see none of it.
void ChaosRun::doSessionStatement(Action action)
{
    Held *h = randomHeld();
    if (!h) {
        doAcquire(std::nullopt, false);
        return;
    }
    const int n = m_model.nextObjectId++;
    QString sql;
    switch (action) {
    case Action::Begin: sql = u"BEGIN"_s; break;
    case Action::SetRole: sql = u"SET ROLE qpg_chaos_role"_s; break;
    case Action::SetGuc:
        sql = m_rng.bounded(2) ? u"SET chaos.marker = 'leak%1'"_s.arg(n)
                               : u"SELECT set_config('chaos.marker', 'leak%1', false)"_s.arg(n);
        break;
    case Action::SetSearchPath: sql = u"SET search_path = chaos_nowhere, public"_s; break;
    case Action::Listen: sql = u"LISTEN chaos_channel_%1"_s.arg(n); break;
    case Action::CreateTemp: sql = u"CREATE TEMP TABLE chaos_tmp_%1 (v int)"_s.arg(n); break;
    default: return;
    }
    QFuture<void> done;
    if (action == Action::Listen && !crossThread() && m_rng.bounded(2) == 0 && h->con.connection()) {
        sql = u"addListener(chaos_channel_%1)"_s.arg(n);
        done = h->con.connection()->addListener(u"chaos_channel_%1"_s.arg(n), [](const QPg::Notification &) {});
    } else {
        done = h->con.execute(sql).then([](const QString &) {});
    }
    log(u"   #%1: %2"_s.arg(h->id).arg(sql));
    const int id = h->id;
    CHAOS_CHECK(waitFor(done, 5000 + g_config.slackMs), u"'%1' on #%2 did not finish"_s.arg(sql).arg(id));
    QString message;
    const Outcome o = classify(done, &message);
    CHAOS_CHECK(o == Outcome::Ok || h->broken || m_model.closed,
                u"'%1' on #%2 failed: %3 %4"_s.arg(sql).arg(id).arg(outcomeName(o), message));
    if (o == Outcome::Ok && action == Action::Begin)
        h->inTransaction = true;
}

void ChaosRun::doTransactionOpen()
{
    Held *h = randomHeld();
    if (!h || h->tx || !h->con.connection()) {
        doAcquire(std::nullopt, false);
        return;
    }
    log(u"   #%1"_s.arg(h->id));
    h->tx.emplace(h->con.connection()->transaction());
    QFuture<void> started = h->tx->start();
    CHAOS_CHECK(waitFor(started, 5000 + g_config.slackMs), u"Transaction::start() on #%1 did not finish"_s.arg(h->id));
    QString message;
    const Outcome o = classify(started, &message);
    CHAOS_CHECK(o == Outcome::Ok || h->broken || m_model.closed,
                u"Transaction::start() on #%1 failed: %2 %3"_s.arg(h->id).arg(outcomeName(o), message));
    if (o == Outcome::Ok)
        h->inTransaction = true;
}

void ChaosRun::doUseOrphan()
{
    if (m_model.orphans.empty())
        return;
    const int index = int(m_rng.bounded(int(m_model.orphans.size())));
    QPg::PooledConnection orphan = m_model.orphans[index];
    m_model.orphans.erase(m_model.orphans.begin() + index);
    QFuture<QVariant> f = orphan.fetchValue(u"SELECT 1"_s);
    CHAOS_CHECK(waitFor(f, g_config.slackMs), u"a query on a handle of a destroyed pool hangs"_s);
    QString message;
    const Outcome o = classify(f, &message);
    CHAOS_CHECK(o == Outcome::Released,
                u"a query on a handle of a destroyed pool gave %1 %2, expected ConnectionReleasedError"_s.arg(outcomeName(o), message));
    QFuture<void> r = orphan.release();
    CHAOS_CHECK(waitFor(r, g_config.slackMs), u"release() of a handle of a destroyed pool hangs"_s);
}

void ChaosRun::doExpire()
{
    m_pool->expireConnections();
    syncWithPool();
    ++m_model.generation;
    m_model.expireDeadline = 0; // checked in checkHandlesAndSizes against the pool's generation
}

void ChaosRun::doResize()
{
    const int minSize = int(m_rng.bounded(3));
    const int maxSize = std::max(1, minSize) + int(m_rng.bounded(3));
    log(u"   resize(%1, %2)"_s.arg(minSize).arg(maxSize));
    m_pool->resize(minSize, maxSize);
    syncWithPool();
    m_model.minSize = minSize;
    m_model.maxSize = maxSize;
    CHAOS_CHECK(m_pool->minSize() == minSize && m_pool->maxSize() == maxSize,
                u"after resize(%1, %2) the pool reports min %3 max %4"_s.arg(minSize).arg(maxSize)
                    .arg(m_pool->minSize()).arg(m_pool->maxSize()));
}

void ChaosRun::doSetConnectArgs()
{
    m_model.argsVariant = QChar(u'a' + (m_model.argsVariant.unicode() - u'a' + 1) % 26);
    QPg::ConnectOptions options = QPg::ConnectOptions::fromDsn(m_env.dsn);
    options.applicationName = currentPoolPrefix() + m_model.argsVariant;
    options.statementCacheSize = m_rng.bounded(2) ? 0 : 50;
    log(u"   application_name %1"_s.arg(options.applicationName));
    m_pool->setConnectArgs(options);
    syncWithPool();
}

void ChaosRun::markAllHeldBroken()
{
    for (Held &h : m_model.held) {
        h.broken = true;
        h.inTransaction = false;
    }
}

// Every waiter of a closing pool fails at once; nothing of the pool may stay on the server.
void ChaosRun::doClose()
{
    const qint64 timeoutMs = 50 + m_rng.bounded(250);
    log(u"   close(%1 ms)"_s.arg(timeoutMs));
    QElapsedTimer elapsed;
    elapsed.start();
    QFuture<void> closing = m_pool->close(std::chrono::milliseconds(timeoutMs));
    m_model.closed = true;
    // Some holders give their connection back while the pool closes.
    for (size_t i = 0; i < m_model.held.size();) {
        if (m_rng.bounded(2) == 0) {
            log(u"   release #%1 during close"_s.arg(m_model.held[i].id));
            m_model.held[i].con.release();
            retireHeld(i);
        } else {
            ++i;
        }
    }
    markAllHeldBroken();
    CHAOS_CHECK(waitFor(closing, int(timeoutMs) + g_config.slackMs),
                u"close(%1 ms) did not finish within %2 ms (pool size %3, waiting %4)"_s.arg(timeoutMs)
                    .arg(timeoutMs + g_config.slackMs).arg(m_pool->size()).arg(m_pool->waitingCount()));
    log(u"   closed after %1 ms"_s.arg(elapsed.elapsed()));
    CHAOS_CHECK(m_pool->size() == 0, u"size() is %1 after close() finished"_s.arg(m_pool->size()));
    CHAOS_CHECK(m_pool->isClosing(), u"isClosing() is false after close()"_s);
    for (const Held &h : m_model.held)
        CHAOS_CHECK(h.con.isReleased(), u"#%1 is not released after close() finished"_s.arg(h.id));
    checkPoolGoneFromServer(m_model.poolIndex);
}

void ChaosRun::doTerminate()
{
    m_pool->terminate();
    m_model.closed = true;
    markAllHeldBroken();
    syncWithPool();
    CHAOS_CHECK(m_pool->size() == 0, u"size() is %1 after terminate()"_s.arg(m_pool->size()));
    checkPoolGoneFromServer(m_model.poolIndex);
}

void ChaosRun::doReopen()
{
    // Handles of the old pool stay with the test: using them later must fail cleanly.
    for (size_t i = 0; i < m_model.held.size(); ++i) {
        if (m_rng.bounded(2) == 0)
            m_model.orphans.push_back(m_model.held[i].con);
    }
    while (!m_model.held.empty())
        retireHeld(m_model.held.size() - 1);
    const int oldIndex = m_model.poolIndex;
    destroyPool();
    checkPoolGoneFromServer(oldIndex);
    if (m_failed)
        return;
    createPool();
}

void ChaosRun::doKillBackend()
{
    const QList<ServerSession> sessions = serverSessions(currentPoolPrefix());
    if (sessions.isEmpty())
        return;
    const int pid = sessions[m_rng.bounded(int(sessions.size()))].pid;
    log(u"   pg_terminate_backend(%1)"_s.arg(pid));
    m_env.adminFetch(u"SELECT pg_terminate_backend($1)"_s, {pid});
    m_model.connectErrorsPossible = true; // a dying connect can fail the waiters of an empty pool
    for (Held &h : m_model.held) {
        if (h.pid == pid) {
            h.broken = true;
            h.inTransaction = false;
        }
    }
    // The backend is gone before the next step, so no step races with its death.
    CHAOS_CHECK(eventually([&] { return m_env.adminFetch(u"SELECT 1 FROM pg_stat_activity WHERE pid = $1"_s, {pid}).isEmpty(); },
                           5000 + g_config.slackMs),
                u"backend %1 still alive after pg_terminate_backend"_s.arg(pid));
}

void ChaosRun::doRestartServer()
{
    if (!m_env.cluster)
        return;
    QString error;
    m_model.connectErrorsPossible = true;
    markAllHeldBroken();
    m_env.admin.reset();
    CHAOS_CHECK(m_env.cluster->restartServer(&error), u"restartServer failed: "_s + error);
}

// ---------------------------------------------------------------------------------------------
// Invariants

QList<ServerSession> ChaosRun::serverSessions(const QString &prefix)
{
    QList<ServerSession> result;
    const QPg::RecordList rows = m_env.adminFetch(
        u"SELECT pid, application_name, coalesce(state, ''), xact_start IS NOT NULL FROM pg_stat_activity "
        "WHERE starts_with(application_name, $1)"_s,
        {prefix});
    for (const QPg::Record &row : rows)
        result.append({row.value(0).toInt(), row.value(1).toString(), row.value(2).toString(), row.value(3).toBool()});
    return result;
}

void ChaosRun::checkPoolGoneFromServer(int poolIndex)
{
    const QString prefix = u"%1-p%2-"_s.arg(m_appPrefix).arg(poolIndex);
    QList<ServerSession> left;
    const bool gone = eventually([&] {
        left = serverSessions(prefix);
        return left.isEmpty();
    }, 5000 + g_config.slackMs);
    QStringList pids;
    for (const ServerSession &s : left)
        pids.append(u"%1(%2)"_s.arg(s.pid).arg(s.state));
    CHAOS_CHECK(gone, u"sessions of closed pool %1 still on the server: %2"_s.arg(poolIndex).arg(pids.join(u", ")));
}

void ChaosRun::checkStep()
{
    QCoreApplication::processEvents();
    harvestAcquires();
    if (!m_failed)
        checkDeadlines();
    if (!m_failed)
        checkInFlight();
    if (!m_failed)
        checkHandlesAndSizes();
    if (!m_failed)
        checkServerSessions();
}

// Acquires that finished become held handles (checked for leftover state) or classified errors.
void ChaosRun::harvestAcquires()
{
    for (AcquireRecord &r : m_model.acquires) {
        if (r.harvested || !r.future.isFinished() || m_failed)
            continue;
        r.harvested = true;
        QString message;
        r.outcome = r.cancelled ? Outcome::Cancelled : classify(r.future, &message);
        log(u"   acquire #%1 -> %2 after %3 ms %4"_s.arg(r.id).arg(outcomeName(r.outcome)).arg(r.finishedAtMs).arg(message));
        if (r.outcome == Outcome::Ok) {
            QPg::PooledConnection con = r.future.result();
            r.future = {};
            onAcquired(r, std::move(con));
            continue;
        }
        r.future = {}; // a cancelled acquire's result (if it raced) goes back to the pool now
        const bool closedPool = r.poolIndex != m_model.poolIndex || m_model.closed;
        switch (r.outcome) {
        case Outcome::Cancelled:
            // Only the caller cancels an acquire: a pool going away fails it with PoolClosedError.
            fail(u"acquire #%1 ended cancelled without an error (the test did not cancel it)"_s.arg(r.id));
            return;
        case Outcome::AcquireTimeout:
            CHAOS_CHECK(r.timeoutMs, u"acquire #%1 without timeout failed with AcquireTimeoutError"_s.arg(r.id));
            CHAOS_CHECK(r.finishedAtMs < 0 || r.finishedAtMs + 5 >= *r.timeoutMs,
                        u"acquire #%1 timed out after %2 ms, before its %3 ms"_s.arg(r.id).arg(r.finishedAtMs).arg(*r.timeoutMs));
            break;
        case Outcome::PoolClosed:
            CHAOS_CHECK(closedPool, u"acquire #%1 failed with PoolClosedError on an open pool: %2"_s.arg(r.id).arg(message));
            break;
        case Outcome::Planned:
            CHAOS_CHECK(m_model.setupFailuresPlanned || m_model.connectErrorsPossible,
                        u"acquire #%1: hook error without a planned failure"_s.arg(r.id));
            break;
        case Outcome::ConnectFailed:
        case Outcome::ConnectionLost:
        case Outcome::Server:
            CHAOS_CHECK(m_model.connectErrorsPossible || closedPool,
                        u"acquire #%1 failed: %2 %3"_s.arg(r.id).arg(outcomeName(r.outcome), message));
            break;
        default:
            fail(u"acquire #%1 failed: %2 %3"_s.arg(r.id).arg(outcomeName(r.outcome), message));
            return;
        }
    }
}

void ChaosRun::onAcquired(AcquireRecord &record, QPg::PooledConnection con)
{
    Held h;
    h.id = record.id;
    h.poolIndex = record.poolIndex;
    h.con = std::move(con);
    if (record.poolIndex != m_model.poolIndex || m_model.closed) {
        // Served by a pool that has closed since: the handle must already be dead.
        h.broken = true;
        m_model.held.push_back(std::move(h));
        return;
    }
    m_model.held.push_back(std::move(h));
    checkFreshHolder(m_model.held.back());
}

// Right after acquire, before the new holder runs anything: no transaction, no session state of an
// earlier holder, and the connection is this holder's alone.
void ChaosRun::checkFreshHolder(Held &h)
{
    const QString tag = u"h%1"_s.arg(h.id);
    // The pool's view: one Acquired entry with this holder tag.
    int pid = 0;
    for (const QPg::ConnectionInfo &info : m_pool->connectionInfo()) {
        if (info.holder == tag) {
            CHAOS_CHECK(info.state == QPg::ConnectionInfo::State::Acquired,
                        u"#%1 was handed out but its entry is %2"_s.arg(h.id).arg(QPg::connectionStateName(info.state)));
            pid = info.backendPid;
        }
    }
    if (!crossThread() && h.con.connection()) {
        const int direct = h.con.connection()->backendPid();
        CHAOS_CHECK(pid == 0 || pid == direct, u"#%1: connectionInfo pid %2, connection pid %3"_s.arg(h.id).arg(pid).arg(direct));
        pid = direct;
        CHAOS_CHECK(h.con.connection()->transactionStatus() == QPg::Connection::TransactionStatus::Idle,
                    u"#%1 (pid %2) was handed out inside a transaction (client side status)"_s.arg(h.id).arg(pid));
    }
    if (pid == 0) {
        // Killed or restarted between hand-out and now; nothing more to check.
        CHAOS_CHECK(m_model.connectErrorsPossible, u"#%1 was handed out but no pool entry has its tag"_s.arg(h.id));
        h.broken = true;
        return;
    }
    h.pid = pid;
    log(u"   #%1 has pid %2"_s.arg(h.id).arg(pid));
    for (const Held &other : m_model.held) {
        CHAOS_CHECK(&other == &h || other.pid != pid || other.broken || other.con.isReleased(),
                    u"pid %1 is held by #%2 and #%3 at once"_s.arg(pid).arg(other.id).arg(h.id));
    }

    // The server's view, before the holder's first statement.
    const QPg::RecordList rows = m_env.adminFetch(
        u"SELECT coalesce(state, ''), xact_start IS NOT NULL, application_name FROM pg_stat_activity WHERE pid = $1"_s, {pid});
    if (rows.isEmpty()) {
        CHAOS_CHECK(m_model.connectErrorsPossible, u"#%1: backend %2 is not on the server"_s.arg(h.id).arg(pid));
        h.broken = true;
        return;
    }
    CHAOS_CHECK(rows[0].value(0).toString() == u"idle" && !rows[0].value(1).toBool(),
                u"#%1 (pid %2) was handed out with server state '%3', transaction open: %4"_s.arg(h.id).arg(pid)
                    .arg(rows[0].value(0).toString()).arg(rows[0].value(1).toBool()));

    if (m_model.policy == QPg::ResetPolicy::RollbackOnly)
        return; // this policy keeps session state by design
    QFuture<QPg::Record> stateQuery = h.con.fetchRow(
        u"SELECT pg_backend_pid(), current_user::text <> session_user::text, "
        "coalesce(current_setting('chaos.marker', true), ''), current_setting('search_path'), "
        "(SELECT count(*) FROM pg_listening_channels())::int, "
        "(SELECT count(*) FROM pg_class WHERE relnamespace = pg_my_temp_schema() AND relname LIKE 'chaos_tmp%')::int"_s);
    CHAOS_CHECK(waitFor(stateQuery, 5000 + g_config.slackMs), u"state query on #%1 did not finish"_s.arg(h.id));
    QString message;
    const Outcome o = classify(stateQuery, &message);
    if (o != Outcome::Ok) {
        CHAOS_CHECK(m_model.connectErrorsPossible && isBreakageOutcome(o),
                    u"state query on fresh #%1 failed: %2 %3"_s.arg(h.id).arg(outcomeName(o), message));
        h.broken = true;
        return;
    }
    const QPg::Record row = stateQuery.result();
    const QString where = u"#%1 (pid %2, policy %3)"_s.arg(h.id).arg(pid).arg(int(m_model.policy));
    CHAOS_CHECK(row.value(0).toInt() == pid, where + u": pg_backend_pid() is %1"_s.arg(row.value(0).toInt()));
    CHAOS_CHECK(!row.value(1).toBool(), where + u": inherits SET ROLE (current_user differs from session_user)"_s);
    CHAOS_CHECK(row.value(2).toString().isEmpty(), where + u": inherits chaos.marker = '%1'"_s.arg(row.value(2).toString()));
    CHAOS_CHECK(row.value(3).toString() == m_env.baselineSearchPath,
                where + u": inherits search_path '%1'"_s.arg(row.value(3).toString()));
    CHAOS_CHECK(row.value(4).toInt() == 0, where + u": inherits %1 LISTEN channel(s)"_s.arg(row.value(4).toInt()));
    CHAOS_CHECK(row.value(5).toInt() == 0, where + u": inherits %1 temporary table(s)"_s.arg(row.value(5).toInt()));
}

// Every future finishes within its bound: timed acquires within timeout + slack.
void ChaosRun::checkDeadlines()
{
    for (const AcquireRecord &r : m_model.acquires) {
        if (r.harvested || r.cancelled)
            continue;
        const qint64 elapsed = r.since.elapsed();
        if (r.timeoutMs)
            CHAOS_CHECK(elapsed <= *r.timeoutMs + g_config.slackMs,
                        u"acquire #%1 (timeout %2 ms) still pending after %3 ms %4"_s.arg(r.id).arg(*r.timeoutMs).arg(elapsed).arg(poolSummary()));
        // A pool that is closed fails its waiters at once.
        if (m_model.closed || r.poolIndex != m_model.poolIndex)
            CHAOS_CHECK(waitFor(r.future, g_config.slackMs),
                        u"acquire #%1 still pending %2 ms after its pool closed %3"_s.arg(r.id).arg(g_config.slackMs).arg(poolSummary()));
    }
}

void ChaosRun::checkInFlight()
{
    for (auto it = m_model.inflight.begin(); it != m_model.inflight.end();) {
        if (!it->future.isFinished()) {
            CHAOS_CHECK(it->since.elapsed() <= it->boundMs,
                        u"%1 still pending after %2 ms %3"_s.arg(it->what).arg(it->since.elapsed()).arg(poolSummary()));
            ++it;
            continue;
        }
        QString message;
        const Outcome o = classify(it->future, &message);
        if (o == Outcome::Ok) {
            CHAOS_CHECK(it->future.result() == it->expected,
                        u"%1 gave %2, expected %3"_s.arg(it->what, it->future.result().toString(), it->expected.toString()));
        } else {
            // close() (after its timeout), terminate() and ~Pool end running queries with an error.
            const bool poolGone = m_model.closed || it->poolIndex != m_model.poolIndex;
            const bool allowed = it->poolHelper
                ? (o == Outcome::AcquireTimeout || (poolGone && isBreakageOutcome(o))
                   || (m_model.connectErrorsPossible && isBreakageOutcome(o))
                   // Its acquire fails like any other: with a planned init failure too (a failed
                   // connect's own error reaches the waiters when nothing else is open).
                   || ((m_model.setupFailuresPlanned || m_model.connectErrorsPossible) && o == Outcome::Planned))
                : (it->mayFail || poolGone || m_model.connectErrorsPossible) && isBreakageOutcome(o);
            CHAOS_CHECK(allowed, u"%1 failed: %2 %3"_s.arg(it->what).arg(outcomeName(o), message));
        }
        it = m_model.inflight.erase(it);
    }
}

// One holder per connection; the pool's entries match the handles; size stays within maxSize.
void ChaosRun::checkHandlesAndSizes()
{
    if (m_model.closed)
        return;
    syncWithPool();
    const QList<QPg::ConnectionInfo> infos = m_pool->connectionInfo();
    const int size = m_pool->size();
    const int idle = m_pool->idleSize();
    const QPg::PoolStats stats = m_pool->stats();
    CHAOS_CHECK(crossThread() || int(infos.size()) == size,
                u"connectionInfo() lists %1 connections, size() is %2"_s.arg(infos.size()).arg(size));
    // Separate reads are one snapshot only in the pool's thread; across threads the pool moves on.
    CHAOS_CHECK(crossThread() || (stats.size == size && stats.idle == idle),
                u"stats() size %1 idle %2, size() %3 idleSize() %4"_s.arg(stats.size).arg(stats.idle).arg(size).arg(idle));
    CHAOS_CHECK(stats.idle + stats.active <= stats.size,
                u"stats(): idle %1 + active %2 > size %3"_s.arg(stats.idle).arg(stats.active).arg(stats.size));
    CHAOS_CHECK(size <= m_model.maxSize || idle == 0,
                u"size %1 above maxSize %2 while %3 connection(s) sit idle"_s.arg(size).arg(m_model.maxSize).arg(idle));

    QSet<int> heldPids;
    for (const Held &h : m_model.held) {
        if (h.broken || h.pid == 0 || h.con.isReleased())
            continue;
        CHAOS_CHECK(!heldPids.contains(h.pid), u"pid %1 is held by two live handles"_s.arg(h.pid));
        heldPids.insert(h.pid);
    }
    // Every Acquired entry belongs to a live handle of ours (or a one-shot helper); none is lost.
    QSet<QString> liveTags;
    for (const Held &h : m_model.held) {
        if (!h.broken && !h.con.isReleased())
            liveTags.insert(u"h%1"_s.arg(h.id));
    }
    QSet<QString> acquiredTags;
    for (const QPg::ConnectionInfo &info : infos) {
        if (info.state == QPg::ConnectionInfo::State::Acquired && info.holder.startsWith(u'h'))
            acquiredTags.insert(info.holder);
    }
    for (const QString &tag : liveTags)
        CHAOS_CHECK(acquiredTags.contains(tag), u"handle %1 is live but the pool has no Acquired entry for it"_s.arg(tag));
    // Dropped handles come back once their last copy is gone (a watcher's copy goes one event later).
    QSet<QString> brokenTags;
    for (const Held &h : m_model.held) {
        if (h.broken)
            brokenTags.insert(u"h%1"_s.arg(h.id)); // the pool need not notice an acquired one died
    }
    for (const AcquireRecord &r : m_model.acquires) {
        if (!r.harvested)
            brokenTags.insert(u"h%1"_s.arg(r.id)); // served, its future not yet seen by the test
    }
    QSet<QString> stray = acquiredTags - liveTags - brokenTags;
    if (!stray.isEmpty()) {
        const bool settled = eventually([&] {
            QSet<QString> now;
            for (const QPg::ConnectionInfo &info : m_pool->connectionInfo()) {
                if (info.state == QPg::ConnectionInfo::State::Acquired && stray.contains(info.holder))
                    now.insert(info.holder);
            }
            return now.isEmpty();
        }, 2000 + g_config.slackMs);
        CHAOS_CHECK(settled, u"connections of dropped/released handles never came back: %1"_s.arg(QStringList(stray.values()).join(u", ")));
    }

    auto countPending = [&] {
        int pending = 0;
        for (const AcquireRecord &r : m_model.acquires)
            pending += (!r.harvested && !r.cancelled && !r.future.isFinished() && r.poolIndex == m_model.poolIndex) ? 1 : 0;
        return pending;
    };
    int helpers = 0;
    for (const InFlight &q : m_model.inflight)
        helpers += q.poolHelper ? 1 : 0;
    // Across threads an acquire may be served between our reading of the futures and the pool's
    // count: read the futures before and after, the count must lie between. From another thread
    // waitingCount() is the published count, which keeps cancelled acquires until the pool's next
    // sweep (docs/POOL.md); stats() is computed in the pool's thread.
    const int pendingBefore = countPending();
    const int waiting = crossThread() ? m_pool->stats().waiting : m_pool->waitingCount();
    const int livePending = countPending();
    CHAOS_CHECK(waiting >= livePending && waiting <= pendingBefore + helpers,
                u"waitingCount() %1, but %2 acquires of the test (+ up to %3 helpers) wait"_s.arg(waiting).arg(livePending).arg(helpers));

    // Liveness: while our acquires wait and the pool has room, a connect must be under way.
    if (livePending > 0 && m_pool->isOpen() && !m_model.connectErrorsPossible) {
        QPg::PoolStats now;
        const bool served = eventually([&] {
            syncWithPool();
            now = m_pool->stats();
            int stillPending = 0;
            for (const AcquireRecord &r : m_model.acquires)
                stillPending += (!r.harvested && !r.cancelled && !r.future.isFinished() && r.poolIndex == m_model.poolIndex) ? 1 : 0;
            return stillPending == 0 || now.connecting > 0 || now.size >= m_model.maxSize;
        }, 500);
        CHAOS_CHECK(served, u"acquires wait while the pool has room (size %1 < max %2) and opens nothing %3"_s
                                .arg(now.size).arg(m_model.maxSize).arg(poolSummary()));
    }

    if (m_model.expireDeadline) {
        // After expireConnections(), no connection of an older generation stays idle.
        const bool clean = eventually([&] {
            for (const QPg::ConnectionInfo &info : m_pool->connectionInfo()) {
                if (info.state == QPg::ConnectionInfo::State::Idle && info.generation < m_model.generation)
                    return false;
            }
            return true;
        }, 1000 + g_config.slackMs);
        CHAOS_CHECK(clean, u"idle connection(s) of a generation before %1 remain after expireConnections()"_s.arg(m_model.generation));
        m_model.expireDeadline.reset();
    }
}

// The server agrees with the pool: no session of the pool the pool does not know (leaks), no idle
// entry whose session is gone, no session of an earlier pool, open transactions where the model
// says so.
void ChaosRun::checkServerSessions()
{
    QList<ServerSession> sessions = serverSessions(m_appPrefix + u"-p");
    const QString current = currentPoolPrefix();
    QSet<int> older;
    for (const ServerSession &s : sessions) {
        if (!s.applicationName.startsWith(current))
            older.insert(s.pid);
    }
    if (!older.isEmpty()) {
        const bool gone = eventually([&] {
            for (const ServerSession &s : serverSessions(m_appPrefix + u"-p")) {
                if (older.contains(s.pid))
                    return false;
            }
            return true;
        }, 5000 + g_config.slackMs);
        CHAOS_CHECK(gone, u"sessions of an earlier pool remain on the server"_s);
    }
    if (m_model.closed)
        return;

    // Unknown sessions (opening, closing) must settle within a few seconds.
    auto unknownPids = [this](const QList<ServerSession> &now) {
        QSet<int> known;
        for (const QPg::ConnectionInfo &info : m_pool->connectionInfo())
            known.insert(info.backendPid);
        QSet<int> unknown;
        for (const ServerSession &s : now) {
            if (s.applicationName.startsWith(currentPoolPrefix()) && !known.contains(s.pid))
                unknown.insert(s.pid);
        }
        return unknown;
    };
    const QSet<int> unknown = unknownPids(sessions);
    if (!unknown.isEmpty()) {
        QSet<int> still;
        const bool settled = eventually([&] {
            still = unknownPids(serverSessions(currentPoolPrefix())) & unknown;
            return still.isEmpty();
        }, 5000 + g_config.slackMs);
        QStringList list;
        for (int pid : still)
            list.append(QString::number(pid));
        CHAOS_CHECK(settled, u"server sessions of the pool unknown to it (leaked): %1"_s.arg(list.join(u", ")));
    }

    // Idle entries whose session died must be noticed (the read notifier stays on).
    auto deadIdle = [this](const QList<ServerSession> &now) {
        QSet<int> alive;
        for (const ServerSession &s : now)
            alive.insert(s.pid);
        QSet<int> dead;
        for (const QPg::ConnectionInfo &info : m_pool->connectionInfo()) {
            if (info.state == QPg::ConnectionInfo::State::Idle && !alive.contains(info.backendPid))
                dead.insert(info.backendPid);
        }
        return dead;
    };
    if (!deadIdle(sessions).isEmpty()) {
        const bool noticed = eventually([&] { return deadIdle(serverSessions(currentPoolPrefix())).isEmpty(); },
                                        5000 + g_config.slackMs);
        // Which entries, and what their connections say, for whoever replays the seed.
        QStringList entries;
        const QSet<int> dead = deadIdle(serverSessions(currentPoolPrefix()));
        for (const QPg::ConnectionInfo &info : m_pool->connectionInfo()) {
            if (dead.contains(info.backendPid))
                entries.append(u"#%1 pid %2 age %3 ms idle %4 ms queries %5 transaction %6"_s.arg(info.id)
                                   .arg(info.backendPid)
                                   .arg(info.ageMs)
                                   .arg(info.idleMs)
                                   .arg(info.queries)
                                   .arg(info.transactionStatus));
        }
        CHAOS_CHECK(noticed, u"idle pool entries whose server session is gone: %1"_s.arg(entries.join(u"; "_s)));
    }

    // Handles that opened a transaction still have it: nobody else rolled it back.
    for (const Held &h : m_model.held) {
        if (!h.inTransaction || h.broken || h.pid == 0)
            continue;
        for (const ServerSession &s : sessions) {
            if (s.pid == h.pid && s.state == u"idle")
                fail(u"#%1 (pid %2) opened a transaction that is gone: someone else ended it"_s.arg(h.id).arg(h.pid));
        }
    }
}

// Waiters queued in order are served in order: no acquire overtakes an earlier one that was still
// waiting (cancelled ones excepted).
void ChaosRun::checkFifo()
{
    for (const AcquireRecord &late : m_model.acquires) {
        if (late.outcome != Outcome::Ok || late.cancelled || late.finishOrder < 0)
            continue;
        for (const AcquireRecord &early : m_model.acquires) {
            if (early.id >= late.id)
                break;
            if (early.poolIndex != late.poolIndex || early.cancelled || early.finishOrder < 0)
                continue;
            CHAOS_CHECK(early.finishOrder < late.finishOrder,
                        u"FIFO: acquire #%1 was served while the earlier #%2 still waited (it finished later: %3)"_s
                            .arg(late.id).arg(early.id).arg(outcomeName(early.outcome)));
        }
    }
}

// Everything goes back; every waiter is served or failed; the pool settles within its sizes and
// closes without leaving a session.
void ChaosRun::finish()
{
    m_model.staleTransactions.clear();
    m_model.orphans.clear();
    for (Held &h : m_model.held) {
        QFuture<void> r = h.con.release();
        CHAOS_CHECK(waitFor(r, 5000 + g_config.slackMs), u"final release of #%1 did not finish"_s.arg(h.id));
    }
    while (!m_model.held.empty())
        retireHeld(m_model.held.size() - 1);

    // Waiters are served now that everything is free, oldest first; each gives its connection back
    // at once so the next one can have it.
    for (;;) {
        harvestAcquires();
        if (m_failed)
            return;
        for (Held &h : m_model.held)
            h.con.release();
        while (!m_model.held.empty())
            retireHeld(m_model.held.size() - 1);
        auto oldest = std::find_if(m_model.acquires.begin(), m_model.acquires.end(),
                                   [](const AcquireRecord &r) { return !r.harvested && !r.cancelled; });
        if (oldest == m_model.acquires.end())
            break;
        CHAOS_CHECK(waitFor(oldest->future, 10000 + g_config.slackMs),
                    u"acquire #%1 never finished although every connection was released %2"_s.arg(oldest->id).arg(poolSummary()));
    }
    for (InFlight &q : m_model.inflight)
        CHAOS_CHECK(waitFor(q.future, int(std::max<qint64>(0, q.boundMs - q.since.elapsed()))),
                    u"%1 did not finish within %2 ms"_s.arg(q.what).arg(q.boundMs));
    checkInFlight();
    if (m_failed)
        return;
    checkFifo();
    if (m_failed)
        return;

    if (!m_model.closed) {
        // Everything is back and the sizes hold once releases settled.
        int size = 0, idle = 0;
        const bool settled = eventually([&] {
            syncWithPool();
            size = m_pool->size();
            idle = m_pool->idleSize();
            return idle == size && size <= m_model.maxSize && (size >= m_model.minSize || !m_pool->isOpen());
        }, 5000 + g_config.slackMs);
        CHAOS_CHECK(settled, u"after releasing everything: size %1 idle %2 (min %3 max %4)"_s.arg(size).arg(idle)
                                 .arg(m_model.minSize).arg(m_model.maxSize));
        checkServerSessions();
        if (m_failed)
            return;
        QFuture<void> closing = m_pool->close(2s);
        m_model.closed = true;
        CHAOS_CHECK(waitFor(closing, 2000 + g_config.slackMs), u"final close() with nothing acquired did not finish"_s);
        CHAOS_CHECK(m_pool->size() == 0, u"size() is %1 after the final close()"_s.arg(m_pool->size()));
    }
    const int index = m_model.poolIndex;
    destroyPool();
    checkPoolGoneFromServer(index);
}

} // namespace

// ---------------------------------------------------------------------------------------------
// The test

class tst_PoolChaos : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void chaosSameThread_data() { seeds(Mode::SameThread, 1001, 130); }
    void chaosSameThread() { runSeed(Mode::SameThread); }
    void chaosHooks_data() { seeds(Mode::Hooks, 2001, 40); }
    void chaosHooks() { runSeed(Mode::Hooks); }
    void chaosServerRestart_data() { seeds(Mode::ServerRestart, 4001, 8); }
    void chaosServerRestart() { runSeed(Mode::ServerRestart); }
    // The pool lives in a worker thread; the test thread calls it. Kept apart: cross-thread safety of
    // every public Pool method is a separate promise.
    void chaosCrossThread_data() { seeds(Mode::CrossThread, 3001, 30); }
    void chaosCrossThread() { runSeed(Mode::CrossThread); }
    void soak();
    void cleanupTestCase();

private:
    void seeds(Mode mode, quint32 first, int count);
    void runSeed(Mode mode);
    bool runOne(Mode mode, quint32 seed, QString *report);
    bool prepare(Mode mode, Environment &env, QString *error);

    std::unique_ptr<QPg::Dev::PrivateCluster> m_cluster; // for the restart mode only
    std::unique_ptr<QThread> m_worker;
};

void tst_PoolChaos::initTestCase()
{
    qInfo().noquote() << u"chaos: slack %1 ms; replay a failure with --seed N --mode M"_s.arg(g_config.slackMs);
}

void tst_PoolChaos::cleanupTestCase()
{
    if (m_worker) {
        m_worker->quit();
        m_worker->wait();
    }
    m_cluster.reset();
}

void tst_PoolChaos::seeds(Mode, quint32 first, int count)
{
    QTest::addColumn<quint32>("seed");
    if (g_config.seed) {
        QTest::addRow("seed %u", *g_config.seed) << *g_config.seed;
        return;
    }
    for (int i = 0; i < count; ++i)
        QTest::addRow("seed %u", first + quint32(i)) << first + quint32(i);
}

// The restart mode gets a server of its own (the shared one must never restart); the cross-thread
// mode a worker thread that owns the pools.
bool tst_PoolChaos::prepare(Mode mode, Environment &env, QString *error)
{
    env.dsn = dsn();
    if (mode == Mode::ServerRestart) {
        if (!m_cluster) {
            m_cluster = std::make_unique<QPg::Dev::PrivateCluster>();
            if (!m_cluster->start(error)) {
                m_cluster.reset();
                return false;
            }
        }
        env.cluster = m_cluster.get();
        env.dsn = m_cluster->dsn();
    }
    if (mode == Mode::CrossThread) {
        if (!m_worker) {
            m_worker = std::make_unique<QThread>();
            m_worker->setObjectName(u"chaos-pool-thread"_s);
            m_worker->start();
        }
        env.worker = m_worker.get();
    }
    return env.connectAdmin(error);
}

bool tst_PoolChaos::runOne(Mode mode, quint32 seed, QString *report)
{
    Environment env;
    QString error;
    if (!prepare(mode, env, &error)) {
        *report = u"cannot prepare mode %1: %2"_s.arg(modeName(mode), error);
        return false;
    }
    // Short sequences: many seeds find more than few long ones, and a failure replays quickly.
    QRandomGenerator lengths(seed ^ 0x5eed);
    const int steps = mode == Mode::ServerRestart ? 25 + int(lengths.bounded(10)) : 30 + int(lengths.bounded(31));
    ChaosRun run(mode, seed, env, steps);
    const bool ok = run.run();
    if (!ok)
        *report = run.report();
    return ok;
}

void tst_PoolChaos::runSeed(Mode mode)
{
    QFETCH(quint32, seed);
    QString report;
    const bool ok = runOne(mode, seed, &report);
    if (!ok)
        qWarning().noquote() << report; // in full: QTest shortens long failure messages
    QVERIFY2(ok, qPrintable(report.section(u'\n', 0, 2)));
}

// --seeds N --minutes M: seeds seedBase, seedBase+1, ... in every mode in turn until either limit;
// every failing seed is reported, the run goes on.
void tst_PoolChaos::soak()
{
    if (g_config.soakSeeds <= 0)
        return; // a normal run: the data-driven functions above do the work
    quint32 base = g_config.soakSeedBase;
    if (base == 0)
        base = QRandomGenerator::global()->bounded(1000000u) + 100000u;
    qInfo().noquote() << u"chaos soak: seeds from %1, up to %2 runs, %3 minutes"_s.arg(base).arg(g_config.soakSeeds)
                             .arg(g_config.soakMinutes);
    QElapsedTimer elapsed;
    elapsed.start();
    const Mode modes[] = {Mode::SameThread, Mode::SameThread, Mode::Hooks, Mode::ServerRestart, Mode::CrossThread};
    QStringList failures;
    int runs = 0;
    for (int i = 0; i < g_config.soakSeeds; ++i) {
        if (g_config.soakMinutes > 0 && elapsed.elapsed() > qint64(g_config.soakMinutes) * 60000)
            break;
        const Mode mode = g_config.mode.value_or(modes[i % 5]);
        if (mode == Mode::ServerRestart && i % 25 != 3 && !g_config.mode)
            continue; // restarts are slow: one seed in 25
        QString report;
        ++runs;
        if (!runOne(mode, base + quint32(i), &report)) {
            qWarning().noquote() << report;
            failures.append(u"--seed %1 --mode %2"_s.arg(base + quint32(i)).arg(modeName(mode)));
        }
    }
    qInfo().noquote() << u"chaos soak: %1 runs in %2 s, %3 failed"_s.arg(runs).arg(elapsed.elapsed() / 1000).arg(failures.size());
    QVERIFY2(failures.isEmpty(), qPrintable(u"failing seeds:\n"_s + failures.join(u'\n')));
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments();
    parseConfig(args);
    // Without test function names on the command line, the chaos options choose them.
    const bool functionsNamed = std::any_of(args.begin() + 1, args.end(), [](const QString &a) { return !a.startsWith(u'-'); });
    if (!functionsNamed) {
        if (g_config.soakSeeds > 0) {
            args.append(u"soak"_s);
        } else if (g_config.mode) {
            static const char *functions[] = {"chaosSameThread", "chaosHooks", "chaosCrossThread", "chaosServerRestart"};
            args.append(QString::fromLatin1(functions[int(*g_config.mode)]));
        }
    }
    tst_PoolChaos test;
    return QTest::qExec(&test, args);
}

#include "tst_poolchaos.moc"
