// SPDX-License-Identifier: MIT
// Duration statistics: logarithmic histograms, a one-minute window, Prometheus buckets.
#include "latencyhistogram_p.h"

#include <bit>
#include <cmath>

namespace QPg {

const std::array<double, HistogramBuckets::Count> &HistogramBuckets::upperBoundsSeconds()
{
    static const std::array<double, Count> bounds = [] {
        std::array<double, Count> seconds{};
        for (int i = 0; i < Count; ++i)
            seconds[i] = double(Private::histogramBoundsMicros[i]) / 1e6;
        return seconds;
    }();
    return bounds;
}

namespace Private {

// floor(4 log2(micros)) + 1 in integers (two samples per pool operation: log2 cost more than the
// rest of the recording): the octave from the highest set bit, the quarter by comparing the
// mantissa, in 2.62 fixed point, with 2^(1/4), 2^(1/2) and 2^(3/4) rounded up.
int logBucketOf(qint64 micros)
{
    if (micros < 1)
        return 0;
    constexpr quint64 quarterSteps[] = {5484249825272419512ULL, 6521908912666391107ULL, 7755900482342532475ULL};
    const int octave = std::bit_width(quint64(micros)) - 1;
    const quint64 mantissa = quint64(micros) << (62 - octave);
    const int quarter = int(mantissa >= quarterSteps[0]) + int(mantissa >= quarterSteps[1])
        + int(mantissa >= quarterSteps[2]);
    return std::min(LogBuckets - 1, 4 * octave + quarter + 1);
}

namespace {

double percentileMs(const LogHistogram<quint64> &h, double fraction)
{
    const quint64 rank = quint64(std::ceil(fraction * double(h.samples)));
    quint64 seen = 0;
    for (int b = 0; b < LogBuckets; ++b) {
        seen += h.counts[b];
        if (seen >= rank) {
            // Upper edge of the bucket, capped by the largest sample seen.
            const double upperMicros = b == 0 ? 1.0 : std::pow(2.0, double(b) / 4.0);
            return std::min(upperMicros, double(h.maxMicros)) / 1000.0;
        }
    }
    return double(h.maxMicros) / 1000.0;
}

} // namespace

LatencySummary summarize(const LogHistogram<quint64> &h)
{
    LatencySummary s;
    s.count = h.samples;
    if (h.samples == 0)
        return s;
    s.totalMs = double(h.totalMicros) / 1000.0;
    s.p50Ms = percentileMs(h, 0.50);
    s.p99Ms = percentileMs(h, 0.99);
    s.maxMs = double(h.maxMicros) / 1000.0;
    return s;
}

void LatencyWindow::add(qint64 micros, qint64 nowMs)
{
    const qint64 second = nowMs / 1000;
    Slot &slot = m_slots[std::size_t(second % Seconds)];
    if (slot.second != second) {
        slot.second = second; // its previous second has left the window
        slot.histogram = {};
    }
    slot.histogram.add(micros);
}

LatencySummary LatencyWindow::summary(qint64 nowMs, int seconds) const
{
    const qint64 now = nowMs / 1000;
    const qint64 oldest = now - std::clamp(seconds, 1, Seconds) + 1;
    LogHistogram<quint64> merged;
    for (const Slot &slot : m_slots) {
        if (slot.second >= oldest && slot.second <= now)
            merged.merge(slot.histogram);
    }
    return summarize(merged);
}

LatencyRecorder::LatencyRecorder(bool windowed)
    : m_window(windowed ? std::make_unique<LatencyWindow>() : nullptr)
{
}

void LatencyRecorder::add(qint64 micros, qint64 nowMs)
{
    micros = std::max<qint64>(micros, 0);
    m_total.add(micros);
    const auto bound = std::lower_bound(histogramBoundsMicros.begin(), histogramBoundsMicros.end(), micros);
    ++m_bucketCounts[std::size_t(bound - histogramBoundsMicros.begin())];
    if (m_window)
        m_window->add(micros, nowMs);
}

LatencySummary LatencyRecorder::windowSummary(qint64 nowMs, int seconds) const
{
    return m_window ? m_window->summary(nowMs, seconds) : LatencySummary();
}

HistogramBuckets LatencyRecorder::buckets() const
{
    HistogramBuckets b;
    quint64 running = 0;
    for (int i = 0; i < HistogramBuckets::Count; ++i) {
        running += m_bucketCounts[std::size_t(i)];
        b.cumulative[std::size_t(i)] = running;
    }
    b.count = m_total.samples;
    b.sumSeconds = double(m_total.totalMicros) / 1e6;
    return b;
}

} // namespace Private
} // namespace QPg
