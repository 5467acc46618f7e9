// SPDX-License-Identifier: MIT
#include "sessionswidget.h"

#include "sessionssource.h"
#include "tablerow.h"
#include "theme.h"

#include <QtCore/QDateTime>
#include <QtWidgets/QHeaderView>
#include <QtWidgets/QLabel>
#include <QtWidgets/QMenu>
#include <QtWidgets/QMessageBox>
#include <QtWidgets/QTableWidget>
#include <QtWidgets/QVBoxLayout>

using namespace Qt::Literals::StringLiterals;
using Signal = QPg::BackendSessions::Signal;

namespace QPg::Monitor {

namespace {

QString timeText(const QDateTime &time)
{
    return time.isValid() ? time.toLocalTime().toString(u"HH:mm:ss.zzz"_s) : QString();
}

} // namespace

SessionsWidget::SessionsWidget(MonitorSession *session, QWidget *parent)
    : QWidget(parent)
    , m_own(new OwnPoolSessions(session, this))
    , m_status(new QLabel(this))
    , m_table(new QTableWidget(0, ColumnCount, this))
    , m_menu(new QMenu(this))
{
    m_status->setObjectName(u"sessionsStatus"_s);
    m_status->setWordWrap(true);
    m_table->setObjectName(u"sessionsTable"_s);
    m_table->setHorizontalHeaderLabels({u"PID"_s, u"State"_s, u"Wait type"_s, u"Wait event"_s, u"Transaction start"_s,
                                        u"Query start"_s, u"Blocked by"_s, u"Query"_s});
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setWordWrap(false);
    m_table->setAlternatingRowColors(true);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_table, &QWidget::customContextMenuRequested, this, &SessionsWidget::openMenu);

    m_menu->setObjectName(u"sessionsMenu"_s);
    m_menu->setToolTipsVisible(true); // a disabled action says why
    m_cancel = m_menu->addAction(u"Cancel query…"_s, this, [this] { signalBackend(Signal::Cancel); });
    m_cancel->setObjectName(u"cancelBackendAction"_s);
    m_terminate = m_menu->addAction(u"Terminate backend…"_s, this, [this] { signalBackend(Signal::Terminate); });
    m_terminate->setObjectName(u"terminateBackendAction"_s);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_status);
    layout->addWidget(m_table);

    m_timer.setInterval(RefreshIntervalMs);
    connect(&m_timer, &QTimer::timeout, this, &SessionsWidget::refresh);
    setSource(nullptr);
    m_status->setText(u"The pool's backends as the server sees them, refreshed every second while shown. "
                      "Right-click a row to cancel its query or terminate it."_s);
}

SessionsWidget::~SessionsWidget() = default;

void SessionsWidget::showEvent(QShowEvent *event)
{
    // Nobody looks at a hidden tab: it costs the pool nothing then.
    m_timer.start();
    refresh();
    QWidget::showEvent(event);
}

void SessionsWidget::hideEvent(QHideEvent *event)
{
    m_timer.stop();
    QWidget::hideEvent(event);
}

void SessionsWidget::setSource(SessionsSource *source)
{
    if (!source)
        source = m_own;
    if (m_source == source)
        return;
    if (m_source)
        m_source->disconnect(this);
    m_source = source;
    // What the previous source had out is not this one's.
    m_refreshing = false;
    m_signalling = false;
    m_table->setRowCount(0);
    connect(source, &SessionsSource::sessionsRead, this, &SessionsWidget::onRead);
    connect(source, &SessionsSource::readFailed, this, &SessionsWidget::onReadFailed);
    connect(source, &SessionsSource::backendSignalled, this, &SessionsWidget::onSignalled);
    if (isVisible())
        refresh();
}

SessionsSource *SessionsWidget::source() const
{
    return m_source;
}

bool SessionsWidget::refresh()
{
    if (m_refreshing || !m_source)
        return false;
    const QString unavailable = m_source->unavailableReason();
    if (!unavailable.isEmpty()) {
        m_table->setRowCount(0);
        m_status->setText(unavailable);
        return false;
    }
    m_refreshing = true;
    m_source->read();
    return true;
}

void SessionsWidget::onRead(const QList<QPg::MonitorBackendSession> &rows)
{
    m_refreshing = false;
    showRows(rows);
    Q_EMIT refreshed();
}

