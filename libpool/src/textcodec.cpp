// SPDX-License-Identifier: MIT
#include "textcodec_p.h"

#include "metatypes_p.h"
#include "pgtext_p.h"
#include "pgtypes_p.h"

#include <QPg/errors.h>
#include <QPg/timestamp.h>

#include <QtCore/QDate>
#include <QtCore/QDateTime>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QJsonValue>
#include <QtCore/QSequentialIterable>
#include <QtCore/QTime>
#include <QtCore/QUuid>

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

using namespace Qt::Literals::StringLiterals;

// Parameters go out in PostgreSQL's text input syntax (bytea in binary), results come back in text
// format; the connection fixes DateStyle ISO, client_encoding UTF8 and standard_conforming_strings.
//
// Parameter types: a value gets the OID of its natural type (int4, int8, float8, bool, date, uuid...)
// except where the server had better infer it from the context:
// - QString and QPg::Timestamp are sent untyped (OID 0), so a string fits text, numeric, enums, json
//   and any other type, and a Timestamp fits timestamp and timestamptz columns alike;
// - lists are typed arrays (int4[], float8[], date[]...) when their non-NULL elements agree on a type;
//   lists of strings, empty lists and lists of NULLs are untyped like strings, so `col = ANY($1)`
//   works for uuid, enum or int columns and for an empty filter, while polymorphic functions
//   (unnest($1), array_length) need a cast such as $1::text[];
// - JSON values (QJsonValue/Object/Array/Document, QVariantMap/QVariantHash) are jsonb: the server
//   has assignment casts from jsonb to json and to text, so they fit those columns as well (a json
//   column then stores jsonb's normalized text).
//
// Decoding never fails: text that does not parse as the column type (and types without a Qt mapping)
// comes back as QString.

namespace QPg::Private {

namespace {

// ---------------------------------------------------------------------------------------------
// Encoding

// A value in PostgreSQL's text input syntax, before it becomes a parameter or an array element.
struct TextValue
{
    QByteArray text;
    quint32 typeOid = Oid::Unspecified;
    bool isNull = false;
    bool isArray = false; // text is an array literal; typeOid is then its element type
    bool hasElementType = false; // isArray: some non-NULL scalar element decided typeOid
};

void appendPadded(QByteArray &out, qint64 value, int width)
{
    const QByteArray digits = QByteArray::number(value);
    for (qsizetype i = digits.size(); i < width; ++i)
        out += '0';
    out += digits;
}

template<typename Float>
QByteArray floatText(Float value)
{
    if (std::isnan(value))
        return "NaN"_ba;
    if (std::isinf(value))
        return value > 0 ? "Infinity"_ba : "-Infinity"_ba;
    // Shortest text that reads back as the same value.
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return QByteArray(buffer, result.ptr - buffer);
}

QByteArray dateText(QDate date)
{
    QByteArray out;
    const int year = date.year();
    appendPadded(out, year < 0 ? -qint64(year) : year, 4);
    out += '-';
    appendPadded(out, date.month(), 2);
    out += '-';
    appendPadded(out, date.day(), 2);
    if (year < 0)
        out += " BC";
    return out;
}

QByteArray timeText(QTime time)
{
    QByteArray out;
    appendPadded(out, time.hour(), 2);
    out += ':';
    appendPadded(out, time.minute(), 2);
    out += ':';
    appendPadded(out, time.second(), 2);
    out += '.';
    appendPadded(out, time.msec(), 3);
    return out;
}

QByteArray jsonText(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Object:
        return QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
    case QJsonValue::Array:
        return QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact);
    default: {
        // QJsonDocument holds only objects and arrays: write the scalar as a one-element array.
        const QByteArray wrapped = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
        return wrapped.mid(1, wrapped.size() - 2);
    }
    }
}

TextValue nullValue()
{
    TextValue v;
    v.isNull = true;
    return v;
}

TextValue textValue(QByteArray text, quint32 oid)
{
    TextValue v;
    v.text = std::move(text);
    v.typeOid = oid;
    return v;
}

TextValue unsignedValue(quint64 value)
{
    if (value <= quint64(std::numeric_limits<qint32>::max()))
        return textValue(QByteArray::number(value), Oid::Int4);
    if (value <= quint64(std::numeric_limits<qint64>::max()))
        return textValue(QByteArray::number(value), Oid::Int8);
    return textValue(QByteArray::number(value), Oid::Numeric);
}

