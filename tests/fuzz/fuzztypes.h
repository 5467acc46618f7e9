// SPDX-License-Identifier: MIT
// The type OIDs the fuzz targets choose from: the first input byte indexes this list.
#pragma once

#include "pgtypes_p.h"

#include <QtCore/QList>

namespace QPgFuzz {

inline const QList<quint32> &codecTypes()
{
    static const QList<quint32> types = [] {
        QList<quint32> list(std::begin(QPg::Private::binaryCodecTypes), std::end(QPg::Private::binaryCodecTypes));
        for (const QPg::Private::ArrayTypePair &pair : QPg::Private::knownArrayTypes)
            list.append(pair.array);
        return list;
    }();
    return types;
}

// The type picked by an input's first byte.
inline quint32 pickType(quint8 selector)
{
    return codecTypes().at(selector % codecTypes().size());
}

} // namespace QPgFuzz
