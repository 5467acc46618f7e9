// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QElapsedTimer>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QTimer>

namespace QPg::Monitor {

// Measures how late the GUI thread's event loop serves a precise timer: the "is the window still
// responsive under load" number shown in the status bar. Keeps the last WindowSamples delays.
class LatencyProbe : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LatencyProbe)
public:
    explicit LatencyProbe(QObject *parent = nullptr);
    ~LatencyProbe() override;

    static constexpr int IntervalMs = 20;
    static constexpr int WindowSamples = 500; // 10 s at IntervalMs

    void start();
    void stop();
    int sampleCount() const { return int(m_delaysMs.size()); }
    // Delay beyond the expected interval, in ms, at the given fraction (0.5, 0.99); 0 without samples.
    double percentileMs(double fraction) const;
    double maxMs() const;

private:
    void tick();

    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_lastNs = 0;
    QList<double> m_delaysMs; // ring buffer
    int m_next = 0;
};

} // namespace QPg::Monitor
