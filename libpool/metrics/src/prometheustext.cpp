// SPDX-License-Identifier: MIT
// The Prometheus text exposition format (0.0.4) of PoolStats.
#include <QPg/prometheustext.h>

#include <charconv>
#include <cmath>
#include <functional>

namespace QPg {

namespace {

// Label values: backslash, double quote and line feed are escaped.
QByteArray escapeLabel(const QString &value)
{
    QByteArray out;
    const QByteArray utf8 = value.toUtf8();
    out.reserve(utf8.size());
    for (char c : utf8) {
        switch (c) {
        case '\\': out += "\\\\"; break;
        case '"': out += "\\\""; break;
        case '\n': out += "\\n"; break;
        default: out += c;
        }
    }
    return out;
}

// Shortest text that reads back as the same double; plain decimals ("0.0005", not "5e-04") in the
// range seconds and counts live in, as other exporters write their bucket bounds.
QByteArray number(double value)
{
    char buffer[64];
    const double magnitude = std::abs(value);
    const bool plain = magnitude == 0 || (magnitude >= 1e-6 && magnitude < 1e15);
    const auto result = plain ? std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed)
                              : std::to_chars(buffer, buffer + sizeof buffer, value);
    return QByteArray(buffer, int(result.ptr - buffer));
}

QByteArray number(quint64 value)
{
    return QByteArray::number(value);
}

enum class Type { Gauge, Counter, Histogram };

class Writer
{
public:
    explicit Writer(const QList<NamedPoolStats> &pools) : m_pools(pools) { }

    // One family: its HELP and TYPE lines, then sample(pool labels) for every pool.
    void family(const char *name, Type type, const char *help,
                const std::function<void(const QByteArray &labels, const PoolStats &)> &sample)
    {
        static const char *const typeNames[] = {"gauge", "counter", "histogram"};
        m_out += "# HELP ";
        m_out += name;
        m_out += ' ';
        m_out += help;
        m_out += "\n# TYPE ";
        m_out += name;
        m_out += ' ';
        m_out += typeNames[int(type)];
        m_out += '\n';
        for (const NamedPoolStats &p : m_pools) {
            const QByteArray labels = "pool=\"" + escapeLabel(p.pool) + "\",application=\"" + escapeLabel(p.application) + '"';
            sample(labels, p.stats);
        }
    }
    void line(const QByteArray &name, const QByteArray &labels, const QByteArray &value)
    {
        m_out += name;
        m_out += '{' + labels + "} " + value + '\n';
    }
    void histogram(const char *name, const QByteArray &labels, const HistogramBuckets &h)
    {
        const QByteArray base(name);
        const QByteArray bucket = base + "_bucket";
        const auto &bounds = HistogramBuckets::upperBoundsSeconds();
        for (int i = 0; i < HistogramBuckets::Count; ++i)
            line(bucket, labels + ",le=\"" + number(bounds[std::size_t(i)]) + '"',
                 number(h.cumulative[std::size_t(i)]));
        line(bucket, labels + ",le=\"+Inf\"", number(h.count));
        line(base + "_sum", labels, number(h.sumSeconds));
        line(base + "_count", labels, number(h.count));
    }
    QByteArray take() { return std::move(m_out); }

private:
    const QList<NamedPoolStats> &m_pools;
    QByteArray m_out;
};

} // namespace

QByteArray prometheusContentType()
{
    return QByteArrayLiteral("text/plain; version=0.0.4; charset=utf-8");
}

QByteArray prometheusText(const QList<NamedPoolStats> &pools)
{
    Writer w(pools);
    using S = const PoolStats &;
    using L = const QByteArray &;
    const auto gauge = [&w](const char *name, const char *help, auto value) {
        w.family(name, Type::Gauge, help, [&](L labels, S s) { w.line(name, labels, number(value(s))); });
    };
    const auto counter = [&w](const char *name, const char *help, auto value) {
        w.family(name, Type::Counter, help, [&](L labels, S s) { w.line(name, labels, number(value(s))); });
    };
    const auto histogram = [&w](const char *name, const char *help, auto buckets) {
        w.family(name, Type::Histogram, help, [&](L labels, S s) { w.histogram(name, labels, buckets(s)); });
    };

    w.family("qpgpool_connections", Type::Gauge, "Open and opening connections by state.", [&w](L labels, S s) {
        const int resetting = std::max(0, s.size - s.idle - s.active);
        const std::pair<const char *, int> states[] = {
            {"idle", s.idle}, {"active", s.active}, {"resetting", resetting}, {"connecting", s.connecting}};
        for (const auto &[state, count] : states)
            w.line("qpgpool_connections", labels + ",state=\"" + state + '"', number(quint64(count)));
    });
    gauge("qpgpool_connections_min", "Connections the pool keeps open at least.", [](S s) { return quint64(s.minSize); });
    gauge("qpgpool_connections_max", "Connections the pool opens at most.", [](S s) { return quint64(s.maxSize); });
    gauge("qpgpool_connections_pending", "acquire() calls waiting for a connection.", [](S s) { return quint64(s.waiting); });
    gauge("qpgpool_acquire_oldest_wait_seconds", "Age of the longest-waiting acquire(), 0 when none waits.",
          [](S s) { return s.oldestWaiterMs / 1000.0; });
    histogram("qpgpool_acquire_wait_seconds", "Time acquire() waited for a connection.",
              [](S s) -> const HistogramBuckets & { return s.acquireWaitBuckets; });
    histogram("qpgpool_connection_usage_seconds", "Time a caller held a connection, acquire to release.",
              [](S s) -> const HistogramBuckets & { return s.holdTimeBuckets; });
    histogram("qpgpool_connection_creation_seconds", "Time to open a connection, init hook included.",
              [](S s) -> const HistogramBuckets & { return s.connectTimeBuckets; });
    counter("qpgpool_acquires_total", "Successful acquires.", [](S s) { return s.acquires; });
    counter("qpgpool_acquire_timeouts_total", "Acquires that timed out.", [](S s) { return s.acquireTimeouts; });
    counter("qpgpool_connections_opened_total", "Connections opened.", [](S s) { return s.connectionsOpened; });
    w.family("qpgpool_connections_closed_total", Type::Counter, "Connections closed, by reason.", [&w](L labels, S s) {
        for (int r = 0; r < int(std::size(s.closedByReason)); ++r)
            w.line("qpgpool_connections_closed_total",
                   labels + ",reason=\"" + escapeLabel(closeReasonName(CloseReason(r))) + '"',
                   number(s.closedByReason[r]));
    });
    counter("qpgpool_connect_failures_total", "Failed attempts to open a connection.", [](S s) { return s.connectFailures; });
    counter("qpgpool_queries_total", "Statements run on pooled connections.", [](S s) { return s.queries; });
    counter("qpgpool_query_errors_total", "Pool helper calls that failed.", [](S s) { return s.queryErrors; });
    return w.take();
}

} // namespace QPg
