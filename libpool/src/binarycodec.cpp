// SPDX-License-Identifier: MIT
#include "binarycodec_p.h"

#include "floordiv_p.h"
#include "pgtext_p.h"

#include "metatypes_p.h"
#include "pgtypes_p.h"

#include <QPg/timestamp.h>

#include <QtCore/QDate>
#include <QtCore/QDateTime>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QJsonValue>
#include <QtCore/QSequentialIterable>
#include <QtCore/QStringEncoder>
#include <QtCore/QTime>
#include <QtCore/QUuid>
#include <QtCore/QtEndian>

#include <arpa/inet.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <vector>

using namespace Qt::Literals::StringLiterals;

// PostgreSQL's binary formats (the typsend/typrecv functions of each type), decoded into exactly what
// decodeText() gives for the same value in text format, so a result reads the same in either format:
// numeric, interval, timetz, inet and cidr become the text PostgreSQL prints for them (IntervalStyle
// postgres, extra_float_digits > 0), float4 becomes the double of its shortest decimal text, dates and
// times PostgreSQL has no Qt type for (infinity, 24:00:00) stay text.
//
// Encoding: encodeBinary() gives a null QByteArray (isNull()) for a NULL value (invalid QVariant,
// nullptr, null QPg::Timestamp, invalid QDate/QTime/QDateTime, undefined QJsonValue, null
// QJsonDocument): the caller sends a NULL parameter. Every other value yields a non-null byte array.

namespace QPg::Private {

namespace {

constexpr qint64 MicrosPerSecond = 1000000;
constexpr qint64 MicrosPerMinute = 60 * MicrosPerSecond;
constexpr qint64 MicrosPerHour = 60 * MicrosPerMinute;
constexpr qint64 MicrosPerDay = 24 * MicrosPerHour;
constexpr qint64 PostgresEpochJulianDay = 2451545; // 2000-01-01, day 0 of date and timestamp
constexpr qint64 UnixEpochJulianDay = 2440588;     // 1970-01-01, QPg::Timestamp's epoch
constexpr qint64 EpochShiftMicros = (PostgresEpochJulianDay - UnixEpochJulianDay) * MicrosPerDay;
// Valid ranges (datatype/timestamp.h): 4714-11-24 BC up to 5874898-01-01 (date) and 294277-01-01
// (timestamp), both exclusive at the end.
constexpr qint64 MinDate = 0 - PostgresEpochJulianDay;
constexpr qint64 EndDate = 2147483494 - PostgresEpochJulianDay;
constexpr qint64 MinTimestamp = MinDate * MicrosPerDay;
constexpr qint64 EndTimestamp = (109203528 - PostgresEpochJulianDay) * MicrosPerDay;
constexpr int TimeZoneLimit = 16 * 3600; // timetz offsets stay below 16 hours
constexpr int MaxArrayDimensions = 6;
constexpr int NameDataLength = 64;
constexpr int NumericDscaleMax = 0x3FFF;
constexpr quint16 NumericPositive = 0x0000;
constexpr quint16 NumericNegative = 0x4000;
constexpr quint16 NumericNaN = 0xC000;
constexpr quint16 NumericPlusInfinity = 0xD000;
constexpr quint16 NumericMinusInfinity = 0xF000;
constexpr quint8 FamilyInet4 = 2; // PGSQL_AF_INET
constexpr quint8 FamilyInet6 = 3; // PGSQL_AF_INET6
constexpr quint8 JsonbVersion = 1;

static_assert(EpochShiftMicros == Q_INT64_C(946684800000000));

// ---------------------------------------------------------------------------------------------
// Decoding

// Big-endian reads that never pass the end of the value.
class Reader
{
public:
    Reader(const char *data, int length)
        : m_data(reinterpret_cast<const uchar *>(data))
        , m_length(length)
    {
    }

    int remaining() const { return m_length - m_pos; }
    bool atEnd() const { return m_pos == m_length; }

