// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QIdentityProxyModel>

namespace QPg::Monitor {

// The query runner's look on top of a QPg::QueryModel: NULL in subtle italics, so it stands apart
// from the text "NULL". Everything else passes through.
class ResultStyleProxy : public QIdentityProxyModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ResultStyleProxy)
public:
    using QIdentityProxyModel::QIdentityProxyModel;

    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
};

} // namespace QPg::Monitor
