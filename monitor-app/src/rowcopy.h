// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QObject>

#include <functional>

class QAbstractItemView;
class QModelIndex;

namespace QPg::Monitor {

// Copy for table views that select whole rows: Ctrl+C (and "Copy rows" in the context menu) puts
// the selected rows on the clipboard, one line per row, values separated by tabs, so they paste
// into a spreadsheet or an editor. A plain QTableView copies only the current cell.
class RowCopy : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RowCopy)
public:
    // The text of one cell; the default is the view's DisplayRole.
    using CellText = std::function<QString(const QModelIndex &)>;

    // Installs on view (and is owned by it).
    static RowCopy *install(QAbstractItemView *view, CellText cellText = {});
    // The selected rows as tab-separated lines, in the view's order; tabs and line breaks inside a
    // value become spaces so every row stays one line.
    static QString selectedRowsText(const QAbstractItemView *view, const CellText &cellText = {});

    void copy() const;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    RowCopy(QAbstractItemView *view, CellText cellText);

    QAbstractItemView *m_view;
    CellText m_cellText;
};

} // namespace QPg::Monitor