    template<typename T>
    bool read(T *value)
    {
        if (remaining() < int(sizeof(T)))
            return false;
        *value = qFromBigEndian<T>(m_data + m_pos);
        m_pos += int(sizeof(T));
        return true;
    }
    const char *take(int count)
    {
        if (count < 0 || remaining() < count)
            return nullptr;
        const char *p = reinterpret_cast<const char *>(m_data + m_pos);
        m_pos += count;
        return p;
    }

private:
    const uchar *m_data;
    int m_length;
    int m_pos = 0;
};

struct DecodeError
{
    QString message;
};

[[noreturn]] void fail(quint32 typeOid, const QString &reason)
{
    throw DecodeError{u"malformed binary %1 value: %2"_s.arg(typeName(typeOid), reason)};
}

void expectLength(quint32 typeOid, int length, int expected)
{
    if (length != expected)
        fail(typeOid, u"%1 bytes instead of %2"_s.arg(length).arg(expected));
}

template<typename T>
T fixedValue(quint32 typeOid, const char *data, int length)
{
    expectLength(typeOid, length, int(sizeof(T)));
    return qFromBigEndian<T>(data);
}

QString numericText(const char *data, int length)
{
    Reader in(data, length);
    quint16 ndigits = 0, sign = 0, dscale = 0;
    qint16 weight = 0;
    if (!in.read(&ndigits) || !in.read(&weight) || !in.read(&sign) || !in.read(&dscale))
        fail(Oid::Numeric, u"header shorter than 8 bytes"_s);
    if (in.remaining() != 2 * int(ndigits))
        fail(Oid::Numeric, u"%1 digits announced, %2 bytes follow"_s.arg(ndigits).arg(in.remaining()));
    switch (sign) {
    case NumericNaN:
        return u"NaN"_s;
    case NumericPlusInfinity:
        return u"Infinity"_s;
    case NumericMinusInfinity:
        return u"-Infinity"_s;
    case NumericPositive:
    case NumericNegative:
        break;
    default:
        fail(Oid::Numeric, u"invalid sign 0x%1"_s.arg(sign, 0, 16));
    }
    if (dscale > NumericDscaleMax)
        fail(Oid::Numeric, u"invalid scale %1"_s.arg(dscale));
    std::vector<int> digits(ndigits);
    for (int &digit : digits) {
        quint16 d = 0;
        in.read(&d);
        if (d >= 10000)
            fail(Oid::Numeric, u"base-10000 digit %1"_s.arg(d));
        digit = d;
    }
    const auto digitAt = [&](int i) { return i >= 0 && i < int(ndigits) ? digits[size_t(i)] : 0; };

    // As numeric_out prints it: the integer part without leading zeros, then exactly dscale
    // fraction digits (zero-padded or cut).
    QString out;
    out.reserve(2 + 4 * (qMax(0, int(weight)) + 1) + dscale + 4);
    if (sign == NumericNegative)
        out += u'-';
    if (weight < 0) {
        out += u'0';
    } else {
        out += QString::number(digitAt(0));
        for (int i = 1; i <= weight; ++i)
            appendPadded(out, digitAt(i), 4);
    }
    if (dscale > 0) {
        out += u'.';
        QString fraction;
        fraction.reserve(dscale + 4);
        for (int i = weight + 1; fraction.size() < dscale; ++i)
            appendPadded(fraction, digitAt(i), 4);
        fraction.truncate(dscale);
        out += fraction;
    }
    return out;
}

QString timeTzText(const char *data, int length)
{
    Reader in(data, length);
    qint64 micros = 0;
    qint32 zone = 0;
    if (!in.read(&micros) || !in.read(&zone) || !in.atEnd())
        fail(Oid::TimeTz, u"%1 bytes instead of 12"_s.arg(length));
    if (micros < 0 || micros > MicrosPerDay)
        fail(Oid::TimeTz, u"time of day out of range"_s);
    if (zone <= -TimeZoneLimit || zone >= TimeZoneLimit)
        fail(Oid::TimeTz, u"time zone offset out of range"_s);
    QString out;
    appendTimeOfDay(out, micros);
    // The zone is stored in seconds west of UTC; the text shows the offset east.
    out += zone <= 0 ? u'+' : u'-';
    const int offset = qAbs(zone);
    appendPadded(out, offset / 3600, 2);
    if (offset % 3600 != 0) {
        out += u':';
        appendPadded(out, offset / 60 % 60, 2);
        if (offset % 60 != 0) {
            out += u':';
            appendPadded(out, offset % 60, 2);
        }
    }
    return out;
}

// One "<n> <unit>" part of an interval in IntervalStyle postgres.
void appendIntervalPart(QString &out, qint64 value, QStringView unit, bool *isZero, bool *isBefore)
{
    if (value == 0)
        return;
    if (!*isZero)
        out += u' ';
    if (*isBefore && value > 0)
        out += u'+';
    out += QString::number(value) + u' ' + unit;
    if (value != 1)
        out += u's';
    // PostgreSQL marks only the next part with an explicit '+' after a negative one.
    *isBefore = value < 0;
    *isZero = false;
}

QString intervalText(const char *data, int length)
{
    Reader in(data, length);
    qint64 time = 0;
    qint32 days = 0, months = 0;
    if (!in.read(&time) || !in.read(&days) || !in.read(&months) || !in.atEnd())
        fail(Oid::Interval, u"%1 bytes instead of 16"_s.arg(length));

    // Fields as PostgreSQL splits them: every part truncated towards zero, signs independent.
    const qint64 hours = time / MicrosPerHour;
    time -= hours * MicrosPerHour;
    const qint64 minutes = time / MicrosPerMinute;
    time -= minutes * MicrosPerMinute;
    const qint64 seconds = time / MicrosPerSecond;
    const qint64 fraction = time - seconds * MicrosPerSecond;

    QString out;
    bool isZero = true;
    bool isBefore = false;
    appendIntervalPart(out, months / 12, u"year", &isZero, &isBefore);
    appendIntervalPart(out, months % 12, u"mon", &isZero, &isBefore);
    appendIntervalPart(out, days, u"day", &isZero, &isBefore);
    if (isZero || hours != 0 || minutes != 0 || seconds != 0 || fraction != 0) {
        const bool minus = hours < 0 || minutes < 0 || seconds < 0 || fraction < 0;
        if (!isZero)
            out += u' ';
        if (minus)
            out += u'-';
        else if (isBefore)
            out += u'+';
        // Absolute values: the sign is printed once, in front of the hours.
        QString clock;
        appendPadded(clock, hours < 0 ? -hours : hours, 2);
        clock += u':';
        appendPadded(clock, qAbs(minutes), 2);
        clock += u':';
        appendPadded(clock, qAbs(seconds), 2);
        if (fraction != 0) {
            QString digits;
            appendPadded(digits, qAbs(fraction), 6);
            while (digits.endsWith(u'0'))
                digits.chop(1);
            clock += u'.' + digits;
        }
        out += clock;
    }
    return out;
}

QString networkText(quint32 typeOid, const char *data, int length)
{
    Reader in(data, length);
    quint8 family = 0, bits = 0, isCidr = 0, size = 0;
    if (!in.read(&family) || !in.read(&bits) || !in.read(&isCidr) || !in.read(&size))
        fail(typeOid, u"header shorter than 4 bytes"_s);
    Q_UNUSED(isCidr); // the type decides the output, as in PostgreSQL
    const int maxBits = family == FamilyInet4 ? 32 : 128;
    if (family != FamilyInet4 && family != FamilyInet6)
        fail(typeOid, u"unknown address family %1"_s.arg(family));
    if (bits > maxBits)
        fail(typeOid, u"netmask length %1"_s.arg(bits));
    if (size != maxBits / 8 || in.remaining() != size)
        fail(typeOid, u"address of %1 bytes"_s.arg(in.remaining()));
    const auto *address = reinterpret_cast<const uchar *>(in.take(size));

    QString out;
    if (family == FamilyInet4) {
        for (int i = 0; i < 4; ++i) {
            if (i > 0)
                out += u'.';
            out += QString::number(address[i]);
        }
    } else {
        int words[8];
        for (int i = 0; i < 8; ++i)
            words[i] = address[2 * i] << 8 | address[2 * i + 1];
        // The first longest run of at least two zero words becomes "::".
        int bestBase = -1, bestLength = 0;
        for (int i = 0; i < 8;) {
            if (words[i] != 0) {
                ++i;
                continue;
            }
            int j = i;
            while (j < 8 && words[j] == 0)
                ++j;
            if (j - i > bestLength) {
                bestBase = i;
                bestLength = j - i;
            }
            i = j;
        }
        if (bestLength < 2)
            bestBase = -1;
        for (int i = 0; i < 8; ++i) {
            if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLength) {
                if (i == bestBase)
                    out += u':';
                continue;
            }
            if (i != 0)
                out += u':';
            // IPv4-compatible (::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d) addresses end in dotted form.
            if (i == 6 && bestBase == 0 && (bestLength == 6 || (bestLength == 5 && words[5] == 0xffff))) {
                out += u"%1.%2.%3.%4"_s.arg(address[12]).arg(address[13]).arg(address[14]).arg(address[15]);
                break;
            }
            out += QString::number(words[i], 16);
        }
        if (bestBase >= 0 && bestBase + bestLength == 8)
            out += u':';
    }
    // inet omits a full-length mask, cidr always shows it.
    if (bits != maxBits || typeOid == Oid::Cidr)
        out += u'/' + QString::number(bits);
    return out;
}

// The text PostgreSQL prints for a timestamp QPg::Timestamp cannot hold (beyond year 294246): UTC for
// timestamptz, which matches the text format when the session's TimeZone is UTC.
QString farTimestampText(qint64 micros, bool withTimeZone)
{
    const qint64 days = floorDiv(micros, MicrosPerDay);
    const QDate date = QDate::fromJulianDay(days + PostgresEpochJulianDay);
    QString out;
    const int year = date.year();
    appendPadded(out, year < 0 ? -qint64(year) : year, 4);
    out += u'-';
    appendPadded(out, date.month(), 2);
    out += u'-';
    appendPadded(out, date.day(), 2);
    out += u' ';
    appendTimeOfDay(out, floorMod(micros, MicrosPerDay));
    if (withTimeZone)
        out += u"+00";
    if (year < 0)
        out += u" BC";
    return out;
}

BinaryDecoder valueDecoder(quint32 typeOid);

QVariant decodeArray(quint32 typeOid, quint32 elementType, const char *data, int length)
{
    Reader in(data, length);
    qint32 dimensions = 0, flags = 0;
    quint32 sentElementType = 0;
    if (!in.read(&dimensions) || !in.read(&flags) || !in.read(&sentElementType))
        fail(typeOid, u"header shorter than 12 bytes"_s);
    if (dimensions < 0 || dimensions > MaxArrayDimensions)
        fail(typeOid, u"%1 dimensions"_s.arg(dimensions));
    if (flags != 0 && flags != 1)
        fail(typeOid, u"invalid flags %1"_s.arg(flags));
    if (sentElementType != elementType)
        fail(typeOid, u"element type %1"_s.arg(sentElementType));

    // Lower bounds are dropped: the lists start at 0, as decodeText() does it.
    qint32 sizes[MaxArrayDimensions] = {};
    qint64 total = dimensions > 0 ? 1 : 0;
    for (int d = 0; d < dimensions; ++d) {
        qint32 lowerBound = 0;
        if (!in.read(&sizes[d]) || !in.read(&lowerBound))
            fail(typeOid, u"dimension header cut short"_s);
        if (sizes[d] < 0)
            fail(typeOid, u"dimension of size %1"_s.arg(sizes[d]));
        total *= sizes[d];
        // Every element takes at least its 4-byte length: this bounds the memory a bad header asks for.
        if (total > in.remaining() / 4)
            fail(typeOid, u"more elements than bytes"_s);
    }
    if (total == 0) {
        if (!in.atEnd())
            fail(typeOid, u"bytes after an empty array"_s);
        return QVariantList();
    }

    // Resolved once for the array, not per element.
    const BinaryDecoder decodeElement = valueDecoder(elementType);
    if (!decodeElement)
        fail(typeOid, u"no binary decoder for its elements"_s);
    const auto element = [&]() -> QVariant {
        qint32 size = 0;
        if (!in.read(&size))
            fail(typeOid, u"element length cut short"_s);
        if (size == -1)
            return QVariant::fromValue(nullptr);
        const char *bytes = in.take(size);
        if (!bytes)
            fail(typeOid, u"element of %1 bytes with %2 left"_s.arg(size).arg(in.remaining()));
        return decodeElement(elementType, bytes, size);
    };
    const auto build = [&](const auto &self, int dimension) -> QVariantList {
        // Sized at once and filled in place: cheaper per element than appending.
        QVariantList list(sizes[dimension]);
        QVariant *out = list.data();
        for (qint32 i = 0; i < sizes[dimension]; ++i) {
            if (dimension + 1 < dimensions)
                out[i] = QVariant(self(self, dimension + 1));
            else
                out[i] = element();
        }
        return list;
    };
    QVariantList list = build(build, 0);
    if (!in.atEnd())
        fail(typeOid, u"%1 bytes after the last element"_s.arg(in.remaining()));
    return list;
}

// A float4 as decodeText() reads the server's text for it: the double of its shortest decimal form
// (0.1f gives 0.1, not 0.100000001490116). PostgreSQL's shortest form (Ryu) never uses a decimal lying
// exactly halfway to the neighbouring float, which std::to_chars may pick: 1199559936 prints as
// 1.1995599e+09, not 1.19956e+09.
double float4Value(float value)
{
    if (!std::isfinite(value))
        return double(value);
    constexpr float inf = std::numeric_limits<float>::infinity();
    const double below = (double(value) + double(std::nextafter(value, -inf))) / 2;
    const double above = (double(value) + double(std::nextafter(value, inf))) / 2;
    char buffer[64];
    const auto readBack = [&](const char *end) {
        double result = 0;
        std::from_chars(buffer, end, result);
        return result;
    };
    const char *end = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific).ptr;
    double result = readBack(end);
    if (result != below && result != above)
        return result;
    for (int precision = 1; precision < 9; ++precision) {
        end = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific, precision).ptr;
        float back = 0;
        std::from_chars(buffer, end, back);
        result = readBack(end);
        if (back == value && result != below && result != above)
            return result;
    }
    return double(value);
}

