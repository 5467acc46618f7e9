// SPDX-License-Identifier: MIT
#pragma once

#include "monitorevent.h"
#include "statssample.h"
#include "theme.h"

#include <QtCore/QDateTime>
#include <QtWidgets/QWidget>

#include <optional>

class QCustomPlot;
class QCPAxis;
class QCPGraph;
class QCPItemStraightLine;
class QCPItemText;

namespace QPg::Monitor {

// The two live QCustomPlot charts: pool gauges (size, idle, active, waiting as step lines with max
// size as a dashed reference) and throughput (acquires/s, queries/s; acquire wait p50/p99 in ms and
// errors/s on right-hand axes of their own). The time axis shows wall-clock time; hovering shows the
// values at the mouse; markers flag the actions taken (expire, resize, close, reopen). Data older
// than the longest window is dropped with removeBefore(), so memory stays flat however long it runs.
class ChartsWidget : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ChartsWidget)
public:
    explicit ChartsWidget(QWidget *parent = nullptr);
    ~ChartsWidget() override;

    // Longest selectable window: how much history is kept.
    static constexpr int RetentionSeconds = 300;
    // The x axis spans at least this much, also right after the start.
    static constexpr double MinimumSpanSeconds = 5;

    void addSample(const QPg::Monitor::StatsSample &sample);
    void clear();

    // A vertical line with a short label at a wall-clock time on both charts.
    void addMarker(const QDateTime &time, const QString &label);
    struct Marker
    {
        double key; // seconds since the epoch, as on the time axis
        QString label;
    };
    QList<Marker> markers() const;
    // The event's marker, if it has one (actions on the pool).
    void addEventMarker(const QPg::Monitor::MonitorEvent &event);

    // The time axis' key (seconds since the epoch) of a sample time (seconds since the session
    // started): the first sample ties the two clocks together.
    double keyOf(double sampleTime) const;

    // Hover: a cursor line on both charts at the sample nearest `key`, with every series' value
    // there. False (and nothing shown) when there is no data.
    bool showValuesAt(double key);
    void hideValues();
    // What the hover labels say, gauges first; empty while hidden.
    QString hoverText() const;

    int windowSeconds() const { return m_windowSeconds; }
    void setWindowSeconds(int seconds);
    bool isPaused() const { return m_paused; }
    // Paused charts can be dragged and zoomed; both follow the same time range.
    void setPaused(bool paused);

    // Both charts stacked into one image; width/height 0 use the widget's size.
    QImage renderImage(int width = 0, int height = 0) const;
    bool savePng(const QString &fileName, int width = 0, int height = 0) const;
    // All kept samples, one row per sample time, one column per series, then the wall-clock time.
    bool exportCsv(const QString &fileName, QString *errorMessage = nullptr) const;

    QCustomPlot *gaugePlot() const { return m_gauges; }
    QCustomPlot *throughputPlot() const { return m_throughput; }
    QCPAxis *errorsAxis() const { return m_errorsAxis; }
    int sampleCount() const; // points in each series

protected:
    void changeEvent(QEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    struct Hover
    {
        QCPItemStraightLine *line = nullptr;
        QCPItemText *label = nullptr;
    };
    struct MarkerItems
    {
        Marker marker;
        QList<QCPItemStraightLine *> lines; // one per chart
        QCPItemText *text = nullptr;         // on the gauge chart
    };

    QCPGraph *addGraph(QCustomPlot *plot, Theme::Series series, const QString &name, QCPAxis *valueAxis = nullptr);
    Hover makeHover(QCustomPlot *plot);
    QString valuesText(QCustomPlot *plot, int index) const;
    void applyTheme();
    void updateRanges();
    void followRange(QCustomPlot *from, QCustomPlot *to);
    void alignPlotAreas();
    void replot();

    QCustomPlot *m_gauges = nullptr;
    QCustomPlot *m_throughput = nullptr;
    QCPAxis *m_errorsAxis = nullptr;
    enum class LineStyle { Normal, Dashed, Wide };
    struct Series
    {
        QCPGraph *graph;
        Theme::Series colour;
        LineStyle style;
    };
    QList<Series> m_series; // in CSV column order
    QCPGraph *m_size = nullptr;
    QCPGraph *m_idle = nullptr;
    QCPGraph *m_active = nullptr;
    QCPGraph *m_waiting = nullptr;
    QCPGraph *m_maxSize = nullptr;
    QCPGraph *m_acquires = nullptr;
    QCPGraph *m_queries = nullptr;
    QCPGraph *m_errors = nullptr;
    QCPGraph *m_waitP50 = nullptr;
    QCPGraph *m_waitP99 = nullptr;
    Hover m_gaugeHover;
    Hover m_throughputHover;
    QList<MarkerItems> m_markers;
    int m_windowSeconds = 60;
    bool m_paused = false;
    bool m_syncingRange = false;
    std::optional<double> m_origin; // epoch seconds at sample time 0
    double m_lastKey = 0;
    int m_lastMaxSize = 1;
};

} // namespace QPg::Monitor
