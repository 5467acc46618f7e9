// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QList>
#include <QtCore/QStringList>

class QTableWidget;
class QTableWidgetItem;

namespace QPg::Monitor {

// Sets the texts of one row of a QTableWidget, reusing the items already there (a periodic refresh
// then keeps the selection and the scroll position). Returns the row's items, in column order.
QList<QTableWidgetItem *> setRowTexts(QTableWidget *table, int row, const QStringList &texts);

} // namespace QPg::Monitor
