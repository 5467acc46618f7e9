// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include "binarycodec_p.h"
#include "textcodec_p.h"
#include "typecodecs_p.h"

#include <QtCore/QVariant>

namespace QPg::Private {

// How the values of one result column decode, resolved once when the result arrives: the type
// dispatch, the format and the custom-codec lookup are done here instead of for every value.
struct ColumnDecoder
{
    // Decodes one non-NULL value of the column.
    QVariant decode(const char *data, int length) const { return m_decode(*this, data, length); }
    quint32 typeOid() const { return m_typeOid; }

    // binary: the column's format code is 1. codecs: the result's custom codecs, or nullptr; the
    // decoder points into them, so they must outlive it (the result holds both).
    static ColumnDecoder resolve(quint32 typeOid, bool binary, const CustomCodecs *codecs);

private:
    using Function = QVariant (*)(const ColumnDecoder &column, const char *data, int length);

    static QVariant decodeCustom(const ColumnDecoder &column, const char *data, int length);
    static QVariant decodeTextColumn(const ColumnDecoder &column, const char *data, int length);
    static QVariant decodeBinaryColumn(const ColumnDecoder &column, const char *data, int length);

    Function m_decode = nullptr;
    quint32 m_typeOid = 0;
    // The one the format and type call for.
    union {
        TextDecoder m_text = nullptr;
        BinaryDecoder m_binary;
        const CustomCodec *m_custom;
    };
};

} // namespace QPg::Private
