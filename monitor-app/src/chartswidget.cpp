// SPDX-License-Identifier: MIT
#include "chartswidget.h"

#include "qcustomplotinclude.h"

#include <QtCore/QFile>
#include <QtCore/QSaveFile>
#include <QtGui/QPainter>
#include <QtWidgets/QVBoxLayout>

#include <algorithm>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitor {

namespace {

// Marker labels step down the chart, so labels of actions taken close together do not overlap.
constexpr int MarkerLabelRows = 3;

double epochSeconds(const QDateTime &time)
{
    return double(time.toMSecsSinceEpoch()) / 1000.0;
}

// Index of the point whose key is nearest to key; -1 when the graph is empty.
int nearestIndex(const QCPGraph *graph, double key)
{
    const auto data = graph->data();
    if (data->isEmpty())
        return -1;
    auto it = data->findBegin(key, false); // first point at or after key
    if (it == data->constEnd())
        return data->size() - 1;
    if (it != data->constBegin() && key - std::prev(it)->key < it->key - key)
        --it;
    return int(it - data->constBegin());
}

} // namespace

ChartsWidget::ChartsWidget(QWidget *parent)
    : QWidget(parent)
    , m_gauges(new QCustomPlot(this))
    , m_throughput(new QCustomPlot(this))
    , m_lastKey(epochSeconds(QDateTime::currentDateTimeUtc()))
{
    m_gauges->setObjectName(u"gaugePlot"_s);
    m_throughput->setObjectName(u"throughputPlot"_s);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_gauges, 1);
    layout->addWidget(m_throughput, 1);

    // Drawing order is bottom to top: the reference line first, then the wide, translucent size
    // line, so lines that coincide (size = active = max under full load) all stay visible.
    m_maxSize = addGraph(m_gauges, Theme::Series::MaxSize, u"max size"_s);
    m_series.last().style = LineStyle::Dashed;
    m_size = addGraph(m_gauges, Theme::Series::Size, u"size"_s);
    m_series.last().style = LineStyle::Wide;
    m_idle = addGraph(m_gauges, Theme::Series::Idle, u"idle"_s);
    m_active = addGraph(m_gauges, Theme::Series::Active, u"active"_s);
    m_waiting = addGraph(m_gauges, Theme::Series::Waiting, u"waiting"_s);
    // Gauges change in steps: a value holds until the next sample.
    for (QCPGraph *graph : {m_size, m_idle, m_active, m_waiting, m_maxSize})
        graph->setLineStyle(QCPGraph::lsStepLeft);

    // Errors get an axis of their own: a few errors a second would be a flat line at the bottom of
    // a thousand queries a second, and would squash the wait times on the other right-hand axis.
    m_errorsAxis = m_throughput->axisRect()->addAxis(QCPAxis::atRight);
    m_errorsAxis->setLabel(u"errors/s"_s);
    m_acquires = addGraph(m_throughput, Theme::Series::Acquires, u"acquires/s"_s);
    m_series.last().style = LineStyle::Wide; // pool.fetch() makes acquires/s equal queries/s
    m_queries = addGraph(m_throughput, Theme::Series::Queries, u"queries/s"_s);
    m_errors = addGraph(m_throughput, Theme::Series::Errors, u"errors/s"_s, m_errorsAxis);
    m_waitP50 = addGraph(m_throughput, Theme::Series::WaitP50, u"wait p50 (ms)"_s, m_throughput->yAxis2);
    m_waitP99 = addGraph(m_throughput, Theme::Series::WaitP99, u"wait p99 (ms)"_s, m_throughput->yAxis2);

    // Integer ticks for connection counts.
    auto integerTicker = QSharedPointer<QCPAxisTickerFixed>::create();
    integerTicker->setTickStep(1.0);
    integerTicker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    m_gauges->yAxis->setTicker(integerTicker);
    m_gauges->yAxis->setLabel(u"connections"_s);
    m_throughput->yAxis->setLabel(u"per second"_s);
    m_throughput->yAxis2->setVisible(true);
    m_throughput->yAxis2->setLabel(u"acquire wait (ms)"_s);

    for (QCustomPlot *plot : {m_gauges, m_throughput}) {
        // Keys are seconds since the epoch, shown as the local wall-clock time.
        auto timeTicker = QSharedPointer<QCPAxisTickerDateTime>::create();
        timeTicker->setDateTimeFormat(u"HH:mm:ss"_s);
        plot->xAxis->setTicker(timeTicker);
        // The legend gets a row of its own above the axes, so it never hides data.
        plot->legend->setVisible(true);
        plot->plotLayout()->insertRow(0);
        plot->plotLayout()->addElement(0, 0, plot->legend);
        plot->plotLayout()->setRowStretchFactor(0, 0.001);
        plot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
        plot->legend->setMargins(QMargins(6, 2, 6, 2));
        plot->legend->setRowSpacing(0);
        plot->legend->setColumnSpacing(12);
        plot->setMinimumHeight(160);
        // Dragging and zooming are for a paused chart; live charts follow the newest sample.
        plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
        plot->axisRect()->setRangeDrag(Qt::Horizontal);
        plot->axisRect()->setRangeZoom(Qt::Horizontal);
        // Hover values follow the mouse without a button pressed.
        plot->setMouseTracking(true);
        plot->installEventFilter(this);
        connect(plot, &QCustomPlot::mouseMove, this, [this, plot](QMouseEvent *event) {
            showValuesAt(plot->xAxis->pixelToCoord(event->position().x()));
        });
        connect(plot, &QCustomPlot::afterLayout, this, &ChartsWidget::alignPlotAreas);
    }
    m_gaugeHover = makeHover(m_gauges);
    m_throughputHover = makeHover(m_throughput);
    // Dragged or zoomed (paused), one chart takes the other along: the same moment stays above
    // itself on both.
    connect(m_gauges->xAxis, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), this,
            [this] { followRange(m_gauges, m_throughput); });
    connect(m_throughput->xAxis, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), this,
            [this] { followRange(m_throughput, m_gauges); });

    m_gauges->yAxis->setRange(0, 2);
    m_throughput->yAxis->setRange(0, 1);
    m_throughput->yAxis2->setRange(0, 1);
    m_errorsAxis->setRange(0, 1);
    applyTheme();
    updateRanges();
}

