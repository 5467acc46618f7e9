// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QString>
#include <QtCore/QVariant>

namespace QPg::Private {

// One query parameter, ready for PQsendQueryParams.
struct EncodedParameter
{
    QByteArray value;   // text form (or raw bytes when binary)
    quint32 typeOid = 0; // 0 lets the server infer the type from context
    bool isNull = false;
    bool binary = false;
};

// Encodes a Qt value as a query parameter. Throws QPg::InterfaceError for a type it cannot send.
EncodedParameter encodeParameter(const QVariant &value);

// Decodes one non-NULL value in PostgreSQL's text format (DateStyle ISO). Unknown types and
// malformed text come back as QString.
QVariant decodeText(quint32 typeOid, const char *data, int length);

// The text decoder of one type, looked up once (for a result column) instead of for every value:
// decoder(typeOid, data, length) gives decodeText()'s result for a value of that type.
using TextDecoder = QVariant (*)(quint32 typeOid, const char *data, int length);
TextDecoder textDecoder(quint32 typeOid);

// The SQL name of a built-in type ("int4", "text[]"); the number as text otherwise.
QString typeName(quint32 typeOid);

} // namespace QPg::Private