// One function per type, so a result column can pick its decoder once (binaryDecoder()).
QVariant decodeBool(quint32 typeOid, const char *data, int length)
{
    expectLength(typeOid, length, 1);
    return data[0] != 0;
}

template<typename Stored, typename Decoded>
QVariant decodeFixed(quint32 typeOid, const char *data, int length)
{
    return Decoded(fixedValue<Stored>(typeOid, data, length));
}

QVariant decodeFloat4(quint32 typeOid, const char *data, int length)
{
    return float4Value(std::bit_cast<float>(fixedValue<quint32>(typeOid, data, length)));
}

QVariant decodeFloat8(quint32 typeOid, const char *data, int length)
{
    return std::bit_cast<double>(fixedValue<quint64>(typeOid, data, length));
}

QVariant decodeNumeric(quint32, const char *data, int length)
{
    return numericText(data, length);
}

QVariant decodeChar(quint32 typeOid, const char *data, int length)
{
    // "char" prints a byte with the high bit set in octal (\ooo), and the zero byte as nothing.
    expectLength(typeOid, length, 1);
    const auto byte = uchar(data[0]);
    if (byte == 0)
        return QString();
    if (byte >= 0x80)
        return u"\\%1"_s.arg(int(byte), 3, 8, QChar(u'0'));
    return QString(QLatin1Char(char(byte)));
}

QVariant decodeString(quint32, const char *data, int length)
{
    return QString::fromUtf8(data, length);
}

QVariant decodeBytea(quint32, const char *data, int length)
{
    return QByteArray(data, length);
}

QVariant decodeDate(quint32 typeOid, const char *data, int length)
{
    const qint32 days = fixedValue<qint32>(typeOid, data, length);
    if (days == std::numeric_limits<qint32>::max())
        return u"infinity"_s;
    if (days == std::numeric_limits<qint32>::min())
        return u"-infinity"_s;
    if (days < MinDate || days >= EndDate)
        fail(typeOid, u"day %1 out of range"_s.arg(days));
    // QDate, like PostgreSQL, counts 1 BC as the year before 1 AD (QDate's year -1).
    return QDate::fromJulianDay(days + PostgresEpochJulianDay);
}

QVariant decodeTime(quint32 typeOid, const char *data, int length)
{
    const qint64 micros = fixedValue<qint64>(typeOid, data, length);
    if (micros < 0 || micros > MicrosPerDay)
        fail(typeOid, u"time of day out of range"_s);
    if (micros == MicrosPerDay) {
        QString text; // 24:00:00 has no QTime: text, as decodeText() gives it
        appendTimeOfDay(text, micros);
        return text;
    }
    return QTime::fromMSecsSinceStartOfDay(int(micros / 1000)); // QTime stops at milliseconds
}

QVariant decodeTimeTz(quint32, const char *data, int length)
{
    return timeTzText(data, length);
}

QVariant decodeTimestamp(quint32 typeOid, const char *data, int length)
{
    const bool withTimeZone = typeOid == Oid::TimestampTz;
    const qint64 micros = fixedValue<qint64>(typeOid, data, length);
    registerMetaTypes(); // for QVariant::toDateTime()
    if (micros == std::numeric_limits<qint64>::max())
        return QVariant::fromValue(Timestamp::infinity(withTimeZone));
    if (micros == std::numeric_limits<qint64>::min())
        return QVariant::fromValue(Timestamp::minusInfinity(withTimeZone));
    if (micros < MinTimestamp || micros >= EndTimestamp)
        fail(typeOid, u"%1 out of range"_s.arg(micros));
    qint64 unixMicros = 0;
    if (qAddOverflow(micros, EpochShiftMicros, &unixMicros))
        return farTimestampText(micros, withTimeZone);
    return QVariant::fromValue(Timestamp::fromMicroseconds(unixMicros, withTimeZone));
}

QVariant decodeInterval(quint32, const char *data, int length)
{
    return intervalText(data, length);
}

QVariant decodeUuid(quint32 typeOid, const char *data, int length)
{
    expectLength(typeOid, length, 16);
    return QUuid::fromRfc4122(QByteArrayView(data, length));
}

QVariant decodeJson(quint32, const char *data, int length)
{
    return decodeText(Oid::Json, data, length);
}

QVariant decodeJsonb(quint32 typeOid, const char *data, int length)
{
    if (length < 1 || quint8(data[0]) != JsonbVersion)
        fail(typeOid, length < 1 ? u"no version byte"_s : u"version %1"_s.arg(quint8(data[0])));
    return decodeText(Oid::Jsonb, data + 1, length - 1);
}

QVariant decodeNetwork(quint32 typeOid, const char *data, int length)
{
    return networkText(typeOid, data, length);
}

QVariant decodeAnyArray(quint32 typeOid, const char *data, int length)
{
    return decodeArray(typeOid, arrayElementType(typeOid), data, length);
}

BinaryDecoder valueDecoder(quint32 typeOid)
{
    switch (typeOid) {
    case Oid::Bool: return decodeBool;
    case Oid::Int2: return decodeFixed<qint16, int>;
    case Oid::Int4: return decodeFixed<qint32, int>;
    case Oid::Int8: return decodeFixed<qint64, qlonglong>;
    case Oid::Oid: return decodeFixed<quint32, uint>;
    case Oid::Float4: return decodeFloat4;
    case Oid::Float8: return decodeFloat8;
    case Oid::Numeric: return decodeNumeric;
    case Oid::Char: return decodeChar;
    case Oid::Text:
    case Oid::Varchar:
    case Oid::Bpchar:
    case Oid::Name:
    case Oid::Unknown:
        return decodeString;
    case Oid::Bytea: return decodeBytea;
    case Oid::Date: return decodeDate;
    case Oid::Time: return decodeTime;
    case Oid::TimeTz: return decodeTimeTz;
    case Oid::Timestamp:
    case Oid::TimestampTz:
        return decodeTimestamp;
    case Oid::Interval: return decodeInterval;
    case Oid::Uuid: return decodeUuid;
    case Oid::Json: return decodeJson;
    case Oid::Jsonb: return decodeJsonb;
    case Oid::Inet:
    case Oid::Cidr:
        return decodeNetwork;
    default:
        break;
    }
    return arrayElementType(typeOid) ? decodeAnyArray : nullptr;
}

QVariant decodeValue(quint32 typeOid, const char *data, int length)
{
    if (const BinaryDecoder decoder = valueDecoder(typeOid))
        return decoder(typeOid, data, length);
    throw DecodeError{u"no binary decoder for type %1"_s.arg(typeName(typeOid))};
}

// ---------------------------------------------------------------------------------------------
// Encoding

struct EncodeError
{
    QString message;
};

QString valueTypeName(const QVariant &value)
{
    const char *name = value.metaType().name();
    return name ? QString::fromLatin1(name) : u"(unnamed type %1)"_s.arg(value.metaType().id());
}

// The value as an error message shows it: its text (shortened) and its Qt type.
QString describe(const QVariant &value)
{
    QString text;
    const QMetaType type = value.metaType();
    if (type == QMetaType::fromType<QString>() || type == QMetaType::fromType<QByteArray>()) {
        const QString s = type == QMetaType::fromType<QString>() ? value.toString()
                                                                 : QString::fromUtf8(value.toByteArray());
        text = u'"' + (s.size() > 60 ? s.left(57) + u"..." : s) + u'"';
    } else if (type == QMetaType::fromType<double>() || type == QMetaType::fromType<float>()) {
        text = QString::number(value.toDouble(), 'g', 17);
    } else if (value.canConvert<QString>() && !value.canView<QSequentialIterable>()) {
        text = value.toString();
        if (text.size() > 60)
            text = text.left(57) + u"...";
    }
    return text.isEmpty() ? valueTypeName(value) : text + u" (" + valueTypeName(value) + u')';
}

[[noreturn]] void cannot(const QVariant &value, quint32 typeOid, const QString &why = QString())
{
    QString message = u"cannot encode %1 as PostgreSQL %2"_s.arg(describe(value), typeName(typeOid));
    if (!why.isEmpty())
        message += u": " + why;
    throw EncodeError{message};
}

