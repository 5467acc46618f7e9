// SPDX-License-Identifier: MIT
#include <QPg/timestamp.h>

#include <QtCore/QDate>
#include <QtCore/qnumeric.h>

#include "floordiv_p.h"
#include "pgtext_p.h"

namespace QPg {

namespace {

using Private::appendPadded;
using Private::appendTimeOfDay;
using Private::floorDiv;
using Private::floorMod;

constexpr qint64 MicrosPerSecond = 1000000;
constexpr qint64 MicrosPerDay = 86400 * MicrosPerSecond;
constexpr qint64 UnixEpochJulianDay = 2440588; // 1970-01-01

// A cursor over the text being parsed.
class Scanner
{
public:
    explicit Scanner(QStringView text)
        : m_text(text)
    {
    }

    bool atEnd() const { return m_pos >= m_text.size(); }
    char16_t peek() const { return atEnd() ? u'\0' : m_text[m_pos].unicode(); }
    bool accept(char16_t c)
    {
        if (peek() != c || atEnd())
            return false;
        ++m_pos;
        return true;
    }
    bool accept(QStringView word)
    {
        if (!m_text.sliced(m_pos).startsWith(word))
            return false;
        m_pos += word.size();
        return true;
    }
    // Reads minDigits..maxDigits decimal digits; false when fewer are there.
    bool number(int minDigits, int maxDigits, qint64 *value, int *digits = nullptr)
    {
        qint64 result = 0;
        int count = 0;
        while (count < maxDigits && !atEnd() && peek() >= u'0' && peek() <= u'9') {
            result = result * 10 + (peek() - u'0');
            ++m_pos;
            ++count;
        }
        if (count < minDigits)
            return false;
        *value = result;
        if (digits)
            *digits = count;
        return true;
    }
    void skipDigits()
    {
        while (!atEnd() && peek() >= u'0' && peek() <= u'9')
            ++m_pos;
    }

private:
    QStringView m_text;
    qsizetype m_pos = 0;
};

} // namespace

Timestamp Timestamp::fromMicroseconds(qint64 microsecondsSinceEpoch, bool withTimeZone)
{
    Timestamp t;
    t.m_micros = microsecondsSinceEpoch;
    t.m_kind = Kind::Finite;
    t.m_withTimeZone = withTimeZone;
    return t;
}

Timestamp Timestamp::fromDateTime(const QDateTime &dateTime)
{
    if (!dateTime.isValid())
        return {};
    qint64 micros = 0;
    if (qMulOverflow(dateTime.toMSecsSinceEpoch(), qint64(1000), &micros))
        return {};
    return fromMicroseconds(micros, true);
}

Timestamp Timestamp::infinity(bool withTimeZone)
{
    Timestamp t;
    t.m_kind = Kind::PositiveInfinity;
    t.m_withTimeZone = withTimeZone;
    return t;
}

Timestamp Timestamp::minusInfinity(bool withTimeZone)
{
    Timestamp t;
    t.m_kind = Kind::NegativeInfinity;
    t.m_withTimeZone = withTimeZone;
    return t;
}

// Accepts what PostgreSQL prints with DateStyle ISO:
//   YYYY-MM-DD HH:MM:SS[.ffffff][(+|-)HH[:MM[:SS]]][ BC]
// (more than four year digits for far dates, "T" instead of the space, "Z" for UTC, a date alone),
// and "infinity" / "-infinity". For timestamp without time zone (withTimeZone false) an offset is
// ignored, as PostgreSQL does.
Timestamp Timestamp::fromPostgresText(QStringView text, bool withTimeZone)
{
    text = text.trimmed();
    if (text == u"infinity" || text == u"+infinity")
        return infinity(withTimeZone);
    if (text == u"-infinity")
        return minusInfinity(withTimeZone);

    Scanner in(text);
    qint64 year = 0, month = 0, day = 0;
    if (!in.number(1, 7, &year) || !in.accept(u'-') || !in.number(2, 2, &month) || !in.accept(u'-')
        || !in.number(2, 2, &day))
        return {};

    qint64 hour = 0, minute = 0, second = 0, fraction = 0;
    qint64 offsetSeconds = 0;
    bool bc = false;
    if (in.accept(u' ') || in.accept(u'T')) {
        if (in.accept(u"BC")) {
            bc = true;
        } else {
            if (!in.number(2, 2, &hour) || !in.accept(u':') || !in.number(2, 2, &minute) || !in.accept(u':')
                || !in.number(2, 2, &second))
                return {};
            if (in.accept(u'.')) {
                int digits = 0;
                if (!in.number(1, 6, &fraction, &digits))
                    return {};
                for (; digits < 6; ++digits)
                    fraction *= 10;
                in.skipDigits(); // beyond microseconds: truncated
            }
            if (in.accept(u'Z')) {
                offsetSeconds = 0;
            } else if (in.peek() == u'+' || in.peek() == u'-') {
                const bool negative = in.peek() == u'-';
                in.accept(in.peek());
                qint64 oh = 0, om = 0, os = 0;
                if (!in.number(2, 2, &oh))
                    return {};
                if (in.accept(u':')) {
                    if (!in.number(2, 2, &om))
                        return {};
                    if (in.accept(u':') && !in.number(2, 2, &os))
                        return {};
                }
                if (oh > 15 || om > 59 || os > 59)
                    return {};
                offsetSeconds = (oh * 3600 + om * 60 + os) * (negative ? -1 : 1);
            }
            if (in.accept(u" BC"))
                bc = true;
        }
    }
    if (!in.atEnd())
        return {};

    if (year == 0 || minute > 59 || second > 60 || hour > 24)
        return {};
    if (hour == 24 && (minute != 0 || second != 0 || fraction != 0))
        return {};
    // PostgreSQL's 1 BC is the year before 1 AD; QDate has no year 0 either, so 1 BC is year -1.
    const QDate date(int(bc ? -year : year), int(month), int(day));
    if (!date.isValid())
        return {};
    if (!withTimeZone)
        offsetSeconds = 0;

    const qint64 days = date.toJulianDay() - UnixEpochJulianDay;
    const qint64 seconds = hour * 3600 + minute * 60 + second - offsetSeconds;
    qint64 micros = 0;
    if (qMulOverflow(days, MicrosPerDay, &micros)
        || qAddOverflow(micros, seconds * MicrosPerSecond + fraction, &micros))
        return {};
    return fromMicroseconds(micros, withTimeZone);
}

int Timestamp::microsecond() const
{
    if (m_kind != Kind::Finite)
        return 0;
    return int(floorMod(m_micros, MicrosPerSecond));
}

QDateTime Timestamp::toDateTime() const
{
    if (m_kind != Kind::Finite)
        return {};
    return QDateTime::fromMSecsSinceEpoch(floorDiv(m_micros, 1000), Qt::UTC);
}

QString Timestamp::toPostgresText() const
{
    switch (m_kind) {
    case Kind::Null:
        return {};
    case Kind::PositiveInfinity:
        return QStringLiteral("infinity");
    case Kind::NegativeInfinity:
        return QStringLiteral("-infinity");
    case Kind::Finite:
        break;
    }

    const qint64 days = floorDiv(m_micros, MicrosPerDay);
    const qint64 timeOfDay = floorMod(m_micros, MicrosPerDay);
    const QDate date = QDate::fromJulianDay(days + UnixEpochJulianDay);

    QString out;
    out.reserve(40);
    const int year = date.year();
    appendPadded(out, year < 0 ? -qint64(year) : year, 4);
    out += u'-';
    appendPadded(out, date.month(), 2);
    out += u'-';
    appendPadded(out, date.day(), 2);
    out += u' ';
    appendTimeOfDay(out, timeOfDay);
    if (m_withTimeZone)
        out += u"+00";
    if (year < 0)
        out += u" BC";
    return out;
}

} // namespace QPg
