// SPDX-License-Identifier: MIT
#pragma once

#include "loadsettings.h"
#include "poolcontroller.h"

#include <QtWidgets/QWidget>

class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace QPg::Monitor {

class MonitorSession;

// Pool controls (expire, graceful close with a timeout, terminate, reopen, live min/max) and the
// load generator's settings. Every action is a queued call into the worker through the session.
class ControlsPanel : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ControlsPanel)
public:
    explicit ControlsPanel(MonitorSession *session, QWidget *parent = nullptr);
    ~ControlsPanel() override;

    QPushButton *expireButton() const { return m_expire; }
    QPushButton *closeButton() const { return m_close; }
    QPushButton *terminateButton() const { return m_terminate; }
    QPushButton *reopenButton() const { return m_reopen; }
    QPushButton *resizeButton() const { return m_resize; }
    QPushButton *loadButton() const { return m_load; }
    QSpinBox *minSizeSpin() const { return m_minSize; }
    QSpinBox *maxSizeSpin() const { return m_maxSize; }
    QSpinBox *closeTimeoutSpin() const { return m_closeTimeout; }
    QSpinBox *clientsSpin() const { return m_clients; }
    QSpinBox *thinkSpin() const { return m_think; }
    QLineEdit *loadQueryEdit() const { return m_query; }

    LoadSettings loadSettings() const;

private:
    void onPoolState(PoolController::PoolState state);
    void onLoadState(bool running, const LoadSettings &settings);

    MonitorSession *m_session;
    QLabel *m_state;
    QPushButton *m_expire;
    QPushButton *m_close;
    QSpinBox *m_closeTimeout;
    QPushButton *m_terminate;
    QPushButton *m_reopen;
    QSpinBox *m_minSize;
    QSpinBox *m_maxSize;
    QPushButton *m_resize;
    QSpinBox *m_clients;
    QLineEdit *m_query;
    QSpinBox *m_think;
    QPushButton *m_load;
    bool m_sizesInitialised = false;
    bool m_loadRunning = false;
};

} // namespace QPg::Monitor