bool isNullValue(const QVariant &value)
{
    if (value.isNull()) // an invalid QVariant too
        return true;
    const QMetaType type = value.metaType();
    switch (type.id()) {
    case QMetaType::Int:
    case QMetaType::LongLong:
    case QMetaType::Double:
    case QMetaType::QString:
    case QMetaType::Bool:
        return false; // the common ones first
    case QMetaType::Nullptr:
        return true;
    case QMetaType::QDate:
        return !value.toDate().isValid();
    case QMetaType::QTime:
        return !value.toTime().isValid();
    case QMetaType::QDateTime:
        return !value.toDateTime().isValid();
    case QMetaType::QJsonValue:
        return value.toJsonValue().isUndefined();
    case QMetaType::QJsonDocument:
        return value.toJsonDocument().isNull();
    default:
        return type == QMetaType::fromType<Timestamp>() && value.value<Timestamp>().isNull();
    }
}

bool isString(const QVariant &value)
{
    const int id = value.metaType().id();
    return id == QMetaType::QString || id == QMetaType::QChar;
}

QByteArray trimmedUtf8(const QVariant &value)
{
    return value.toString().trimmed().toUtf8();
}

// An integer held by value; nullopt when it is none or does not fit qint64 (then *tooLarge is set).
struct IntegerValue
{
    bool isInteger = false;
    bool outOfRange = false;
    qint64 value = 0;
};

IntegerValue integerOf(const QVariant &value)
{
    IntegerValue result;
    switch (value.metaType().id()) {
    case QMetaType::Char:
    case QMetaType::SChar:
    case QMetaType::Short:
    case QMetaType::Int:
    case QMetaType::Long:
    case QMetaType::LongLong:
        result.isInteger = true;
        result.value = value.toLongLong();
        return result;
    case QMetaType::UChar:
    case QMetaType::UShort:
    case QMetaType::UInt:
    case QMetaType::ULong:
    case QMetaType::ULongLong: {
        const qulonglong u = value.toULongLong();
        result.isInteger = true;
        result.outOfRange = u > qulonglong(std::numeric_limits<qint64>::max());
        result.value = result.outOfRange ? 0 : qint64(u);
        return result;
    }
    case QMetaType::Double:
    case QMetaType::Float: {
        // Only integral values count: 3.0 is an integer, 3.5 is not.
        const double d = value.toDouble();
        if (!std::isfinite(d) || std::trunc(d) != d)
            return result;
        result.isInteger = true;
        // 2^63 is the first double beyond qint64.
        result.outOfRange = d >= 9223372036854775808.0 || d < -9223372036854775808.0;
        result.value = result.outOfRange ? 0 : qint64(d);
        return result;
    }
    case QMetaType::QString: {
        // PostgreSQL's integer input: white space around, an optional sign, decimal digits.
        QByteArray text = trimmedUtf8(value);
        const char *begin = text.constData();
        if (text.startsWith('+') && text.size() > 1 && text.at(1) != '-')
            ++begin;
        const auto parsed = std::from_chars(begin, text.constData() + text.size(), result.value);
        if (parsed.ptr != text.constData() + text.size() || text.isEmpty())
            return result;
        if (parsed.ec == std::errc::result_out_of_range) {
            result.isInteger = true;
            result.outOfRange = true;
            return result;
        }
        result.isInteger = parsed.ec == std::errc();
        return result;
    }
    default:
        return result;
    }
}

void encodeInteger(quint32 typeOid, const QVariant &value, QByteArray &out)
{
    // The common cases, with no range check needed: an int into int4 or int8, a qint64 into int8.
    if (value.metaType() == QMetaType::fromType<int>() && (typeOid == Oid::Int4 || typeOid == Oid::Int8)) {
        const int v = *static_cast<const int *>(value.constData());
        if (typeOid == Oid::Int4)
            appendBigEndian(out, qint32(v));
        else
            appendBigEndian(out, qint64(v));
        return;
    }
    if (value.metaType() == QMetaType::fromType<qlonglong>() && typeOid == Oid::Int8)
        return appendBigEndian(out, *static_cast<const qlonglong *>(value.constData()));
    const IntegerValue i = integerOf(value);
    if (!i.isInteger)
        cannot(value, typeOid, u"not an integer"_s);
    qint64 low = 0, high = 0;
    switch (typeOid) {
    case Oid::Int2: low = std::numeric_limits<qint16>::min(); high = std::numeric_limits<qint16>::max(); break;
    case Oid::Int4: low = std::numeric_limits<qint32>::min(); high = std::numeric_limits<qint32>::max(); break;
    case Oid::Oid: low = 0; high = std::numeric_limits<quint32>::max(); break;
    default: low = std::numeric_limits<qint64>::min(); high = std::numeric_limits<qint64>::max(); break;
    }
    if (i.outOfRange || i.value < low || i.value > high)
        cannot(value, typeOid, u"out of range"_s);
    switch (typeOid) {
    case Oid::Int2: appendBigEndian(out, qint16(i.value)); break;
    case Oid::Int4: appendBigEndian(out, qint32(i.value)); break;
    case Oid::Oid: appendBigEndian(out, quint32(i.value)); break;
    default: appendBigEndian(out, qint64(i.value)); break;
    }
}

// PostgreSQL's spellings of the special floating-point values (case-insensitive, optional sign).
std::optional<double> specialFloat(QByteArrayView text)
{
    const auto is = [&](const char *word) { return text.compare(word, Qt::CaseInsensitive) == 0; };
    constexpr double inf = std::numeric_limits<double>::infinity();
    if (is("NaN") || is("+NaN") || is("-NaN"))
        return std::numeric_limits<double>::quiet_NaN();
    if (is("Infinity") || is("+Infinity") || is("inf") || is("+inf"))
        return inf;
    if (is("-Infinity") || is("-inf"))
        return -inf;
    return std::nullopt;
}

template<typename Float>
void encodeFloat(quint32 typeOid, const QVariant &value, QByteArray &out)
{
    if (value.metaType() == QMetaType::fromType<Float>()) // no conversion to check
        return appendBigEndian(out, std::bit_cast<std::conditional_t<sizeof(Float) == 4, quint32, quint64>>(
                                        *static_cast<const Float *>(value.constData())));
    Float result = 0;
    const int id = value.metaType().id();
    if (id == QMetaType::QString) {
        // Parsed straight into the target type, as float4in/float8in do (no double rounding).
        const QByteArray text = trimmedUtf8(value);
        if (const auto special = specialFloat(text)) {
            result = Float(*special);
        } else {
            const char *begin = text.constData();
            if (text.startsWith('+') && text.size() > 1 && text.at(1) != '-')
                ++begin;
            const auto parsed = std::from_chars(begin, text.constData() + text.size(), result);
            if (text.isEmpty() || parsed.ptr != text.constData() + text.size()
                || (parsed.ec != std::errc() && parsed.ec != std::errc::result_out_of_range))
                cannot(value, typeOid, u"not a number"_s);
            if (parsed.ec == std::errc::result_out_of_range)
                cannot(value, typeOid, u"out of range"_s);
        }
    } else if (id == QMetaType::Double || id == QMetaType::Float) {
        const double d = value.toDouble();
        result = Float(d);
        // float8 to float4 the way PostgreSQL casts: rounded, but no overflow to infinity or to zero.
        if (std::isinf(result) && !std::isinf(d))
            cannot(value, typeOid, u"overflow"_s);
        if (result == 0 && d != 0)
            cannot(value, typeOid, u"underflow"_s);
    } else if (const IntegerValue i = integerOf(value); i.isInteger && id != QMetaType::QString) {
        if (i.outOfRange)
            result = Float(value.toULongLong());
        else
            result = Float(i.value); // rounded to nearest, as PostgreSQL's int8 to float casts
    } else {
        cannot(value, typeOid, u"not a number"_s);
    }
    if constexpr (sizeof(Float) == 4)
        appendBigEndian(out, std::bit_cast<quint32>(result));
    else
        appendBigEndian(out, std::bit_cast<quint64>(result));
}

template<typename Float>
QByteArray shortestText(Float value)
{
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return QByteArray(buffer, result.ptr - buffer);
}

