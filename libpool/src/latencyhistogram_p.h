// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QPg/poolstats.h>

#include <algorithm>
#include <array>
#include <memory>

namespace QPg::Private {

// Quarter powers of two of microseconds: percentiles without keeping samples, to within 19 %.
inline constexpr int LogBuckets = 160;
int logBucketOf(qint64 micros);

// Counts per logarithmic bucket. Count is quint32 for the per-second slots of a window (a second
// never holds 4 billion samples) and quint64 for the cumulative and merged histograms.
template<typename Count>
struct LogHistogram
{
    std::array<Count, LogBuckets> counts{};
    quint64 samples = 0;
    qint64 totalMicros = 0;
    qint64 maxMicros = 0;

    void add(qint64 micros)
    {
        micros = std::max<qint64>(micros, 0);
        ++counts[logBucketOf(micros)];
        ++samples;
        totalMicros += micros;
        maxMicros = std::max(maxMicros, micros);
    }
    template<typename Other>
    void merge(const LogHistogram<Other> &other)
    {
        for (int b = 0; b < LogBuckets; ++b)
            counts[b] += other.counts[b];
        samples += other.samples;
        totalMicros += other.totalMicros;
        maxMicros = std::max(maxMicros, other.maxMicros);
    }
};

LatencySummary summarize(const LogHistogram<quint64> &histogram);

// The Prometheus buckets of HistogramBuckets, in microseconds (so a bucket is found without
// floating point on the hot path).
inline constexpr std::array<qint64, HistogramBuckets::Count> histogramBoundsMicros{
    500, 1'000, 2'500, 5'000, 10'000, 25'000, 50'000, 100'000, 250'000, 500'000,
    1'000'000, 2'500'000, 5'000'000, 10'000'000, 30'000'000};

// The samples of the last Seconds seconds, one slot per second: a slot is reused (cleared) when
// its second comes round again, so adding is O(1) and allocates nothing. Time comes from the
// caller, so tests can move it.
class LatencyWindow
{
public:
    static constexpr int Seconds = 60;
    void add(qint64 micros, qint64 nowMs);
    // Samples added in the last `seconds` seconds (the current second and seconds - 1 before it).
    LatencySummary summary(qint64 nowMs, int seconds) const;

private:
    struct Slot
    {
        qint64 second = -1;
        LogHistogram<quint32> histogram;
    };
    std::array<Slot, Seconds> m_slots;
};

// One kind of duration: cumulative percentiles, Prometheus buckets and, when windowed, the last
// minute. add() is O(1) and allocation-free: it runs on every acquire and release.
class LatencyRecorder
{
public:
    explicit LatencyRecorder(bool windowed);
    void add(qint64 micros, qint64 nowMs);
    LatencySummary summary() const { return summarize(m_total); }
    LatencySummary windowSummary(qint64 nowMs, int seconds) const;
    HistogramBuckets buckets() const;

private:
    LogHistogram<quint64> m_total;
    std::array<quint64, HistogramBuckets::Count + 1> m_bucketCounts{}; // last: above every bound
    std::unique_ptr<LatencyWindow> m_window;
};

} // namespace QPg::Private