QString typeNameOf(const QVariant &value)
{
    const char *name = value.metaType().name();
    return name ? QString::fromLatin1(name) : u"(unnamed type %1)"_s.arg(value.metaType().id());
}

[[noreturn]] void unsupported(const QVariant &value)
{
    throw InterfaceError(u"QPgPool cannot send a value of type %1 as a query parameter"_s.arg(typeNameOf(value)));
}

// The common type of two array elements' types; 0 when they have none.
quint32 commonElementType(quint32 a, quint32 b)
{
    if (a == b)
        return a;
    const auto isInteger = [](quint32 t) { return t == Oid::Int4 || t == Oid::Int8; };
    const auto isFloat = [](quint32 t) { return t == Oid::Float4 || t == Oid::Float8; };
    if (isInteger(a) && isInteger(b))
        return Oid::Int8;
    if (isFloat(a) && isFloat(b))
        return Oid::Float8;
    // Integers with floats or with numerics: numeric holds all of them exactly.
    const auto isNumber = [&](quint32 t) { return isInteger(t) || isFloat(t) || t == Oid::Numeric; };
    if (isNumber(a) && isNumber(b))
        return Oid::Numeric;
    return Oid::Unspecified;
}

bool needsQuoting(const QByteArray &element)
{
    if (element.isEmpty() || element.compare("NULL", Qt::CaseInsensitive) == 0)
        return true;
    for (const char c : element) {
        switch (c) {
        case '{': case '}': case ',': case '"': case '\\':
        case ' ': case '\t': case '\n': case '\r': case '\v': case '\f':
            return true;
        default:
            break;
        }
    }
    return false;
}

void appendArrayElement(QByteArray &out, const QByteArray &element)
{
    if (!needsQuoting(element)) {
        out += element;
        return;
    }
    out += '"';
    for (const char c : element) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    out += '"';
}

TextValue encodeText(const QVariant &value, int depth);

TextValue encodeArray(const QVariant &value, int depth)
{
    if (depth > 32)
        throw InterfaceError(u"QPgPool cannot send a list nested this deeply as a query parameter"_s);

    const QSequentialIterable iterable = value.value<QSequentialIterable>();
    QByteArray out = "{";
    bool first = true;
    bool typed = false; // element type decided by a non-NULL element
    quint32 elementType = Oid::Unspecified;
    for (const QVariant &element : iterable) {
        if (!first)
            out += ',';
        first = false;
        const TextValue encoded = encodeText(element, depth + 1);
        if (encoded.isNull) {
            out += "NULL";
            continue;
        }
        if (encoded.isArray) {
            out += encoded.text; // a sub-array of a multi-dimensional array: no quotes
            if (!encoded.hasElementType)
                continue; // only NULLs or empty: says nothing about the type
        } else {
            appendArrayElement(out, encoded.text);
        }
        elementType = typed ? commonElementType(elementType, encoded.typeOid) : encoded.typeOid;
        typed = true;
    }
    out += '}';

    TextValue result = textValue(std::move(out), elementType);
    result.isArray = true;
    result.hasElementType = typed;
    return result;
}

