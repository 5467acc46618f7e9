// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/clusterpool.h>

#include <QtWidgets/QWidget>

class QLabel;
class QTableWidget;

namespace QPg::Monitor {

// The Servers tab: one row per server of a DSN that lists several (host=a,b,c), with the role and
// replication lag the pool's checks found and the size of the pool serving it.
class ServersWidget : public QWidget
{
    Q_OBJECT

public:
    enum Column { Server, Role, Reads, Lag, Size, Idle, Active, Waiting, Error, ColumnCount };

    explicit ServersWidget(QWidget *parent = nullptr);

    void setServers(const QList<QPg::ServerStatus> &servers);

private:
    QLabel *m_hint;
    QTableWidget *m_table;
};

// "primary", "replica", "down", "unknown".
QString roleName(QPg::ServerStatus::Role role);

} // namespace QPg::Monitor