// numeric from its decimal text: [sign] digits [. digits] [e [sign] digits], NaN, [sign]Infinity.
void encodeNumericText(const QVariant &original, const QByteArray &text, QByteArray &out)
{
    const auto header = [&](quint16 ndigits, qint16 weight, quint16 sign, quint16 dscale) {
        appendBigEndian(out, ndigits);
        appendBigEndian(out, weight);
        appendBigEndian(out, sign);
        appendBigEndian(out, dscale);
    };
    if (const auto special = specialFloat(text)) {
        if (std::isnan(*special))
            header(0, 0, NumericNaN, 0);
        else
            header(0, 0, *special > 0 ? NumericPlusInfinity : NumericMinusInfinity, 0);
        return;
    }

    qsizetype pos = 0;
    bool negative = false;
    if (pos < text.size() && (text[pos] == '+' || text[pos] == '-'))
        negative = text[pos++] == '-';
    QByteArray digits; // every decimal digit given
    qint64 integerDigits = 0;
    qint64 fractionDigits = 0;
    bool seenPoint = false;
    for (; pos < text.size(); ++pos) {
        const char c = text[pos];
        if (c >= '0' && c <= '9') {
            digits += c;
            (seenPoint ? fractionDigits : integerDigits) += 1;
        } else if (c == '.' && !seenPoint) {
            seenPoint = true;
        } else {
            break;
        }
    }
    if (digits.isEmpty())
        cannot(original, Oid::Numeric, u"not a number"_s);
    qint64 exponent = 0;
    if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
        ++pos;
        const char *begin = text.constData() + pos;
        if (pos < text.size() && text[pos] == '+')
            ++begin;
        const auto parsed = std::from_chars(begin, text.constData() + text.size(), exponent);
        if (parsed.ec != std::errc() || begin == text.constData() + text.size())
            cannot(original, Oid::Numeric, u"bad exponent"_s);
        pos = parsed.ptr - text.constData();
        // numeric_in's limit on the exponent.
        if (exponent > 1000 || exponent < -1000)
            cannot(original, Oid::Numeric, u"exponent out of range"_s);
    }
    if (pos != text.size())
        cannot(original, Oid::Numeric, u"not a number"_s);

    // Decimal position of the first digit (10^firstPower), and the display scale as numeric_in sets it.
    const qint64 firstPower = integerDigits - 1 + exponent;
    const qint64 dscale = qMax<qint64>(0, fractionDigits - exponent);
    if (dscale > NumericDscaleMax)
        cannot(original, Oid::Numeric, u"more than %1 digits after the decimal point"_s.arg(NumericDscaleMax));

    // Group the decimal digits into base-10000 digits aligned on powers of 10^4.
    const qint64 lastPower = firstPower - (digits.size() - 1);
    const qint64 weight = floorDiv(firstPower, 4);
    const qint64 lastGroup = floorDiv(lastPower, 4);
    std::vector<int> groups(size_t(weight - lastGroup + 1), 0);
    for (qsizetype i = 0; i < digits.size(); ++i) {
        const qint64 power = firstPower - i;
        const qint64 group = floorDiv(power, 4);
        int scale = 1;
        for (qint64 k = power - group * 4; k > 0; --k)
            scale *= 10;
        groups[size_t(weight - group)] += (digits[i] - '0') * scale;
    }
    size_t first = 0;
    size_t last = groups.size();
    while (first < last && groups[first] == 0)
        ++first;
    while (last > first && groups[last - 1] == 0)
        --last;
    if (first == last) {
        header(0, 0, NumericPositive, quint16(dscale)); // zero has no sign
        return;
    }
    const qint64 resultWeight = weight - qint64(first);
    if (resultWeight > std::numeric_limits<qint16>::max() || resultWeight < std::numeric_limits<qint16>::min()
        || last - first > std::numeric_limits<quint16>::max())
        cannot(original, Oid::Numeric, u"out of range"_s);
    header(quint16(last - first), qint16(resultWeight), negative ? NumericNegative : NumericPositive,
           quint16(dscale));
    for (size_t i = first; i < last; ++i)
        appendBigEndian(out, quint16(groups[i]));
}

