// SPDX-License-Identifier: MIT
// libFuzzer target: encodeBinary() of arbitrary strings (the parsers for numeric, interval, timetz,
// inet, dates...). The first byte picks the type; the second whether the rest is UTF-8 text or a
// JSON-ish list of such strings for the array types. Whatever encodes must decode again.
#include "binarycodec_p.h"
#include "fuzztypes.h"

#include <cstdint>
#include <cstdio>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 1 << 16)
        return 0;
    const quint32 oid = QPgFuzz::pickType(data[0]);
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data + 2), qsizetype(size - 2));
    QVariant input;
    switch (data[1] % 4) {
    case 0:
        input = text;
        break;
    case 1:
        input = QByteArray(reinterpret_cast<const char *>(data + 2), qsizetype(size - 2));
        break;
    case 2: {
        // Comma-separated elements, ';' separated rows: flat and nested lists, "~" for NULL.
        QVariantList rows;
        for (const QString &row : text.split(u';')) {
            QVariantList elements;
            for (const QString &element : row.split(u','))
                elements.append(element == u"~" ? QVariant() : QVariant(element));
            rows.append(QVariant(elements));
        }
        input = rows.size() == 1 ? rows.first() : QVariant(rows);
        break;
    }
    default:
        input = text.toDouble();
        break;
    }
    QByteArray encoded;
    QString error;
    if (!QPg::Private::encodeBinary(oid, input, &encoded, &error)) {
        if (error.isEmpty())
            __builtin_trap();
        return 0;
    }
    if (encoded.isNull())
        return 0;
    QVariant decoded;
    if (!QPg::Private::decodeBinary(oid, encoded.constData(), int(encoded.size()), &decoded, &error)) {
        // What the encoder writes, the decoder reads (the server's checks aside).
        fprintf(stderr, "encoded value does not decode: %s\n", qPrintable(error));
        __builtin_trap();
    }
    return 0;
}
