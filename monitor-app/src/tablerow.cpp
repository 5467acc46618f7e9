// SPDX-License-Identifier: MIT
#include "tablerow.h"

#include <QtWidgets/QTableWidget>

namespace QPg::Monitor {

QList<QTableWidgetItem *> setRowTexts(QTableWidget *table, int row, const QStringList &texts)
{
    QList<QTableWidgetItem *> items;
    items.reserve(texts.size());
    for (int column = 0; column < texts.size(); ++column) {
        QTableWidgetItem *item = table->item(row, column);
        if (!item) {
            item = new QTableWidgetItem;
            table->setItem(row, column, item);
        }
        item->setText(texts.at(column));
        items.append(item);
    }
    return items;
}

} // namespace QPg::Monitor