void encodeNumeric(const QVariant &value, QByteArray &out)
{
    switch (value.metaType().id()) {
    case QMetaType::QString:
    case QMetaType::QByteArray:
        return encodeNumericText(value, value.toString().trimmed().toUtf8(), out);
    case QMetaType::Double: {
        const double d = value.toDouble();
        if (!std::isfinite(d))
            return encodeNumericText(value, std::isnan(d) ? "NaN"_ba : d > 0 ? "Infinity"_ba : "-Infinity"_ba, out);
        // The shortest text that reads back as the same double, as the text format sends it.
        return encodeNumericText(value, shortestText(d), out);
    }
    case QMetaType::Float: {
        const float f = value.toFloat();
        if (!std::isfinite(f))
            return encodeNumericText(value, std::isnan(f) ? "NaN"_ba : f > 0 ? "Infinity"_ba : "-Infinity"_ba, out);
        return encodeNumericText(value, shortestText(f), out);
    }
    default:
        break;
    }
    const IntegerValue i = integerOf(value);
    if (!i.isInteger)
        cannot(value, Oid::Numeric, u"not a number"_s);
    encodeNumericText(value, i.outOfRange ? QByteArray::number(value.toULongLong()) : QByteArray::number(i.value), out);
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

void encodeJson(quint32 typeOid, const QVariant &value, QByteArray &out)
{
    if (typeOid == Oid::Jsonb)
        out += char(JsonbVersion);
    switch (value.metaType().id()) {
    case QMetaType::QString:
    case QMetaType::QByteArray:
        // Strings are JSON text, as in the text format; the server checks the syntax.
        out += value.metaType().id() == QMetaType::QString ? value.toString().toUtf8() : value.toByteArray();
        return;
    case QMetaType::QJsonValue:
        out += jsonText(value.toJsonValue());
        return;
    case QMetaType::QJsonObject:
        out += jsonText(value.toJsonObject());
        return;
    case QMetaType::QJsonArray:
        out += jsonText(value.toJsonArray());
        return;
    case QMetaType::QJsonDocument:
        out += value.toJsonDocument().toJson(QJsonDocument::Compact);
        return;
    case QMetaType::QVariantMap:
        out += jsonText(QJsonObject::fromVariantMap(value.toMap()));
        return;
    case QMetaType::QVariantHash:
        out += jsonText(QJsonObject::fromVariantHash(value.toHash()));
        return;
    case QMetaType::Bool:
        out += value.toBool() ? "true"_ba : "false"_ba;
        return;
    case QMetaType::Double:
    case QMetaType::Float: {
        const double d = value.toDouble();
        if (!std::isfinite(d))
            cannot(value, typeOid, u"JSON has no NaN or infinity"_s);
        out += shortestText(d);
        return;
    }
    default:
        break;
    }
    const IntegerValue i = integerOf(value);
    if (!i.isInteger)
        cannot(value, typeOid);
    out += i.outOfRange ? QByteArray::number(value.toULongLong()) : QByteArray::number(i.value);
}

void encodeText(quint32 typeOid, const QVariant &value, QByteArray &out)
{
    if (value.metaType() == QMetaType::fromType<QString>()) {
        // Converted straight into out, checked there.
        const qsizetype start = out.size();
        appendUtf8(out, *static_cast<const QString *>(value.constData()));
        const QByteArrayView written = QByteArrayView(out).sliced(start);
        if (written.contains('\0'))
            cannot(value, typeOid, u"PostgreSQL text cannot hold a NUL character"_s);
        if (typeOid == Oid::Name && written.size() >= NameDataLength)
            cannot(value, typeOid, u"longer than %1 bytes"_s.arg(NameDataLength - 1));
        return;
    }
    QByteArray bytes;
    switch (value.metaType().id()) {
    case QMetaType::QChar:
        bytes = value.toString().toUtf8();
        break;
    case QMetaType::QByteArray:
        bytes = value.toByteArray(); // taken as UTF-8; the server rejects invalid sequences
        break;
    case QMetaType::QUuid:
        bytes = value.toUuid().toByteArray(QUuid::WithoutBraces);
        break;
    case QMetaType::Double:
        bytes = shortestText(value.toDouble());
        break;
    case QMetaType::Float:
        bytes = shortestText(value.toFloat());
        break;
    default:
        if (const IntegerValue i = integerOf(value); i.isInteger) {
            bytes = i.outOfRange ? QByteArray::number(value.toULongLong()) : QByteArray::number(i.value);
            break;
        }
        cannot(value, typeOid);
    }
    if (bytes.contains('\0'))
        cannot(value, typeOid, u"PostgreSQL text cannot hold a NUL character"_s);
    if (typeOid == Oid::Name && bytes.size() >= NameDataLength)
        cannot(value, typeOid, u"longer than %1 bytes"_s.arg(NameDataLength - 1));
    out += bytes;
}

void encodeChar(const QVariant &value, QByteArray &out)
{
    // "char" holds one byte: one ASCII character, "" for the zero byte, or \ooo as it prints others.
    if (!isString(value) && value.metaType().id() != QMetaType::QByteArray)
        cannot(value, Oid::Char);
    const QByteArray text = value.metaType().id() == QMetaType::QByteArray ? value.toByteArray()
                                                                           : value.toString().toUtf8();
    if (text.isEmpty()) {
        out += '\0';
    } else if (text.size() == 1 && uchar(text[0]) < 0x80) {
        out += text[0];
    } else if (text.size() == 4 && text[0] == '\\' && text[1] >= '0' && text[1] <= '3' && text[2] >= '0'
               && text[2] <= '7' && text[3] >= '0' && text[3] <= '7') {
        out += char((text[1] - '0') * 64 + (text[2] - '0') * 8 + (text[3] - '0'));
    } else {
        cannot(value, Oid::Char, u"\"char\" holds a single byte"_s);
    }
}

void encodeBytea(const QVariant &value, QByteArray &out)
{
    switch (value.metaType().id()) {
    case QMetaType::QByteArray:
        out += value.toByteArray();
        return;
    case QMetaType::QString: {
        // bytea's text input (\x hex or escape format), as the server would read the string.
        const QByteArray text = value.toString().toUtf8();
        const QVariant bytes = decodeText(Oid::Bytea, text.constData(), int(text.size()));
        if (bytes.metaType().id() != QMetaType::QByteArray)
            cannot(value, Oid::Bytea, u"not bytea input syntax (\\x followed by hex digits)"_s);
        out += bytes.toByteArray();
        return;
    }
    default:
        cannot(value, Oid::Bytea);
    }
}

qint32 dateDays(const QVariant &original, QDate date)
{
    const qint64 days = date.toJulianDay() - PostgresEpochJulianDay;
    if (days < MinDate || days >= EndDate)
        cannot(original, Oid::Date, u"out of range"_s);
    return qint32(days);
}

void encodeDate(const QVariant &value, QByteArray &out)
{
    switch (value.metaType().id()) {
    case QMetaType::QDate:
        appendBigEndian(out, dateDays(value, value.toDate()));
        return;
    case QMetaType::QString: {
        const QByteArray text = trimmedUtf8(value);
        if (text == "infinity" || text == "+infinity") {
            appendBigEndian(out, std::numeric_limits<qint32>::max());
            return;
        }
        if (text == "-infinity") {
            appendBigEndian(out, std::numeric_limits<qint32>::min());
            return;
        }
        const QVariant date = decodeText(Oid::Date, text.constData(), int(text.size()));
        if (date.metaType().id() != QMetaType::QDate)
            cannot(value, Oid::Date, u"not YYYY-MM-DD"_s);
        appendBigEndian(out, dateDays(value, date.toDate()));
        return;
    }
    default:
        cannot(value, Oid::Date);
    }
}

// HH:MM[:SS[.ffffff]] into microseconds (24:00:00 included); *pos moves past it.
std::optional<qint64> parseTimeOfDay(const QByteArray &text, qsizetype *pos)
{
    const auto digits = [&](int count) -> std::optional<int> {
        int value = 0;
        for (int i = 0; i < count; ++i) {
            if (*pos >= text.size() || text[*pos] < '0' || text[*pos] > '9')
                return std::nullopt;
            value = value * 10 + (text[(*pos)++] - '0');
        }
        return value;
    };
    const auto hour = digits(2);
    if (!hour || *pos >= text.size() || text[(*pos)++] != ':')
        return std::nullopt;
    const auto minute = digits(2);
    if (!minute)
        return std::nullopt;
    int second = 0;
    qint64 fraction = 0;
    if (*pos < text.size() && text[*pos] == ':') {
        ++*pos;
        const auto s = digits(2);
        if (!s)
            return std::nullopt;
        second = *s;
        if (*pos < text.size() && text[*pos] == '.') {
            ++*pos;
            int count = 0;
            while (*pos < text.size() && text[*pos] >= '0' && text[*pos] <= '9') {
                if (++count > 6)
                    return std::nullopt; // beyond microseconds: not exact
                fraction = fraction * 10 + (text[(*pos)++] - '0');
            }
            if (count == 0)
                return std::nullopt;
            for (; count < 6; ++count)
                fraction *= 10;
        }
    }
    if (*minute > 59 || second > 59 || *hour > 24)
        return std::nullopt;
    const qint64 micros = *hour * MicrosPerHour + *minute * MicrosPerMinute + second * MicrosPerSecond + fraction;
    if (micros > MicrosPerDay)
        return std::nullopt;
    return micros;
}

void encodeTime(const QVariant &value, QByteArray &out)
{
    switch (value.metaType().id()) {
    case QMetaType::QTime:
        appendBigEndian(out, qint64(value.toTime().msecsSinceStartOfDay()) * 1000);
        return;
    case QMetaType::QString: {
        const QByteArray text = trimmedUtf8(value);
        qsizetype pos = 0;
        const auto micros = parseTimeOfDay(text, &pos);
        if (!micros || pos != text.size())
            cannot(value, Oid::Time, u"not HH:MM:SS[.ffffff]"_s);
        appendBigEndian(out, *micros);
        return;
    }
    default:
        cannot(value, Oid::Time);
    }
}

void encodeTimeTz(const QVariant &value, QByteArray &out)
{
    // Only text carries the offset a timetz needs; a QTime would take the session's time zone.
    if (!isString(value))
        cannot(value, Oid::TimeTz, u"pass a string such as \"12:34:56.789+02\""_s);
    const QByteArray text = trimmedUtf8(value);
    qsizetype pos = 0;
    const auto micros = parseTimeOfDay(text, &pos);
    if (!micros)
        cannot(value, Oid::TimeTz, u"not HH:MM:SS[.ffffff]+HH[:MM]"_s);
    qint32 offset = 0;
    if (pos < text.size() && text[pos] == 'Z') {
        ++pos;
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
        const bool negative = text[pos++] == '-';
        int parts[3] = {};
        int count = 0;
        while (count < 3) {
            if (pos + 2 > text.size() || text[pos] < '0' || text[pos] > '9' || text[pos + 1] < '0'
                || text[pos + 1] > '9')
                break;
            parts[count++] = (text[pos] - '0') * 10 + (text[pos + 1] - '0');
            pos += 2;
            if (pos < text.size() && text[pos] == ':' && count < 3)
                ++pos;
            else
                break;
        }
        if (count == 0 || parts[1] > 59 || parts[2] > 59)
            cannot(value, Oid::TimeTz, u"bad time zone offset"_s);
        offset = (parts[0] * 3600 + parts[1] * 60 + parts[2]) * (negative ? -1 : 1);
        if (offset <= -TimeZoneLimit || offset >= TimeZoneLimit)
            cannot(value, Oid::TimeTz, u"time zone offset out of range"_s);
    } else {
        cannot(value, Oid::TimeTz, u"no time zone offset"_s);
    }
    if (pos != text.size())
        cannot(value, Oid::TimeTz, u"not HH:MM:SS[.ffffff]+HH[:MM]"_s);
    appendBigEndian(out, *micros);
    appendBigEndian(out, qint32(-offset)); // seconds west of UTC
}

// True when PostgreSQL timestamp text ends in an explicit offset (or is an infinity).
bool hasExplicitOffset(QByteArrayView text)
{
    if (text.endsWith(" BC"))
        text.chop(3);
    if (text.endsWith("infinity") || text.endsWith('Z'))
        return true;
    // After the time of day: +HH, +HH:MM or +HH:MM:SS (the date's '-' come before the space).
    const qsizetype space = qMax(text.lastIndexOf(' '), text.lastIndexOf('T'));
    if (space < 0)
        return false;
    const QByteArrayView time = text.sliced(space + 1);
    return time.contains('+') || time.contains('-');
}

void encodeTimestamp(quint32 typeOid, const QVariant &value, QByteArray &out)
{
    const bool withTimeZone = typeOid == Oid::TimestampTz;
    Timestamp timestamp;
    qint64 shiftMicros = 0;
    const int id = value.metaType().id();
    if (value.metaType() == QMetaType::fromType<Timestamp>()) {
        // The same microseconds for both types: a timestamptz value into timestamp gives its UTC wall
        // clock, as the text format does with TimeZone UTC.
        timestamp = value.value<Timestamp>();
    } else if (id == QMetaType::QDateTime) {
        const QDateTime dateTime = value.toDateTime();
        if (withTimeZone) {
            timestamp = Timestamp::fromDateTime(dateTime);
        } else {
            // timestamp without time zone: the wall clock the QDateTime shows (local, UTC or offset).
            const QDateTime wallClock(dateTime.date(), dateTime.time(), Qt::UTC);
            timestamp = Timestamp::fromMicroseconds(Timestamp::fromDateTime(wallClock).microsecondsSinceEpoch(), false);
        }
    } else if (id == QMetaType::QDate && !withTimeZone) {
        timestamp = Timestamp::fromDateTime(QDateTime(value.toDate(), QTime(0, 0), Qt::UTC));
    } else if (isString(value)) {
        const QString text = value.toString().trimmed();
        if (withTimeZone && !hasExplicitOffset(QByteArrayView(text.toLatin1())))
            cannot(value, typeOid, u"no time zone offset (the session's time zone is unknown here)"_s);
        timestamp = Timestamp::fromPostgresText(text, withTimeZone);
        if (timestamp.isNull() && !text.contains(u"BC")) {
            // QPg::Timestamp ends in year 294247, PostgreSQL in 294276: such a text (as decoding gives
            // it) is read 400 years earlier and moved back, as the calendar repeats every 400 years.
            const qsizetype dash = text.indexOf(u'-');
            bool ok = false;
            const int year = dash > 0 ? QStringView(text).first(dash).toInt(&ok) : 0;
            if (ok && year > 200000) {
                const QString earlier = QString::number(year - 400) + text.sliced(dash);
                timestamp = Timestamp::fromPostgresText(earlier, withTimeZone);
                shiftMicros = 146097 * MicrosPerDay;
            }
        }
        if (timestamp.isNull())
            cannot(value, typeOid, u"not YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM]][ BC]"_s);
    } else {
        cannot(value, typeOid);
    }

    switch (timestamp.kind()) {
    case Timestamp::Kind::PositiveInfinity:
        appendBigEndian(out, std::numeric_limits<qint64>::max());
        return;
    case Timestamp::Kind::NegativeInfinity:
        appendBigEndian(out, std::numeric_limits<qint64>::min());
        return;
    case Timestamp::Kind::Null:
        cannot(value, typeOid);
    case Timestamp::Kind::Finite:
        break;
    }
    qint64 micros = 0;
    if (qSubOverflow(timestamp.microsecondsSinceEpoch(), EpochShiftMicros, &micros)
        || qAddOverflow(micros, shiftMicros, &micros) || micros < MinTimestamp
        || micros >= EndTimestamp)
        cannot(value, typeOid, u"out of range"_s);
    appendBigEndian(out, micros);
}

// Interval text: "[@] <n> <unit> ... [[+|-]HH:MM[:SS[.f]]] [ago]", as PostgreSQL prints it in the
// postgres and postgres_verbose styles. Fractions are accepted for seconds and smaller units only.
void encodeInterval(const QVariant &value, QByteArray &out)
{
    if (!isString(value))
        cannot(value, Oid::Interval, u"pass a string such as \"1 day 02:00:00\""_s);
    const QList<QByteArray> words = trimmedUtf8(value).toLower().simplified().split(' ');
    qint64 months = 0, days = 0, micros = 0;
    bool ok = true;
    bool any = false;
    const auto add = [&](qint64 *field, qint64 amount) { ok = ok && !qAddOverflow(*field, amount, field); };
    const auto mul = [&](qint64 a, qint64 b) {
        qint64 r = 0;
        ok = ok && !qMulOverflow(a, b, &r);
        return r;
    };
    for (qsizetype i = 0; i < words.size() && ok; ++i) {
        const QByteArray &word = words[i];
        if (word.isEmpty() || (word == "@" && i == 0))
            continue;
        if (word == "ago" && i == words.size() - 1 && any) {
            ok = micros != std::numeric_limits<qint64>::min();
            months = -months;
            days = -days;
            micros = -micros;
            continue;
        }
        any = true;
        if (word.contains(':')) {
            qsizetype pos = 0;
            bool negative = false;
            if (word[0] == '+' || word[0] == '-') {
                negative = word[0] == '-';
                ++pos;
            }
            // Hours may exceed 24 and have more digits: split them off first.
            const qsizetype colon = word.indexOf(':');
            const auto hours = word.sliced(pos, colon - pos).toLongLong(&ok);
            if (!ok || colon - pos < 1 || hours < 0) {
                ok = false;
                break;
            }
            const QByteArray rest = "00" + word.sliced(colon);
            qsizetype restPos = 0;
            const auto clock = parseTimeOfDay(rest, &restPos);
            if (!clock || restPos != rest.size()) {
                ok = false;
                break;
            }
            // Signed before adding: -2562047788:00:54.775808 is the smallest interval time.
            qint64 total = mul(hours, MicrosPerHour);
            total = negative ? -total : total;
            add(&total, negative ? -*clock : *clock);
            add(&micros, total);
            continue;
        }
        if (i + 1 >= words.size()) {
            ok = false;
            break;
        }
        const QByteArray unit = words[++i];
        const bool fractional = word.contains('.') || word.contains('e');
        const auto is = [&](std::initializer_list<const char *> names) {
            for (const char *name : names) {
                if (unit == name)
                    return true;
            }
            return false;
        };
        qint64 scale = 0; // microseconds per unit, for the time units
        if (is({"second", "seconds", "sec", "secs", "s"}))
            scale = MicrosPerSecond;
        else if (is({"millisecond", "milliseconds", "ms", "msec", "msecs"}))
            scale = 1000;
        else if (is({"microsecond", "microseconds", "us", "usec", "usecs"}))
            scale = 1;
        if (scale != 0) {
            // Exact decimal arithmetic on microseconds: the number is numeric text.
            QByteArray numeric;
            encodeNumericText(value, word, numeric); // throws on bad syntax
            const QString decimal = decodeValue(Oid::Numeric, numeric.constData(), int(numeric.size())).toString();
            const bool negative = decimal.startsWith(u'-');
            const QStringView digits = QStringView(decimal).sliced(negative ? 1 : 0);
            const qsizetype point = digits.indexOf(u'.');
            bool wholeOk = false;
            const qint64 whole = (point < 0 ? digits : digits.first(point)).toLongLong(&wholeOk);
            const QStringView fraction = point < 0 ? QStringView() : digits.sliced(point + 1);
            const int unitDigits = scale == MicrosPerSecond ? 6 : scale == 1000 ? 3 : 0;
            qint64 part = 0;
            for (qsizetype k = 0; k < fraction.size(); ++k) {
                if (k < unitDigits)
                    part = part * 10 + (fraction[k].unicode() - u'0');
                else if (fraction[k] != u'0')
                    ok = false; // finer than a microsecond
            }
            for (qsizetype k = fraction.size(); k < unitDigits; ++k)
                part *= 10;
            ok = ok && wholeOk;
            qint64 total = mul(whole, scale);
            total = negative ? -total : total;
            add(&total, negative ? -part : part);
            add(&micros, total);
            continue;
        }
        if (fractional) {
            ok = false;
            break;
        }
        const qint64 n = word.toLongLong(&ok);
        if (!ok)
            break;
        if (is({"year", "years", "y", "yr", "yrs"}))
            add(&months, mul(n, 12));
        else if (is({"mon", "mons", "month", "months"}))
            add(&months, n);
        else if (is({"week", "weeks", "w"}))
            add(&days, mul(n, 7));
        else if (is({"day", "days", "d"}))
            add(&days, n);
        else if (is({"hour", "hours", "h", "hr", "hrs"}))
            add(&micros, mul(n, MicrosPerHour));
        else if (is({"minute", "minutes", "min", "mins", "m"}))
            add(&micros, mul(n, MicrosPerMinute));
        else
            ok = false;
    }
    if (!ok || !any || months > std::numeric_limits<qint32>::max() || months < std::numeric_limits<qint32>::min()
        || days > std::numeric_limits<qint32>::max() || days < std::numeric_limits<qint32>::min())
        cannot(value, Oid::Interval, u"not an interval such as \"1 year 2 mons 3 days 04:05:06.789\""_s);
    appendBigEndian(out, micros);
    appendBigEndian(out, qint32(days));
    appendBigEndian(out, qint32(months));
}

void encodeUuid(const QVariant &value, QByteArray &out)
{
    QUuid uuid;
    if (value.metaType().id() == QMetaType::QUuid) {
        uuid = value.toUuid();
    } else if (isString(value)) {
        const QString text = value.toString().trimmed();
        uuid = QUuid::fromString(text);
        if (uuid.isNull() && text != u"00000000-0000-0000-0000-000000000000")
            cannot(value, Oid::Uuid, u"not a UUID"_s);
    } else {
        cannot(value, Oid::Uuid);
    }
    out += uuid.toRfc4122();
}

void encodeNetwork(quint32 typeOid, const QVariant &value, QByteArray &out)
{
    if (!isString(value))
        cannot(value, typeOid, u"pass the address as a string"_s);
    const QByteArray text = trimmedUtf8(value);
    const qsizetype slash = text.indexOf('/');
    const QByteArray address = slash < 0 ? text : text.first(slash);
    const bool isV6 = address.contains(':');
    uchar bytes[16] = {};
    if (inet_pton(isV6 ? AF_INET6 : AF_INET, address.constData(), bytes) != 1)
        cannot(value, typeOid, u"not an IP address"_s);
    const int maxBits = isV6 ? 128 : 32;
    int bits = maxBits;
    if (slash >= 0) {
        const QByteArray mask = text.sliced(slash + 1);
        bool ok = !mask.isEmpty() && mask.size() <= 3;
        for (const char c : mask)
            ok = ok && c >= '0' && c <= '9';
        bits = ok ? mask.toInt() : -1;
        if (bits < 0 || bits > maxBits)
            cannot(value, typeOid, u"bad netmask length"_s);
    }
    const int size = maxBits / 8;
    if (typeOid == Oid::Cidr) {
        for (int bit = bits; bit < maxBits; ++bit) {
            if (bytes[bit / 8] & (0x80 >> (bit % 8)))
                cannot(value, typeOid, u"bits set to the right of the mask"_s);
        }
    }
    out += char(isV6 ? FamilyInet6 : FamilyInet4);
    out += char(bits);
    out += char(typeOid == Oid::Cidr ? 1 : 0);
    out += char(size);
    out.append(reinterpret_cast<const char *>(bytes), size);
}

void encodeBool(const QVariant &value, QByteArray &out)
{
    bool result = false;
    if (value.metaType().id() == QMetaType::Bool) {
        result = value.toBool();
    } else if (isString(value)) {
        // boolin's spellings.
        const QByteArray text = trimmedUtf8(value).toLower();
        if (text == "t" || text == "true" || text == "y" || text == "yes" || text == "on" || text == "1")
            result = true;
        else if (text == "f" || text == "false" || text == "n" || text == "no" || text == "off" || text == "0")
            result = false;
        else
            cannot(value, Oid::Bool, u"not a boolean"_s);
    } else if (const IntegerValue i = integerOf(value); i.isInteger && !i.outOfRange && (i.value == 0 || i.value == 1)) {
        result = i.value == 1;
    } else {
        cannot(value, Oid::Bool);
    }
    out += char(result ? 1 : 0);
}

void encodeValue(quint32 typeOid, const QVariant &value, QByteArray &out, int depth);

void encodeArray(quint32 typeOid, quint32 elementType, const QVariant &value, QByteArray &out)
{
    if (!isSequence(value))
        cannot(value, typeOid, u"pass a list"_s);

    // Dimensions from the first element at each level; every sub-list must then agree (PostgreSQL's
    // arrays are rectangular).
    QList<qint32> sizes;
    QVariant level = value;
    while (true) {
        if (sizes.size() == MaxArrayDimensions)
            cannot(value, typeOid, u"more than %1 dimensions"_s.arg(MaxArrayDimensions));
        const QSequentialIterable list = level.value<QSequentialIterable>();
        const qsizetype size = list.size();
        if (size > std::numeric_limits<qint32>::max())
            cannot(value, typeOid, u"too many elements"_s);
        sizes.append(qint32(size));
        if (size == 0)
            break;
        const QVariant first = list.at(0);
        if (isNullValue(first) || !isSequence(first))
            break;
        level = first;
    }
    qint64 total = 1;
    for (const qint32 size : sizes)
        total *= size;

    QByteArray body;
    bool hasNull = false;
    const auto walk = [&](const auto &self, const QVariant &list, int dimension) -> void {
        const QSequentialIterable iterable = list.value<QSequentialIterable>();
        if (iterable.size() != sizes[dimension])
            cannot(value, typeOid, u"sub-lists of different lengths (arrays must be rectangular)"_s);
        for (const QVariant &element : iterable) {
            const bool isList = !isNullValue(element) && isSequence(element);
            if (dimension + 1 < sizes.size()) {
                if (!isList)
                    cannot(value, typeOid, u"a multi-dimensional array needs a list at every position"_s);
                self(self, element, dimension + 1);
                continue;
            }
            if (isList)
                cannot(value, typeOid, u"sub-lists of different depths"_s);
            if (isNullValue(element)) {
                hasNull = true;
                appendBigEndian(body, qint32(-1));
                continue;
            }
            const qsizetype lengthAt = body.size();
            appendBigEndian(body, qint32(0));
            QByteArray encoded;
            try {
                encodeValue(elementType, element, encoded, 1);
            } catch (EncodeError &e) {
                e.message += u" (an element of %1)"_s.arg(typeName(typeOid));
                throw;
            }
            if (encoded.size() > std::numeric_limits<qint32>::max())
                cannot(value, typeOid, u"element too large"_s);
            qToBigEndian(qint32(encoded.size()), body.data() + lengthAt);
            body += encoded;
        }
    };
    walk(walk, value, 0);

    // An array without elements is PostgreSQL's empty array, of no dimensions ('{{}}' is '{}' too).
    const int dimensions = total == 0 ? 0 : int(sizes.size());
    appendBigEndian(out, qint32(dimensions));
    appendBigEndian(out, qint32(hasNull ? 1 : 0));
    appendBigEndian(out, elementType);
    for (int d = 0; d < dimensions; ++d) {
        appendBigEndian(out, sizes[d]);
        appendBigEndian(out, qint32(1)); // lower bound
    }
    out += body;
}

void encodeValue(quint32 typeOid, const QVariant &value, QByteArray &out, int depth)
{
    Q_UNUSED(depth);
    const BinaryEncodeFunction encode = binaryEncoder(typeOid);
    if (!encode)
        throw EncodeError{u"no binary encoder for PostgreSQL type %1"_s.arg(typeName(typeOid))};
    encode(typeOid, value, out);
}

} // namespace

