// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QtGlobal>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <vector>

namespace QPgBench {

// Latencies in nanoseconds, log-linear buckets: exact below 128 ns, then 64 buckets per power of
// two (under 1.6 % relative error) up to about 2^46 ns. The same layout is implemented in
// peers/benchcommon.py so every implementation reports percentiles the same way. A fixed 10 µs grid
// (MagicStack's harness) would put a 1 µs acquire+release into bucket zero.
class LatencyHistogram
{
public:
    static constexpr int SubBuckets = 64;
    static constexpr int Linear = 2 * SubBuckets;
    static constexpr int Octaves = 40;

    LatencyHistogram() : m_counts(Linear + Octaves * SubBuckets, 0) { }

    static int bucketOf(qint64 ns)
    {
        if (ns < Linear)
            return int(std::max<qint64>(ns, 0));
        const int shift = std::bit_width(quint64(ns)) - 7; // ns >> shift lies in [64, 127]
        const int index = Linear + (shift - 1) * SubBuckets + int((ns >> shift) - SubBuckets);
        return std::min(index, Linear + Octaves * SubBuckets - 1);
    }

    // The middle of a bucket: the value a percentile falling into it reports.
    static double bucketMiddle(int index)
    {
        if (index < Linear)
            return index;
        const int shift = (index - Linear) / SubBuckets + 1;
        const double lower = double(qint64((index - Linear) % SubBuckets + SubBuckets) << shift);
        return lower + double(qint64(1) << shift) / 2.0;
    }

    void add(qint64 ns)
    {
        ++m_counts[size_t(bucketOf(ns))];
        ++m_total;
        m_sum += double(ns);
        m_min = std::min(m_min, ns);
        m_max = std::max(m_max, ns);
    }

    void clear() { *this = LatencyHistogram(); }

    // Adds other's samples, as if they had been added here.
    void merge(const LatencyHistogram &other)
    {
        for (size_t i = 0; i < m_counts.size(); ++i)
            m_counts[i] += other.m_counts[i];
        if (other.m_total == 0)
            return;
        m_min = m_total ? std::min(m_min, other.m_min) : other.m_min;
        m_max = std::max(m_max, other.m_max);
        m_total += other.m_total;
        m_sum += other.m_sum;
    }

    quint64 count() const { return m_total; }
    double meanNs() const { return m_total ? m_sum / double(m_total) : 0.0; }
    qint64 minNs() const { return m_total ? m_min : 0; }
    qint64 maxNs() const { return m_max; }

    // The smallest recorded bucket with at least fraction of the samples at or below it, clamped to
    // the exact minimum and maximum.
    double percentileNs(double fraction) const
    {
        if (m_total == 0)
            return 0.0;
        const auto rank = quint64(std::ceil(fraction * double(m_total)));
        quint64 seen = 0;
        for (size_t i = 0; i < m_counts.size(); ++i) {
            seen += m_counts[i];
            if (seen >= std::max<quint64>(rank, 1))
                return std::clamp(bucketMiddle(int(i)), double(m_min), double(m_max));
        }
        return double(m_max);
    }

private:
    std::vector<quint64> m_counts;
    quint64 m_total = 0;
    double m_sum = 0.0;
    qint64 m_min = std::numeric_limits<qint64>::max();
    qint64 m_max = 0;
};

} // namespace QPgBench
