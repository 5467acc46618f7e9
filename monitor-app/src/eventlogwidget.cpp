// SPDX-License-Identifier: MIT
#include "eventlogwidget.h"

#include "eventlogmodel.h"

#include <QtCore/QSortFilterProxyModel>
#include <QtWidgets/QHBoxLayout>
#include <QtWidgets/QHeaderView>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QScrollBar>
#include <QtWidgets/QTableView>
#include <QtWidgets/QVBoxLayout>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitor {

EventLogWidget::EventLogWidget(EventLogModel *model, QWidget *parent)
    : QWidget(parent)
    , m_model(model)
    , m_proxy(new QSortFilterProxyModel(this))
    , m_filter(new QLineEdit(this))
    , m_view(new QTableView(this))
{
    m_proxy->setSourceModel(model);
    m_proxy->setFilterKeyColumn(-1); // any column: "closed", "timeout", a pid...
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);

    m_filter->setObjectName(u"eventFilter"_s);
    m_filter->setPlaceholderText(u"Filter events (kind or text)…"_s);
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);

    auto *clear = new QPushButton(u"Clear"_s, this);
    connect(clear, &QPushButton::clicked, model, &EventLogModel::clear);

    m_view->setObjectName(u"eventLogView"_s);
    m_view->setModel(m_proxy);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 4);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setSectionResizeMode(EventLogModel::Time, QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setSectionResizeMode(EventLogModel::Kind, QHeaderView::ResizeToContents);

    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, [this] {
        QScrollBar *bar = m_view->verticalScrollBar();
        // Follow new events only when already at the bottom: reading older ones is not disturbed.
        if (bar->value() >= bar->maximum() - 2)
            QMetaObject::invokeMethod(m_view, &QTableView::scrollToBottom, Qt::QueuedConnection);
    });

    auto *top = new QHBoxLayout;
    top->addWidget(m_filter, 1);
    top->addWidget(clear);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(top);
    layout->addWidget(m_view, 1);
}

EventLogWidget::~EventLogWidget() = default;

} // namespace QPg::Monitor
