// SPDX-License-Identifier: MIT
// The dashboard's Sessions tab (monitor-app/src/sessionswidget.h) driven as a person would: the row
// menu opened on a row, an action chosen, the confirmation accepted. For tests that link the
// dashboard's core library.
#pragma once

#include "sessionswidget.h"

#include <QtCore/QTimer>
#include <QtGui/QAction>
#include <QtGui/QContextMenuEvent>
#include <QtTest/QTest>
#include <QtWidgets/QApplication>
#include <QtWidgets/QMenu>
#include <QtWidgets/QMessageBox>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QTableWidget>

namespace QPgTest {

// Sends the context-menu event of a right click on the PID cell of row; the row menu pops up.
inline void openSessionsMenu(QPg::Monitor::SessionsWidget *sessions, int row)
{
    QTableWidget *table = sessions->table();
    const QRect cell = table->visualItemRect(table->item(row, QPg::Monitor::SessionsWidget::Pid));
    QContextMenuEvent event(QContextMenuEvent::Mouse, cell.center(), table->viewport()->mapToGlobal(cell.center()));
    QCoreApplication::sendEvent(table->viewport(), &event);
}

// Chooses action in the open row menu and presses Yes in the confirmation that follows; returns the
// confirmation's text (empty when none came).
inline QString chooseAndConfirm(QPg::Monitor::SessionsWidget *sessions, QAction *action)
{
    QString confirmation;
    QTimer accept;
    QObject::connect(&accept, &QTimer::timeout, [&] {
        auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
        if (!box)
            return;
        confirmation = box->text();
        box->button(QMessageBox::Yes)->click();
        accept.stop();
    });
    accept.start(20);
    sessions->rowMenu()->setActiveAction(action);
    QTest::keyClick(sessions->rowMenu(), Qt::Key_Return); // the confirmation runs inside
    return confirmation;
}

} // namespace QPgTest
