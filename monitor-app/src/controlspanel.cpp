// SPDX-License-Identifier: MIT
#include "controlspanel.h"

#include "monitorsession.h"

#include <QtWidgets/QFormLayout>
#include <QtWidgets/QGridLayout>
#include <QtWidgets/QGroupBox>
#include <QtWidgets/QHBoxLayout>
#include <QtWidgets/QLabel>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QSpinBox>
#include <QtWidgets/QVBoxLayout>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitor {

namespace {

QPushButton *makeButton(const QString &objectName, const QString &text, const QString &icon, const QString &toolTip,
                        QWidget *parent)
{
    auto *button = new QPushButton(QIcon(icon), text, parent);
    button->setObjectName(objectName);
    button->setToolTip(toolTip);
    return button;
}

} // namespace

ControlsPanel::ControlsPanel(MonitorSession *session, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
    , m_state(new QLabel(this))
    , m_expire(makeButton(u"expireButton"_s, u"Expire"_s, u":/icons/expire.svg"_s,
                          u"Replace every connection: idle ones now, acquired ones when released"_s, this))
    , m_close(makeButton(u"closeButton"_s, u"Close"_s, u":/icons/close.svg"_s,
                         u"Graceful close: waits for acquired connections up to the timeout, then terminates"_s, this))
    , m_closeTimeout(new QSpinBox(this))
    , m_terminate(makeButton(u"terminateButton"_s, u"Terminate"_s, u":/icons/terminate.svg"_s,
                             u"Close every connection now; running queries fail"_s, this))
    , m_reopen(makeButton(u"reopenButton"_s, u"Reopen"_s, u":/icons/reopen.svg"_s,
                          u"Discard this pool and open a new one with the same settings"_s, this))
    , m_minSize(new QSpinBox(this))
    , m_maxSize(new QSpinBox(this))
    , m_resize(makeButton(u"resizeButton"_s, u"Apply size"_s, QString(), u"Pool::resize(min, max), live"_s, this))
    , m_clients(new QSpinBox(this))
    , m_query(new QLineEdit(this))
    , m_think(new QSpinBox(this))
    , m_load(makeButton(u"loadButton"_s, u"Start load"_s, u":/icons/play.svg"_s, QString(), this))
{
    m_state->setObjectName(u"poolStateLabel"_s);
    m_state->setTextFormat(Qt::PlainText);
    m_state->setWordWrap(true);
    m_closeTimeout->setObjectName(u"closeTimeoutSpin"_s);
    m_closeTimeout->setRange(0, 3600);
    m_closeTimeout->setValue(5);
    m_closeTimeout->setSuffix(u" s"_s);
    m_closeTimeout->setToolTip(u"Close timeout; 0 waits forever"_s);
    m_minSize->setObjectName(u"minSizeSpin"_s);
    m_maxSize->setObjectName(u"maxSizeSpin"_s);
    m_minSize->setRange(0, 1000);
    m_maxSize->setRange(1, 1000);
    m_clients->setObjectName(u"clientsSpin"_s);
    m_clients->setRange(1, 500);
    m_clients->setValue(4);
    m_query->setObjectName(u"loadQueryEdit"_s);
    m_query->setText(u"SELECT 1"_s);
    m_think->setObjectName(u"thinkSpin"_s);
    m_think->setRange(0, 60000);
    m_think->setValue(10);
    m_think->setSuffix(u" ms"_s);

    auto *poolBox = new QGroupBox(u"Pool"_s, this);
    auto *poolLayout = new QGridLayout(poolBox);
    poolLayout->addWidget(m_state, 0, 0, 1, 2);
    poolLayout->addWidget(m_expire, 1, 0);
    poolLayout->addWidget(m_reopen, 1, 1);
    poolLayout->addWidget(m_close, 2, 0);
    poolLayout->addWidget(m_closeTimeout, 2, 1);
    poolLayout->addWidget(m_terminate, 3, 0, 1, 2);

    auto *sizeBox = new QGroupBox(u"Size"_s, this);
    auto *sizeLayout = new QFormLayout(sizeBox);
    sizeLayout->addRow(u"Min"_s, m_minSize);
    sizeLayout->addRow(u"Max"_s, m_maxSize);
    sizeLayout->addRow(m_resize);

    auto *loadBox = new QGroupBox(u"Load generator"_s, this);
    auto *loadLayout = new QFormLayout(loadBox);
    loadLayout->addRow(u"Clients"_s, m_clients);
    loadLayout->addRow(u"Query"_s, m_query);
    loadLayout->addRow(u"Think time"_s, m_think);
    loadLayout->addRow(m_load);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(poolBox);
    layout->addWidget(sizeBox);
    layout->addWidget(loadBox);
    layout->addStretch(1);

    connect(m_expire, &QPushButton::clicked, session, &MonitorSession::expireConnections);
    connect(m_close, &QPushButton::clicked, this, [this] { m_session->closePool(m_closeTimeout->value() * 1000); });
    connect(m_terminate, &QPushButton::clicked, session, &MonitorSession::terminatePool);
    connect(m_reopen, &QPushButton::clicked, session, &MonitorSession::reopenPool);
    connect(m_resize, &QPushButton::clicked, this, [this] {
        if (m_minSize->value() > m_maxSize->value())
            m_minSize->setValue(m_maxSize->value());
        m_session->resizePool(m_minSize->value(), m_maxSize->value());
    });
    connect(m_load, &QPushButton::clicked, this, [this] {
        if (m_loadRunning)
            m_session->stopLoad();
        else
            m_session->startLoad(loadSettings());
    });

    connect(session, &MonitorSession::poolStateChanged, this,
            [this](PoolController::PoolState state, const QString &) { onPoolState(state); });
    connect(session, &MonitorSession::loadStateChanged, this, &ControlsPanel::onLoadState);
    connect(session, &MonitorSession::snapshot, this, [this](double, const QPg::PoolStats &stats) {
        // Take the pool's sizes once; after that the spin boxes are the user's.
        if (m_sizesInitialised || stats.maxSize <= 0)
            return;
        m_sizesInitialised = true;
        m_maxSize->setValue(stats.maxSize);
        m_minSize->setValue(stats.minSize);
    });
    onPoolState(session->poolState());
    onLoadState(session->isLoadRunning(), session->loadSettings());
}

ControlsPanel::~ControlsPanel() = default;

LoadSettings ControlsPanel::loadSettings() const
{
    return LoadSettings{m_clients->value(), m_query->text(), m_think->value()};
}

void ControlsPanel::onPoolState(PoolController::PoolState state)
{
    using S = PoolController::PoolState;
    m_state->setText(u"State: %1"_s.arg(PoolController::stateName(state)));
    const bool live = state == S::Open || state == S::Opening || state == S::Reconnecting;
    m_expire->setEnabled(live);
    m_close->setEnabled(live);
    m_terminate->setEnabled(live || state == S::Closing);
    m_resize->setEnabled(live);
    m_reopen->setEnabled(state != S::NotOpen && state != S::Starting);
}

void ControlsPanel::onLoadState(bool running, const LoadSettings &settings)
{
    m_loadRunning = running;
    m_load->setText(running ? u"Stop load"_s : u"Start load"_s);
    m_load->setIcon(QIcon(running ? u":/icons/pause.svg"_s : u":/icons/play.svg"_s));
    if (running) {
        // Show what actually runs (the demo picks its own settings).
        m_clients->setValue(settings.clients);
        m_query->setText(settings.query);
        m_query->setCursorPosition(0);
        m_think->setValue(settings.thinkMs);
    }
}

} // namespace QPg::Monitor