void SessionsWidget::onReadFailed(const QString &error)
{
    m_refreshing = false;
    m_status->setText(u"Reading pg_stat_activity failed: %1"_s.arg(error));
    Q_EMIT refreshed();
}

void SessionsWidget::showRows(const QList<QPg::MonitorBackendSession> &rows)
{
    const QColor blockedColour = Theme::errorColor(palette());
    const QColor subtle = Theme::subtleTextColor(palette());
    m_table->setRowCount(int(rows.size()));
    int blocked = 0;
    for (int row = 0; row < rows.size(); ++row) {
        const QPg::MonitorBackendSession &session = rows.at(row);
        QStringList blockers;
        for (int pid : session.blockedBy)
            blockers.append(QString::number(pid));
        if (!blockers.isEmpty())
            ++blocked;
        const QStringList cells{
            QString::number(session.pid),
            session.isSelf ? u"%1 (this view)"_s.arg(session.state) : session.state,
            session.waitEventType,
            session.waitEvent,
            timeText(session.transactionStart),
            timeText(session.queryStart),
            blockers.join(u", "_s),
            session.query.simplified(),
        };
        const QList<QTableWidgetItem *> items = setRowTexts(m_table, row, cells);
        for (QTableWidgetItem *item : items)
            item->setForeground(session.isSelf ? subtle : palette().color(QPalette::Text));
        m_table->item(row, Query)->setToolTip(session.query);
        if (!blockers.isEmpty())
            m_table->item(row, BlockedBy)->setForeground(blockedColour);
    }
    const QString note = m_source ? m_source->note() : QString();
    m_status->setText(u"%1 backend(s) of the pool, %2 blocked · %3%4"_s.arg(rows.size())
                          .arg(blocked)
                          .arg(QDateTime::currentDateTime().toString(u"HH:mm:ss"_s),
                               note.isEmpty() ? QString() : u" · "_s + note));
}

void SessionsWidget::openMenu(const QPoint &position)
{
    const int row = m_table->rowAt(position.y());
    if (row < 0)
        return;
    m_table->selectRow(row);
    m_menuPid = m_table->item(row, Pid)->text().toInt();
    m_cancel->setText(QPg::BackendSessions::actionText(m_menuPid, Signal::Cancel) + u'…');
    m_terminate->setText(QPg::BackendSessions::actionText(m_menuPid, Signal::Terminate) + u'…');
    const QString refusal = m_source ? m_source->controlRefusal() : QString();
    for (QAction *action : {m_cancel, m_terminate}) {
        action->setEnabled(refusal.isEmpty());
        action->setToolTip(refusal);
    }
    m_menu->popup(m_table->viewport()->mapToGlobal(position));
}

void SessionsWidget::signalBackend(Signal what)
{
    const int pid = m_menuPid;
    if (pid == 0 || !m_source)
        return;
    if (const QString refusal = m_source->controlRefusal(); !refusal.isEmpty()) {
        finishSignal(pid, false, refusal);
        return;
    }
    if (m_signalling) {
        finishSignal(pid, false, u"A cancel or terminate request is still out."_s);
        return;
    }
    const QString title = QPg::BackendSessions::actionText(pid, what);
    QMessageBox confirm(QMessageBox::Warning, title, u"%1?\n\n%2"_s.arg(title, QPg::BackendSessions::consequenceText(what)),
                        QMessageBox::Yes | QMessageBox::Cancel, this);
    confirm.setObjectName(u"sessionsConfirm"_s);
    confirm.setDefaultButton(QMessageBox::Cancel);
    if (confirm.exec() != QMessageBox::Yes)
        return;
    m_signalling = true;
    m_signalTerminates = what == Signal::Terminate;
    m_source->signalBackend(pid, what);
}

void SessionsWidget::onSignalled(int pid, const QString &error)
{
    m_signalling = false;
    if (!error.isEmpty())
        finishSignal(pid, false, u"Backend %1 was not signalled: %2"_s.arg(pid).arg(error));
    else
        finishSignal(pid, true, m_signalTerminates ? u"Backend %1 terminated."_s.arg(pid)
                                                   : u"Cancel sent to backend %1."_s.arg(pid));
}

void SessionsWidget::finishSignal(int pid, bool ok, const QString &message)
{
    m_status->setText(message);
    Q_EMIT backendSignalled(pid, ok, message);
    if (ok)
        refresh();
}

} // namespace QPg::Monitor