ChartsWidget::~ChartsWidget() = default;

QCPGraph *ChartsWidget::addGraph(QCustomPlot *plot, Theme::Series series, const QString &name, QCPAxis *valueAxis)
{
    QCPGraph *graph = plot->addGraph(plot->xAxis, valueAxis ? valueAxis : plot->yAxis);
    graph->setName(name);
    m_series.append(Series{graph, series, LineStyle::Normal});
    return graph;
}

ChartsWidget::Hover ChartsWidget::makeHover(QCustomPlot *plot)
{
    Hover hover;
    hover.line = new QCPItemStraightLine(plot);
    for (QCPItemPosition *point : {hover.line->point1, hover.line->point2}) {
        point->setAxisRect(plot->axisRect());
        point->setTypeX(QCPItemPosition::ptPlotCoords);
        point->setTypeY(QCPItemPosition::ptAxisRectRatio);
    }
    hover.line->point1->setCoords(0, 0);
    hover.line->point2->setCoords(0, 1);
    hover.label = new QCPItemText(plot);
    hover.label->position->setAxisRect(plot->axisRect());
    hover.label->position->setTypeX(QCPItemPosition::ptPlotCoords);
    hover.label->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
    hover.label->setTextAlignment(Qt::AlignLeft);
    hover.label->setPadding(QMargins(5, 3, 5, 3));
    for (QCPAbstractItem *item : {static_cast<QCPAbstractItem *>(hover.line), static_cast<QCPAbstractItem *>(hover.label)}) {
        item->setSelectable(false);
        item->setVisible(false);
    }
    return hover;
}

