// SPDX-License-Identifier: MIT
#include "attachview.h"

#include "attachtarget.h"
#include "pooloverviewmodel.h"
#include "remotepoolsource.h"

#include <QPg/poolmonitorclient.h>

#include <QtCore/QDir>
#include <QtWidgets/QFormLayout>
#include <QtWidgets/QGroupBox>
#include <QtWidgets/QHBoxLayout>
#include <QtWidgets/QHeaderView>
#include <QtWidgets/QLabel>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QSpinBox>
#include <QtWidgets/QTableView>
#include <QtWidgets/QTreeWidget>
#include <QtWidgets/QVBoxLayout>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitor {

namespace {

// The directory watcher sees new and vanished sockets at once; this catches the rest (a directory
// created after we started, a process that died without removing its socket).
constexpr int RefreshIntervalMs = 3000;
constexpr int SocketPathRole = Qt::UserRole + 1;

} // namespace

AttachView::AttachView(const QString &directory, QWidget *parent)
    : QWidget(parent)
    , m_directory(directory)
    , m_overview(new PoolOverviewModel(this))
    , m_applications(new QTreeWidget(this))
    , m_attachLocal(new QPushButton(u"Attach"_s, this))
    , m_host(new QLineEdit(this))
    , m_port(new QSpinBox(this))
    , m_token(new QLineEdit(this))
    , m_attachHost(new QPushButton(u"Connect"_s, this))
    , m_overviewView(new QTableView(this))
    , m_ownPool(new QPushButton(u"Show own pool"_s, this))
{
    m_applications->setObjectName(u"applicationsList"_s);
    m_applications->setHeaderLabels({u"Application"_s, u"PID"_s, u"Socket"_s});
    m_applications->setRootIsDecorated(false);
    m_applications->setToolTip(u"Applications of this user that publish their pools (PoolMonitorServer); "
                               "double-click to attach"_s);
    m_attachLocal->setObjectName(u"attachLocalButton"_s);
    m_host->setObjectName(u"attachHostEdit"_s);
    m_host->setPlaceholderText(u"127.0.0.1"_s);
    m_port->setObjectName(u"attachPortSpin"_s);
    m_port->setRange(1, 65535);
    m_port->setValue(7654);
    m_token->setObjectName(u"attachTokenEdit"_s);
    m_token->setEchoMode(QLineEdit::Password);
    m_token->setPlaceholderText(u"bearer token"_s);
    m_attachHost->setObjectName(u"attachHostButton"_s);
    m_overviewView->setObjectName(u"overviewView"_s);
    m_overviewView->setModel(m_overview);
    m_overviewView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_overviewView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_overviewView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_overviewView->verticalHeader()->hide();
    m_overviewView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_overviewView->setToolTip(u"Double-click a pool to show it on the dashboard"_s);
    m_ownPool->setObjectName(u"ownPoolButton"_s);
    m_ownPool->setToolTip(u"Show the pool this dashboard opened itself"_s);
    m_ownPool->setEnabled(false);

    auto *localBox = new QGroupBox(u"Local applications"_s, this);
    auto *localLayout = new QVBoxLayout(localBox);
    localLayout->addWidget(m_applications);
    localLayout->addWidget(m_attachLocal, 0, Qt::AlignRight);

    auto *remoteBox = new QGroupBox(u"Remote (TCP)"_s, this);
    auto *remoteLayout = new QFormLayout(remoteBox);
    auto *hostRow = new QHBoxLayout;
    hostRow->addWidget(m_host, 1);
    hostRow->addWidget(new QLabel(u":"_s, remoteBox));
    hostRow->addWidget(m_port);
    remoteLayout->addRow(u"Host"_s, hostRow);
    remoteLayout->addRow(u"Token"_s, m_token);
    remoteLayout->addRow(m_attachHost);

    m_overviewPanel = new QWidget(this);
    m_overviewPanel->setObjectName(u"overviewPanel"_s);
    auto *overviewLayout = new QVBoxLayout(m_overviewPanel);
    overviewLayout->setContentsMargins(0, 0, 0, 0);
    overviewLayout->addWidget(m_overviewView);
    overviewLayout->addWidget(m_ownPool, 0, Qt::AlignRight);
    m_overviewPanel->hide(); // until the window docks it

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(localBox, 1);
    layout->addWidget(remoteBox);

    connect(m_attachLocal, &QPushButton::clicked, this, &AttachView::attachSelected);
    connect(m_applications, &QTreeWidget::itemDoubleClicked, this, &AttachView::attachSelected);
    connect(m_attachHost, &QPushButton::clicked, this, &AttachView::attachHost);
    connect(m_overviewView, &QTableView::activated, this, [this](const QModelIndex &index) { openRow(index.row()); });
    connect(m_ownPool, &QPushButton::clicked, this, [this] { setCurrent(nullptr, QString()); });
    connect(&m_watcher, &QFileSystemWatcher::directoryChanged, this, [this] {
        refresh();
        for (RemotePoolSource *source : m_overview->sources())
            source->retryNow();
    });
    connect(m_overview, &QAbstractItemModel::modelReset, this, [this] {
        const int row = m_current ? m_overview->rowOf(m_current, m_currentPool) : -1;
        if (row >= 0)
            m_overviewView->selectRow(row);
    });
    connect(&m_refresh, &QTimer::timeout, this, &AttachView::refresh);
    m_refresh.start(RefreshIntervalMs);
    refresh();
}