// The value in text form; QByteArray becomes bytea's hex text (encodeParameter sends it binary).
TextValue encodeText(const QVariant &value, int depth)
{
    if (!value.isValid() || value.isNull())
        return nullValue();

    const QMetaType type = value.metaType();
    if (type == QMetaType::fromType<QPg::Timestamp>()) {
        const auto timestamp = value.value<QPg::Timestamp>();
        if (timestamp.isNull())
            return nullValue();
        // Unspecified type: the same text suits timestamp and timestamptz targets.
        return textValue(timestamp.toPostgresText().toLatin1(), Oid::Unspecified);
    }

    switch (type.id()) {
    case QMetaType::Nullptr:
        return nullValue();
    case QMetaType::Bool:
        return textValue(value.toBool() ? "t"_ba : "f"_ba, Oid::Bool);
    case QMetaType::Char:
    case QMetaType::SChar:
    case QMetaType::UChar:
    case QMetaType::Short:
    case QMetaType::UShort:
    case QMetaType::Char16:
    case QMetaType::Char32:
    case QMetaType::Int:
        return textValue(QByteArray::number(value.toInt()), Oid::Int4);
    case QMetaType::UInt:
        return unsignedValue(value.toUInt());
    case QMetaType::Long:
    case QMetaType::LongLong:
        return textValue(QByteArray::number(value.toLongLong()), Oid::Int8);
    case QMetaType::ULong:
    case QMetaType::ULongLong:
        return unsignedValue(value.toULongLong());
    case QMetaType::Double:
        return textValue(floatText(value.toDouble()), Oid::Float8);
    case QMetaType::Float:
        return textValue(floatText(value.toFloat()), Oid::Float4);
    case QMetaType::QString:
        return textValue(value.toString().toUtf8(), Oid::Unspecified);
    case QMetaType::QChar:
        return textValue(QString(value.toChar()).toUtf8(), Oid::Unspecified);
    case QMetaType::QByteArray:
        return textValue("\\x"_ba + value.toByteArray().toHex(), Oid::Bytea);
    case QMetaType::QDate: {
        const QDate date = value.toDate();
        if (!date.isValid())
            return nullValue();
        return textValue(dateText(date), Oid::Date);
    }
    case QMetaType::QTime: {
        const QTime time = value.toTime();
        if (!time.isValid())
            return nullValue();
        return textValue(timeText(time), Oid::Time);
    }
    case QMetaType::QDateTime: {
        const auto timestamp = QPg::Timestamp::fromDateTime(value.toDateTime());
        if (timestamp.isNull())
            return nullValue();
        return textValue(timestamp.toPostgresText().toLatin1(), Oid::TimestampTz);
    }
    case QMetaType::QUuid:
        return textValue(value.toUuid().toByteArray(QUuid::WithoutBraces), Oid::Uuid);
    case QMetaType::QJsonValue: {
        const QJsonValue json = value.toJsonValue();
        if (json.isUndefined())
            return nullValue();
        return textValue(jsonText(json), Oid::Jsonb);
    }
    case QMetaType::QJsonObject:
        return textValue(jsonText(value.toJsonObject()), Oid::Jsonb);
    case QMetaType::QJsonArray:
        return textValue(jsonText(value.toJsonArray()), Oid::Jsonb);
    case QMetaType::QJsonDocument: {
        const QJsonDocument document = value.toJsonDocument();
        if (document.isNull())
            return nullValue();
        return textValue(document.toJson(QJsonDocument::Compact), Oid::Jsonb);
    }
    case QMetaType::QVariantMap:
        return textValue(jsonText(QJsonObject::fromVariantMap(value.toMap())), Oid::Jsonb);
    case QMetaType::QVariantHash:
        return textValue(jsonText(QJsonObject::fromVariantHash(value.toHash())), Oid::Jsonb);
    default:
        break;
    }

    if (isSequence(value))
        return encodeArray(value, depth);
    unsupported(value);
}

// ---------------------------------------------------------------------------------------------
// Decoding

QString rawText(const char *data, int length)
{
    return QString::fromUtf8(data, length);
}

template<typename Int>
std::optional<Int> parseInteger(const char *data, int length)
{
    Int value{};
    const auto result = std::from_chars(data, data + length, value);
    if (result.ec != std::errc() || result.ptr != data + length)
        return std::nullopt;
    return value;
}

std::optional<double> parseDouble(const char *data, int length)
{
    const QByteArrayView text(data, length);
    if (text == "NaN")
        return std::numeric_limits<double>::quiet_NaN();
    if (text == "Infinity")
        return std::numeric_limits<double>::infinity();
    if (text == "-Infinity")
        return -std::numeric_limits<double>::infinity();
    double value = 0;
    const auto result = std::from_chars(data, data + length, value);
    if (result.ec != std::errc() || result.ptr != data + length)
        return std::nullopt;
    return value;
}

int hexDigit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

std::optional<QByteArray> parseBytea(const char *data, int length)
{
    QByteArray out;
    if (length >= 2 && data[0] == '\\' && data[1] == 'x') {
        // Hex format (the default since PostgreSQL 9.0).
        if ((length - 2) % 2 != 0)
            return std::nullopt;
        out.resize((length - 2) / 2);
        for (int i = 2, o = 0; i < length; i += 2, ++o) {
            const int hi = hexDigit(data[i]);
            const int lo = hexDigit(data[i + 1]);
            if (hi < 0 || lo < 0)
                return std::nullopt;
            out[o] = char(hi * 16 + lo);
        }
        return out;
    }
    // Escape format (bytea_output = escape): "\\" is a backslash, "\ooo" an octal byte.
    out.reserve(length);
    for (int i = 0; i < length; ++i) {
        if (data[i] != '\\') {
            out += data[i];
        } else if (i + 1 < length && data[i + 1] == '\\') {
            out += '\\';
            ++i;
        } else if (i + 3 < length && data[i + 1] >= '0' && data[i + 1] <= '3' && data[i + 2] >= '0'
                   && data[i + 2] <= '7' && data[i + 3] >= '0' && data[i + 3] <= '7') {
            out += char((data[i + 1] - '0') * 64 + (data[i + 2] - '0') * 8 + (data[i + 3] - '0'));
            i += 3;
        } else {
            return std::nullopt;
        }
    }
    return out;
}

