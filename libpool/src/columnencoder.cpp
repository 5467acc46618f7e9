// SPDX-License-Identifier: MIT
#include "columnencoder_p.h"

#include "pgtypes_p.h"

#include <QtCore/QException>
#include <QtCore/QtEndian>

#include <limits>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Private {

namespace {

// Patches the 4-byte length reserved at lengthAt with the size of what follows it; false when the
// value is too large for the protocol.
bool patchLength(QByteArray &out, qsizetype lengthAt)
{
    const qsizetype length = out.size() - lengthAt - qsizetype(sizeof(qint32));
    if (length > std::numeric_limits<qint32>::max())
        return false;
    qToBigEndian(qint32(length), out.data() + lengthAt);
    return true;
}

// The Qt types whose parameters encodeParameter() always gives the same PostgreSQL type, and that
// binaryEncoder() of that type takes without conversion: sent in binary.
bool hasFixedBinaryType(int metaTypeId)
{
    switch (metaTypeId) {
    case QMetaType::Bool:
    case QMetaType::Short:
    case QMetaType::UShort:
    case QMetaType::Int:
    case QMetaType::Long:
    case QMetaType::LongLong:
    case QMetaType::Double:
    case QMetaType::Float:
    case QMetaType::QDate:
    case QMetaType::QDateTime:
        return true;
    default:
        return false;
    }
}

} // namespace

bool CopyColumnEncoder::append(const QVariant &value, QByteArray &out, QString *error) const
{
    const qsizetype lengthAt = out.size();
    appendBigEndian(out, qint32(-1)); // NULL, or the place of the length
    if (isNullParameter(value))
        return true;
    if (!m_encode) {
        *error = u"no binary encoder for PostgreSQL type %1"_s.arg(typeName(m_type));
    } else if (appendBinary(m_type, m_encode, value, out, error)) {
        if (patchLength(out, lengthAt))
            return true;
        *error = u"the value is too large"_s;
    }
    out.resize(lengthAt);
    return false;
}

bool BatchRowEncoder::prepare(const QList<QVariantList> &rows, GenericEncoder generic, QString *error)
{
    m_generic = std::move(generic);
    const qsizetype columns = rows.isEmpty() ? 0 : rows.front().size();
    for (qsizetype r = 0; r < rows.size(); ++r) {
        if (rows[r].size() != columns) {
            *error = u"row %1 has %2 values, row 0 has %3: every row of a batch needs the same number"_s.arg(r)
                         .arg(rows[r].size())
                         .arg(columns);
            return false;
        }
    }
    m_parameters.assign(size_t(columns), Parameter());
    m_types.assign(size_t(columns), 0);
    for (qsizetype c = 0; c < columns; ++c) {
        // One Qt type for all non-NULL values?
        QMetaType common;
        qsizetype first = -1;
        bool uniform = true;
        for (qsizetype r = 0; r < rows.size() && uniform; ++r) {
            const QVariant &v = rows[r][c];
            if (isNullParameter(v))
                continue;
            if (first < 0) {
                first = r;
                common = v.metaType();
            } else {
                uniform = v.metaType() == common;
            }
        }
        Parameter &parameter = m_parameters[size_t(c)];
        if (first < 0)
            continue; // all NULL: generic, type left to the server
        qsizetype at = first; // the row being encoded, for an error
        try {
            if (uniform && (common.id() == QMetaType::QString || hasFixedBinaryType(common.id()))) {
                // One value tells the type of all (a custom codec's too).
                const EncodedParameter sample = m_generic(rows[first][c]);
                m_types[size_t(c)] = sample.typeOid;
                if (common.id() == QMetaType::QString && sample.typeOid == Oid::Unspecified && !sample.binary)
                    parameter.kind = Kind::Utf8;
                else if (sample.typeOid != Oid::Unspecified && !sample.binary && hasFixedBinaryType(common.id())
                         && sample.typeOid == encodeParameter(rows[first][c]).typeOid) // no custom codec
                    parameter = {Kind::Binary, binaryEncoder(sample.typeOid)};
                if (parameter.kind != Kind::Binary || parameter.encode)
                    continue;
                parameter = {};
            }
            // Every value encoded once now: its type, and any error before a row is sent.
            quint32 type = 0;
            bool agree = true;
            for (at = 0; at < rows.size(); ++at) {
                const EncodedParameter p = m_generic(rows[at][c]);
                if (p.isNull)
                    continue;
                if (type == 0)
                    type = p.typeOid;
                else if (p.typeOid != type)
                    agree = false;
            }
            m_types[size_t(c)] = agree ? type : 0;
        } catch (const QException &e) {
            *error = u"row %1: %2"_s.arg(at).arg(QString::fromUtf8(e.what()));
            return false;
        }
    }
    m_offsets.resize(size_t(columns));
    m_values.resize(size_t(columns));
    m_lengths.resize(size_t(columns));
    m_formats.resize(size_t(columns));
    return true;
}

bool BatchRowEncoder::encode(const QVariantList &row, QString *error)
{
    m_buffer.resize(0); // keeps its capacity
    for (size_t c = 0; c < m_parameters.size(); ++c) {
        const QVariant &value = row[qsizetype(c)];
        const Parameter &parameter = m_parameters[c];
        m_offsets[c] = m_buffer.size();
        m_formats[c] = 0;
        switch (parameter.kind) {
        case Kind::Binary:
            if (isNullParameter(value)) {
                m_offsets[c] = -1;
                break;
            }
            if (appendBinary(m_types[c], parameter.encode, value, m_buffer, nullptr)) {
                m_formats[c] = 1;
                break;
            }
            // What the type cannot hold (a QDateTime beyond QPg::Timestamp's range) goes as a lone
            // parameter would.
            [[fallthrough]];
        case Kind::Generic:
            try {
                const EncodedParameter p = m_generic(value);
                if (p.isNull) {
                    m_offsets[c] = -1;
                    break;
                }
                m_buffer += p.value;
                if (p.binary)
                    m_formats[c] = 1;
                else
                    m_buffer += '\0';
            } catch (const QException &e) {
                *error = QString::fromUtf8(e.what());
                return false;
            }
            break;
        case Kind::Utf8:
            if (isNullParameter(value)) {
                m_offsets[c] = -1;
            } else {
                appendUtf8(m_buffer, *static_cast<const QString *>(value.constData()));
                m_buffer += '\0'; // libpq reads a text value up to its NUL
            }
            break;
        }
        m_lengths[c] = m_offsets[c] < 0 ? 0 : int(m_buffer.size() - m_offsets[c] - (m_formats[c] ? 0 : 1));
    }
    // Pointers only now: the buffer may have moved while it grew.
    for (size_t c = 0; c < m_parameters.size(); ++c)
        m_values[c] = m_offsets[c] < 0 ? nullptr : m_buffer.constData() + m_offsets[c];
    return true;
}

} // namespace QPg::Private
