// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include "binarycodec_p.h"
#include "textcodec_p.h"

#include <QtCore/QByteArray>
#include <QtCore/QList>
#include <QtCore/QVariant>

#include <functional>
#include <vector>

// Encoders chosen once per column (binary COPY) or parameter (executeMany) from its type, so the
// values of many rows skip the type dispatch and go straight into one reused buffer.

namespace QPg::Private {

// One column of a binary COPY.
class CopyColumnEncoder
{
public:
    explicit CopyColumnEncoder(quint32 typeOid) : m_type(typeOid), m_encode(binaryEncoder(typeOid)) { }

    // Appends the field to out: its length (reserved, then patched once the value is written) and
    // bytes, or -1 for NULL. On bad input returns false with encodeBinary()'s message and leaves
    // out as it was.
    bool append(const QVariant &value, QByteArray &out, QString *error) const;

private:
    quint32 m_type;
    BinaryEncodeFunction m_encode;
};

// The parameters of executeMany's rows, one row at a time into one reused buffer, in the arrays
// PQsendQueryPrepared takes.
class BatchRowEncoder
{
public:
    // The encoding of a parameter as the connection would send it alone (custom codecs included);
    // may throw QException.
    using GenericEncoder = std::function<EncodedParameter(const QVariant &)>;

    // Checks that every row has the same number of values and chooses each parameter's type (the
    // rows' common one, as encodeParameter() gives it; 0 when they differ) and encoder. Only a
    // parameter whose values are not all of one Qt type with a fixed PostgreSQL type is encoded up
    // front, to find its type and report a value it cannot send before anything is sent.
    bool prepare(const QList<QVariantList> &rows, GenericEncoder generic, QString *error);

    const std::vector<unsigned int> &types() const { return m_types; }

    // Encodes row; the arrays below point into the buffer until the next call. On bad input returns
    // false with a message.
    bool encode(const QVariantList &row, QString *error);

    int count() const { return int(m_types.size()); }
    const char *const *values() const { return m_values.data(); }
    const int *lengths() const { return m_lengths.data(); }
    const int *formats() const { return m_formats.data(); }

private:
    enum class Kind {
        Binary,  // one Qt type with a binary encoder for its PostgreSQL type
        Utf8,    // QString, type left to the server: UTF-8 text, converted in place
        Generic, // anything else: GenericEncoder, its bytes copied into the buffer
    };
    struct Parameter
    {
        Kind kind = Kind::Generic;
        BinaryEncodeFunction encode = nullptr;
    };

    std::vector<Parameter> m_parameters;
    std::vector<unsigned int> m_types;
    GenericEncoder m_generic;
    QByteArray m_buffer;
    std::vector<qsizetype> m_offsets; // into m_buffer; -1 for NULL
    std::vector<const char *> m_values;
    std::vector<int> m_lengths;
    std::vector<int> m_formats;
};

} // namespace QPg::Private
