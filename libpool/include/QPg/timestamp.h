// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/qpgpool_export.h>

#include <QtCore/QDateTime>
#include <QtCore/QMetaType>
#include <QtCore/QString>

namespace QPg {

// A PostgreSQL timestamp or timestamptz with its full microsecond precision and the infinities.
// QDateTime stops at milliseconds, so results keep this type; it converts to QDateTime on request
// (QVariant::toDateTime() works through a registered converter) and is accepted as a parameter.
class QPGPOOL_EXPORT Timestamp
{
public:
    enum class Kind : quint8 { Null, Finite, PositiveInfinity, NegativeInfinity };

    constexpr Timestamp() = default;
    // Microseconds since 1970-01-01 00:00:00 UTC (for timestamp without time zone: of that wall clock).
    static Timestamp fromMicroseconds(qint64 microsecondsSinceEpoch, bool withTimeZone = true);
    static Timestamp fromDateTime(const QDateTime &dateTime);
    static Timestamp infinity(bool withTimeZone = true);
    static Timestamp minusInfinity(bool withTimeZone = true);
    // Parses PostgreSQL's ISO output ("2024-05-01 12:34:56.123456+02", "infinity"); null on error.
    static Timestamp fromPostgresText(QStringView text, bool withTimeZone);

    Kind kind() const { return m_kind; }
    bool isNull() const { return m_kind == Kind::Null; }
    bool isFinite() const { return m_kind == Kind::Finite; }
    bool isInfinite() const { return m_kind == Kind::PositiveInfinity || m_kind == Kind::NegativeInfinity; }
    bool hasTimeZone() const { return m_withTimeZone; }
    qint64 microsecondsSinceEpoch() const { return m_micros; }
    int microsecond() const; // 0..999999 within the second

    // UTC QDateTime (millisecond precision); invalid for null and infinite values.
    QDateTime toDateTime() const;
    // PostgreSQL input syntax, UTC with microseconds: "2024-05-01 10:34:56.123456+00", "infinity".
    QString toPostgresText() const;
    QString toString() const { return toPostgresText(); }

    friend bool operator==(const Timestamp &a, const Timestamp &b)
    {
        return a.m_kind == b.m_kind && a.m_micros == b.m_micros;
    }
    friend bool operator!=(const Timestamp &a, const Timestamp &b) { return !(a == b); }

private:
    qint64 m_micros = 0;
    Kind m_kind = Kind::Null;
    bool m_withTimeZone = true;
};

} // namespace QPg

Q_DECLARE_METATYPE(QPg::Timestamp)