void ChartsWidget::applyTheme()
{
    const QPalette pal = palette();
    const QColor text = pal.color(QPalette::Text);
    const QColor grid = Theme::gridColor(pal);
    const QColor subtle = Theme::subtleTextColor(pal);
    for (QCustomPlot *plot : {m_gauges, m_throughput}) {
        plot->setBackground(pal.brush(QPalette::Base));
        plot->legend->setBrush(pal.brush(QPalette::Base));
        plot->legend->setTextColor(text);
        plot->legend->setBorderPen(Qt::NoPen);
        const QList<QCPAxis *> axes = plot->axisRect()->axes();
        for (QCPAxis *axis : axes) {
            axis->setBasePen(QPen(text));
            axis->setTickPen(QPen(text));
            axis->setSubTickPen(QPen(text));
            axis->setTickLabelColor(text);
            axis->setLabelColor(text);
            axis->grid()->setPen(QPen(grid, 1, Qt::DotLine));
            axis->grid()->setZeroLinePen(QPen(grid));
        }
    }
    for (const Series &series : std::as_const(m_series)) {
        QColor colour = Theme::seriesColor(series.colour, pal);
        QPen pen(colour, 2.0);
        if (series.style == LineStyle::Dashed) {
            pen.setWidthF(1.5);
            pen.setStyle(Qt::DashLine);
        } else if (series.style == LineStyle::Wide) {
            colour.setAlpha(150);
            pen = QPen(colour, 5.0);
        }
        series.graph->setPen(pen);
    }
    // Hover and markers are greys: they annotate, the series keep the colours.
    QColor labelBackground = pal.color(QPalette::Base);
    labelBackground.setAlpha(225);
    for (const Hover &hover : {m_gaugeHover, m_throughputHover}) {
        hover.line->setPen(QPen(subtle, 1));
        hover.label->setColor(text);
        hover.label->setPen(QPen(grid));
        hover.label->setBrush(labelBackground);
    }
    for (const MarkerItems &items : std::as_const(m_markers)) {
        for (QCPItemStraightLine *line : items.lines)
            line->setPen(QPen(subtle, 1, Qt::DashDotLine));
        items.text->setColor(subtle);
        items.text->setBrush(labelBackground);
    }
    replot();
}

void ChartsWidget::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange)
        applyTheme();
    QWidget::changeEvent(event);
}

bool ChartsWidget::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() == QEvent::Leave && (watched == m_gauges || watched == m_throughput))
        hideValues();
    return QWidget::eventFilter(watched, event);
}

double ChartsWidget::keyOf(double sampleTime) const
{
    return m_origin.value_or(0) + sampleTime;
}

void ChartsWidget::addSample(const StatsSample &sample)
{
    if (!m_origin)
        m_origin = epochSeconds(QDateTime::currentDateTimeUtc()) - sample.time;
    const double t = keyOf(sample.time);
    m_size->addData(t, sample.size);
    m_idle->addData(t, sample.idle);
    m_active->addData(t, sample.active);
    m_waiting->addData(t, sample.waiting);
    m_maxSize->addData(t, sample.maxSize);
    m_acquires->addData(t, sample.acquiresPerSecond);
    m_queries->addData(t, sample.queriesPerSecond);
    m_errors->addData(t, sample.errorsPerSecond);
    m_waitP50->addData(t, sample.waitP50Ms);
    m_waitP99->addData(t, sample.waitP99Ms);
    m_lastKey = t;
    m_lastMaxSize = std::max(1, sample.maxSize);

    // Keep the longest window only: memory stays flat.
    const double oldest = t - RetentionSeconds;
    for (const Series &series : std::as_const(m_series))
        series.graph->data()->removeBefore(oldest);
    while (!m_markers.isEmpty() && m_markers.first().marker.key < oldest) {
        const MarkerItems items = m_markers.takeFirst();
        for (QCPItemStraightLine *line : items.lines)
            line->parentPlot()->removeItem(line);
        m_gauges->removeItem(items.text);
    }

    if (!m_paused)
        updateRanges();
}

void ChartsWidget::addMarker(const QDateTime &time, const QString &label)
{
    MarkerItems items;
    items.marker = Marker{epochSeconds(time), label};
    for (QCustomPlot *plot : {m_gauges, m_throughput}) {
        auto *line = new QCPItemStraightLine(plot);
        line->setSelectable(false);
        for (QCPItemPosition *point : {line->point1, line->point2}) {
            point->setAxisRect(plot->axisRect());
            point->setTypeX(QCPItemPosition::ptPlotCoords);
            point->setTypeY(QCPItemPosition::ptAxisRectRatio);
        }
        line->point1->setCoords(items.marker.key, 0);
        line->point2->setCoords(items.marker.key, 1);
        items.lines.append(line);
    }
    items.text = new QCPItemText(m_gauges);
    items.text->setSelectable(false);
    items.text->position->setAxisRect(m_gauges->axisRect());
    items.text->position->setTypeX(QCPItemPosition::ptPlotCoords);
    items.text->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
    const int row = int(m_markers.size() % MarkerLabelRows);
    items.text->position->setCoords(items.marker.key, 0.02 + 0.09 * row);
    items.text->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
    items.text->setPadding(QMargins(3, 1, 3, 1));
    QFont font = this->font();
    font.setPointSizeF(font.pointSizeF() * 0.85);
    items.text->setFont(font);
    items.text->setText(label);
    // Markers keep time order (the oldest go first): an event may arrive after a later sample.
    auto at = std::upper_bound(m_markers.begin(), m_markers.end(), items.marker.key,
                               [](double key, const MarkerItems &other) { return key < other.marker.key; });
    m_markers.insert(at, items);
    applyTheme();
}

