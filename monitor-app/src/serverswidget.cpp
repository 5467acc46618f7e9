// SPDX-License-Identifier: MIT
#include "serverswidget.h"

#include "tablerow.h"

#include <QtWidgets/QHeaderView>
#include <QtWidgets/QLabel>
#include <QtWidgets/QTableWidget>
#include <QtWidgets/QVBoxLayout>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitor {

QString roleName(QPg::ServerStatus::Role role)
{
    switch (role) {
    case QPg::ServerStatus::Role::Primary: return u"primary"_s;
    case QPg::ServerStatus::Role::Replica: return u"replica"_s;
    case QPg::ServerStatus::Role::Down: return u"down"_s;
    case QPg::ServerStatus::Role::Unknown: break;
    }
    return u"unknown"_s;
}

ServersWidget::ServersWidget(QWidget *parent)
    : QWidget(parent)
    , m_hint(new QLabel(this))
    , m_table(new QTableWidget(0, ColumnCount, this))
{
    m_hint->setObjectName(u"serversHint"_s);
    m_hint->setWordWrap(true);
    m_hint->setText(u"The pool's DSN names one server. List several (host=a,b,c port=…) to see each "
                    "server's role, replication lag and pool here; writes then go to the primary."_s);
    m_table->setObjectName(u"serversTable"_s);
    m_table->setHorizontalHeaderLabels({u"Server"_s, u"Role"_s, u"Reads"_s, u"Lag"_s, u"Size"_s, u"Idle"_s,
                                        u"Active"_s, u"Waiting"_s, u"Last error"_s});
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_hint);
    layout->addWidget(m_table);
}

void ServersWidget::setServers(const QList<QPg::ServerStatus> &servers)
{
    m_hint->setVisible(servers.isEmpty());
    m_table->setRowCount(int(servers.size()));
    for (int row = 0; row < servers.size(); ++row) {
        const QPg::ServerStatus &server = servers.at(row);
        const QPg::PoolStats &stats = server.stats;
        const bool hasPool = server.role == QPg::ServerStatus::Role::Primary
            || server.role == QPg::ServerStatus::Role::Replica;
        const auto number = [hasPool](int value) { return hasPool ? QString::number(value) : QString(); };
        const QStringList cells{
            server.name,
            roleName(server.role),
            server.readable ? u"yes"_s : u"no"_s,
            server.replicationLag ? u"%1 ms"_s.arg(server.replicationLag->count()) : QString(),
            number(stats.size),
            number(stats.idle),
            number(stats.active),
            number(stats.waiting),
            server.error,
        };
        setRowTexts(m_table, row, cells);
    }
}

} // namespace QPg::Monitor
