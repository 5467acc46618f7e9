// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include "textcodec_p.h"

#include <QtCore/QByteArray>
#include <QtCore/QString>
#include <QtCore/QVariant>
#include <QtCore/QtEndian>

namespace QPg::Private {

// True when values of this type can be requested and decoded in PostgreSQL's binary format. libpq
// asks for one format for all columns of a result, so a statement uses binary results only when
// every column passes this test.
bool hasBinaryDecoder(quint32 typeOid);

// Decodes one non-NULL value in binary format into the same Qt types decodeText() gives (record.h).
// Malformed input (wrong length, bad header, out-of-range dimensions...) returns false with a
// message in *error and never reads outside [data, data + length).
bool decodeBinary(quint32 typeOid, const char *data, int length, QVariant *out, QString *error);

// The decoder of one type, looked up once (for a result column) instead of for every value; nullptr
// when the type has none. It reports malformed input by throwing a type private to binarycodec.cpp:
// call it only through decodeBinaryWith(), which gives decodeBinary()'s value for that type, or an
// invalid QVariant and the message in *error (never null then) for malformed input.
using BinaryDecoder = QVariant (*)(quint32 typeOid, const char *data, int length);
BinaryDecoder binaryDecoder(quint32 typeOid);
QVariant decodeBinaryWith(BinaryDecoder decoder, quint32 typeOid, const char *data, int length, QString *error);

// Encodes value in binary format for a parameter or binary COPY column of type typeOid (the type the
// server expects, e.g. from a statement's Describe or the table's columns). Converts where exact
// (an int into int8, a QString holding a number into numeric...). Returns false with a message when
// the value cannot be represented in that type, or the type has no binary encoder
// (canEncodeBinary()).
bool encodeBinary(quint32 typeOid, const QVariant &value, QByteArray *out, QString *error);
bool canEncodeBinary(quint32 typeOid);

// The function encodeBinary() uses for typeOid, resolved once for a column of many values; nullptr
// when the type has none. It appends a non-NULL value's encoding to out, and throws on bad input:
// call it through appendBinary().
using BinaryEncodeFunction = void (*)(quint32 typeOid, const QVariant &value, QByteArray &out);
BinaryEncodeFunction binaryEncoder(quint32 typeOid);

// Appends value (not NULL: see isNullParameter()) to out with encode; on bad input returns false
// with encodeBinary()'s message and leaves out as it was.
bool appendBinary(quint32 typeOid, BinaryEncodeFunction encode, const QVariant &value, QByteArray &out,
                  QString *error);

// True for the values sent as SQL NULL: an invalid QVariant, nullptr, a null QPg::Timestamp, an
// invalid QDate/QTime/QDateTime, an undefined QJsonValue, a null QJsonDocument.
bool isNullParameter(const QVariant &value);

// Appends text in UTF-8 to out, converted in place (no temporary QByteArray).
void appendUtf8(QByteArray &out, QStringView text);

// Appends an integer in network byte order, written in place: append() of a few bytes takes
// QByteArray's general insert path.
template<typename T>
void appendBigEndian(QByteArray &out, T value)
{
    const qsizetype at = out.size();
    out.resize(at + qsizetype(sizeof(T)));
    qToBigEndian(value, out.data() + at);
}

} // namespace QPg::Private