// Reads exactly `digits` decimal digits at data[*pos].
bool fixedDigits(const char *data, int length, int *pos, int digits, int *value)
{
    int result = 0;
    for (int i = 0; i < digits; ++i) {
        const int p = *pos + i;
        if (p >= length || data[p] < '0' || data[p] > '9')
            return false;
        result = result * 10 + (data[p] - '0');
    }
    *pos += digits;
    *value = result;
    return true;
}

std::optional<QDate> parseDate(const char *data, int length)
{
    // YYYY-MM-DD with four or more year digits, " BC" for years before 1 AD.
    int pos = 0;
    int year = 0;
    int yearDigits = 0;
    while (pos < length && data[pos] >= '0' && data[pos] <= '9' && yearDigits < 8) {
        year = year * 10 + (data[pos] - '0');
        ++pos;
        ++yearDigits;
    }
    int month = 0, day = 0;
    if (yearDigits < 1 || pos >= length || data[pos] != '-')
        return std::nullopt;
    ++pos;
    if (!fixedDigits(data, length, &pos, 2, &month) || pos >= length || data[pos] != '-')
        return std::nullopt;
    ++pos;
    if (!fixedDigits(data, length, &pos, 2, &day))
        return std::nullopt;
    bool bc = false;
    if (QByteArrayView(data + pos, length - pos) == " BC") {
        bc = true;
        pos += 3;
    }
    if (pos != length || year == 0)
        return std::nullopt;
    // PostgreSQL's 1 BC is QDate's year -1 (neither has a year 0).
    const QDate date(bc ? -year : year, month, day);
    if (!date.isValid())
        return std::nullopt;
    return date;
}

std::optional<QTime> parseTime(const char *data, int length)
{
    // HH:MM:SS[.ffffff]; QTime keeps milliseconds, the rest is truncated.
    int pos = 0;
    int hour = 0, minute = 0, second = 0;
    if (!fixedDigits(data, length, &pos, 2, &hour) || pos >= length || data[pos++] != ':'
        || !fixedDigits(data, length, &pos, 2, &minute) || pos >= length || data[pos++] != ':'
        || !fixedDigits(data, length, &pos, 2, &second))
        return std::nullopt;
    int msec = 0;
    if (pos < length && data[pos] == '.') {
        ++pos;
        int digits = 0;
        while (pos < length && data[pos] >= '0' && data[pos] <= '9') {
            if (digits < 3)
                msec = msec * 10 + (data[pos] - '0');
            ++digits;
            ++pos;
        }
        if (digits == 0)
            return std::nullopt;
        for (; digits < 3; ++digits)
            msec *= 10;
    }
    if (pos != length)
        return std::nullopt;
    const QTime time(hour, minute, second, msec);
    if (!time.isValid()) // 24:00:00 has no QTime
        return std::nullopt;
    return time;
}

std::optional<QJsonValue> parseJson(const char *data, int length)
{
    // QJsonDocument reads only objects and arrays: wrap the value so top-level scalars work too.
    QByteArray wrapped;
    wrapped.reserve(length + 2);
    wrapped += '[';
    wrapped += QByteArrayView(data, length);
    wrapped += ']';
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(wrapped, &error);
    if (error.error != QJsonParseError::NoError || !document.isArray() || document.array().size() != 1)
        return std::nullopt;
    return document.array().first();
}

QVariant decodeScalar(quint32 typeOid, const char *data, int length);

// Parser for PostgreSQL's array output: [optional "[l:u]...=" decoration] {elem,elem,...}, elements
// unquoted or double-quoted with backslash escapes, NULL for a null element, nested braces for
// further dimensions.
class ArrayParser
{
public:
    ArrayParser(const char *data, int length, quint32 elementType)
        : m_data(data)
        , m_length(length)
        , m_elementType(elementType)
    {
    }

    std::optional<QVariantList> parse()
    {
        skipSpace();
        if (m_pos < m_length && m_data[m_pos] == '[') {
            // Dimension decoration for lower bounds other than 1: skipped, the list starts at 0.
            while (m_pos < m_length && m_data[m_pos] != '=')
                ++m_pos;
            if (m_pos >= m_length)
                return std::nullopt;
            ++m_pos;
            skipSpace();
        }
        auto list = parseList(0);
        skipSpace();
        if (!list || m_pos != m_length)
            return std::nullopt;
        return list;
    }

private:
    static constexpr int MaxDepth = 32; // PostgreSQL allows 6 dimensions

