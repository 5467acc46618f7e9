// SPDX-License-Identifier: MIT
// PoolStats that reflect now (issue 10): windowed acquire waits, hold and connect times, the oldest
// waiter and the Prometheus buckets, against a real server.
#include <QPg/pool.h>

#include "await.h"
#include "pooltest.h"
#include "statsclock_p.h"
#include "testserver.h"

#include <QtCore/QElapsedTimer>
#include <QtTest/QTest>

using namespace std::chrono_literals;
using namespace Qt::Literals::StringLiterals;
using namespace QPgTest;

namespace {

// Index of the Prometheus bucket whose upper bound is `seconds`.
int boundIndex(double seconds)
{
    const auto &bounds = QPg::HistogramBuckets::upperBoundsSeconds();
    const auto it = std::find(bounds.begin(), bounds.end(), seconds);
    Q_ASSERT(it != bounds.end());
    return int(it - bounds.begin());
}

// The window clock of a pool, moved forward by the test instead of waiting a minute.
class MovableClock
{
public:
    explicit MovableClock(QPg::Pool *pool) : m_pool(pool)
    {
        m_real.start();
        QPg::Private::setStatsClockForTesting(pool, [this] { return m_real.elapsed() + m_offsetMs; });
    }
    ~MovableClock() { QPg::Private::setStatsClockForTesting(m_pool, {}); }
    void advance(std::chrono::milliseconds by) { m_offsetMs += by.count(); }

private:
    QPg::Pool *m_pool;
    QElapsedTimer m_real;
    qint64 m_offsetMs = 0;
};

// Holds the pool's only connection for `holdSql`, while a second acquire queues behind it.
void waitBehindHolder(QPg::Pool &pool, const QString &holdSql)
{
    QPg::PooledConnection holder = await(pool.acquire());
    QFuture<QPg::PooledConnection> queued = pool.acquire();
    QVERIFY(!queued.isFinished());
    await(holder.execute(holdSql));
    await(holder.release());
    QPg::PooledConnection second = await(queued);
    await(second.release());
}

} // namespace

class tst_PoolStats : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void bucketBoundsAreSortedSeconds();
    void windowForgetsOldWaitsCumulativeKeepsThem();
    void holdTimeCountsAcquireToRelease();
    void connectTimeIncludesInitHook();
    void oldestWaiterAgeGrowsAndClears();
};

void tst_PoolStats::bucketBoundsAreSortedSeconds()
{
    const auto &bounds = QPg::HistogramBuckets::upperBoundsSeconds();
    QCOMPARE(bounds.front(), 0.0005);
    QCOMPARE(bounds.back(), 30.0);
    QVERIFY(std::is_sorted(bounds.begin(), bounds.end()));
    QVERIFY(std::adjacent_find(bounds.begin(), bounds.end()) == bounds.end());
}

void tst_PoolStats::windowForgetsOldWaitsCumulativeKeepsThem()
{
    auto pool = openPool(poolOptions(1, 1));
    MovableClock clock(pool.get());
    waitBehindHolder(*pool, u"SELECT pg_sleep(0.05)"_s);

    QPg::PoolStats s = pool->stats();
    QCOMPARE(s.acquires, 2u);
    QCOMPARE(s.acquireWaitLast10s.count, 2u); // the holder (no wait) and the queued one
    QVERIFY2(s.acquireWaitLast10s.maxMs >= 50, qPrintable(QString::number(s.acquireWaitLast10s.maxMs)));
    QCOMPARE(s.acquireWaitLast60s.count, 2u);
    QCOMPARE(s.acquireWaitLast60s.maxMs, s.acquireWaitLast10s.maxMs);
    QCOMPARE(s.acquireWaitLast10s.p99Ms, s.acquireWaitP99Ms);
    const double cumulativeP99 = s.acquireWaitP99Ms;
    QVERIFY(cumulativeP99 >= 50);

    // 11 s later the 10 s window has forgotten them; the minute and the cumulative have not.
    clock.advance(11s);
    s = pool->stats();
    QCOMPARE(s.acquireWaitLast10s.count, 0u);
    QCOMPARE(s.acquireWaitLast10s.p99Ms, 0.0);
    QCOMPARE(s.acquireWaitLast10s.maxMs, 0.0);
    QCOMPARE(s.acquireWaitLast60s.count, 2u);
    QVERIFY(s.acquireWaitLast60s.p99Ms >= 50);
    QCOMPARE(s.acquireWaitP99Ms, cumulativeP99);

    // A minute later the 60 s window is empty too; the cumulative still has both.
    clock.advance(50s);
    s = pool->stats();
    QCOMPARE(s.acquireWaitLast60s.count, 0u);
    QCOMPARE(s.acquireWaitLast60s.totalMs, 0.0);
    QCOMPARE(s.acquireWaitP99Ms, cumulativeP99);
    QCOMPARE(s.acquireWaitBuckets.count, 2u);

    // New waits land in a reused slot without the old ones.
    await(pool->fetchValue(u"SELECT 1"_s));
    s = pool->stats();
    QCOMPARE(s.acquireWaitLast10s.count, 1u);
    QCOMPARE(s.acquireWaitLast60s.count, 1u);
    QVERIFY(s.acquireWaitLast60s.maxMs < 50);
    QCOMPARE(s.acquires, 3u);
}

