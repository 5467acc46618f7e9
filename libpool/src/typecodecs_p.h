// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QtCore/QHash>
#include <QtCore/QMetaType>
#include <QtCore/QVariant>

#include <functional>
#include <memory>

namespace QPg::Private {

// Codecs a user set on a connection (Connection::setTypeCodec), in PostgreSQL's text format.
struct CustomCodec
{
    quint32 typeOid = 0;
    QMetaType qtType;
    std::function<QByteArray(const QVariant &)> encoder;
    std::function<QVariant(const QByteArray &)> decoder;
};

// Immutable once published: results keep the map they were made with, so setting a codec later
// never changes how an existing result decodes.
struct CustomCodecs
{
    QHash<quint32, CustomCodec> byType;
    QHash<int, quint32> typeByQtType; // QMetaType id → PostgreSQL type
};
using CustomCodecsPtr = std::shared_ptr<const CustomCodecs>;

// A table's columns and their types (domains resolved to the base type), for binary COPY.
using TableColumns = QList<std::pair<QString, quint32>>;

} // namespace QPg::Private