void ChartsWidget::addEventMarker(const MonitorEvent &event)
{
    if (!event.marker.isEmpty())
        addMarker(event.time, event.marker);
}

QList<ChartsWidget::Marker> ChartsWidget::markers() const
{
    QList<Marker> result;
    result.reserve(m_markers.size());
    for (const MarkerItems &items : m_markers)
        result.append(items.marker);
    return result;
}

QString ChartsWidget::valuesText(QCustomPlot *plot, int index) const
{
    QStringList lines;
    for (int i = 0; i < plot->graphCount(); ++i) {
        const QCPGraph *graph = plot->graph(i);
        if (index >= graph->dataCount())
            continue;
        // Counts are whole, rates get a decimal, wait times two.
        const int decimals = plot == m_gauges ? 0 : graph->valueAxis() == plot->yAxis2 ? 2 : 1;
        lines.append(u"%1: %2"_s.arg(graph->name(), QString::number(graph->data()->at(index)->value, 'f', decimals)));
    }
    return lines.join(u'\n');
}

bool ChartsWidget::showValuesAt(double key)
{
    const int index = nearestIndex(m_size, key);
    if (index < 0) {
        hideValues();
        return false;
    }
    const double at = m_size->data()->at(index)->key;
    const QString time = QDateTime::fromMSecsSinceEpoch(qRound64(at * 1000.0)).toString(u"HH:mm:ss.zzz"_s);
    for (QCustomPlot *plot : {m_gauges, m_throughput}) {
        const Hover &hover = plot == m_gauges ? m_gaugeHover : m_throughputHover;
        hover.line->point1->setCoords(at, 0);
        hover.line->point2->setCoords(at, 1);
        hover.label->setText(time + u'\n' + valuesText(plot, index));
        // The label sits beside the line, on the side with more room.
        const bool rightHalf = at > plot->xAxis->range().center();
        hover.label->position->setCoords(at, 0.03);
        hover.label->setPositionAlignment(Qt::AlignTop | (rightHalf ? Qt::AlignRight : Qt::AlignLeft));
        hover.line->setVisible(true);
        hover.label->setVisible(true);
    }
    replot();
    return true;
}

void ChartsWidget::hideValues()
{
    if (!m_gaugeHover.line->visible())
        return;
    for (const Hover &hover : {m_gaugeHover, m_throughputHover}) {
        hover.line->setVisible(false);
        hover.label->setVisible(false);
    }
    replot();
}

QString ChartsWidget::hoverText() const
{
    if (!m_gaugeHover.label->visible())
        return QString();
    return m_gaugeHover.label->text() + u'\n' + m_throughputHover.label->text();
}

void ChartsWidget::followRange(QCustomPlot *from, QCustomPlot *to)
{
    if (m_syncingRange)
        return;
    m_syncingRange = true;
    to->xAxis->setRange(from->xAxis->range());
    m_syncingRange = false;
    to->replot(QCustomPlot::rpQueuedReplot);
}

void ChartsWidget::alignPlotAreas()
{
    // The throughput chart has two right-hand axes, the gauges one: each plot area takes the wider
    // margin of the two on either side, so one moment sits above itself on both charts. Margins
    // only grow (a label that widened once keeps its room), so this settles after one replot.
    QCPAxisRect *gauges = m_gauges->axisRect();
    QCPAxisRect *throughput = m_throughput->axisRect();
    const int left = std::max(gauges->margins().left(), throughput->margins().left());
    const int right = std::max(gauges->margins().right(), throughput->margins().right());
    for (QCPAxisRect *rect : {gauges, throughput}) {
        const QMargins minimum = rect->minimumMargins();
        if (minimum.left() >= left && minimum.right() >= right)
            continue;
        rect->setMinimumMargins(
            QMargins(std::max(minimum.left(), left), minimum.top(), std::max(minimum.right(), right), minimum.bottom()));
        rect->parentPlot()->replot(QCustomPlot::rpQueuedReplot);
    }
}

void ChartsWidget::replot()
{
    m_gauges->replot(QCustomPlot::rpQueuedReplot);
    m_throughput->replot(QCustomPlot::rpQueuedReplot);
}

