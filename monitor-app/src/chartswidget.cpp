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

ChartsWidget::ChartsWidget(QWidget *parent)
    : QWidget(parent)
    , m_gauges(new QCustomPlot(this))
    , m_throughput(new QCustomPlot(this))
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

    m_acquires = addGraph(m_throughput, Theme::Series::Acquires, u"acquires/s"_s);
    m_series.last().style = LineStyle::Wide; // pool.fetch() makes acquires/s equal queries/s
    m_queries = addGraph(m_throughput, Theme::Series::Queries, u"queries/s"_s);
    m_errors = addGraph(m_throughput, Theme::Series::Errors, u"errors/s"_s);
    m_waitP50 = addGraph(m_throughput, Theme::Series::WaitP50, u"wait p50 (ms)"_s, true);
    m_waitP99 = addGraph(m_throughput, Theme::Series::WaitP99, u"wait p99 (ms)"_s, true);

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
        auto timeTicker = QSharedPointer<QCPAxisTickerTime>::create();
        timeTicker->setTimeFormat(u"%m:%s"_s);
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
    }
    m_gauges->yAxis->setRange(0, 2);
    m_throughput->yAxis->setRange(0, 1);
    m_throughput->yAxis2->setRange(0, 1);
    applyTheme();
    updateRanges();
}

ChartsWidget::~ChartsWidget() = default;

QCPGraph *ChartsWidget::addGraph(QCustomPlot *plot, Theme::Series series, const QString &name, bool rightAxis)
{
    QCPGraph *graph = rightAxis ? plot->addGraph(plot->xAxis, plot->yAxis2) : plot->addGraph();
    graph->setName(name);
    m_series.append(Series{graph, series, LineStyle::Normal});
    return graph;
}

void ChartsWidget::applyTheme()
{
    const QPalette pal = palette();
    const QColor text = pal.color(QPalette::Text);
    const QColor grid = Theme::gridColor(pal);
    for (QCustomPlot *plot : {m_gauges, m_throughput}) {
        plot->setBackground(pal.brush(QPalette::Base));
        plot->legend->setBrush(pal.brush(QPalette::Base));
        plot->legend->setTextColor(text);
        plot->legend->setBorderPen(Qt::NoPen);
        for (QCPAxis *axis : {plot->xAxis, plot->yAxis, plot->yAxis2}) {
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
    m_gauges->replot(QCustomPlot::rpQueuedReplot);
    m_throughput->replot(QCustomPlot::rpQueuedReplot);
}

void ChartsWidget::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange)
        applyTheme();
    QWidget::changeEvent(event);
}

void ChartsWidget::addSample(const StatsSample &sample)
{
    const double t = sample.time;
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
    m_lastTime = t;
    m_lastMaxSize = std::max(1, sample.maxSize);

    // Keep the longest window only: memory stays flat.
    for (const Series &series : std::as_const(m_series))
        series.graph->data()->removeBefore(t - RetentionSeconds);

    if (!m_paused)
        updateRanges();
}

void ChartsWidget::updateRanges()
{
    // Until a full window of data exists, the axis starts at the first sample: the charts are
    // filled from the start instead of showing a sliver at the right edge.
    bool found = false;
    const QCPRange keys = m_size->getKeyRange(found);
    const double first = found ? keys.lower : m_lastTime;
    QCPRange visible(std::max(first, m_lastTime - m_windowSeconds), m_lastTime);
    if (visible.size() < MinimumSpanSeconds) {
        visible.lower = std::max(0.0, m_lastTime - MinimumSpanSeconds);
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
        return upper;
    };
    m_throughput->yAxis->setRange(0, std::max(1.0, upperOf({m_acquires, m_queries, m_errors}) * 1.1));
    m_throughput->yAxis2->setRange(0, std::max(1.0, upperOf({m_waitP50, m_waitP99}) * 1.1));

    m_gauges->replot(QCustomPlot::rpQueuedReplot);
    m_throughput->replot(QCustomPlot::rpQueuedReplot);
}

void ChartsWidget::clear()
{
    for (const Series &series : std::as_const(m_series))
        series.graph->data()->clear();
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
    out += '\n';
    // Every series gets a point at the same times, so index i is one row across all of them.
    const int rows = m_size->dataCount();
    for (int i = 0; i < rows; ++i) {
        out += QByteArray::number(m_size->data()->at(i)->key, 'f', 3);
        for (const Series &series : m_series) {
            out += ',';
            if (i < series.graph->dataCount())
                out += QByteArray::number(series.graph->data()->at(i)->value, 'g', 10);
        }
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
