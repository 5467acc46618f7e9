// SPDX-License-Identifier: MIT
#pragma once

#include <QtWidgets/QWidget>

class QLineEdit;
class QSortFilterProxyModel;
class QTableView;

namespace QPg::Monitor {

class EventLogModel;

// The event log pane: a filter box (matches kind and text) over the log, following the newest entry
// unless the user scrolled away.
class EventLogWidget : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EventLogWidget)
public:
    explicit EventLogWidget(EventLogModel *model, QWidget *parent = nullptr);
    ~EventLogWidget() override;

    QLineEdit *filterEdit() const { return m_filter; }
    QSortFilterProxyModel *proxyModel() const { return m_proxy; }
    QTableView *view() const { return m_view; }

private:
    EventLogModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QLineEdit *m_filter;
    QTableView *m_view;
};

} // namespace QPg::Monitor
