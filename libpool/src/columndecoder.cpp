// SPDX-License-Identifier: MIT
#include "columndecoder_p.h"

#include "logging_p.h"

namespace QPg::Private {

ColumnDecoder ColumnDecoder::resolve(quint32 typeOid, bool binary, const CustomCodecs *codecs)
{
    ColumnDecoder column;
    column.m_typeOid = typeOid;
    if (codecs) {
        // Statements with such columns always ask for text results.
        if (auto it = codecs->byType.constFind(typeOid); it != codecs->byType.cend()) {
            column.m_decode = decodeCustom;
            column.m_custom = &it.value();
            return column;
        }
    }
    if (binary) {
        column.m_decode = decodeBinaryColumn;
        column.m_binary = binaryDecoder(typeOid);
    } else {
        column.m_decode = decodeTextColumn;
        column.m_text = textDecoder(typeOid);
    }
    return column;
}

QVariant ColumnDecoder::decodeCustom(const ColumnDecoder &column, const char *data, int length)
{
    return column.m_custom->decoder(QByteArray(data, length));
}

QVariant ColumnDecoder::decodeTextColumn(const ColumnDecoder &column, const char *data, int length)
{
    return column.m_text(column.m_typeOid, data, length);
}

QVariant ColumnDecoder::decodeBinaryColumn(const ColumnDecoder &column, const char *data, int length)
{
    QString error;
    QVariant value = decodeBinaryWith(column.m_binary, column.m_typeOid, data, length, &error);
    if (Q_UNLIKELY(!error.isNull()))
        qCWarning(lcConnection) << "cannot decode a value of type" << column.m_typeOid << ":" << error;
    return value;
}

} // namespace QPg::Private
