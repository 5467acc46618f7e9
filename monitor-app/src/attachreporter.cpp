// SPDX-License-Identifier: MIT
#include "attachreporter.h"

#include "remotepoolsource.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QDateTime>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitor {

namespace {

QString csvField(const QString &text)
{
    if (!text.contains(u',') && !text.contains(u'"') && !text.contains(u'\n'))
        return text;
    return u'"' + QString(text).replace(u"\""_s, u"\"\""_s) + u'"';
}

// The text format's columns: time, application/pool, then numbers (negative: left-aligned).
constexpr int TextWidths[] = {-12, -28, 5, 5, 7, 8, 11, 9, 12};

QString textLine(const QStringList &cells)
{
    QStringList padded;
    for (qsizetype i = 0; i < cells.size(); ++i) {
        const int width = TextWidths[i];
        padded.append(width < 0 ? cells.at(i).leftJustified(-width) : cells.at(i).rightJustified(width));
    }
    return padded.join(u' ');
}

} // namespace

AttachReporter::AttachReporter(Format format, const QString &directory, QObject *parent)
    : QObject(parent)
    , m_format(format)
    , m_directory(directory)
    , m_out(stdout)
    , m_err(stderr)
{
    if (m_format == Format::Csv)
        m_out << "time,application,pid,pool,size,idle,active,waiting,connecting,min_size,max_size,"
                 "acquires_per_s,queries_per_s,errors_per_s,wait_p50_ms,wait_p99_ms,wait_max_ms,oldest_wait_ms"
              << Qt::endl;
    else if (m_format == Format::Text)
        m_out << textLine({u"time"_s, u"application/pool"_s, u"size"_s, u"idle"_s, u"active"_s, u"waiting"_s,
                           u"acquires/s"_s, u"errors/s"_s, u"p99 wait ms"_s})
              << Qt::endl;
}

AttachReporter::~AttachReporter() = default;

std::optional<AttachReporter::Format> AttachReporter::parseFormat(const QString &name)
{
    if (name == u"text")
        return Format::Text;
    if (name == u"csv")
        return Format::Csv;
    if (name == u"json")
        return Format::Json;
    return std::nullopt;
}

void AttachReporter::attach(const AttachTarget &target)
{
    auto *source = new RemotePoolSource(target, 1, m_directory, this);
    connect(source, &RemotePoolSource::sampleAdded, this,
            [this, source](const QString &pool, const StatsSample &sample) { print(source, pool, sample); });
    connect(source, &RemotePoolSource::eventAdded, this, [this, source](const QString &pool, const MonitorEvent &event) {
        m_err << u"# "_s << event.time.toString(u"HH:mm:ss.zzz"_s) << u' ' << source->applicationName() << u'/'
              << pool << u' ' << MonitorEvent::kindName(event.kind) << u": "_s << event.text << Qt::endl;
        if (event.text == u"closed")
            fail(u"the pool %1 of %2 closed"_s.arg(pool, source->applicationName()));
    });
    connect(source, &RemotePoolSource::stateChanged, this, [this, source, target](RemotePoolSource::State state) {
        if (state == RemotePoolSource::State::Disconnected && source->pid() != 0)
            fail(u"%1 went away: %2"_s.arg(target.displayName(), source->statusText()));
        else if (state == RemotePoolSource::State::Searching || state == RemotePoolSource::State::Disconnected)
            fail(u"cannot attach to %1: %2"_s.arg(target.displayName(), source->statusText()));
    });
    source->start(false);
}

void AttachReporter::print(const RemotePoolSource *source, const QString &pool, const StatsSample &sample)
{
    if (m_failed)
        return;
    const QPg::PoolStats &stats = source->pool(pool)->stats;
    const QString time = QDateTime::currentDateTime().toString(Qt::ISODateWithMs);
    switch (m_format) {
    case Format::Text:
        m_out << textLine({time.mid(11, 12), source->applicationName() + u'/' + pool, QString::number(sample.size),
                           QString::number(sample.idle), QString::number(sample.active),
                           QString::number(sample.waiting), QString::number(sample.acquiresPerSecond, 'f', 1),
                           QString::number(sample.errorsPerSecond, 'f', 1), QString::number(sample.waitP99Ms, 'f', 2)});
        break;
    case Format::Csv:
        m_out << QStringList{time, csvField(source->applicationName()), QString::number(source->pid()), csvField(pool),
                             QString::number(sample.size), QString::number(sample.idle), QString::number(sample.active),
                             QString::number(sample.waiting), QString::number(sample.connecting),
                             QString::number(sample.minSize), QString::number(sample.maxSize),
                             QString::number(sample.acquiresPerSecond, 'f', 2),
                             QString::number(sample.queriesPerSecond, 'f', 2),
                             QString::number(sample.errorsPerSecond, 'f', 2), QString::number(sample.waitP50Ms, 'f', 3),
                             QString::number(sample.waitP99Ms, 'f', 3), QString::number(stats.acquireWaitMaxMs, 'f', 3),
                             QString::number(sample.oldestWaitMs, 'f', 3)}
                     .join(u',');
        break;
    case Format::Json: {
        const QJsonObject line{
            {u"time"_s, time},
            {u"application"_s, source->applicationName()},
            {u"pid"_s, source->pid()},
            {u"pool"_s, pool},
            {u"size"_s, sample.size},
            {u"idle"_s, sample.idle},
            {u"active"_s, sample.active},
            {u"waiting"_s, sample.waiting},
            {u"connecting"_s, sample.connecting},
            {u"minSize"_s, sample.minSize},
            {u"maxSize"_s, sample.maxSize},
            {u"acquires"_s, qint64(stats.acquires)},
            {u"acquiresPerSecond"_s, sample.acquiresPerSecond},
            {u"queriesPerSecond"_s, sample.queriesPerSecond},
            {u"errorsPerSecond"_s, sample.errorsPerSecond},
            {u"waitP50Ms"_s, sample.waitP50Ms},
            {u"waitP99Ms"_s, sample.waitP99Ms},
            {u"waitMaxMs"_s, stats.acquireWaitMaxMs},
            {u"oldestWaitMs"_s, sample.oldestWaitMs},
        };
        m_out << QString::fromUtf8(QJsonDocument(line).toJson(QJsonDocument::Compact));
        break;
    }
    }
    m_out << Qt::endl; // flush: stdout is usually a pipe
    if (m_lines++ == 0)
        Q_EMIT firstSnapshot();
}

void AttachReporter::fail(const QString &message)
{
    if (m_failed)
        return;
    m_failed = true;
    m_err << u"qpgpool-monitor: "_s << message << Qt::endl;
    // Queued: this can happen before the event loop runs, when exit() alone would be lost.
    QMetaObject::invokeMethod(QCoreApplication::instance(), [] { QCoreApplication::exit(1); }, Qt::QueuedConnection);
}

} // namespace QPg::Monitor
