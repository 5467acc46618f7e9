// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QHash>
#include <QtCore/QPointer>
#include <QtWidgets/QWidget>

class QLabel;
class QPushButton;
class QSpinBox;

namespace QPg::Monitor {

class RemotePoolSource;

// The controls for an attached pool: expire, resize, close and terminate go to the application as
// PoolMonitorClient commands. Enabled only while attached to an application that allows control;
// otherwise disabled, with the reason in a label and the buttons' tooltips.
class RemoteControlsPanel : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RemoteControlsPanel)
public:
    explicit RemoteControlsPanel(QWidget *parent = nullptr);
    ~RemoteControlsPanel() override;

    void setTarget(QPg::Monitor::RemotePoolSource *source, const QString &pool);
    // Reads the source's state again (attached, control allowed).
    void updateState();
    // The first sample of the target fills the size boxes; after that they are the user's.
    void takeSizes(int minSize, int maxSize);

    QLabel *reasonLabel() const { return m_reason; }
    QPushButton *expireButton() const { return m_expire; }
    QPushButton *closeButton() const { return m_close; }
    QPushButton *terminateButton() const { return m_terminate; }
    QPushButton *resizeButton() const { return m_resize; }
    QSpinBox *minSizeSpin() const { return m_minSize; }
    QSpinBox *maxSizeSpin() const { return m_maxSize; }

private:
    QList<QWidget *> actions() const;

    QPointer<RemotePoolSource> m_source;
    QString m_pool;
    QLabel *m_title;
    QLabel *m_reason;
    QPushButton *m_expire;
    QPushButton *m_close;
    QPushButton *m_terminate;
    QSpinBox *m_minSize;
    QSpinBox *m_maxSize;
    QPushButton *m_resize;
    bool m_sizesTaken = false;
    QHash<QWidget *, QString> m_toolTips; // each action's own tooltip, restored when enabled
};

} // namespace QPg::Monitor
