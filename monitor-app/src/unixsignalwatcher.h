// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QObject>

class QSocketNotifier;

namespace QPg::Monitor {

// Turns SIGINT/SIGTERM into a Qt signal (self-pipe trick), so Ctrl+C ends the event loop normally
// and the demo cluster is stopped instead of left behind.
class UnixSignalWatcher : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(UnixSignalWatcher)
public:
    explicit UnixSignalWatcher(QObject *parent = nullptr);
    ~UnixSignalWatcher() override;

Q_SIGNALS:
    void terminationRequested(int signalNumber);

private:
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace QPg::Monitor