    static bool isSpace(char c)
    {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
    }
    void skipSpace()
    {
        while (m_pos < m_length && isSpace(m_data[m_pos]))
            ++m_pos;
    }

    std::optional<QVariantList> parseList(int depth)
    {
        if (depth > MaxDepth || m_pos >= m_length || m_data[m_pos] != '{')
            return std::nullopt;
        ++m_pos;
        QVariantList list;
        skipSpace();
        if (m_pos < m_length && m_data[m_pos] == '}') {
            ++m_pos;
            return list;
        }
        while (true) {
            skipSpace();
            if (m_pos >= m_length)
                return std::nullopt;
            if (m_data[m_pos] == '{') {
                auto sub = parseList(depth + 1);
                if (!sub)
                    return std::nullopt;
                list.append(QVariant(std::move(*sub)));
            } else {
                auto element = parseElement();
                if (!element)
                    return std::nullopt;
                list.append(std::move(*element));
            }
            skipSpace();
            if (m_pos >= m_length)
                return std::nullopt;
            const char c = m_data[m_pos++];
            if (c == '}')
                return list;
            if (c != ',')
                return std::nullopt;
        }
    }

    std::optional<QVariant> parseElement()
    {
        QByteArray text;
        if (m_data[m_pos] == '"') {
            ++m_pos;
            while (true) {
                if (m_pos >= m_length)
                    return std::nullopt;
                char c = m_data[m_pos++];
                if (c == '"')
                    break;
                if (c == '\\') {
                    if (m_pos >= m_length)
                        return std::nullopt;
                    c = m_data[m_pos++];
                }
                text += c;
            }
            return decodeScalar(m_elementType, text.constData(), int(text.size()));
        }

        bool escaped = false;
        qsizetype significant = 0; // length without trailing unescaped white space
        while (m_pos < m_length) {
            char c = m_data[m_pos];
            if (c == ',' || c == '}' || c == '{' || c == '"')
                break;
            ++m_pos;
            if (c == '\\') {
                if (m_pos >= m_length)
                    return std::nullopt;
                c = m_data[m_pos++];
                escaped = true;
                text += c;
                significant = text.size();
                continue;
            }
            text += c;
            if (!isSpace(c))
                significant = text.size();
        }
        text.truncate(significant);
        if (text.isEmpty())
            return std::nullopt;
        if (!escaped && text.compare("NULL", Qt::CaseInsensitive) == 0)
            return QVariant::fromValue(nullptr);
        return decodeScalar(m_elementType, text.constData(), int(text.size()));
    }

    const char *m_data;
    int m_length;
    int m_pos = 0;
    quint32 m_elementType;
};

// One function per type, so a result column can pick its decoder once (textDecoder()). Each falls
// back to the raw text when the value does not parse.
QVariant textRaw(quint32, const char *data, int length)
{
    return rawText(data, length);
}

QVariant textBool(quint32, const char *data, int length)
{
    if (length == 1 && data[0] == 't')
        return true;
    if (length == 1 && data[0] == 'f')
        return false;
    return rawText(data, length);
}

// The value Parse reads, for types whose parser returns std::optional.
template<auto Parse>
QVariant textParsed(quint32, const char *data, int length)
{
    if (auto v = Parse(data, length))
        return *v;
    return rawText(data, length);
}

QVariant textTimestamp(quint32 typeOid, const char *data, int length)
{
    registerMetaTypes(); // for QVariant::toDateTime()
    const auto timestamp = QPg::Timestamp::fromPostgresText(QString::fromLatin1(data, length),
                                                            typeOid == Oid::TimestampTz);
    if (!timestamp.isNull())
        return QVariant::fromValue(timestamp);
    return rawText(data, length);
}

QVariant textUuid(quint32, const char *data, int length)
{
    const QUuid uuid = QUuid::fromString(QLatin1StringView(data, length));
    if (!uuid.isNull() || QByteArrayView(data, length) == "00000000-0000-0000-0000-000000000000")
        return uuid;
    return rawText(data, length);
}

QVariant textArray(quint32 typeOid, const char *data, int length)
{
    if (auto v = ArrayParser(data, length, arrayElementType(typeOid)).parse())
        return *v;
    return rawText(data, length);
}

