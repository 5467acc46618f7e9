// SPDX-License-Identifier: MIT
#pragma once

#include "statssample.h"
#include "theme.h"

#include <QtWidgets/QWidget>

class QCustomPlot;
class QCPGraph;

namespace QPg::Monitor {

// The two live QCustomPlot charts: pool gauges (size, idle, active, waiting as step lines with max
// size as a dashed reference) and throughput (acquires/s, queries/s, errors/s; acquire wait p50/p99
// in ms on the right axis). Data older than the longest window is dropped with removeBefore(), so
// memory stays flat however long it runs.
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

    int windowSeconds() const { return m_windowSeconds; }
    void setWindowSeconds(int seconds);
    bool isPaused() const { return m_paused; }
    void setPaused(bool paused);

    // Both charts stacked into one image; width/height 0 use the widget's size.
    QImage renderImage(int width = 0, int height = 0) const;
    bool savePng(const QString &fileName, int width = 0, int height = 0) const;
    // All kept samples, one row per sample time, one column per series.
    bool exportCsv(const QString &fileName, QString *errorMessage = nullptr) const;

    QCustomPlot *gaugePlot() const { return m_gauges; }
    QCustomPlot *throughputPlot() const { return m_throughput; }
    int sampleCount() const; // points in each series

protected:
    void changeEvent(QEvent *event) override;

private:
    QCPGraph *addGraph(QCustomPlot *plot, Theme::Series series, const QString &name, bool rightAxis = false);
    void applyTheme();
    void updateRanges();

    QCustomPlot *m_gauges = nullptr;
    QCustomPlot *m_throughput = nullptr;
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
    int m_windowSeconds = 60;
    bool m_paused = false;
    double m_lastTime = 0;
    int m_lastMaxSize = 1;
};

} // namespace QPg::Monitor
