// SPDX-License-Identifier: MIT
#include "rowcopy.h"

#include <QtGui/QAction>
#include <QtGui/QClipboard>
#include <QtGui/QGuiApplication>
#include <QtGui/QKeyEvent>
#include <QtWidgets/QAbstractItemView>
#include <QtWidgets/QTableView>

#include <algorithm>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitor {

RowCopy::RowCopy(QAbstractItemView *view, CellText cellText)
    : QObject(view)
    , m_view(view)
    , m_cellText(std::move(cellText))
{
}

RowCopy *RowCopy::install(QAbstractItemView *view, CellText cellText)
{
    auto *copier = new RowCopy(view, std::move(cellText));
    view->installEventFilter(copier);
    auto *action = new QAction(u"Copy rows"_s, view);
    action->setObjectName(u"copyRowsAction"_s);
    action->setShortcut(QKeySequence::Copy); // shown in the menu; the key itself goes through the filter
    action->setShortcutContext(Qt::WidgetShortcut);
    connect(action, &QAction::triggered, copier, &RowCopy::copy);
    view->addAction(action);
    view->setContextMenuPolicy(Qt::ActionsContextMenu);
    return copier;
}

QString RowCopy::selectedRowsText(const QAbstractItemView *view, const CellText &cellText)
{
    const QAbstractItemModel *model = view->model();
    if (!model || !view->selectionModel())
        return QString();
    QModelIndexList rows = view->selectionModel()->selectedRows();
    if (rows.isEmpty() && view->currentIndex().isValid())
        rows.append(view->currentIndex().siblingAtColumn(0));
    std::sort(rows.begin(), rows.end(), [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    const auto *table = qobject_cast<const QTableView *>(view);
    QStringList lines;
    for (const QModelIndex &row : std::as_const(rows)) {
        QStringList values;
        for (int column = 0; column < model->columnCount(row.parent()); ++column) {
            if (table && table->isColumnHidden(column))
                continue;
            const QModelIndex cell = row.siblingAtColumn(column);
            QString text = cellText ? cellText(cell) : cell.data(Qt::DisplayRole).toString();
            text.replace(u'\t', u' ').replace(u'\n', u' ').replace(u'\r', u' ');
            values.append(text);
        }
        lines.append(values.join(u'\t'));
    }
    return lines.join(u'\n');
}

void RowCopy::copy() const
{
    const QString text = selectedRowsText(m_view, m_cellText);
    if (!text.isEmpty())
        QGuiApplication::clipboard()->setText(text);
}

bool RowCopy::eventFilter(QObject *watched, QEvent *event)
{
    // ShortcutOverride too: the view's own Ctrl+C (one cell) must not win.
    if ((event->type() == QEvent::KeyPress || event->type() == QEvent::ShortcutOverride) && watched == m_view
        && static_cast<QKeyEvent *>(event)->matches(QKeySequence::Copy)) {
        if (event->type() == QEvent::KeyPress)
            copy();
        event->accept();
        return true;
    }
    return QObject::eventFilter(watched, event);
}

} // namespace QPg::Monitor
