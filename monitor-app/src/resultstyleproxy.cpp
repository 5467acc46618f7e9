// SPDX-License-Identifier: MIT
#include "resultstyleproxy.h"

#include "theme.h"

#include <QPg/querymodel.h>

#include <QtGui/QFont>
#include <QtGui/QGuiApplication>

namespace QPg::Monitor {

QVariant ResultStyleProxy::data(const QModelIndex &index, int role) const
{
    if (role == Qt::ForegroundRole || role == Qt::FontRole) {
        if (!QIdentityProxyModel::data(index, QPg::QueryModel::IsNullRole).toBool())
            return QIdentityProxyModel::data(index, role);
        if (role == Qt::ForegroundRole)
            return Theme::subtleTextColor(QGuiApplication::palette());
        QFont font;
        font.setItalic(true);
        return font;
    }
    return QIdentityProxyModel::data(index, role);
}

} // namespace QPg::Monitor