bool hasBinaryDecoder(quint32 typeOid)
{
    return hasBinaryCodec(typeOid);
}

bool canEncodeBinary(quint32 typeOid)
{
    return hasBinaryCodec(typeOid);
}

BinaryDecoder binaryDecoder(quint32 typeOid)
{
    return valueDecoder(typeOid);
}

bool decodeBinary(quint32 typeOid, const char *data, int length, QVariant *out, QString *error)
{
    QString message;
    QVariant value = decodeBinaryWith(valueDecoder(typeOid), typeOid, data, length, &message);
    if (message.isNull()) {
        *out = std::move(value);
        return true;
    }
    if (error)
        *error = message;
    return false;
}

QVariant decodeBinaryWith(BinaryDecoder decoder, quint32 typeOid, const char *data, int length, QString *error)
{
    // The value is returned in place (no out parameter to assign): this is the per-value path of results.
    try {
        if (!data || length < 0)
            throw DecodeError{u"no binary value for type %1"_s.arg(typeName(typeOid))};
        if (!decoder)
            throw DecodeError{u"no binary decoder for type %1"_s.arg(typeName(typeOid))};
        return decoder(typeOid, data, length);
    } catch (const DecodeError &e) {
        *error = e.message;
        return QVariant();
    }
}

BinaryEncodeFunction binaryEncoder(quint32 typeOid)
{
    // One function per type: encodeBinary() and the per-column encoders (columnencoder_p.h) share it.
    switch (typeOid) {
    case Oid::Bool:
        return [](quint32, const QVariant &value, QByteArray &out) { encodeBool(value, out); };
    case Oid::Int2:
    case Oid::Int4:
    case Oid::Int8:
    case Oid::Oid:
        return &encodeInteger;
    case Oid::Float4:
        return &encodeFloat<float>;
    case Oid::Float8:
        return &encodeFloat<double>;
    case Oid::Numeric:
        return [](quint32, const QVariant &value, QByteArray &out) { encodeNumeric(value, out); };
    case Oid::Text:
    case Oid::Varchar:
    case Oid::Bpchar:
    case Oid::Name:
    case Oid::Unknown:
        return &encodeText;
    case Oid::Char:
        return [](quint32, const QVariant &value, QByteArray &out) { encodeChar(value, out); };
    case Oid::Bytea:
        return [](quint32, const QVariant &value, QByteArray &out) { encodeBytea(value, out); };
    case Oid::Date:
        return [](quint32, const QVariant &value, QByteArray &out) { encodeDate(value, out); };
    case Oid::Time:
        return [](quint32, const QVariant &value, QByteArray &out) { encodeTime(value, out); };
    case Oid::TimeTz:
        return [](quint32, const QVariant &value, QByteArray &out) { encodeTimeTz(value, out); };
    case Oid::Timestamp:
    case Oid::TimestampTz:
        return &encodeTimestamp;
    case Oid::Interval:
        return [](quint32, const QVariant &value, QByteArray &out) { encodeInterval(value, out); };
    case Oid::Uuid:
        return [](quint32, const QVariant &value, QByteArray &out) { encodeUuid(value, out); };
    case Oid::Json:
    case Oid::Jsonb:
        return &encodeJson;
    case Oid::Inet:
    case Oid::Cidr:
        return &encodeNetwork;
    default:
        break;
    }
    if (arrayElementType(typeOid))
        return [](quint32 type, const QVariant &value, QByteArray &out) {
            encodeArray(type, arrayElementType(type), value, out);
        };
    return nullptr;
}

