// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QtCore/QSequentialIterable>
#include <QtCore/QString>
#include <QtCore/QVariant>

// Pieces of PostgreSQL's text output and of the Qt value model shared by the codecs.
namespace QPg::Private {

// value in decimal, zero-padded to width digits.
inline void appendPadded(QString &out, qint64 value, int width)
{
    const QString digits = QString::number(value);
    for (qsizetype i = digits.size(); i < width; ++i)
        out += u'0';
    out += digits;
}

// HH:MM:SS[.ffffff] as PostgreSQL prints a time of day (trailing zeros of the fraction dropped).
inline void appendTimeOfDay(QString &out, qint64 micros)
{
    constexpr qint64 MicrosPerSecond = 1000000;
    const qint64 seconds = micros / MicrosPerSecond;
    const qint64 fraction = micros % MicrosPerSecond;
    appendPadded(out, seconds / 3600, 2);
    out += u':';
    appendPadded(out, seconds / 60 % 60, 2);
    out += u':';
    appendPadded(out, seconds % 60, 2);
    if (fraction != 0) {
        QString digits;
        appendPadded(digits, fraction, 6);
        while (digits.endsWith(u'0'))
            digits.chop(1);
        out += u'.' + digits;
    }
}

// Values sent as arrays: any sequence QVariant can iterate, except the ones that are values
// themselves (strings, byte arrays, JSON-like maps).
inline bool isSequence(const QVariant &value)
{
    switch (value.metaType().id()) {
    case QMetaType::QString:
    case QMetaType::QByteArray:
    case QMetaType::QVariantMap:
    case QMetaType::QVariantHash:
        return false;
    default:
        return value.canView<QSequentialIterable>();
    }
}

} // namespace QPg::Private