AttachView::~AttachView() = default;

void AttachView::watchDirectory()
{
    const QString directory = m_directory.isEmpty() ? QPg::PoolMonitorClient::defaultSocketDirectory() : m_directory;
    if (m_watcher.directories().isEmpty() && QDir(directory).exists())
        m_watcher.addPath(directory);
}

void AttachView::refresh()
{
    watchDirectory();
    const QList<QPg::MonitorEndpoint> endpoints = QPg::PoolMonitorClient::discover(m_directory);
    const QTreeWidgetItem *selected = m_applications->currentItem();
    const QString selectedPath = selected ? selected->data(0, SocketPathRole).toString() : QString();
    m_applications->clear();
    for (const QPg::MonitorEndpoint &endpoint : endpoints) {
        auto *item = new QTreeWidgetItem(m_applications, {endpoint.application, QString::number(endpoint.pid),
                                                          endpoint.socketPath});
        item->setData(0, SocketPathRole, endpoint.socketPath);
        if (endpoint.socketPath == selectedPath)
            m_applications->setCurrentItem(item);
    }
    m_attachLocal->setEnabled(!endpoints.isEmpty());
}

void AttachView::attachSelected()
{
    QTreeWidgetItem *item = m_applications->currentItem();
    if (!item && m_applications->topLevelItemCount() == 1)
        item = m_applications->topLevelItem(0);
    if (!item)
        return;
    AttachTarget target;
    target.kind = AttachTarget::Kind::Socket;
    target.socketPath = item->data(0, SocketPathRole).toString();
    attach(target);
}

void AttachView::attachHost()
{
    AttachTarget target;
    target.kind = AttachTarget::Kind::Host;
    target.host = m_host->text().trimmed().isEmpty() ? u"127.0.0.1"_s : m_host->text().trimmed();
    target.port = quint16(m_port->value());
    target.token = m_token->text().toUtf8();
    attach(target);
}

RemotePoolSource *AttachView::attach(const AttachTarget &target)
{
    const QList<RemotePoolSource *> before = m_overview->sources();
    RemotePoolSource *source = m_overview->attach(target, m_directory);
    if (!before.contains(source)) {
        connect(source, &RemotePoolSource::sampleAdded, this, [this, source](const QString &pool, const StatsSample &sample) {
            if (source == m_current && pool == m_currentPool)
                Q_EMIT currentSample(sample, source->pool(pool)->connections);
        });
        connect(source, &RemotePoolSource::eventAdded, this, [this, source](const QString &pool, const MonitorEvent &event) {
            if (source == m_current && pool == m_currentPool)
                Q_EMIT currentEvent(event);
        });
        connect(source, &RemotePoolSource::stateChanged, this, [this, source] {
            if (source == m_current)
                Q_EMIT currentStateChanged();
        });
        connect(source, &RemotePoolSource::poolsChanged, this, [this, source] {
            if (source == m_pendingShow && !source->poolNames().isEmpty()) {
                m_pendingShow = nullptr;
                setCurrent(source, source->poolNames().constFirst());
            }
        });
    }
    if (!source->poolNames().isEmpty())
        setCurrent(source, source->poolNames().constFirst());
    else
        m_pendingShow = source;
    return source;
}

void AttachView::openRow(int row)
{
    RemotePoolSource *source = m_overview->sourceAt(row);
    if (!source)
        return;
    const QString pool = m_overview->poolAt(row);
    if (pool.isEmpty()) {
        m_pendingShow = source; // shown once the application says which pools it has
        return;
    }
    setCurrent(source, pool);
}

void AttachView::setCurrent(RemotePoolSource *source, const QString &pool)
{
    m_current = source;
    m_currentPool = source ? pool : QString();
    m_ownPool->setEnabled(source != nullptr);
    const int row = source ? m_overview->rowOf(source, pool) : -1;
    if (row >= 0)
        m_overviewView->selectRow(row);
    else
        m_overviewView->clearSelection();
    Q_EMIT currentChanged(source, m_currentPool);
}

} // namespace QPg::Monitor