void tst_PoolStats::holdTimeCountsAcquireToRelease()
{
    auto pool = openPool(poolOptions(1, 1));
    QPg::PooledConnection con = await(pool->acquire());
    await(con.execute(u"SELECT pg_sleep(0.1)"_s));
    QCOMPARE(pool->stats().holdTime.count, 0u); // still held
    await(con.release());

    const QPg::PoolStats s = pool->stats();
    QCOMPARE(s.holdTime.count, 1u);
    QVERIFY2(s.holdTime.maxMs >= 100, qPrintable(QString::number(s.holdTime.maxMs)));
    QVERIFY(s.holdTime.totalMs >= 100);
    QCOMPARE(s.holdTimeLast60s.count, 1u);
    QCOMPARE(s.holdTimeBuckets.count, 1u);
    QVERIFY(s.holdTimeBuckets.sumSeconds >= 0.1);
    QCOMPARE(s.holdTimeBuckets.cumulative[boundIndex(0.05)], 0u); // le semantics: held longer
    QCOMPARE(s.holdTimeBuckets.cumulative.back(), 1u);

    // A connection lost while held ends its hold too.
    QPg::PooledConnection lost = await(pool->acquire());
    lost.connection()->terminate();
    QTRY_COMPARE(pool->stats().holdTime.count, 2u);
}

void tst_PoolStats::connectTimeIncludesInitHook()
{
    QPg::PoolOptions options = poolOptions(2, 2);
    options.init = [](QPg::Connection *connection) -> QFuture<void> {
        return connection->execute(u"SELECT pg_sleep(0.1)"_s).then([](const QString &) { });
    };
    auto pool = openPool(options);
    const QPg::PoolStats s = pool->stats();
    QCOMPARE(s.connectionsOpened, 2u);
    QCOMPARE(s.connectTime.count, 2u);
    QVERIFY2(s.connectTime.p50Ms >= 100, qPrintable(QString::number(s.connectTime.p50Ms)));
    QVERIFY(s.connectTime.maxMs < 20000);
    QCOMPARE(s.connectTimeBuckets.count, 2u);
    QCOMPARE(s.connectTimeBuckets.cumulative[boundIndex(0.05)], 0u);
    QCOMPARE(s.connectTimeBuckets.cumulative.back(), 2u);
    QCOMPARE(s.holdTime.count, 0u);
}

void tst_PoolStats::oldestWaiterAgeGrowsAndClears()
{
    auto pool = openPool(poolOptions(1, 1));
    QCOMPARE(pool->stats().oldestWaiterMs, 0.0);
    QPg::PooledConnection holder = await(pool->acquire());
    QCOMPARE(pool->stats().oldestWaiterMs, 0.0); // held, but nobody waits
    QElapsedTimer sinceFirst;
    sinceFirst.start();
    QFuture<QPg::PooledConnection> queued = pool->acquire();
    QCOMPARE(pool->stats().waiting, 1);
    QTRY_VERIFY(pool->stats().oldestWaiterMs >= 50);
    QFuture<QPg::PooledConnection> younger = pool->acquire();
    QTRY_COMPARE(pool->stats().waiting, 2);
    QVERIFY(pool->stats().oldestWaiterMs >= 50); // the first waiter's age, not the newest's

    await(holder.release());
    QPg::PooledConnection first = await(queued);
    // Only the younger one waits now, and it came at least 50 ms after the first.
    const double remaining = pool->stats().oldestWaiterMs;
    QVERIFY2(remaining <= double(sinceFirst.elapsed() - 50), qPrintable(QString::number(remaining)));
    await(first.release());
    await(await(younger).release());
    QCOMPARE(pool->stats().oldestWaiterMs, 0.0);
    QCOMPARE(pool->stats().waiting, 0);
}

QTEST_MAIN(tst_PoolStats)
#include "tst_poolstats.moc"