void ChartsWidget::updateRanges()
{
    // Until a full window of data exists, the axis starts at the first sample: the charts are
    // filled from the start instead of showing a sliver at the right edge.
    bool found = false;
    const QCPRange keys = m_size->getKeyRange(found);
    const double first = found ? keys.lower : m_lastKey;
    QCPRange visible(std::max(first, m_lastKey - m_windowSeconds), m_lastKey);
    if (visible.size() < MinimumSpanSeconds) {
        visible.lower = std::max(first, m_lastKey - MinimumSpanSeconds);
        visible.upper = visible.lower + MinimumSpanSeconds;
    }
    m_gauges->xAxis->setRange(visible);
    m_throughput->xAxis->setRange(visible);

    // Gauges: fixed [0, max + 1], widened only if more callers wait than the pool can hold.
    double top = m_lastMaxSize;
    const QCPRange waitingRange = m_waiting->getValueRange(found, QCP::sdBoth, visible);
    if (found)
        top = std::max(top, waitingRange.upper);
    m_gauges->yAxis->setRange(0, top + 1);

    auto upperOf = [&visible](std::initializer_list<QCPGraph *> graphs) {
        double upper = 0;
        for (QCPGraph *graph : graphs) {
            bool ok = false;
            const QCPRange range = graph->getValueRange(ok, QCP::sdBoth, visible);
            if (ok)
                upper = std::max(upper, range.upper);
        }
        return std::max(1.0, upper * 1.1);
    };
    m_throughput->yAxis->setRange(0, upperOf({m_acquires, m_queries}));
    m_throughput->yAxis2->setRange(0, upperOf({m_waitP50, m_waitP99}));
    m_errorsAxis->setRange(0, upperOf({m_errors}));
    replot();
}

void ChartsWidget::clear()
{
    for (const Series &series : std::as_const(m_series))
        series.graph->data()->clear();
    for (const MarkerItems &items : std::as_const(m_markers)) {
        for (QCPItemStraightLine *line : items.lines)
            line->parentPlot()->removeItem(line);
        m_gauges->removeItem(items.text);
    }
    m_markers.clear();
    hideValues();
    updateRanges();
}

void ChartsWidget::setWindowSeconds(int seconds)
{
    m_windowSeconds = std::clamp(seconds, 5, RetentionSeconds);
    updateRanges();
}

void ChartsWidget::setPaused(bool paused)
{
    m_paused = paused;
    if (!paused)
        updateRanges();
}

int ChartsWidget::sampleCount() const
{
    return m_size->dataCount();
}

QImage ChartsWidget::renderImage(int width, int height) const
{
    const int w = width > 0 ? width : std::max(640, this->width());
    const int h = height > 0 ? height : std::max(480, this->height());
    const int half = h / 2;
    QImage image(w, h, QImage::Format_ARGB32);
    image.fill(palette().color(QPalette::Base));
    QPainter painter(&image);
    painter.drawPixmap(0, 0, m_gauges->toPixmap(w, half));
    painter.drawPixmap(0, half, m_throughput->toPixmap(w, h - half));
    painter.end();
    return image;
}

bool ChartsWidget::savePng(const QString &fileName, int width, int height) const
{
    return renderImage(width, height).save(fileName, "PNG");
}

bool ChartsWidget::exportCsv(const QString &fileName, QString *errorMessage) const
{
    QSaveFile file(fileName);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text)) {
        if (errorMessage)
            *errorMessage = file.errorString();
        return false;
    }
    QByteArray out = "time_s";
    for (const Series &series : m_series)
        out += ',' + series.graph->name().toUtf8().replace(' ', '_');
    out += ",time_utc\n";
    // Every series gets a point at the same times, so index i is one row across all of them.
    const int rows = m_size->dataCount();
    for (int i = 0; i < rows; ++i) {
        const double key = m_size->data()->at(i)->key;
        out += QByteArray::number(key - m_origin.value_or(0), 'f', 3);
        for (const Series &series : m_series) {
            out += ',';
            if (i < series.graph->dataCount())
                out += QByteArray::number(series.graph->data()->at(i)->value, 'g', 10);
        }
        out += ',' + QDateTime::fromMSecsSinceEpoch(qRound64(key * 1000.0), Qt::UTC).toString(Qt::ISODateWithMs).toUtf8();
        out += '\n';
    }
    file.write(out);
    if (!file.commit()) {
        if (errorMessage)
            *errorMessage = file.errorString();
        return false;
    }
    return true;
}

} // namespace QPg::Monitor