bool isNullParameter(const QVariant &value)
{
    return isNullValue(value);
}

void appendUtf8(QByteArray &out, QStringView text)
{
    // UTF-8 takes at most three bytes per UTF-16 code unit; the unused room is cut off afterwards.
    const qsizetype start = out.size();
    out.resize(start + text.size() * 3);
    QStringEncoder encoder(QStringEncoder::Utf8, QStringEncoder::Flag::Stateless);
    char *end = encoder.appendToBuffer(out.data() + start, text);
    out.resize(end - out.constData());
}

bool appendBinary(quint32 typeOid, BinaryEncodeFunction encode, const QVariant &value, QByteArray &out,
                  QString *error)
{
    const qsizetype start = out.size();
    try {
        encode(typeOid, value, out);
        return true;
    } catch (const EncodeError &e) {
        out.resize(start);
        if (error)
            *error = e.message;
        return false;
    }
}

bool encodeBinary(quint32 typeOid, const QVariant &value, QByteArray *out, QString *error)
{
    if (isNullValue(value)) {
        *out = QByteArray(); // null: the caller sends SQL NULL
        return true;
    }
    // Encoded in place, so a caller encoding many values reuses one buffer.
    out->resize(0);
    try {
        encodeValue(typeOid, value, *out, 0);
        if (out->isNull())
            *out = QByteArray("", 0); // empty, not NULL
        return true;
    } catch (const EncodeError &e) {
        out->clear();
        if (error)
            *error = e.message;
        return false;
    }
}

} // namespace QPg::Private
