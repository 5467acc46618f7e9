// SPDX-License-Identifier: MIT
// The latency histograms' bucket function: integer arithmetic, the same buckets as 4 log2(micros).
#include "latencyhistogram_p.h"

#include <QtCore/QRandomGenerator>
#include <QtTest/QTest>

#include <cmath>

namespace {

int bucketByLog2(qint64 micros)
{
    return micros < 1 ? 0 : std::min(QPg::Private::LogBuckets - 1, int(std::log2(double(micros)) * 4.0) + 1);
}

} // namespace

class tst_LatencyHistogram : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void bucketsMatchLog2Exhaustively()
    {
        QCOMPARE(QPg::Private::logBucketOf(-5), 0);
        QCOMPARE(QPg::Private::logBucketOf(0), 0);
        for (qint64 micros = 1; micros <= (qint64(1) << 22); ++micros) {
            if (QPg::Private::logBucketOf(micros) != bucketByLog2(micros))
                QFAIL(qPrintable(QStringLiteral("bucket of %1 µs: %2, log2 says %3")
                                     .arg(micros)
                                     .arg(QPg::Private::logBucketOf(micros))
                                     .arg(bucketByLog2(micros))));
        }
    }
    void bucketsMatchLog2AtBoundariesAndAtRandom()
    {
        // Around every quarter-octave edge up to 2^40 µs (12 days), and random durations up to that.
        for (int quarter = 0; quarter < 160; ++quarter) {
            const qint64 edge = qint64(std::ceil(std::pow(2.0, quarter / 4.0)));
            for (qint64 micros = std::max<qint64>(1, edge - 2); micros <= edge + 2; ++micros)
                QCOMPARE(QPg::Private::logBucketOf(micros), bucketByLog2(micros));
        }
        QRandomGenerator rng(11);
        for (int i = 0; i < 1000000; ++i) {
            const qint64 micros = qint64(rng.generate64() >> (24 + rng.bounded(40)));
            QCOMPARE(QPg::Private::logBucketOf(micros), bucketByLog2(micros));
        }
        QCOMPARE(QPg::Private::logBucketOf(std::numeric_limits<qint64>::max()), QPg::Private::LogBuckets - 1);
    }
};

QTEST_GUILESS_MAIN(tst_LatencyHistogram)
#include "tst_latencyhistogram.moc"