TextDecoder scalarDecoder(quint32 typeOid)
{
    switch (typeOid) {
    case Oid::Bool: return textBool;
    case Oid::Int2:
    case Oid::Int4:
        return textParsed<parseInteger<int>>;
    case Oid::Int8: return textParsed<parseInteger<qlonglong>>;
    case Oid::Oid: return textParsed<parseInteger<uint>>;
    case Oid::Float4:
    case Oid::Float8:
        return textParsed<parseDouble>;
    case Oid::Bytea: return textParsed<parseBytea>;
    // "infinity" and "-infinity" have no QDate: they stay text, like malformed input.
    case Oid::Date: return textParsed<parseDate>;
    case Oid::Time: return textParsed<parseTime>;
    case Oid::Timestamp:
    case Oid::TimestampTz:
        return textTimestamp;
    case Oid::Uuid: return textUuid;
    case Oid::Json:
    case Oid::Jsonb:
        return textParsed<parseJson>;
    default:
        break;
    }
    // Text types, numeric (exact), interval, timetz, inet, cidr and every unknown type stay text.
    return arrayElementType(typeOid) ? textArray : textRaw;
}

QVariant decodeScalar(quint32 typeOid, const char *data, int length)
{
    return scalarDecoder(typeOid)(typeOid, data, length);
}

} // namespace

EncodedParameter encodeParameter(const QVariant &value)
{
    EncodedParameter parameter;
    if (value.metaType() == QMetaType::fromType<QByteArray>() && !value.isNull()) {
        // Sent in binary: the bytes as they are, no hex round trip.
        parameter.value = value.toByteArray();
        parameter.typeOid = Oid::Bytea;
        parameter.binary = true;
        return parameter;
    }

    TextValue text = encodeText(value, 0);
    parameter.isNull = text.isNull;
    if (text.isNull)
        return parameter;
    parameter.value = std::move(text.text);
    parameter.typeOid = text.isArray ? arrayTypeOf(text.typeOid) : text.typeOid;
    return parameter;
}

QVariant decodeText(quint32 typeOid, const char *data, int length)
{
    if (!data || length < 0)
        return QString();
    return decodeScalar(typeOid, data, length);
}

TextDecoder textDecoder(quint32 typeOid)
{
    return scalarDecoder(typeOid);
}

QString typeName(quint32 typeOid)
{
    switch (typeOid) {
    case Oid::Bool: return u"bool"_s;
    case Oid::Bytea: return u"bytea"_s;
    case Oid::Char: return u"char"_s;
    case Oid::Name: return u"name"_s;
    case Oid::Int8: return u"int8"_s;
    case Oid::Int2: return u"int2"_s;
    case Oid::Int4: return u"int4"_s;
    case Oid::Regproc: return u"regproc"_s;
    case Oid::Text: return u"text"_s;
    case Oid::Oid: return u"oid"_s;
    case Oid::Xid: return u"xid"_s;
    case Oid::Json: return u"json"_s;
    case Oid::Xml: return u"xml"_s;
    case Oid::Point: return u"point"_s;
    case Oid::Cidr: return u"cidr"_s;
    case Oid::Float4: return u"float4"_s;
    case Oid::Float8: return u"float8"_s;
    case Oid::Unknown: return u"unknown"_s;
    case Oid::Money: return u"money"_s;
    case Oid::Macaddr: return u"macaddr"_s;
    case Oid::Inet: return u"inet"_s;
    case Oid::Bpchar: return u"bpchar"_s;
    case Oid::Varchar: return u"varchar"_s;
    case Oid::Date: return u"date"_s;
    case Oid::Time: return u"time"_s;
    case Oid::Timestamp: return u"timestamp"_s;
    case Oid::TimestampTz: return u"timestamptz"_s;
    case Oid::Interval: return u"interval"_s;
    case Oid::TimeTz: return u"timetz"_s;
    case Oid::Bit: return u"bit"_s;
    case Oid::Varbit: return u"varbit"_s;
    case Oid::Numeric: return u"numeric"_s;
    case Oid::Regclass: return u"regclass"_s;
    case Oid::Record: return u"record"_s;
    case Oid::Void: return u"void"_s;
    case Oid::Uuid: return u"uuid"_s;
    case Oid::Jsonb: return u"jsonb"_s;
    default:
        break;
    }
    if (const quint32 elementType = arrayElementType(typeOid))
        return typeName(elementType) + u"[]";
    return QString::number(typeOid);
}

} // namespace QPg::Private
