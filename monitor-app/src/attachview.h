// SPDX-License-Identifier: MIT
#pragma once

#include "monitorevent.h"
#include "remotepoolsource.h"
#include "statssample.h"

#include <QPg/poolstats.h>

#include <QtCore/QFileSystemWatcher>
#include <QtCore/QPointer>
#include <QtCore/QTimer>
#include <QtWidgets/QWidget>

class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableView;
class QTreeWidget;

namespace QPg::Monitor {

struct AttachTarget;
class PoolOverviewModel;

// The "Applications" view: the local applications that publish their pools (refreshed when the
// socket directory changes and every few seconds), a host:port + token form, and the overview of
// attached pools. Opening a row makes it the current pool: the dashboard then shows it, fed by
// currentSample()/currentEvent() instead of the dashboard's own session.
class AttachView : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AttachView)
public:
    // directory: where local applications are discovered (empty: PoolMonitorClient's default).
    explicit AttachView(const QString &directory = {}, QWidget *parent = nullptr);
    ~AttachView() override;

    // Attaches (or finds the source already attached) and shows its first pool once it has one.
    RemotePoolSource *attach(const AttachTarget &target);
    // Lists the running applications again.
    void refresh();
    // Shows a pool of source on the dashboard; nullptr goes back to the dashboard's own pool.
    void setCurrent(RemotePoolSource *source, const QString &pool);

    RemotePoolSource *currentSource() const { return m_current; }
    QString currentPool() const { return m_currentPool; }
    PoolOverviewModel *overview() const { return m_overview; }
    QTreeWidget *applicationsList() const { return m_applications; }
    QTableView *overviewView() const { return m_overviewView; }
    QPushButton *attachButton() const { return m_attachLocal; }
    QPushButton *ownPoolButton() const { return m_ownPool; }
    // The overview of attached pools: wide, so the window docks it apart from this view.
    QWidget *overviewPanel() const { return m_overviewPanel; }

Q_SIGNALS:
    // The pool shown changed: replay its history (source is nullptr for the dashboard's own pool).
    void currentChanged(QPg::Monitor::RemotePoolSource *source, const QString &pool);
    void currentSample(const QPg::Monitor::StatsSample &sample, const QList<QPg::ConnectionInfo> &connections);
    void currentEvent(const QPg::Monitor::MonitorEvent &event);
    void currentStateChanged();

private:
    void attachSelected();
    void attachHost();
    void openRow(int row);
    void watchDirectory();

    QString m_directory;
    PoolOverviewModel *m_overview;
    QTreeWidget *m_applications;
    QPushButton *m_attachLocal;
    QLineEdit *m_host;
    QSpinBox *m_port;
    QLineEdit *m_token;
    QPushButton *m_attachHost;
    QTableView *m_overviewView;
    QPushButton *m_ownPool;
    QWidget *m_overviewPanel;
    QFileSystemWatcher m_watcher;
    QTimer m_refresh;
    QPointer<RemotePoolSource> m_current;
    QString m_currentPool;
    // A source attached from here whose first pool is shown as soon as it is known.
    QPointer<RemotePoolSource> m_pendingShow;
};

} // namespace QPg::Monitor
