// SPDX-License-Identifier: MIT
#include "remotecontrolspanel.h"

#include "remotepoolsource.h"

#include <QtWidgets/QFormLayout>
#include <QtWidgets/QGroupBox>
#include <QtWidgets/QLabel>
#include <QtWidgets/QMessageBox>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QSpinBox>
#include <QtWidgets/QVBoxLayout>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitor {

RemoteControlsPanel::RemoteControlsPanel(QWidget *parent)
    : QWidget(parent)
    , m_title(new QLabel(this))
    , m_reason(new QLabel(this))
    , m_expire(new QPushButton(QIcon(u":/icons/expire.svg"_s), u"Expire"_s, this))
    , m_close(new QPushButton(QIcon(u":/icons/close.svg"_s), u"Close"_s, this))
    , m_terminate(new QPushButton(QIcon(u":/icons/terminate.svg"_s), u"Terminate"_s, this))
    , m_minSize(new QSpinBox(this))
    , m_maxSize(new QSpinBox(this))
    , m_resize(new QPushButton(u"Apply size"_s, this))
{
    m_title->setObjectName(u"remotePoolLabel"_s);
    m_title->setTextFormat(Qt::PlainText);
    m_title->setWordWrap(true);
    m_reason->setObjectName(u"remoteReasonLabel"_s);
    m_reason->setTextFormat(Qt::PlainText);
    m_reason->setWordWrap(true);
    m_expire->setObjectName(u"remoteExpireButton"_s);
    m_close->setObjectName(u"remoteCloseButton"_s);
    m_terminate->setObjectName(u"remoteTerminateButton"_s);
    m_resize->setObjectName(u"remoteResizeButton"_s);
    m_minSize->setObjectName(u"remoteMinSizeSpin"_s);
    m_maxSize->setObjectName(u"remoteMaxSizeSpin"_s);
    m_minSize->setRange(0, 1000);
    m_maxSize->setRange(1, 1000);
    m_toolTips = {
        {m_expire, u"Replace every connection of the application's pool: idle ones now, acquired ones when released"_s},
        {m_close, u"Close the application's pool gracefully (it stays closed until the application reopens it)"_s},
        {m_terminate, u"Close every connection of the application's pool now; its running queries fail"_s},
        {m_resize, u"Pool::resize(min, max) in the application, live"_s},
        {m_minSize, QString()},
        {m_maxSize, QString()},
    };

    auto *poolBox = new QGroupBox(u"Attached pool"_s, this);
    auto *poolLayout = new QVBoxLayout(poolBox);
    poolLayout->addWidget(m_title);
    poolLayout->addWidget(m_reason);
    poolLayout->addWidget(m_expire);
    poolLayout->addWidget(m_close);
    poolLayout->addWidget(m_terminate);
    auto *sizeBox = new QGroupBox(u"Size"_s, this);
    auto *sizeLayout = new QFormLayout(sizeBox);
    sizeLayout->addRow(u"Min"_s, m_minSize);
    sizeLayout->addRow(u"Max"_s, m_maxSize);
    sizeLayout->addRow(m_resize);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(poolBox);
    layout->addWidget(sizeBox);
    layout->addStretch(1);

    connect(m_expire, &QPushButton::clicked, this, [this] {
        if (m_source)
            m_source->expireConnections(m_pool);
    });
    connect(m_resize, &QPushButton::clicked, this, [this] {
        if (m_minSize->value() > m_maxSize->value())
            m_minSize->setValue(m_maxSize->value());
        if (m_source)
            m_source->resizePool(m_pool, m_minSize->value(), m_maxSize->value());
    });
    // Closing or terminating someone else's pool is not undone from here: ask first.
    auto confirmed = [this](const QString &what) {
        return QMessageBox::question(this, what, u"%1 the pool %2 of %3?"_s.arg(what, m_pool, m_source->applicationName()))
            == QMessageBox::Yes;
    };
    connect(m_close, &QPushButton::clicked, this, [this, confirmed] {
        if (m_source && confirmed(u"Close"_s))
            m_source->closePool(m_pool);
    });
    connect(m_terminate, &QPushButton::clicked, this, [this, confirmed] {
        if (m_source && confirmed(u"Terminate"_s))
            m_source->terminatePool(m_pool);
    });
    updateState();
}

RemoteControlsPanel::~RemoteControlsPanel() = default;

QList<QWidget *> RemoteControlsPanel::actions() const
{
    return {m_expire, m_close, m_terminate, m_resize, m_minSize, m_maxSize};
}

void RemoteControlsPanel::setTarget(RemotePoolSource *source, const QString &pool)
{
    m_source = source;
    m_pool = pool;
    m_sizesTaken = false;
    if (const RemotePoolSource::PoolData *data = source ? source->pool(pool) : nullptr)
        takeSizes(data->stats.minSize, data->stats.maxSize);
    updateState();
}

void RemoteControlsPanel::takeSizes(int minSize, int maxSize)
{
    if (m_sizesTaken || maxSize <= 0)
        return;
    m_sizesTaken = true;
    m_maxSize->setValue(maxSize);
    m_minSize->setValue(minSize);
}

void RemoteControlsPanel::updateState()
{
    QString reason;
    if (!m_source) {
        reason = u"no attached pool is shown"_s;
        m_title->clear();
    } else {
        m_title->setText(u"%1 — pool %2 (%3)"_s.arg(m_source->applicationName(), m_pool,
                                                    RemotePoolSource::stateName(m_source->state())));
        if (m_source->state() != RemotePoolSource::State::Attached)
            reason = u"the application is %1: %2"_s.arg(RemotePoolSource::stateName(m_source->state()),
                                                         m_source->statusText());
        else if (!m_source->hello().controlAllowed)
            reason = u"the application is read-only: it did not enable control "
                     "(MonitorServerOptions::allowControl)"_s;
    }
    m_reason->setText(reason);
    m_reason->setVisible(!reason.isEmpty());
    for (QWidget *widget : actions()) {
        widget->setEnabled(reason.isEmpty());
        widget->setToolTip(reason.isEmpty() ? m_toolTips.value(widget) : u"Disabled: "_s + reason);
    }
}

} // namespace QPg::Monitor
